package sleeper.statestore.postgres.sleeper;

import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.Schema;
import sleeper.core.statestore.StateStore;
import sleeper.statestore.postgres.PostgresStateStoreClient;
import sleeper.statestore.postgres.TestDatabase;
import sleeper.statestore.postgres.exception.StateStoreException;

import static sleeper.core.properties.table.TableProperty.TABLE_ID;
import static sleeper.core.statestore.FileReferenceTestData.DEFAULT_UPDATE_TIME;

/**
 * The database the tests use: the Java API's {@link TestDatabase} ({@code DATABASE_URL} when set, otherwise one
 * local cluster for the test run), with one client for the whole run.
 */
final class PostgresTestDatabase {
    private static PostgresStateStoreClient client;

    private PostgresTestDatabase() {
    }

    /** One client for the whole test run. */
    static synchronized PostgresStateStoreClient client() {
        if (client == null) {
            try {
                client = TestDatabase.connect();
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
        return TestDatabase.uniqueTableId("sleeper-test");
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
