package sleeper.statestore.postgres;

import java.util.LinkedHashMap;
import java.util.Map;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.NativeHandle;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * A throwaway PostgreSQL cluster from the machine's PostgreSQL packages, in a temporary directory and on
 * a free port, so that several can run at once beside any other server. {@link #close()} stops it and
 * removes its directory.
 *
 * <pre>{@code
 * try (LocalPostgres postgres = LocalPostgres.start();
 *      PostgresStateStoreClient client = PostgresStateStoreClient.connect(postgres.getUrl())) { ... }
 * }</pre>
 */
public final class LocalPostgres implements AutoCloseable {
    private final NativeHandle handle;
    private final String url;

    private LocalPostgres(long address, String url) {
        this.handle = new NativeHandle(this, address, Native::localPostgresStop, "LocalPostgres");
        this.url = url;
    }

    /** Starts a new empty cluster with the core's default options and waits until it accepts connections. */
    public static LocalPostgres start() throws StateStoreException {
        return builder().start();
    }

    /** Options for a cluster: {@code LocalPostgres.builder().durable(true).setting("max_connections", "600").start()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** How to start a cluster; an option not set is the core's default. */
    public static final class Builder {
        private Boolean durable;
        private final Map<String, String> settings = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Keep PostgreSQL's crash-safe defaults (fsync, synchronous commit), as benchmarks need. Core's default
         * (currently false: fast, not crash safe, as tests want).
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /** A server setting, passed as {@code -c name=value}. */
        public Builder setting(String name, String value) {
            settings.put(Args.notNull(name, "name"), Args.notNull(value, "value"));
            return this;
        }

        /** Starts the cluster and waits until it accepts connections. */
        public LocalPostgres start() throws StateStoreException {
            return started(Native.localPostgresStart(encode()));
        }

        /** Only the options set: durability (when set) and the settings. */
        byte[] encode() {
            WireWriter args = new WireWriter().bool(durable != null);
            if (durable != null) {
                args.bool(durable);
            }
            args.i32(settings.size());
            settings.forEach((name, value) -> args.string(name).string(value));
            return args.toBytes();
        }
    }

    /** A cluster from the native answer: its handle and URL. */
    private static LocalPostgres started(byte[] answer) {
        WireReader reader = new WireReader(answer);
        long address = reader.i64();
        return new LocalPostgres(address, reader.string());
    }

    /**
     * Starts a hot standby of this cluster that streams its changes, as a cluster of its own (its own URL,
     * closed on its own), and waits until it accepts read-only connections.
     */
    public LocalPostgres startReplica() throws StateStoreException {
        return started(handle.call(Native::localPostgresStartReplica));
    }

    /** The connection URL, for the superuser {@code postgres} and database {@code postgres}. */
    public String getUrl() {
        if (handle.isClosed()) {
            throw new IllegalStateException("LocalPostgres is closed");
        }
        return url;
    }

    /** Stops the server and removes its directory. Closing again does nothing. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "LocalPostgres{url=" + url + (handle.isClosed() ? ", closed" : "") + "}";
    }
}
