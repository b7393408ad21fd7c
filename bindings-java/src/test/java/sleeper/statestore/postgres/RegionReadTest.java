package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.PartitionNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;

/** Reads of part of a table: references on some partitions, and the partitions and files of a key range. */
class RegionReadTest extends StoreTest {

    /** The root split at 100 into L and R, a file on each partition and one on both leaves. */
    @BeforeEach
    void splitWithFiles() throws StateStoreException {
        initialiseWithLeftAndRight();
        store.addFiles(List.of(reference("on-root", "root", 10), reference("on-L", "L", 10),
                reference("on-R", "R", 10), reference("both", "L", 5), reference("both", "R", 5)));
    }

    @Test
    void referencesOnPartitionsAreSortedByPartitionThenFilename() throws StateStoreException {
        List<FileReference> references = store.getFileReferencesOnPartitions(List.of("root", "R"));
        assertEquals(List.of("R/both", "R/on-R", "root/on-root"),
                references.stream().map(r -> r.getPartitionId() + "/" + r.getFilename()).toList());
    }

    @Test
    void referencesOnAnUnknownPartitionRaisePartitionNotFound() {
        PartitionNotFoundException e = assertThrows(PartitionNotFoundException.class,
                () -> store.getFileReferencesOnPartitions(List.of("nowhere")));
        assertEquals("nowhere", e.getPartitionId());
    }

    @Test
    void theMapOnPartitionsMapsEachToItsFilenames() throws StateStoreException {
        assertEquals(Map.of("L", List.of("both", "on-L")),
                store.getPartitionToReferencedFilesMapOnPartitions(List.of("L")));
    }

    @Test
    void partitionsInARegionIncludeBothEndsOfItsRanges() throws StateStoreException {
        List<Partition> partitions = store.getPartitionsInRegion(Region.of(Range.of("key", 99L, 100L)));
        assertEquals(List.of("L", "R", "root"), partitions.stream().map(Partition::getId).toList());
    }

    @Test
    void theMapInARegionHoldsItsLeavesAndTheirAncestors() throws StateStoreException {
        assertEquals(Map.of("R", List.of("both", "on-R"), "root", List.of("on-root")),
                store.getPartitionToReferencedFilesMapInRegion(Region.of(Range.of("key", 200L, 300L))));
    }

    @Test
    void aRegionWhoseMinIsAboveItsMaxRaisesIllegalArgument() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.getPartitionsInRegion(Region.of(Range.of("key", 5L, 4L))));
        assertEquals(true, e.getMessage().contains("min is greater than max"), e.getMessage());
    }
}
