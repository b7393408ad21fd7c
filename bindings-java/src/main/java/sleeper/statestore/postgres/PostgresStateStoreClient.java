package sleeper.statestore.postgres;

import java.lang.ref.Reference;
import java.util.List;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.NativeHandle;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;
import sleeper.statestore.postgres.model.RowKeyField;

/**
 * A pool of connections to one PostgreSQL database holding any number of Sleeper tables. Safe to share:
 * any number of threads may call it, and the state stores it opens, at once. {@link #close()} closes the
 * pool; calls on the client or its stores then raise {@link IllegalStateException}.
 */
public final class PostgresStateStoreClient implements AutoCloseable {
    private final NativeHandle handle;

    private PostgresStateStoreClient(long address) {
        this.handle = new NativeHandle(this, address, Native::clientFree, "PostgresStateStoreClient");
    }

    /**
     * Connects to {@code url} ({@code postgresql://user:pass@host:port/db?sslmode=...}) with default options,
     * applying the bundled migrations.
     */
    public static PostgresStateStoreClient connect(String url) throws StateStoreException {
        return connect(url, ClientOptions.defaults());
    }

    public static PostgresStateStoreClient connect(String url, ClientOptions options) throws StateStoreException {
        Args.notNull(url, "url");
        Args.notNull(options, "options");
        return new PostgresStateStoreClient(Native.clientConnect(options.encode(url)));
    }

    /**
     * Connects to the {@code DATABASE_URL} environment variable, or without it to a new local cluster
     * ({@link LocalPostgres}) that lives as long as the client and its stores.
     */
    public static PostgresStateStoreClient connect() throws StateStoreException {
        return new PostgresStateStoreClient(Native.clientConnect(ClientOptions.defaults().encode(null)));
    }

    /** Runs one native call with the client's address, counted as in use until it returns. */
    private <T, E extends Exception> T call(NativeHandle.Call<T, E> call) throws E {
        try {
            return handle.call(call);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** IllegalStateException once closed. */
    void checkOpen() {
        if (handle.isClosed()) {
            throw new IllegalStateException("PostgresStateStoreClient is closed");
        }
    }

    /**
     * Creates a table with its row key fields (non-empty, unique names) and no partitions or files;
     * call {@link PostgresStateStore#initialise()} before using it.
     *
     * @throws sleeper.statestore.postgres.exception.TableAlreadyExistsException if the id is taken
     */
    public PostgresStateStore createTable(String tableId, List<RowKeyField> rowKeys) throws StateStoreException {
        Args.notNull(tableId, "tableId");
        List<RowKeyField> fields = Args.listOf(rowKeys, "rowKeys");
        byte[] args = new WireWriter().string(tableId).rowKeyFields(fields).toBytes();
        return call(client -> openStore(tableId, Native.clientCreateTable(client, args)));
    }

    /**
     * A new handle on an existing table, with the database clock.
     *
     * @throws sleeper.statestore.postgres.exception.TableNotFoundException if there is no such table
     */
    public PostgresStateStore table(String tableId) throws StateStoreException {
        Args.notNull(tableId, "tableId");
        byte[] args = new WireWriter().string(tableId).toBytes();
        return call(client -> openStore(tableId, Native.clientTable(client, args)));
    }

    private PostgresStateStore openStore(String tableId, byte[] answer) {
        WireReader in = new WireReader(answer);
        long address = in.i64();
        return new PostgresStateStore(this, address, tableId, in.rowKeyFields());
    }

    /**
     * What this client's calls did since it connected: per operation called, the calls, failures by exception
     * name, retries, and a latency histogram.
     */
    public ClientStats stats() throws StateStoreException {
        return call(client -> ClientStats.read(new WireReader(Native.clientStats(client))));
    }

    /** The ids of all tables, in code point order. */
    public List<String> listTables() throws StateStoreException {
        return call(client -> new WireReader(Native.clientListTables(client)).strings());
    }

    /**
     * Removes a table with its partitions and files. Handles on it raise TableNotFoundException afterwards.
     *
     * @throws sleeper.statestore.postgres.exception.TableNotFoundException if there is no such table
     */
    public void deleteTable(String tableId) throws StateStoreException {
        Args.notNull(tableId, "tableId");
        byte[] args = new WireWriter().string(tableId).toBytes();
        call(client -> {
            Native.clientDeleteTable(client, args);
            return null;
        });
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /**
     * Closes every connection of the pool (waiting for calls in progress to give theirs back) and frees the
     * client. Closing again does nothing.
     */
    @Override
    public void close() {
        handle.close(address -> {
            try {
                Native.clientClose(address);
            } catch (StateStoreException e) {
                throw new IllegalStateException("Closing the sleeper-pg client failed: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public String toString() {
        return "PostgresStateStoreClient{" + (isClosed() ? "closed" : "open") + "}";
    }
}
