package sleeper.statestore.postgres.sleeper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;

import sleeper.core.properties.instance.InstanceProperties;
import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.Schema;
import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.StateStoreException;
import sleeper.core.statestore.StateStoreProvider;
import sleeper.statestore.postgres.ClientOptions;
import sleeper.statestore.postgres.PostgresStateStore;
import sleeper.statestore.postgres.PostgresStateStoreClient;
import sleeper.statestore.postgres.exception.TableAlreadyExistsException;
import sleeper.statestore.postgres.exception.TableNotFoundException;
import sleeper.statestore.postgres.model.RowKeyField;

import static sleeper.core.properties.table.TableProperty.TABLE_ID;

/**
 * Sleeper's state store factory for tables kept in PostgreSQL: {@link #getStateStore} gives the
 * {@link StateStore} of the table {@code TABLE_ID}, creating it with the schema's row keys on first use.
 * Made from a client ({@code new PostgresStateStoreFactory(client)}), or for a deployment from Sleeper's
 * instance properties ({@link #fromInstanceProperties}), in which case closing the factory closes its
 * connections.
 */
public final class PostgresStateStoreFactory implements StateStoreProvider.Factory, AutoCloseable {
    /** Instance property: the database URL, {@code postgresql://user:password@host:port/db?sslmode=...}. */
    public static final String URL = "sleeper.statestore.postgres.url";
    /** Instance property: an environment variable that holds the URL (for a secret injected there). */
    public static final String URL_ENV = "sleeper.statestore.postgres.url.env";
    /** Instance property: a file that holds the URL (for a secret mounted as a file). */
    public static final String URL_FILE = "sleeper.statestore.postgres.url.file";
    /** Instance property: the PostgreSQL schema of the store's tables (unset: the core's default, currently {@code sleeper}). */
    public static final String SCHEMA = "sleeper.statestore.postgres.schema";
    /** Instance property: connections per process (unset: the core's default, currently 10). */
    public static final String MAX_CONNECTIONS = "sleeper.statestore.postgres.max.connections";
    /** Instance property: {@code false} where an admin step owns the schema (unset: the core's default, currently {@code true}). */
    public static final String MIGRATE = "sleeper.statestore.postgres.migrate";

    private final PostgresStateStoreClient client;
    private final JobTrackers trackers;
    private final boolean ownsClient;

    /** A factory over a client the caller owns and closes; it reports to no job tracker. */
    public PostgresStateStoreFactory(PostgresStateStoreClient client) {
        this(client, JobTrackers.NONE, false);
    }

    private PostgresStateStoreFactory(PostgresStateStoreClient client, JobTrackers trackers, boolean ownsClient) {
        this.client = Objects.requireNonNull(client, "client");
        this.trackers = Objects.requireNonNull(trackers, "trackers");
        this.ownsClient = ownsClient;
    }

    /**
     * A factory for a Sleeper deployment: connects to the database named by the instance properties
     * ({@link #URL}, or {@link #URL_ENV} or {@link #URL_FILE} naming where the URL is kept), with the
     * options of {@link #SCHEMA}, {@link #MAX_CONNECTIONS} and {@link #MIGRATE}.
     *
     * @throws IllegalArgumentException if no URL is configured or an option is malformed
     * @throws StateStoreException      if the database cannot be reached
     */
    public static PostgresStateStoreFactory fromInstanceProperties(InstanceProperties instanceProperties) {
        Properties properties = instanceProperties.getProperties();
        ClientOptions.Builder options = ClientOptions.builder();
        String schema = properties.getProperty(SCHEMA);
        if (schema != null) {
            options.schema(schema);
        }
        String maxConnections = properties.getProperty(MAX_CONNECTIONS);
        if (maxConnections != null) {
            options.maxConnections(Integer.parseInt(maxConnections.trim()));
        }
        String migrate = properties.getProperty(MIGRATE);
        if (migrate != null) {
            options.migrate(Boolean.parseBoolean(migrate.trim()));
        }
        String url = url(properties);
        try {
            return new PostgresStateStoreFactory(PostgresStateStoreClient.connect(url, options.build()),
                    JobTrackers.NONE, true);
        } catch (sleeper.statestore.postgres.exception.StateStoreException e) {
            throw SleeperExceptions.toSleeper(e);
        }
    }

    private static String url(Properties properties) {
        String url = properties.getProperty(URL);
        if (url != null) {
            return url.trim();
        }
        String variable = properties.getProperty(URL_ENV);
        if (variable != null) {
            String fromEnvironment = System.getenv(variable.trim());
            if (fromEnvironment == null || fromEnvironment.isBlank()) {
                throw new IllegalArgumentException("The environment variable " + variable.trim() + " named by "
                        + URL_ENV + " is not set");
            }
            return fromEnvironment.trim();
        }
        String file = properties.getProperty(URL_FILE);
        if (file != null) {
            try {
                return Files.readString(Path.of(file.trim()), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("Could not read the database URL from " + file.trim()
                        + ", named by " + URL_FILE, e);
            }
        }
        throw new IllegalArgumentException("No PostgreSQL database is configured: set the instance property "
                + URL + ", " + URL_ENV + " or " + URL_FILE);
    }

    /** The same factory, reporting ingest and compaction commits to {@code trackers}. */
    public PostgresStateStoreFactory withJobTrackers(JobTrackers trackers) {
        return new PostgresStateStoreFactory(client, trackers, ownsClient);
    }

    /**
     * The state store of the table {@code TABLE_ID}, created with the schema's row key fields when the
     * database has no such table yet.
     *
     * @throws StateStoreException if the table exists with other row key fields, or the database fails
     */
    @Override
    public StateStore getStateStore(TableProperties tableProperties) {
        String tableId = tableProperties.get(TABLE_ID);
        Schema schema = tableProperties.getSchema();
        PostgresStateStore store = openOrCreate(tableId, SleeperModel.rowKeys(schema));
        return new PostgresSleeperStateStore(store, schema, tableProperties.getStatus(), trackers);
    }

    private PostgresStateStore openOrCreate(String tableId, java.util.List<RowKeyField> rowKeys) {
        try {
            PostgresStateStore store = openOrCreateInDatabase(tableId, rowKeys);
            if (!store.getRowKeyFields().equals(rowKeys)) {
                throw new StateStoreException("The table " + tableId + " has the row key fields "
                        + store.getRowKeyFields() + " in PostgreSQL, but its schema has " + rowKeys);
            }
            return store;
        } catch (sleeper.statestore.postgres.exception.StateStoreException e) {
            throw SleeperExceptions.toSleeper(e);
        }
    }

    private PostgresStateStore openOrCreateInDatabase(String tableId, java.util.List<RowKeyField> rowKeys)
            throws sleeper.statestore.postgres.exception.StateStoreException {
        try {
            return client.table(tableId);
        } catch (TableNotFoundException notYet) {
            try {
                return client.createTable(tableId, rowKeys);
            } catch (TableAlreadyExistsException createdMeanwhile) {
                return client.table(tableId);
            }
        }
    }

    /** Closes the connections if this factory opened them ({@link #fromInstanceProperties}). */
    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
