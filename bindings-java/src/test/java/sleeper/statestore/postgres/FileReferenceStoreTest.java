package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.FileAlreadyExistsException;
import sleeper.statestore.postgres.exception.FileHasReferencesException;
import sleeper.statestore.postgres.exception.FileNotFoundException;
import sleeper.statestore.postgres.exception.FileReferenceAlreadyExistsException;
import sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotFoundException;
import sleeper.statestore.postgres.exception.NewReferenceSameAsOldReferenceException;
import sleeper.statestore.postgres.exception.ReplaceRequestsFailedException;
import sleeper.statestore.postgres.exception.SplitRequestsFailedException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/** Each method of the file reference store, on the contract's worked example (section 10). */
class FileReferenceStoreTest extends StoreTest {
    private static final Instant T1001 = Instant.parse("2024-01-01T10:01:00Z");
    private static final Instant T1002 = Instant.parse("2024-01-01T10:02:00Z");
    private static final Instant T1003 = Instant.parse("2024-01-01T10:03:00Z");

    private final FileReference file1 = reference("file1", "root", 1000);
    private final FileReference file2 = reference("file2", "L", 200);

    @BeforeEach
    void partitions() throws StateStoreException {
        initialiseWithLeftAndRight();
        store.fixFileUpdateTime(TEN_AM);
    }

    /** Steps 3 and 4: file1 on root pushed down to L and R; file2 on L. */
    private void addAndSplit() throws StateStoreException {
        store.addFiles(List.of(file1, file2));
        store.fixFileUpdateTime(T1001);
        store.splitFileReferences(List.of(SplitFileReferenceRequest.splitFileToChildPartitions(file1, "L", "R")));
    }

    /** Step 5: job1 on L takes file1 and file2. */
    private void assignJob() throws StateStoreException {
        addAndSplit();
        store.fixFileUpdateTime(T1002);
        store.assignJobIds(List.of(new AssignJobIdRequest("job1", "L", List.of("file1", "file2"))));
    }

    private static ReplaceFileReferencesRequest commitJob1() {
        return new ReplaceFileReferencesRequest("job1", "L", List.of("file1", "file2"), reference("file3", "L", 700));
    }

    /** Step 6: job1 committed, file2 left unreferenced. */
    private void commit() throws StateStoreException {
        assignJob();
        store.fixFileUpdateTime(T1003);
        store.atomicallyReplaceFileReferencesWithNewOnes(List.of(commitJob1()));
    }

    private static FileReference pushedDown(String partitionId) {
        return reference("file1", partitionId, 500).toBuilder().countApproximate(true)
                .onlyContainsDataForThisPartition(false).build();
    }

    @Test
    void addFilesStoresReferencesWithTheClockTime() throws StateStoreException {
        store.addFiles(List.of(file1, file2));
        assertEquals(List.of(stored(file1, TEN_AM), stored(file2, TEN_AM)), store.getFileReferences());
    }

    @Test
    void addFileStoresOneReference() throws StateStoreException {
        store.addFile(file2);
        assertEquals(List.of(stored(file2, TEN_AM)), store.getFileReferences());
    }

    @Test
    void addingAnExistingFileRaisesFileAlreadyExists() throws StateStoreException {
        store.addFile(file1);
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> store.addFile(reference("file1", "L", 5)));
        assertEquals("file1", e.getFilename());
        assertEquals("File already exists: file1", e.getMessage());
    }

    @Test
    void addFilesWithReferencesStoresAFileWithoutReferences() throws StateStoreException {
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("lonely", List.of())));
        assertEquals(List.of(new AllReferencesToAFile("lonely", List.of(), TEN_AM)),
                store.getAllFilesWithMaxUnreferenced(10).getFiles());
    }

    @Test
    void oneFileWithTwoReferencesOnOnePartitionRaisesFileReferenceAlreadyExists() {
        AllReferencesToAFile file = new AllReferencesToAFile("f", List.of(reference("f", "L", 1), reference("f", "L", 2)));
        FileReferenceAlreadyExistsException e = assertThrows(FileReferenceAlreadyExistsException.class,
                () -> store.addFilesWithReferences(List.of(file)));
        assertEquals("f", e.getFilename());
        assertEquals("L", e.getPartitionId());
    }

    @Test
    void splitFileReferencesPushesAReferenceDown() throws StateStoreException {
        addAndSplit();
        assertEquals(List.of(stored(pushedDown("L"), T1001), stored(pushedDown("R"), T1001), stored(file2, TEN_AM)),
                store.getFileReferences());
    }

    @Test
    void aFailedSplitRaisesSplitRequestsFailedWithRequestsAndCause() throws StateStoreException {
        addAndSplit();
        SplitFileReferenceRequest again = SplitFileReferenceRequest.splitFileToChildPartitions(file1, "L", "R");
        SplitRequestsFailedException e = assertThrows(SplitRequestsFailedException.class,
                () -> store.splitFileReferences(List.of(again)));
        assertEquals("1 split requests failed to update the state store", e.getMessage());
        assertEquals(List.of(), e.getSuccessfulRequests());
        assertEquals(List.of(again), e.getFailedRequests());
        assertEquals(1, e.getFailures().size());
        assertSame(e.getFailures().get(0), e.getCause());
        FileReferenceNotFoundException cause = (FileReferenceNotFoundException) e.getCause();
        assertEquals("root", cause.getPartitionId());
        assertEquals("file1", cause.getFilename());
    }

    @Test
    void splittingAnUnknownFileIsCausedByFileNotFound() {
        SplitRequestsFailedException e = assertThrows(SplitRequestsFailedException.class, () -> store
                .splitFileReferences(List.of(SplitFileReferenceRequest.splitFileToChildPartitions(file1, "L", "R"))));
        assertEquals(FileNotFoundException.class, e.getCause().getClass());
    }

    @Test
    void getPartitionToReferencedFilesMapListsFilesByPartition() throws StateStoreException {
        addAndSplit();
        assertEquals(Map.of("L", List.of("file1", "file2"), "R", List.of("file1")),
                store.getPartitionToReferencedFilesMap());
    }

    @Test
    void assignJobIdsSetsTheJobOnTheReferences() throws StateStoreException {
        assignJob();
        assertEquals(List.of(stored(pushedDown("L").toBuilder().jobId("job1").build(), T1002),
                stored(pushedDown("R"), T1001), stored(file2.toBuilder().jobId("job1").build(), T1002)),
                store.getFileReferences());
    }

    @Test
    void getFileReferencesWithNoJobIdLeavesOutAssignedOnes() throws StateStoreException {
        assignJob();
        assertEquals(List.of(stored(pushedDown("R"), T1001)), store.getFileReferencesWithNoJobId());
    }

    @Test
    void assigningAnAssignedReferenceRaisesFileReferenceAssignedToJob() throws StateStoreException {
        assignJob();
        FileReferenceAssignedToJobException e = assertThrows(FileReferenceAssignedToJobException.class,
                () -> store.assignJobIds(List.of(new AssignJobIdRequest("job2", "L", List.of("file2")))));
        assertEquals("Reference to file is already assigned to job job1, in partition L, filename file2",
                e.getMessage());
        assertEquals("file2", e.getFilename());
        assertEquals("L", e.getPartitionId());
        assertEquals("job1", e.getJobId());
    }

    @Test
    void assigningAMissingReferenceRaisesFileReferenceNotFound() {
        FileReferenceNotFoundException e = assertThrows(FileReferenceNotFoundException.class,
                () -> store.assignJobIds(List.of(new AssignJobIdRequest("job", "L", List.of("nothing")))));
        assertEquals("File reference not found in partition L, filename nothing", e.getMessage());
    }

    @Test
    void isPartitionFilesAssignedToJobIsTrueForTheJobsFiles() throws StateStoreException {
        assignJob();
        assertTrue(store.isPartitionFilesAssignedToJob("L", List.of("file1", "file2"), "job1"));
    }

    @Test
    void isPartitionFilesAssignedToJobIsFalseForUnassignedFiles() throws StateStoreException {
        assignJob();
        assertFalse(store.isPartitionFilesAssignedToJob("R", List.of("file1"), "job1"));
    }

    @Test
    void isPartitionFilesAssignedToJobRaisesForAnotherJob() throws StateStoreException {
        assignJob();
        FileReferenceAssignedToJobException e = assertThrows(FileReferenceAssignedToJobException.class,
                () -> store.isPartitionFilesAssignedToJob("L", List.of("file1"), "job2"));
        assertEquals("job1", e.getJobId());
    }

    @Test
    void atomicallyReplaceFileReferencesWithNewOnesCommitsTheJob() throws StateStoreException {
        commit();
        assertEquals(List.of(stored(pushedDown("R"), T1001), stored(reference("file3", "L", 700), T1003)),
                store.getFileReferences());
    }

    @Test
    void repeatingACommitRaisesReplaceRequestsFailedWithRequestsAndCause() throws StateStoreException {
        commit();
        ReplaceRequestsFailedException e = assertThrows(ReplaceRequestsFailedException.class,
                () -> store.atomicallyReplaceFileReferencesWithNewOnes(List.of(commitJob1())));
        assertEquals("1 replace file reference requests failed to update the state store", e.getMessage());
        assertEquals(List.of(), e.getSuccessfulRequests());
        assertEquals(List.of(commitJob1()), e.getFailedRequests());
        assertEquals(List.of(e.getCause()), e.getFailures());
        assertEquals("File reference not found in partition L, filename file1", e.getCause().getMessage());
        assertEquals(FileReferenceNotFoundException.class, e.getCause().getClass());
    }

    @Test
    void committingUnassignedInputsIsCausedByFileReferenceNotAssignedToJob() throws StateStoreException {
        addAndSplit();
        ReplaceRequestsFailedException e = assertThrows(ReplaceRequestsFailedException.class,
                () -> store.atomicallyReplaceFileReferencesWithNewOnes(List.of(commitJob1())));
        FileReferenceNotAssignedToJobException cause = (FileReferenceNotAssignedToJobException) e.getCause();
        assertEquals("job1", cause.getJobId());
        assertEquals("file1", cause.getFilename());
        assertEquals("L", cause.getPartitionId());
    }

    @Test
    void anOutputNamedAsAnInputIsCausedByNewReferenceSameAsOldReference() throws StateStoreException {
        assignJob();
        ReplaceFileReferencesRequest request = new ReplaceFileReferencesRequest("job1", "L", List.of("file1", "file2"),
                reference("file2", "L", 700));
        ReplaceRequestsFailedException e = assertThrows(ReplaceRequestsFailedException.class,
                () -> store.atomicallyReplaceFileReferencesWithNewOnes(List.of(request)));
        assertEquals("file2", ((NewReferenceSameAsOldReferenceException) e.getCause()).getFilename());
    }

    @Test
    void getAllFilesWithMaxUnreferencedListsEveryFile() throws StateStoreException {
        commit();
        AllReferencesToAllFiles report = store.getAllFilesWithMaxUnreferenced(10);
        assertEquals(List.of(new AllReferencesToAFile("file1", List.of(stored(pushedDown("R"), T1001)), T1003),
                new AllReferencesToAFile("file2", List.of(), T1003),
                new AllReferencesToAFile("file3", List.of(stored(reference("file3", "L", 700), T1003)), T1003)),
                report.getFiles());
        assertFalse(report.isMoreThanMax());
        assertEquals(List.of("file2"), report.getFilesWithNoReferences().stream()
                .map(AllReferencesToAFile::getFilename).collect(java.util.stream.Collectors.toList()));
        assertEquals(store.getFileReferences(), report.listFileReferences());
    }

    @Test
    void getAllFilesWithMaxUnreferencedZeroLeavesOutUnreferencedFiles() throws StateStoreException {
        commit();
        AllReferencesToAllFiles report = store.getAllFilesWithMaxUnreferenced(0);
        assertTrue(report.isMoreThanMax());
        assertEquals(2, report.getFilesWithReferences().size());
        assertEquals(report.getFiles(), report.getFilesWithReferences());
    }

    @Test
    void aFilenameOverItsLimitIsInvalidBeforeReachingTheDatabase() throws StateStoreException {
        String atLimit = "f".repeat(2048);
        String over = atLimit + "f";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FileReference(over, "root", 1));
        assertEquals("filename must be at most 2048 bytes long, got 2049 bytes", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> store.deleteGarbageCollectedFileReferenceCounts(List.of(over)));
        assertEquals("filename must be at most 2048 bytes long, got 2049 bytes", e.getMessage());
        // Bytes of UTF-8, not characters: 1,025 two-byte characters are over.
        assertThrows(IllegalArgumentException.class, () -> new FileReference("é".repeat(1025), "root", 1));
        assertTrue(store.hasNoFiles());
        store.addFile(new FileReference(atLimit, "root", 1));
        assertEquals(List.of(atLimit), store.getFileReferences().stream().map(FileReference::getFilename).toList());
    }

    @Test
    void aNegativeMaxUnreferencedIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.getAllFilesWithMaxUnreferenced(-1));
        assertEquals("max_unreferenced_files must be between 0 and 2147483647, got -1", e.getMessage());
    }

    @Test
    void getReadyForGCFilenamesBeforeComparesStrictly() throws StateStoreException {
        commit();
        assertEquals(List.of(), store.getReadyForGCFilenamesBefore(T1003));
        assertEquals(List.of("file2"), store.getReadyForGCFilenamesBefore(T1003.plusMillis(1)));
    }

    @Test
    void getReadyForGCFilenamesBeforeTruncatesToMilliseconds() throws StateStoreException {
        commit();
        assertEquals(List.of(), store.getReadyForGCFilenamesBefore(T1003.plusNanos(999_999)));
    }

    @Test
    void deleteGarbageCollectedFileReferenceCountsRemovesTheFile() throws StateStoreException {
        commit();
        store.deleteGarbageCollectedFileReferenceCounts(List.of("file2"));
        assertEquals(List.of("file1", "file3"), store.getAllFilesWithMaxUnreferenced(10).getFiles().stream()
                .map(AllReferencesToAFile::getFilename).collect(java.util.stream.Collectors.toList()));
    }

    @Test
    void deletingAReferencedFileRaisesFileHasReferences() throws StateStoreException {
        commit();
        FileHasReferencesException e = assertThrows(FileHasReferencesException.class,
                () -> store.deleteGarbageCollectedFileReferenceCounts(List.of("file1")));
        assertEquals("Cannot remove file as it still has references, filename file1, 1 references", e.getMessage());
        assertEquals("file1", e.getFilename());
        assertEquals(1, e.getReferenceCount());
    }

    @Test
    void deletingAnUnknownFileRaisesFileNotFound() {
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> store.deleteGarbageCollectedFileReferenceCounts(List.of("file2")));
        assertEquals("File not found: file2", e.getMessage());
        assertEquals("file2", e.getFilename());
    }

    @Test
    void hasNoFilesIsFalseOnceAFileIsAdded() throws StateStoreException {
        assertTrue(store.hasNoFiles());
        store.addFile(file1);
        assertFalse(store.hasNoFiles());
    }

    @Test
    void clearFileDataRemovesFilesButKeepsPartitions() throws StateStoreException {
        commit();
        store.clearFileData();
        assertTrue(store.hasNoFiles());
        assertEquals(3, store.getAllPartitions().size());
    }

    @Test
    void clearSleeperTableRemovesFilesAndPartitions() throws StateStoreException {
        commit();
        store.clearSleeperTable();
        assertTrue(store.hasNoFiles());
        assertEquals(List.of(), store.getAllPartitions());
    }

    @Test
    void withTheDatabaseClockTimesAreSetByTheServer() throws StateStoreException {
        store.fixFileUpdateTime(null);
        Instant before = Instant.now().minusSeconds(3600);
        store.addFile(file1);
        Instant written = store.getFileReferences().get(0).getLastUpdateTime();
        assertTrue(written.isAfter(before), written.toString());
        assertEquals(0, written.getNano() % 1_000_000);
    }

    @Test
    void stringsAreStoredExactly() throws StateStoreException {
        String odd = "s3://bucket/\uD83D\uDE00 'quote' \"dq\" \\ % _ ; DROP TABLE x; \u00e9";
        store.addFile(reference(odd, "L", 1));
        assertEquals(odd, store.getFileReferences().get(0).getFilename());
    }

    @Test
    void emptyCallsChangeNothing() throws StateStoreException {
        store.addFiles(List.of());
        store.splitFileReferences(List.of());
        store.atomicallyReplaceFileReferencesWithNewOnes(List.of());
        store.assignJobIds(List.of(new AssignJobIdRequest("job", "L", List.of())));
        store.deleteGarbageCollectedFileReferenceCounts(List.of());
        assertTrue(store.hasNoFiles());
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        assertEquals("fileReference must not be null",
                assertThrows(NullPointerException.class, () -> store.addFile(null)).getMessage());
        assertEquals("fileReferences must not be null",
                assertThrows(NullPointerException.class, () -> store.addFiles(null)).getMessage());
        assertEquals("files must not be null",
                assertThrows(NullPointerException.class, () -> store.addFilesWithReferences(null)).getMessage());
        assertEquals("splitRequests must not be null",
                assertThrows(NullPointerException.class, () -> store.splitFileReferences(null)).getMessage());
        assertEquals("replaceRequests must not be null", assertThrows(NullPointerException.class,
                () -> store.atomicallyReplaceFileReferencesWithNewOnes(null)).getMessage());
        assertEquals("requests must not be null",
                assertThrows(NullPointerException.class, () -> store.assignJobIds(null)).getMessage());
        assertEquals("filenames must not be null", assertThrows(NullPointerException.class,
                () -> store.deleteGarbageCollectedFileReferenceCounts(null)).getMessage());
        assertEquals("maxUpdateTime must not be null",
                assertThrows(NullPointerException.class, () -> store.getReadyForGCFilenamesBefore(null)).getMessage());
        assertEquals("partitionId must not be null", assertThrows(NullPointerException.class,
                () -> store.isPartitionFilesAssignedToJob(null, List.of(), "job")).getMessage());
        assertEquals("jobId must not be null", assertThrows(NullPointerException.class,
                () -> store.isPartitionFilesAssignedToJob("L", List.of(), null)).getMessage());
    }

    @Test
    void aNullElementInAListRaisesNullPointerException() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> store.addFiles(java.util.Arrays.asList(file1, null)));
        assertEquals("fileReferences must not contain null (at index 1)", e.getMessage());
    }

    @Test
    void invalidFilenamesInPlainArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> store.deleteGarbageCollectedFileReferenceCounts(List.of("")));
        assertThrows(IllegalArgumentException.class,
                () -> store.isPartitionFilesAssignedToJob("L", List.of("a\uD800"), "job"));
    }
}
