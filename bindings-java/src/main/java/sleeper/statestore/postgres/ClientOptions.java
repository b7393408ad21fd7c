package sleeper.statestore.postgres;

import java.time.Duration;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * How a client connects: pool size, timeouts, schema, migrations and the retry policy for conflicts.
 * The defaults are the core's: 10 connections, 30 s to acquire one, 10 s to open one, no statement
 * timeout, idle connections closed after 60 s, migrations applied, schema {@code sleeper}, 10 attempts
 * with full-jitter backoff from 0.2 s doubling up to 30 s, prepared statements cached.
 */
public final class ClientOptions {
    private final int maxConnections;
    private final Duration acquireTimeout;
    private final Duration connectTimeout;
    private final Duration statementTimeout;
    private final Duration idleTimeout;
    private final boolean migrate;
    private final String schema;
    private final int retryMaxAttempts;
    private final Duration retryInitialBackoff;
    private final Duration retryMaxBackoff;
    private final boolean statementCache;

    private ClientOptions(Builder builder) {
        maxConnections = builder.maxConnections;
        acquireTimeout = Args.notNull(builder.acquireTimeout, "acquireTimeout");
        connectTimeout = Args.notNull(builder.connectTimeout, "connectTimeout");
        statementTimeout = builder.statementTimeout;
        idleTimeout = builder.idleTimeout;
        migrate = builder.migrate;
        schema = Args.notNull(builder.schema, "schema");
        retryMaxAttempts = builder.retryMaxAttempts;
        retryInitialBackoff = Args.notNull(builder.retryInitialBackoff, "retryInitialBackoff");
        retryMaxBackoff = Args.notNull(builder.retryMaxBackoff, "retryMaxBackoff");
        statementCache = builder.statementCache;
    }

    public static ClientOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public int getMaxConnections() {
        return maxConnections;
    }

    public Duration getAcquireTimeout() {
        return acquireTimeout;
    }

    public Duration getConnectTimeout() {
        return connectTimeout;
    }

    /** Null leaves the server's setting. */
    public Duration getStatementTimeout() {
        return statementTimeout;
    }

    /** Null keeps idle connections open. */
    public Duration getIdleTimeout() {
        return idleTimeout;
    }

    public boolean isMigrate() {
        return migrate;
    }

    public String getSchema() {
        return schema;
    }

    public int getRetryMaxAttempts() {
        return retryMaxAttempts;
    }

    public Duration getRetryInitialBackoff() {
        return retryInitialBackoff;
    }

    public Duration getRetryMaxBackoff() {
        return retryMaxBackoff;
    }

    public boolean isStatementCache() {
        return statementCache;
    }

    private static long millis(Duration duration) {
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private static long optionalMillis(Duration duration) {
        // -1 stands for "none"; a negative duration becomes -2, which the native side refuses.
        return duration == null ? -1 : duration.isNegative() ? -2 : millis(duration);
    }

    byte[] encode(String url) {
        return new WireWriter().string(url).i32(maxConnections).i64(millis(acquireTimeout)).i64(millis(connectTimeout))
                .i64(optionalMillis(statementTimeout)).i64(optionalMillis(idleTimeout)).bool(migrate).string(schema)
                .i32(retryMaxAttempts).i64(millis(retryInitialBackoff)).i64(millis(retryMaxBackoff))
                .bool(statementCache).toBytes();
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof ClientOptions)) {
            return false;
        }
        ClientOptions that = (ClientOptions) other;
        return maxConnections == that.maxConnections && migrate == that.migrate
                && retryMaxAttempts == that.retryMaxAttempts && statementCache == that.statementCache
                && acquireTimeout.equals(that.acquireTimeout) && connectTimeout.equals(that.connectTimeout)
                && Objects.equals(statementTimeout, that.statementTimeout)
                && Objects.equals(idleTimeout, that.idleTimeout) && schema.equals(that.schema)
                && retryInitialBackoff.equals(that.retryInitialBackoff) && retryMaxBackoff.equals(that.retryMaxBackoff);
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxConnections, acquireTimeout, connectTimeout, statementTimeout, idleTimeout, migrate,
                schema, retryMaxAttempts, retryInitialBackoff, retryMaxBackoff, statementCache);
    }

    @Override
    public String toString() {
        return "ClientOptions{maxConnections=" + maxConnections + ", acquireTimeout=" + acquireTimeout
                + ", connectTimeout=" + connectTimeout + ", statementTimeout=" + statementTimeout + ", idleTimeout="
                + idleTimeout + ", migrate=" + migrate + ", schema='" + schema + "', retryMaxAttempts="
                + retryMaxAttempts + ", retryInitialBackoff=" + retryInitialBackoff + ", retryMaxBackoff="
                + retryMaxBackoff + ", statementCache=" + statementCache + "}";
    }

    /** Builds options; every field starts at its default. */
    public static final class Builder {
        private int maxConnections = 10;
        private Duration acquireTimeout = Duration.ofSeconds(30);
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration statementTimeout;
        private Duration idleTimeout = Duration.ofSeconds(60);
        private boolean migrate = true;
        private String schema = "sleeper";
        private int retryMaxAttempts = 10;
        private Duration retryInitialBackoff = Duration.ofMillis(200);
        private Duration retryMaxBackoff = Duration.ofSeconds(30);
        private boolean statementCache = true;

        private Builder() {
        }

        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder acquireTimeout(Duration acquireTimeout) {
            this.acquireTimeout = acquireTimeout;
            return this;
        }

        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Builder statementTimeout(Duration statementTimeout) {
            this.statementTimeout = statementTimeout;
            return this;
        }

        public Builder idleTimeout(Duration idleTimeout) {
            this.idleTimeout = idleTimeout;
            return this;
        }

        /** Apply the bundled migrations when connecting; off where an admin step owns the schema. */
        public Builder migrate(boolean migrate) {
            this.migrate = migrate;
            return this;
        }

        public Builder schema(String schema) {
            this.schema = schema;
            return this;
        }

        public Builder retryMaxAttempts(int retryMaxAttempts) {
            this.retryMaxAttempts = retryMaxAttempts;
            return this;
        }

        public Builder retryInitialBackoff(Duration retryInitialBackoff) {
            this.retryInitialBackoff = retryInitialBackoff;
            return this;
        }

        public Builder retryMaxBackoff(Duration retryMaxBackoff) {
            this.retryMaxBackoff = retryMaxBackoff;
            return this;
        }

        /** Cache prepared statements per connection; off behind a transaction-pooling PgBouncer. */
        public Builder statementCache(boolean statementCache) {
            this.statementCache = statementCache;
            return this;
        }

        public ClientOptions build() {
            return new ClientOptions(this);
        }
    }
}
