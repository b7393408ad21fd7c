package sleeper.statestore.postgres;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.NativeHandle;
import sleeper.statestore.postgres.internal.WireReader;

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

    /** Starts a new empty cluster and waits until it accepts connections. */
    public static LocalPostgres start() throws StateStoreException {
        WireReader answer = new WireReader(Native.localPostgresStart());
        long address = answer.i64();
        return new LocalPostgres(address, answer.string());
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
