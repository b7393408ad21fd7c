package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.PartitionNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;

/** Sleeper v0.36's partition operations: splitPartition and extendPartitionTree (docs/sleeper-transactions.md). */
class PartitionTreeTest extends StoreTest {

    /** Every partition of the tree {@code splits} (parent, left, right, split point) make of the root, by id. */
    private static List<Partition> treeOf(Object[]... splits) {
        List<Partition> tree = new ArrayList<>(List.of(root()));
        for (Object[] split : splits) {
            Partition parent = byId(tree, (String) split[0]);
            List<Partition> result = splitOf(parent, (String) split[1], (String) split[2], (Long) split[3]);
            tree.set(tree.indexOf(parent), result.get(0));
            tree.addAll(result.subList(1, 3));
        }
        tree.sort(Comparator.comparing(Partition::getId));
        return tree;
    }

    private static Object[] split(String parent, String left, String right, long at) {
        return new Object[] {parent, left, right, at};
    }

    private static Partition byId(List<Partition> tree, String id) {
        return tree.stream().filter(p -> p.getId().equals(id)).findFirst().orElseThrow();
    }

    /** The plain StateStoreException an extension of the tree {@code before} raises, once checked to change nothing. */
    private StateStoreException extensionError(List<Partition> before, List<Partition> update, List<Partition> added)
            throws StateStoreException {
        store.initialise(before);
        List<Partition> stored = store.getAllPartitions();
        StateStoreException e = assertThrows(StateStoreException.class,
                () -> store.extendPartitionTree(update, added));
        assertEquals(StateStoreException.class, e.getClass());
        assertEquals(stored, store.getAllPartitions(), "nothing changes");
        return e;
    }

    @Test
    void splitPartitionWithTwoChildrenStoresTheParentAndBoth() throws StateStoreException {
        store.initialise();
        List<Partition> split = splitOf(root(), "L", "R", 7);
        store.splitPartition(split.get(0), List.of(split.get(2), split.get(1)));
        assertEquals(List.of(split.get(1), split.get(2), split.get(0)), store.getAllPartitions());
    }

    @Test
    void splitPartitionWithOneChildRaisesPlainExceptionCausedByTheReason() throws StateStoreException {
        store.initialise();
        List<Partition> split = splitOf(root(), "L", "R", 7);
        StateStoreException e = assertThrows(StateStoreException.class,
                () -> store.splitPartition(split.get(0), List.of(split.get(1))));
        assertEquals(StateStoreException.class, e.getClass());
        assertEquals("Failed to validate partition split: Expected 2 child partitions under root, left and right of "
                + "split point, found 1", e.getMessage());
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals("Expected 2 child partitions under root, left and right of split point, found 1",
                cause.getMessage());
        assertEquals(List.of(root()), store.getAllPartitions());
    }

    @Test
    void splitPartitionOfAnUnstoredParentRaisesPartitionNotFound() throws StateStoreException {
        store.initialise();
        List<Partition> split = splitOf(root(), "L", "R", 7);
        Partition unknown = split.get(0).toBuilder().id("other").build();
        PartitionNotFoundException e = assertThrows(PartitionNotFoundException.class,
                () -> store.splitPartition(unknown, split.subList(1, 3)));
        assertEquals("Parent partition not found", e.getMessage());
    }

    @Test
    void aSplitFailureWithoutTheValidationPrefixHasNoCause() throws StateStoreException {
        initialiseWithLeftAndRight();
        List<Partition> split = splitRootAt100();
        StateStoreException e = assertThrows(StateStoreException.class,
                () -> store.splitPartition(split.get(0), split.subList(1, 3)));
        assertEquals("Parent should be a leaf partition", e.getMessage());
        assertNull(e.getCause());
    }

    @Test
    void extendPartitionTreeAddsSeveralLevelsInOneCall() throws StateStoreException {
        store.initialise();
        List<Partition> tree = treeOf(split("root", "L", "R", 50), split("L", "LL", "LR", 25),
                split("LR", "LRL", "LRR", 30), split("R", "RL", "RR", 75));
        List<Partition> added = new ArrayList<>(tree);
        added.remove(byId(tree, "root"));
        store.extendPartitionTree(List.of(byId(tree, "root")), added);
        assertEquals(tree, store.getAllPartitions());
    }

    @Test
    void extendPartitionTreeCanSplitSeveralLeavesAtOnce() throws StateStoreException {
        List<Partition> before = treeOf(split("root", "L", "R", 50));
        store.initialise(before);
        List<Partition> after = treeOf(split("root", "L", "R", 50), split("L", "LL", "LR", 25),
                split("R", "RL", "RR", 75));
        store.extendPartitionTree(List.of(byId(after, "L"), byId(after, "R")),
                List.of(byId(after, "LL"), byId(after, "LR"), byId(after, "RL"), byId(after, "RR")));
        assertEquals(after, store.getAllPartitions());
    }

    @Test
    void extendingWithNothingChangesNothing() throws StateStoreException {
        store.initialise();
        store.extendPartitionTree(List.of(), List.of());
        assertEquals(List.of(root()), store.getAllPartitions());
    }

    @Test
    void updatingAPartitionThatDoesNotExistIsRejected() throws StateStoreException {
        Partition unknown = byId(treeOf(split("root", "L", "R", 50)), "root").toBuilder().id("new").build();
        StateStoreException e = extensionError(List.of(root()), List.of(unknown), List.of());
        assertEquals("Attempted to update a partition which does not exist: new", e.getMessage());
    }

    @Test
    void updatingAPartitionThatIsAlreadySplitIsRejected() throws StateStoreException {
        List<Partition> before = treeOf(split("root", "L1", "R1", 50));
        List<Partition> after = treeOf(split("root", "L2", "R2", 75));
        StateStoreException e = extensionError(before, List.of(byId(after, "root")),
                List.of(byId(after, "L2"), byId(after, "R2")));
        assertEquals("Attempted to update a partition which has already been split: root", e.getMessage());
    }

    @Test
    void updatingAPartitionWithoutSplittingItIsRejected() throws StateStoreException {
        StateStoreException e = extensionError(List.of(root()), List.of(root()), List.of());
        assertEquals("Attempted to update a partition without splitting it: root", e.getMessage());
    }

    @Test
    void addingAPartitionThatExistsIsRejected() throws StateStoreException {
        List<Partition> before = treeOf(split("root", "A", "B", 50));
        List<Partition> after = treeOf(split("root", "A", "D", 50), split("A", "B", "C", 25));
        StateStoreException e = extensionError(before, List.of(byId(after, "A")),
                List.of(byId(after, "B"), byId(after, "C")));
        assertEquals("Attempted to add a partition which already exists: B", e.getMessage());
    }

    @Test
    void addingOnePartitionTwiceIsRejected() throws StateStoreException {
        List<Partition> after = treeOf(split("root", "L", "R", 50));
        StateStoreException e = extensionError(List.of(root()), List.of(byId(after, "root")),
                List.of(byId(after, "L"), byId(after, "R"), byId(after, "L")));
        assertEquals("Attempted to add a partition which already exists: L", e.getMessage());
    }

    @Test
    void anExtensionGivingAnInvalidTreeIsCausedByWhatIsWrongWithIt() throws StateStoreException {
        Partition secondRoot = Partition.builder().id("new").region(Region.of(Range.from("key", Long.MIN_VALUE)))
                .build();
        StateStoreException e = extensionError(List.of(root()), List.of(), List.of(secondRoot));
        assertEquals("Update results in invalid partition tree", e.getMessage());
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertEquals("There should be exactly one root partition, found 2", cause.getMessage());
    }

    @Test
    void anExtensionWhoseChildrenDoNotMeetIsCausedByWhereTheyDoNot() throws StateStoreException {
        List<Partition> after = treeOf(split("root", "L", "R", 0));
        Partition right = byId(after, "R").toBuilder().region(Region.of(Range.from("key", 1L))).build();
        StateStoreException e = extensionError(List.of(root()), List.of(byId(after, "root")),
                List.of(byId(after, "L"), right));
        assertEquals("Update results in invalid partition tree", e.getMessage());
        assertEquals("Child partitions do not meet at a split point on dimension 0 set in parent partition root",
                assertInstanceOf(IllegalArgumentException.class, e.getCause()).getMessage());
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        assertEquals("parent must not be null", assertThrows(NullPointerException.class,
                () -> store.splitPartition(null, List.of())).getMessage());
        assertEquals("newChildren must not be null", assertThrows(NullPointerException.class,
                () -> store.splitPartition(root(), null)).getMessage());
        assertEquals("updatePartitions must not be null", assertThrows(NullPointerException.class,
                () -> store.extendPartitionTree(null, List.of())).getMessage());
        assertEquals("newPartitions must not contain null (at index 0)", assertThrows(NullPointerException.class,
                () -> store.extendPartitionTree(List.of(), java.util.Arrays.asList((Partition) null))).getMessage());
    }
}
