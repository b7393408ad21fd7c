package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.InitialiseWithFilesPresentException;
import sleeper.statestore.postgres.exception.PartitionNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.RowKeyField;

class PartitionStoreTest extends StoreTest {

    @Test
    void initialiseCreatesTheRootPartition() throws StateStoreException {
        store.initialise();
        assertEquals(List.of(root()), store.getAllPartitions());
    }

    @Test
    void theRootCoversEveryKeyTypeFromItsMinimum() throws StateStoreException {
        PostgresStateStore table = newTable(List.of(new RowKeyField("i", KeyType.INT),
                new RowKeyField("l", KeyType.LONG), new RowKeyField("s", KeyType.STRING),
                new RowKeyField("b", KeyType.BYTES)));
        table.initialise();
        Region expected = Region.of(Range.from("i", Integer.MIN_VALUE), Range.from("l", Long.MIN_VALUE),
                Range.from("s", ""), Range.from("b", new byte[0]));
        assertEquals(expected, table.getPartition("root").getRegion());
    }

    @Test
    void getAllPartitionsReturnsTheSplitTreeById() throws StateStoreException {
        initialiseWithLeftAndRight();
        List<Partition> split = splitRootAt100();
        assertEquals(List.of(split.get(1), split.get(2), split.get(0)), store.getAllPartitions());
    }

    @Test
    void getLeafPartitionsReturnsTheLeavesById() throws StateStoreException {
        initialiseWithLeftAndRight();
        List<Partition> split = splitRootAt100();
        assertEquals(List.of(split.get(1), split.get(2)), store.getLeafPartitions());
    }

    @Test
    void getPartitionReturnsThePartition() throws StateStoreException {
        initialiseWithLeftAndRight();
        assertEquals(splitRootAt100().get(2), store.getPartition("R"));
    }

    @Test
    void getPartitionOfAnUnknownIdRaisesPartitionNotFound() throws StateStoreException {
        store.initialise();
        PartitionNotFoundException e = assertThrows(PartitionNotFoundException.class, () -> store.getPartition("X"));
        assertEquals("X", e.getPartitionId());
        assertEquals("Partition not found: X", e.getMessage());
    }

    @Test
    void splittingAPartitionThatIsNoLongerALeafRaisesPlainStateStoreException() throws StateStoreException {
        initialiseWithLeftAndRight();
        List<Partition> split = splitRootAt100();
        StateStoreException e = assertThrows(StateStoreException.class,
                () -> store.atomicallyUpdatePartitionAndCreateNewOnes(split.get(0), split.get(1), split.get(2)));
        assertEquals(StateStoreException.class, e.getClass());
        assertEquals("Parent should be a leaf partition", e.getMessage());
    }

    @Test
    void splittingAnUnknownPartitionRaisesPartitionNotFound() throws StateStoreException {
        store.initialise();
        List<Partition> split = splitRootAt100();
        Partition unknown = split.get(0).toBuilder().id("other").build();
        PartitionNotFoundException e = assertThrows(PartitionNotFoundException.class,
                () -> store.atomicallyUpdatePartitionAndCreateNewOnes(unknown, split.get(1), split.get(2)));
        assertEquals("Parent partition not found", e.getMessage());
    }

    @Test
    void initialiseWithPartitionsFromSplitPointsStoresThem() throws StateStoreException {
        List<Partition> partitions = PartitionsFromSplitPoints.construct(TestDatabase.longKey(), List.of(10L, 20L));
        store.initialise(partitions);
        assertEquals(3, store.getLeafPartitions().size());
        assertEquals(partitions.size(), store.getAllPartitions().size());
        assertTrue(store.getAllPartitions().containsAll(partitions));
    }

    @Test
    void partitionsFromNoSplitPointsAreTheRoot() {
        assertEquals(List.of(root()), PartitionsFromSplitPoints.construct(TestDatabase.longKey(), List.of()));
    }

    @Test
    void splitPointsOutOfOrderAreInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PartitionsFromSplitPoints.construct(TestDatabase.longKey(), List.of(20L, 10L)));
        assertEquals("Invalid split point: 20 should be less than 10", e.getMessage());
    }

    @Test
    void anInvalidTreeRaisesPlainStateStoreException() {
        StateStoreException e = assertThrows(StateStoreException.class, () -> store.initialise(List.of()));
        assertEquals("At least one partition must be provided", e.getMessage());
    }

    @Test
    void initialiseWithFilesPresentRaisesInitialiseWithFilesPresent() throws StateStoreException {
        store.initialise();
        store.addFile(reference("file1", "root", 10));
        InitialiseWithFilesPresentException e = assertThrows(InitialiseWithFilesPresentException.class,
                store::initialise);
        assertEquals("Cannot initialise state store when files are present", e.getMessage());
    }

    @Test
    void clearPartitionDataRemovesEveryPartition() throws StateStoreException {
        initialiseWithLeftAndRight();
        store.clearPartitionData();
        assertEquals(List.of(), store.getAllPartitions());
    }

    @Test
    void fixPartitionUpdateTimeAcceptsATimeAndNull() throws StateStoreException {
        store.fixPartitionUpdateTime(Instant.parse("2024-01-01T00:00:00Z"));
        store.initialise();
        store.fixPartitionUpdateTime(null);
        assertEquals(1, store.getAllPartitions().size());
    }

    @Test
    void stringAndBytesKeysRoundTripExactly() throws StateStoreException {
        PostgresStateStore table = newTable(List.of(new RowKeyField("s", KeyType.STRING),
                new RowKeyField("b", KeyType.BYTES)));
        List<Partition> partitions = PartitionsFromSplitPoints.construct(table.getRowKeyFields(),
                List.of("m\uD83D\uDE00'%_\\"));
        table.initialise(partitions);
        Partition right = table.getLeafPartitions().stream()
                .filter(p -> p.getRegion().getRange("s").getMax() == null).findFirst().orElseThrow();
        assertEquals("m\uD83D\uDE00'%_\\", right.getRegion().getRange("s").getMin());
        assertArrayEquals(new byte[0], (byte[]) right.getRegion().getRange("b").getMin());
        assertNull(right.getRegion().getRange("b").getMax());
    }

    @Test
    void intKeysComeBackAsIntegers() throws StateStoreException {
        PostgresStateStore table = newTable(List.of(new RowKeyField("k", KeyType.INT)));
        table.initialise(PartitionsFromSplitPoints.construct(table.getRowKeyFields(), List.of(5)));
        Object min = table.getLeafPartitions().stream().map(p -> p.getRegion().getRange("k").getMin())
                .filter(v -> !v.equals(Integer.MIN_VALUE)).findFirst().orElseThrow();
        assertEquals(Integer.valueOf(5), min);
    }

    @Test
    void aRegionOfTheWrongKeyTypeIsRejectedByTheStore() throws StateStoreException {
        Partition stringRoot = Partition.builder().id("root").region(Region.of(Range.from("key", "a"))).build();
        StateStoreException e = assertThrows(StateStoreException.class, () -> store.initialise(List.of(stringRoot)));
        assertTrue(e.getMessage().startsWith("Invalid region in partition root"), e.getMessage());
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        assertEquals("partitions must not be null",
                assertThrows(NullPointerException.class, () -> store.initialise(null)).getMessage());
        assertEquals("partitionId must not be null",
                assertThrows(NullPointerException.class, () -> store.getPartition(null)).getMessage());
        assertEquals("splitPartition must not be null", assertThrows(NullPointerException.class,
                () -> store.atomicallyUpdatePartitionAndCreateNewOnes(null, root(), root())).getMessage());
        assertThrows(NullPointerException.class, () -> store.initialise(java.util.Arrays.asList(root(), null)));
    }

    @Test
    void anEmptyPartitionIdIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> store.getPartition(""));
    }
}
