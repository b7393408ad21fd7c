package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreException;

/** Closing clients and stores, and what happens to handles nobody closed. */
class LifecycleTest {

    @Test
    void aClosedStoreRaisesIllegalStateException() throws StateStoreException {
        try (PostgresStateStoreClient client = TestDatabase.connect()) {
            PostgresStateStore store = client.createTable(TestDatabase.uniqueTableId(), TestDatabase.longKey());
            store.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, store::getAllPartitions);
            assertEquals("PostgresStateStore is closed", e.getMessage());
            assertThrows(IllegalStateException.class, () -> store.fixFileUpdateTime(Instant.EPOCH));
            assertTrue(store.isClosed());
        }
    }

    @Test
    void closingAStoreTwiceDoesNothing() throws StateStoreException {
        try (PostgresStateStoreClient client = TestDatabase.connect()) {
            PostgresStateStore store = client.createTable(TestDatabase.uniqueTableId(), TestDatabase.longKey());
            store.close();
            store.close();
            assertTrue(store.isClosed());
        }
    }

    @Test
    void aClosedClientRaisesIllegalStateException() throws StateStoreException {
        PostgresStateStoreClient client = TestDatabase.connect();
        client.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, client::listTables);
        assertEquals("PostgresStateStoreClient is closed", e.getMessage());
        client.close();
    }

    @Test
    void theStoresOfAClosedClientRaiseIllegalStateException() throws StateStoreException {
        PostgresStateStoreClient client = TestDatabase.connect();
        PostgresStateStore store = client.createTable(TestDatabase.uniqueTableId(), TestDatabase.longKey());
        client.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, store::initialise);
        assertEquals("PostgresStateStoreClient is closed", e.getMessage());
    }

    @Test
    void closingAStoreLeavesItsClientOpen() throws StateStoreException {
        try (PostgresStateStoreClient client = TestDatabase.connect()) {
            String tableId = TestDatabase.uniqueTableId();
            client.createTable(tableId, TestDatabase.longKey()).close();
            assertFalse(client.isClosed());
            assertTrue(client.listTables().contains(tableId));
        }
    }

    @Test
    void unclosedHandlesAreFreedByTheCleanerWithoutHarm() throws Exception {
        String tableId = TestDatabase.uniqueTableId();
        try (PostgresStateStoreClient client = TestDatabase.connect()) {
            client.createTable(tableId, TestDatabase.longKey()).close();
            for (int i = 0; i < 200; i++) {
                client.table(tableId).hasNoFiles();
            }
            for (int i = 0; i < 5; i++) {
                System.gc();
                Thread.sleep(20);
            }
            assertTrue(client.table(tableId).hasNoFiles());
        }
        for (int i = 0; i < 3; i++) {
            TestDatabase.connect().listTables();
        }
        System.gc();
        Thread.sleep(50);
        try (PostgresStateStoreClient client = TestDatabase.connect()) {
            assertTrue(client.listTables().contains(tableId));
        }
    }

    @Test
    void aStoreOutlivesItsClientObjectWhileReferenced() throws StateStoreException {
        PostgresStateStore store = TestDatabase.connect().createTable(TestDatabase.uniqueTableId(),
                TestDatabase.longKey());
        System.gc();
        store.initialise();
        assertEquals(List.of("root"), store.getAllPartitions().stream().map(p -> p.getId())
                .collect(java.util.stream.Collectors.toList()));
    }
}
