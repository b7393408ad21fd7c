package sleeper.statestore.postgres;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.RowKeyField;

/** A client for the test class, and a new table with one long row key field "key" for each test. */
abstract class StoreTest {
    static final Instant TEN_AM = Instant.parse("2024-01-01T10:00:00Z");

    static PostgresStateStoreClient client;
    PostgresStateStore store;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void connect() throws StateStoreException {
        client = TestDatabase.connect();
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @BeforeEach
    void createTable() throws StateStoreException {
        store = newTable(TestDatabase.longKey());
    }

    @AfterEach
    void closeStores() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    PostgresStateStore newTable(List<RowKeyField> rowKeys) throws StateStoreException {
        PostgresStateStore created = client.createTable(TestDatabase.uniqueTableId(), rowKeys);
        toClose.add(created);
        return created;
    }

    static Partition root() {
        return Partition.builder().id("root").region(Region.of(Range.from("key", Long.MIN_VALUE))).build();
    }

    /** The root split at 100 into L and R, as in the contract's worked example: {root', L, R}. */
    static List<Partition> splitRootAt100() {
        Partition splitRoot = root().toBuilder().leafPartition(false).childPartitionIds("L", "R").dimension(0).build();
        Partition left = Partition.builder().id("L").region(Region.of(Range.of("key", Long.MIN_VALUE, 100L)))
                .parentPartitionId("root").build();
        Partition right = Partition.builder().id("R").region(Region.of(Range.from("key", 100L)))
                .parentPartitionId("root").build();
        return List.of(splitRoot, left, right);
    }

    /**
     * {@code parent} split on the key at {@code at} into {@code left} and {@code right}: the split parent, then the
     * two children, as a split leaves them.
     */
    static List<Partition> splitOf(Partition parent, String left, String right, long at) {
        Range range = parent.getRegion().getRange("key");
        Partition split = parent.toBuilder().leafPartition(false).childPartitionIds(left, right).dimension(0).build();
        Partition leftChild = Partition.builder().id(left).region(Region.of(Range.of("key", range.getMin(), at)))
                .parentPartitionId(parent.getId()).build();
        Partition rightChild = Partition.builder().id(right)
                .region(Region.of(Range.of("key", at, range.getMax()))).parentPartitionId(parent.getId()).build();
        return List.of(split, leftChild, rightChild);
    }

    /** Initialises the table and splits the root into L and R. */
    void initialiseWithLeftAndRight() throws StateStoreException {
        store.initialise();
        List<Partition> split = splitRootAt100();
        store.atomicallyUpdatePartitionAndCreateNewOnes(split.get(0), split.get(1), split.get(2));
    }

    static FileReference reference(String filename, String partitionId, long rows) {
        return new FileReference(filename, partitionId, rows);
    }

    /** The reference as the store returns it after a write at {@code time}. */
    static FileReference stored(FileReference reference, Instant time) {
        return reference.toBuilder().lastUpdateTime(time).build();
    }
}
