package sleeper.statestore.postgres;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * How a client connects: pool size, timeouts, schema, migrations, prepared statements and the retry
 * policy for conflicts. Options hold only what the caller set: every other option is the core's
 * default, and the core checks every value when connecting ({@code IllegalArgumentException} for a
 * bad one). {@code ClientOptions.builder().maxConnections(4).build()}.
 */
public final class ClientOptions {
    /** The value of an optional timeout set to none. */
    private static final Object NONE = new Object() {
        @Override
        public String toString() {
            return "none";
        }
    };

    /** The options set, by their Java name, in the order set. */
    private final Map<String, Object> set;

    private ClientOptions(Map<String, Object> set) {
        this.set = Collections.unmodifiableMap(new LinkedHashMap<>(set));
    }

    /** No option set: the core's defaults. */
    public static ClientOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    byte[] encode(String url) {
        WireWriter out = new WireWriter(64 + 32 * set.size()).string(url).i32(set.size());
        set.forEach((name, value) -> {
            out.string(name);
            if (value == NONE) {
                out.bool(false);
            } else if (value instanceof Duration) {
                out.bool(true).i64(millis((Duration) value));
            } else if (value instanceof Integer) {
                out.i32((Integer) value);
            } else if (value instanceof Boolean) {
                out.bool((Boolean) value);
            } else if (value instanceof List) {
                out.strings(castStrings(value));
            } else {
                out.string((String) value);
            }
        });
        return out.toBytes();
    }

    @SuppressWarnings("unchecked")
    private static List<String> castStrings(Object value) {
        return (List<String>) value;
    }

    /** Milliseconds, rounded down; a duration beyond a {@code long} of them saturates. */
    private static long millis(Duration duration) {
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    @Override
    public boolean equals(Object other) {
        return this == other || other instanceof ClientOptions && set.equals(((ClientOptions) other).set);
    }

    @Override
    public int hashCode() {
        return set.hashCode();
    }

    /** The options set; replica URLs only counted, as they may hold passwords. */
    @Override
    public String toString() {
        Map<String, Object> shown = new LinkedHashMap<>(set);
        shown.computeIfPresent("replicaUrls", (name, urls) -> ((List<?>) urls).size() + " URLs");
        return "ClientOptions" + shown;
    }

    /** Builds options; an option not set is the core's default, which the javadoc of its setter gives. */
    public static final class Builder {
        private final Map<String, Object> set = new LinkedHashMap<>();

        private Builder() {
        }

        private Builder set(String name, Object value) {
            set.put(name, value);
            return this;
        }

        /** Connections in the pool, at least 1. Core's default (currently 10). */
        public Builder maxConnections(int maxConnections) {
            return set("maxConnections", maxConnections);
        }

        /** How long a call waits for a free connection while all are in use. Core's default (currently 30 s). */
        public Builder acquireTimeout(Duration acquireTimeout) {
            return set("acquireTimeout", Args.notNull(acquireTimeout, "acquireTimeout"));
        }

        /** How long one try at opening a connection may take. Core's default (currently 10 s). */
        public Builder connectTimeout(Duration connectTimeout) {
            return set("connectTimeout", Args.notNull(connectTimeout, "connectTimeout"));
        }

        /**
         * How long a call waits for a server that cannot take connections for now (restarting, out of connection
         * slots, or an Aurora Serverless v2 instance resuming from a pause), trying again; zero makes one try.
         * Core's default (currently 60 s).
         */
        public Builder serverWaitTimeout(Duration serverWaitTimeout) {
            return set("serverWaitTimeout", Args.notNull(serverWaitTimeout, "serverWaitTimeout"));
        }

        /** A server-side limit on each statement; null for none. Core's default (currently none: the server's). */
        public Builder statementTimeout(Duration statementTimeout) {
            return set("statementTimeout", statementTimeout == null ? NONE : statementTimeout);
        }

        /** Idle connections are closed after this long; null keeps them open. Core's default (currently 60 s). */
        public Builder idleTimeout(Duration idleTimeout) {
            return set("idleTimeout", idleTimeout == null ? NONE : idleTimeout);
        }

        /**
         * A client-side limit on one attempt of a call once it has its connection, so that a server that stops
         * answering fails the call with {@code StateStoreConnectionException}; at least twice the statement
         * timeout; null for none. Core's default (currently 60 s).
         */
        public Builder attemptTimeout(Duration attemptTimeout) {
            return set("attemptTimeout", attemptTimeout == null ? NONE : attemptTimeout);
        }

        /**
         * A client-side limit on one call in all, its retries included; null for none. Core's default (currently
         * 300 s).
         */
        public Builder callTimeout(Duration callTimeout) {
            return set("callTimeout", callTimeout == null ? NONE : callTimeout);
        }

        /**
         * Apply the bundled migrations when connecting; off where an admin step owns the schema. Core's
         * default (currently true).
         */
        public Builder migrate(boolean migrate) {
            return set("migrate", migrate);
        }

        /** The PostgreSQL schema of the store's tables. Core's default (currently {@code sleeper}). */
        public Builder schema(String schema) {
            return set("schema", Args.notNull(schema, "schema"));
        }

        /**
         * Cache prepared statements per connection; off behind a transaction-pooling PgBouncer. Core's default
         * (currently true).
         */
        public Builder statementCache(boolean statementCache) {
            return set("statementCache", statementCache);
        }

        /**
         * Attempts of a call that meets serialization failures or deadlocks, the first included. Core's default
         * (currently 10).
         */
        public Builder retryMaxAttempts(int retryMaxAttempts) {
            return set("retryMaxAttempts", retryMaxAttempts);
        }

        /**
         * The first retry's backoff ceiling; each retry waits a random time below its ceiling, which doubles up
         * to {@link #retryMaxBackoff}. Core's default (currently 0.2 s).
         */
        public Builder retryInitialBackoff(Duration retryInitialBackoff) {
            return set("retryInitialBackoff", Args.notNull(retryInitialBackoff, "retryInitialBackoff"));
        }

        /** The largest backoff ceiling. Core's default (currently 30 s). */
        public Builder retryMaxBackoff(Duration retryMaxBackoff) {
            return set("retryMaxBackoff", Args.notNull(retryMaxBackoff, "retryMaxBackoff"));
        }

        /**
         * Hot standbys of the database: reads go to them in turn, writes to the client's URL. A read after this
         * client's write waits for its replica to have replayed the write (up to {@link #replicaWait}) and
         * otherwise reads from the primary, as it does while no replica answers. Core's default: none.
         */
        public Builder replicaUrls(List<String> replicaUrls) {
            List<String> urls = List.copyOf(Args.notNull(replicaUrls, "replicaUrls"));
            return set("replicaUrls", urls);
        }

        /** How long a read after a write waits for a replica to replay the write. Core's default (currently 0.5 s). */
        public Builder replicaWait(Duration replicaWait) {
            return set("replicaWait", Args.notNull(replicaWait, "replicaWait"));
        }

        /**
         * Record every write in its table's change feed ({@link PostgresStateStore#readChanges}) and wake the feed's
         * followers after it. Turn off only where nothing follows the feed: the writes of such a client are missing
         * from it. Core's default: on.
         */
        public Builder changeFeed(boolean changeFeed) {
            return set("changeFeed", changeFeed);
        }

        public ClientOptions build() {
            return new ClientOptions(set);
        }
    }
}
