package sleeper.statestore.postgres.sleeper;

import java.util.UUID;

import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.Schema;
import sleeper.core.statestore.StateStore;
import sleeper.statestore.postgres.LocalPostgres;
import sleeper.statestore.postgres.PostgresStateStoreClient;
import sleeper.statestore.postgres.exception.StateStoreException;

import static sleeper.core.properties.table.TableProperty.TABLE_ID;
import static sleeper.core.statestore.FileReferenceTestData.DEFAULT_UPDATE_TIME;

/**
 * The database the tests use: {@code DATABASE_URL} when set, otherwise one {@link LocalPostgres} for the
 * test run, stopped when the JVM exits.
 */
final class PostgresTestDatabase {
    private static String url;
    private static PostgresStateStoreClient client;

    private PostgresTestDatabase() {
    }

    static synchronized String url() throws StateStoreException {
        if (url == null) {
            String fromEnvironment = System.getenv("DATABASE_URL");
            if (fromEnvironment != null && !fromEnvironment.isEmpty()) {
                url = fromEnvironment;
            } else {
                LocalPostgres postgres = LocalPostgres.start();
                Runtime.getRuntime().addShutdownHook(new Thread(postgres::close, "stop-local-postgres"));
                url = postgres.getUrl();
            }
        }
        return url;
    }

    /** One client for the whole test run. */
    static synchronized PostgresStateStoreClient client() {
        if (client == null) {
            try {
                client = PostgresStateStoreClient.connect(url());
            } catch (StateStoreException e) {
                throw new IllegalStateException("Could not connect to the test database", e);
            }
        }
        return client;
    }

    static PostgresStateStoreFactory factory() {
        return new PostgresStateStoreFactory(client());
    }

    static String uniqueTableId() {
        return "sleeper-test-" + UUID.randomUUID();
    }

    /**
     * Gives Sleeper's state store tests their store: one table per test (per schema, should a test change
     * its schema), so that every store a test builds sees the same state, as every store Sleeper's
     * in-memory tests build from one transaction log does.
     */
    static final class TestTable {
        private String tableId;
        private Schema schema;

        StateStore stateStore(TableProperties tableProperties) {
            if (tableId == null || !tableProperties.getSchema().equals(schema)) {
                tableId = uniqueTableId();
                schema = tableProperties.getSchema();
            }
            tableProperties.set(TABLE_ID, tableId);
            StateStore store = factory().getStateStore(tableProperties);
            store.fixFileUpdateTime(DEFAULT_UPDATE_TIME);
            store.fixPartitionUpdateTime(DEFAULT_UPDATE_TIME);
            return store;
        }
    }
}
