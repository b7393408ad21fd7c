package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/** The model classes: defaults, equality, immutability and the core's validation. */
class ModelTest {
    private static final Instant TIME = Instant.parse("2024-01-01T10:00:00Z");

    @Test
    void aFileReferenceHasTheContractDefaults() {
        FileReference reference = new FileReference("f", "p", 10);
        assertNull(reference.getJobId());
        assertNull(reference.getLastUpdateTime());
        assertFalse(reference.isCountApproximate());
        assertTrue(reference.onlyContainsDataForThisPartition());
        assertEquals(reference, FileReference.builder().filename("f").partitionId("p").numberOfRows(10).build());
    }

    @Test
    void fileReferencesAreEqualOnlyWhenAllSevenFieldsAre() {
        FileReference base = FileReference.builder().filename("f").partitionId("p").numberOfRows(10).jobId("j")
                .lastUpdateTime(TIME).build();
        assertEquals(base, base.toBuilder().build());
        assertEquals(base.hashCode(), base.toBuilder().build().hashCode());
        assertNotEquals(base, base.toBuilder().filename("g").build());
        assertNotEquals(base, base.toBuilder().partitionId("q").build());
        assertNotEquals(base, base.toBuilder().numberOfRows(11).build());
        assertNotEquals(base, base.toBuilder().jobId(null).build());
        assertNotEquals(base, base.toBuilder().lastUpdateTime(TIME.plusMillis(1)).build());
        assertNotEquals(base, base.toBuilder().countApproximate(true).build());
        assertNotEquals(base, base.toBuilder().onlyContainsDataForThisPartition(false).build());
    }

    @Test
    void toStringShowsTheFields() {
        String text = FileReference.builder().filename("f1").partitionId("p1").numberOfRows(7).jobId("j1").build()
                .toString();
        assertTrue(text.contains("f1") && text.contains("p1") && text.contains("7") && text.contains("j1"), text);
    }

    @Test
    void aPartitionHasTheContractDefaults() {
        Partition partition = Partition.builder().id("p").region(Region.of(Range.from("k", 0L))).build();
        assertTrue(partition.isLeafPartition());
        assertNull(partition.getParentPartitionId());
        assertEquals(List.of(), partition.getChildPartitionIds());
        assertEquals(-1, partition.getDimension());
    }

    @Test
    void partitionEqualityDependsOnChildOrder() {
        Partition.Builder builder = Partition.builder().id("p").region(Region.of(Range.from("k", 0L)))
                .leafPartition(false).dimension(0);
        assertEquals(builder.childPartitionIds("a", "b").build(), builder.childPartitionIds(List.of("a", "b")).build());
        assertNotEquals(builder.childPartitionIds("a", "b").build(), builder.childPartitionIds("b", "a").build());
    }

    @Test
    void regionEqualityIgnoresTheOrderOfRanges() {
        Range a = Range.of("a", 1, 2);
        Range b = Range.from("b", "x");
        assertEquals(Region.of(a, b), Region.of(b, a));
        assertEquals(Region.of(a, b).hashCode(), Region.of(b, a).hashCode());
    }

    @Test
    void bytesRangesCompareByContentAndAreCopied() {
        byte[] min = {1, 2};
        Range range = Range.of("k", min, new byte[] {3});
        min[0] = 9;
        assertEquals(Range.of("k", new byte[] {1, 2}, new byte[] {3}), range);
        ((byte[]) range.getMin())[0] = 9;
        assertArrayEquals(new byte[] {1, 2}, (byte[]) range.getMin());
    }

    @Test
    void integerAndLongKeysAreDifferentValues() {
        assertNotEquals(Range.from("k", 1), Range.from("k", 1L));
    }

    @Test
    void modelListsAreImmutableCopies() {
        List<String> children = new ArrayList<>(List.of("a", "b"));
        Partition partition = Partition.builder().id("p").region(Region.of(Range.from("k", 0L)))
                .leafPartition(false).childPartitionIds(children).dimension(0).build();
        children.add("c");
        assertEquals(List.of("a", "b"), partition.getChildPartitionIds());
        assertThrows(UnsupportedOperationException.class, () -> partition.getChildPartitionIds().add("d"));
    }

    @Test
    void requestsCompareByValue() {
        FileReference output = new FileReference("out", "p", 1);
        assertEquals(new ReplaceFileReferencesRequest("j", "p", List.of("a"), output),
                ReplaceFileReferencesRequest.builder().jobId("j").partitionId("p").inputFiles(List.of("a"))
                        .newReference(output).build());
        assertEquals(new AssignJobIdRequest("j", "p", List.of("a")),
                AssignJobIdRequest.assignJobOnPartitionToFiles("j", "p", List.of("a")));
        assertNotEquals(new AssignJobIdRequest("j", "p", List.of("a")), new AssignJobIdRequest("j", "q", List.of("a")));
    }

    @Test
    void splitFileToChildPartitionsHalvesTheRowsAsEstimates() {
        FileReference file = FileReference.builder().filename("f").partitionId("root").numberOfRows(101).jobId(null)
                .build();
        SplitFileReferenceRequest request = SplitFileReferenceRequest.splitFileToChildPartitions(file, "L", "R");
        FileReference left = FileReference.builder().filename("f").partitionId("L").numberOfRows(50)
                .countApproximate(true).onlyContainsDataForThisPartition(false).build();
        assertEquals(new SplitFileReferenceRequest(file, List.of(left, left.toBuilder().partitionId("R").build())),
                request);
    }

    @Test
    void allReferencesToAllFilesSeparatesReferencedFiles() {
        AllReferencesToAFile referenced = new AllReferencesToAFile("a", List.of(new FileReference("a", "p", 1)));
        AllReferencesToAFile unreferenced = new AllReferencesToAFile("b", List.of());
        AllReferencesToAllFiles report = new AllReferencesToAllFiles(List.of(referenced, unreferenced), false);
        assertEquals(List.of(referenced), report.getFilesWithReferences());
        assertEquals(List.of(unreferenced), report.getFilesWithNoReferences());
        assertEquals(List.of(new FileReference("a", "p", 1)), report.listFileReferences());
        assertEquals(1, referenced.getReferenceCount());
    }

    @Test
    void anEmptyFilenameIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FileReference("", "p", 1));
        assertEquals("filename must not be empty", e.getMessage());
    }

    @Test
    void aNulCharacterIsInvalidInAnyString() {
        assertThrows(IllegalArgumentException.class, () -> new FileReference("a\u0000", "p", 1));
        assertThrows(IllegalArgumentException.class, () -> Range.from("k", "a\u0000"));
        assertThrows(IllegalArgumentException.class, () -> new AssignJobIdRequest("j\u0000", "p", List.of()));
    }

    @Test
    void anUnpairedSurrogateIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FileReference("a\uDC00b", "p", 1));
        assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
    }

    @Test
    void aNegativeRowCountIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new FileReference("f", "p", -1));
        assertEquals("number_of_rows must be between 0 and 9223372036854775807, got -1", e.getMessage());
    }

    @Test
    void aMissingRequiredFieldRaisesNullPointerExceptionNamingIt() {
        assertEquals("numberOfRows must not be null", assertThrows(NullPointerException.class,
                () -> FileReference.builder().filename("f").partitionId("p").build()).getMessage());
        assertEquals("region must not be null",
                assertThrows(NullPointerException.class, () -> Partition.builder().id("p").build()).getMessage());
        assertEquals("min must not be null",
                assertThrows(NullPointerException.class, () -> Range.from("k", null)).getMessage());
    }

    @Test
    void aDimensionBelowMinusOneIsInvalid() {
        assertThrows(IllegalArgumentException.class,
                () -> Partition.builder().id("p").region(Region.of(Range.from("k", 0L))).dimension(-2).build());
    }

    @Test
    void aRegionTakesOneRangePerField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Region.of(Range.from("k", 0L), Range.from("k", 1L)));
        assertEquals("Should only provide one range per row key field", e.getMessage());
    }

    @Test
    void minAndMaxOfDifferentKindsAreInvalid() {
        assertThrows(IllegalArgumentException.class, () -> Range.of("k", 1L, "z"));
    }

    @Test
    void anUnsupportedKeyClassIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Range.from("k", 1.5));
        assertTrue(e.getMessage().contains("java.lang.Double"), e.getMessage());
    }

    @Test
    void aSplitRequestNeedsNewReferences() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SplitFileReferenceRequest(new FileReference("f", "p", 1), List.of()));
        assertEquals("newReferences must not be empty", e.getMessage());
    }

    @Test
    void aSplitRequestsNewReferencesMustHaveTheOldFilename() {
        assertThrows(IllegalArgumentException.class, () -> new SplitFileReferenceRequest(
                new FileReference("f", "p", 1), List.of(new FileReference("g", "L", 1))));
    }

    @Test
    void aFilesReferencesMustHaveItsFilename() {
        assertThrows(IllegalArgumentException.class,
                () -> new AllReferencesToAFile("f", List.of(new FileReference("g", "p", 1))));
    }

    @Test
    void anEmptyRowKeyFieldNameIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> new RowKeyField("", KeyType.LONG));
    }

    @Test
    void checkFileAssignmentsRequestsAreEqualWhenTheirFieldsAre() {
        CheckFileAssignmentsRequest request = CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job",
                List.of("a", "b"), "p");
        assertEquals("job", request.getJobId());
        assertEquals(List.of("a", "b"), request.getFilenames());
        assertEquals("p", request.getPartitionId());
        assertEquals(request, CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job", List.of("a", "b"),
                "p"));
        assertEquals(request.hashCode(), CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job",
                List.of("a", "b"), "p").hashCode());
        assertNotEquals(request, CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job",
                List.of("b", "a"), "p"));
        assertEquals("CheckFileAssignmentsRequest{jobId='job', filenames=[a, b], partitionId='p'}",
                request.toString());
    }

    @Test
    void aCheckFileAssignmentsRequestKeepsACopyOfItsFilenames() {
        List<String> filenames = new ArrayList<>(List.of("a"));
        CheckFileAssignmentsRequest request = CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job",
                filenames, "p");
        filenames.add("b");
        assertEquals(List.of("a"), request.getFilenames());
        assertThrows(UnsupportedOperationException.class, () -> request.getFilenames().add("c"));
    }

    @Test
    void aCheckFileAssignmentsRequestIsValidatedByTheCore() {
        assertThrows(IllegalArgumentException.class,
                () -> CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("", List.of("a"), "p"));
        assertThrows(IllegalArgumentException.class,
                () -> CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job", List.of(""), "p"));
        assertThrows(IllegalArgumentException.class,
                () -> CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition("job", List.of("a"), "p\u0000"));
        assertEquals("jobId must not be null", assertThrows(NullPointerException.class,
                () -> CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition(null, List.of(), "p")).getMessage());
    }

    @Test
    void aModelTimeTheStoreCannotKeepIsInvalid() {
        assertThrows(IllegalArgumentException.class,
                () -> FileReference.builder().filename("f").partitionId("p").numberOfRows(1)
                        .lastUpdateTime(Instant.MAX).build());
        assertThrows(IllegalArgumentException.class,
                () -> FileReference.builder().filename("f").partitionId("p").numberOfRows(1)
                        .lastUpdateTime(Instant.parse("-5000-01-01T00:00:00Z")).build());
    }
}
