package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreConnectionException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.exception.TableAlreadyExistsException;
import sleeper.statestore.postgres.exception.TableNotFoundException;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.RowKeyField;

class ClientTest {
    private static PostgresStateStoreClient client;

    @BeforeAll
    static void connect() throws StateStoreException {
        client = TestDatabase.connect();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @Test
    void createTableReturnsAStoreForTheTable() throws StateStoreException {
        String tableId = TestDatabase.uniqueTableId();
        List<RowKeyField> rowKeys = List.of(new RowKeyField("a", KeyType.STRING), new RowKeyField("b", KeyType.INT));
        try (PostgresStateStore store = client.createTable(tableId, rowKeys)) {
            assertEquals(tableId, store.getTableId());
            assertEquals(rowKeys, store.getRowKeyFields());
        }
    }

    @Test
    void aNewTableHasNoPartitionsAndNoFiles() throws StateStoreException {
        try (PostgresStateStore store = client.createTable(TestDatabase.uniqueTableId(), TestDatabase.longKey())) {
            assertEquals(List.of(), store.getAllPartitions());
            assertTrue(store.hasNoFiles());
        }
    }

    @Test
    void creatingATableTwiceRaisesTableAlreadyExists() throws StateStoreException {
        String tableId = TestDatabase.uniqueTableId();
        client.createTable(tableId, TestDatabase.longKey()).close();
        TableAlreadyExistsException e = assertThrows(TableAlreadyExistsException.class,
                () -> client.createTable(tableId, TestDatabase.longKey()));
        assertEquals(tableId, e.getTableId());
        assertEquals("Table already exists: " + tableId, e.getMessage());
    }

    @Test
    void tableOpensAnExistingTableWithItsRowKeys() throws StateStoreException {
        String tableId = TestDatabase.uniqueTableId();
        List<RowKeyField> rowKeys = List.of(new RowKeyField("k", KeyType.BYTES));
        client.createTable(tableId, rowKeys).close();
        try (PostgresStateStore store = client.table(tableId)) {
            assertEquals(rowKeys, store.getRowKeyFields());
        }
    }

    @Test
    void tableOfAnUnknownIdRaisesTableNotFound() {
        TableNotFoundException e = assertThrows(TableNotFoundException.class, () -> client.table("no-such-table"));
        assertEquals("no-such-table", e.getTableId());
        assertEquals("Table not found with ID \"no-such-table\"", e.getMessage());
    }

    @Test
    void listTablesIncludesCreatedTablesInOrder() throws StateStoreException {
        String first = TestDatabase.uniqueTableId() + "-A";
        String second = first.substring(0, first.length() - 2) + "-b";
        client.createTable(second, TestDatabase.longKey()).close();
        client.createTable(first, TestDatabase.longKey()).close();
        List<String> tables = client.listTables();
        assertTrue(tables.indexOf(first) >= 0 && tables.indexOf(first) < tables.indexOf(second), tables.toString());
    }

    @Test
    void deleteTableRemovesIt() throws StateStoreException {
        String tableId = TestDatabase.uniqueTableId();
        client.createTable(tableId, TestDatabase.longKey()).close();
        client.deleteTable(tableId);
        assertFalse(client.listTables().contains(tableId));
    }

    @Test
    void deletingAnUnknownTableRaisesTableNotFound() {
        TableNotFoundException e = assertThrows(TableNotFoundException.class, () -> client.deleteTable("no-such"));
        assertEquals("no-such", e.getTableId());
    }

    @Test
    void aStoreOfADeletedTableRaisesTableNotFound() throws StateStoreException {
        String tableId = TestDatabase.uniqueTableId();
        try (PostgresStateStore store = client.createTable(tableId, TestDatabase.longKey())) {
            client.deleteTable(tableId);
            TableNotFoundException e = assertThrows(TableNotFoundException.class, store::getAllPartitions);
            assertEquals(tableId, e.getTableId());
        }
    }

    @Test
    void emptyRowKeysAreInvalid() {
        assertThrows(IllegalArgumentException.class, () -> client.createTable(TestDatabase.uniqueTableId(), List.of()));
    }

    @Test
    void duplicateRowKeyNamesAreInvalid() {
        List<RowKeyField> rowKeys = List.of(new RowKeyField("k", KeyType.INT), new RowKeyField("k", KeyType.LONG));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> client.createTable(TestDatabase.uniqueTableId(), rowKeys));
        assertEquals("Duplicate row key field name: k", e.getMessage());
    }

    @Test
    void anEmptyTableIdIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> client.createTable("", TestDatabase.longKey()));
    }

    @Test
    void aTableIdWithANulCharacterIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> client.table("a\u0000b"));
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> client.createTable(null, TestDatabase.longKey()));
        assertEquals("tableId must not be null", e.getMessage());
        assertEquals("rowKeys must not be null",
                assertThrows(NullPointerException.class, () -> client.createTable("t", null)).getMessage());
        assertEquals("tableId must not be null",
                assertThrows(NullPointerException.class, () -> client.table(null)).getMessage());
        assertEquals("tableId must not be null",
                assertThrows(NullPointerException.class, () -> client.deleteTable(null)).getMessage());
        assertEquals("url must not be null",
                assertThrows(NullPointerException.class, () -> PostgresStateStoreClient.connect(null)).getMessage());
    }

    @Test
    void aMalformedUrlIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> PostgresStateStoreClient.connect("not a url"));
    }

    @Test
    void anUnreachableServerRaisesConnectionExceptionWithoutThePassword() {
        ClientOptions options = ClientOptions.builder().connectTimeout(Duration.ofSeconds(5))
                .serverWaitTimeout(Duration.ZERO).build();
        StateStoreConnectionException e = assertThrows(StateStoreConnectionException.class,
                () -> PostgresStateStoreClient.connect("postgresql://user:s3cret@127.0.0.1:1/db", options));
        assertFalse(e.getMessage().contains("s3cret"), e.getMessage());
        assertFalse(e.toString().contains("s3cret"), e.toString());
    }

    @Test
    void aClientConnectsWithOptions() throws StateStoreException {
        ClientOptions options = ClientOptions.builder().maxConnections(2).migrate(false)
                .statementTimeout(Duration.ofSeconds(30)).idleTimeout(null).statementCache(false).build();
        try (PostgresStateStoreClient other = PostgresStateStoreClient.connect(TestDatabase.url(), options)) {
            assertTrue(other.listTables().size() >= 0);
        }
    }

    @Test
    void connectWithoutAUrlUsesDatabaseUrlOrALocalCluster() throws StateStoreException {
        try (PostgresStateStoreClient other = PostgresStateStoreClient.connect()) {
            String tableId = TestDatabase.uniqueTableId();
            other.createTable(tableId, TestDatabase.longKey()).close();
            assertTrue(other.listTables().contains(tableId));
        }
    }

    @Test
    void zeroMaxConnectionsIsInvalid() {
        ClientOptions options = ClientOptions.builder().maxConnections(0).build();
        assertThrows(IllegalArgumentException.class, () -> PostgresStateStoreClient.connect(TestDatabase.url(), options));
    }

    @Test
    void aNegativeTimeoutIsInvalid() {
        ClientOptions options = ClientOptions.builder().statementTimeout(Duration.ofSeconds(-1)).build();
        assertThrows(IllegalArgumentException.class, () -> PostgresStateStoreClient.connect(TestDatabase.url(), options));
    }
}
