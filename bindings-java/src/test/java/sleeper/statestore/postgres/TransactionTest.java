package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.FileAlreadyExistsException;
import sleeper.statestore.postgres.exception.FileNotFoundException;
import sleeper.statestore.postgres.exception.FileReferenceNotAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotFoundException;
import sleeper.statestore.postgres.exception.InitialiseWithFilesPresentException;
import sleeper.statestore.postgres.exception.NewReferenceSameAsOldReferenceException;
import sleeper.statestore.postgres.exception.ReplaceRequestsFailedException;
import sleeper.statestore.postgres.exception.SplitRequestsFailedException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;

/**
 * applyTransaction: each of Sleeper v0.36's transaction types from the JSON of its TransactionSerDe, and what
 * each mode does with an invalid part (docs/sleeper-transactions.md).
 */
class TransactionTest extends StoreTest {
    private static final boolean SYNCHRONOUS = true;
    private static final boolean ASYNCHRONOUS = false;

    // ---- Sleeper's JSON --------------------------------------------------------------------------------

    /** A reference as Gson writes it; {@code filename} null leaves it out, as inside an ADD_FILES file. */
    static String referenceJson(String filename, String partitionId, long rows) {
        return "{" + (filename == null ? "" : "\"filename\":\"" + filename + "\",") + "\"partitionId\":\""
                + partitionId + "\",\"numberOfRows\":" + rows
                + ",\"countApproximate\":false,\"onlyContainsDataForThisPartition\":true}";
    }

    /** ADD_FILES of files each with one reference of 5 rows on the root. */
    static String addFilesJson(String... filenames) {
        return "{\"files\":[" + List.of(filenames).stream()
                .map(f -> "{\"filename\":\"" + f + "\",\"references\":[" + referenceJson(null, "root", 5) + "]}")
                .collect(Collectors.joining(",")) + "]}";
    }

    static String jobJson(String jobId, String output, String... inputs) {
        return "{\"jobId\":\"" + jobId + "\",\"inputFiles\":[" + quoted(inputs) + "],\"newReference\":"
                + referenceJson(output, "root", 10) + "}";
    }

    static String replaceJson(String... jobs) {
        return "{\"jobs\":[" + String.join(",", jobs) + "]}";
    }

    private static String quoted(String... values) {
        return List.of(values).stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(","));
    }

    /** A partition of the long key "key" as Sleeper's RegionSerDe writes it; {@code max} null for none. */
    private static String partitionJson(String id, boolean leaf, String parent, List<String> children, long min,
            Long max, int dimension) {
        return "{\"partitionId\":\"" + id + "\",\"isLeafPartition\":" + leaf
                + (parent == null ? "" : ",\"parentPartitionId\":\"" + parent + "\"") + ",\"childPartitionIds\":["
                + quoted(children.toArray(new String[0])) + "],\"region\":{\"key\":{\"min\":" + min
                + ",\"minInclusive\":true" + (max == null ? "" : ",\"max\":" + max)
                + ",\"maxInclusive\":false},\"stringsBase64Encoded\":true},\"dimension\":" + dimension + "}";
    }

    private static String rootSplitAt100Json() {
        return partitionJson("root", false, null, List.of("L", "R"), Long.MIN_VALUE, null, 0);
    }

    private static String leftJson() {
        return partitionJson("L", true, "root", List.of(), Long.MIN_VALUE, 100L, -1);
    }

    private static String rightJson() {
        return partitionJson("R", true, "root", List.of(), 100L, null, -1);
    }

    // ---- Helpers ---------------------------------------------------------------------------------------

    private List<String> filenames() throws StateStoreException {
        return store.getFileReferences().stream().map(FileReference::getFilename).collect(Collectors.toList());
    }

    private void assertFullyApplied(TransactionOutcome outcome) {
        assertTrue(outcome.isFullyApplied(), outcome.toString());
        assertEquals(List.of(), outcome.getFailures());
    }

    /** Files a, b and c on the root; a and b assigned to job1, c to job2. */
    private void filesWithJobs() throws StateStoreException {
        store.initialise();
        store.addFiles(List.of(reference("a", "root", 1), reference("b", "root", 1), reference("c", "root", 1)));
        store.assignJobIds(List.of(new AssignJobIdRequest("job1", "root", List.of("a", "b")),
                new AssignJobIdRequest("job2", "root", List.of("c"))));
    }

    // ---- Each type -------------------------------------------------------------------------------------

    @Test
    void addFilesAddsEachFileWithItsReferences() throws StateStoreException {
        store.initialise();
        store.fixFileUpdateTime(TEN_AM);
        assertFullyApplied(store.applyTransaction("ADD_FILES", addFilesJson("a", "b"), SYNCHRONOUS));
        assertEquals(List.of(stored(reference("a", "root", 5), TEN_AM), stored(reference("b", "root", 5), TEN_AM)),
                store.getFileReferences());
    }

    @Test
    void addFilesKeepsItsJobTrackingFieldsOutOfTheState() throws StateStoreException {
        store.initialise();
        String json = "{\"jobId\":\"ingest\",\"taskId\":\"task\",\"jobRunId\":\"run\",\"writtenTime\":1700000000000,"
                + addFilesJson("a").substring(1);
        assertFullyApplied(store.applyTransaction("ADD_FILES", json, ASYNCHRONOUS));
        assertEquals(List.of("a"), filenames());
    }

    @Test
    void assignJobIdsAssignsTheJob() throws StateStoreException {
        store.initialise();
        store.addFiles(List.of(reference("a", "root", 1)));
        assertFullyApplied(store.applyTransaction("ASSIGN_JOB_IDS",
                "{\"requests\":[{\"jobId\":\"job1\",\"partitionId\":\"root\",\"filenames\":[\"a\"]}]}", SYNCHRONOUS));
        assertEquals("job1", store.getFileReferences().get(0).getJobId());
    }

    @Test
    void clearFilesRemovesEveryFile() throws StateStoreException {
        store.initialise();
        store.addFiles(List.of(reference("a", "root", 1)));
        assertFullyApplied(store.applyTransaction("CLEAR_FILES", "{}", SYNCHRONOUS));
        assertTrue(store.hasNoFiles());
    }

    @Test
    void deleteFilesRemovesUnreferencedFiles() throws StateStoreException {
        store.initialise();
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("lonely", List.of())));
        assertFullyApplied(store.applyTransaction("DELETE_FILES", "{\"filenames\":[\"lonely\"]}", SYNCHRONOUS));
        assertTrue(store.hasNoFiles());
    }

    @Test
    void initialisePartitionsReplacesTheTree() throws StateStoreException {
        store.initialise();
        String json = "{\"partitions\":[" + rootSplitAt100Json() + "," + leftJson() + "," + rightJson() + "]}";
        assertFullyApplied(store.applyTransaction("INITIALISE_PARTITIONS", json, SYNCHRONOUS));
        List<Partition> split = splitRootAt100();
        assertEquals(List.of(split.get(1), split.get(2), split.get(0)), store.getAllPartitions());
    }

    @Test
    void initialisePartitionsWithNoPartitionsRemovesThem() throws StateStoreException {
        store.initialise();
        assertFullyApplied(store.applyTransaction("INITIALISE_PARTITIONS", "{\"partitions\":[]}", SYNCHRONOUS));
        assertEquals(List.of(), store.getAllPartitions());
    }

    @Test
    void initialisePartitionsWithNoPartitionsRaisesInitialiseWithFilesPresentIfThereAreFiles()
            throws StateStoreException {
        store.initialise();
        store.addFile(reference("a", "root", 1));
        assertThrows(InitialiseWithFilesPresentException.class,
                () -> store.applyTransaction("INITIALISE_PARTITIONS", "{\"partitions\":[]}", SYNCHRONOUS));
        assertEquals(List.of(root()), store.getAllPartitions());
    }

    @Test
    void replaceFileReferencesCommitsTheJob() throws StateStoreException {
        filesWithJobs();
        assertFullyApplied(store.applyTransaction("REPLACE_FILE_REFERENCES",
                replaceJson(jobJson("job1", "ab", "a", "b")), SYNCHRONOUS));
        assertEquals(List.of("ab", "c"), filenames());
    }

    @Test
    void splitFileReferencesPushesAReferenceDown() throws StateStoreException {
        initialiseWithLeftAndRight();
        store.addFile(reference("a", "root", 10));
        String json = "{\"requests\":[{\"oldReference\":" + referenceJson("a", "root", 10) + ",\"newReferences\":["
                + referenceJson("a", "L", 5) + "," + referenceJson("a", "R", 5) + "]}]}";
        assertFullyApplied(store.applyTransaction("SPLIT_FILE_REFERENCES", json, SYNCHRONOUS));
        assertEquals(List.of("L", "R"), store.getFileReferences().stream().map(FileReference::getPartitionId)
                .collect(Collectors.toList()));
    }

    @Test
    void splitPartitionStoresTheSplitInCanonicalForm() throws StateStoreException {
        store.initialise();
        // Bounds written with other inclusivity: L up to 99 inclusive, R from 99 exclusive.
        String json = "{\"parent\":" + rootSplitAt100Json() + ",\"newChildren\":["
                + leftJson().replace("\"max\":100,\"maxInclusive\":false", "\"max\":99,\"maxInclusive\":true") + ","
                + rightJson().replace("\"min\":100,\"minInclusive\":true", "\"min\":99,\"minInclusive\":false")
                + "]}";
        assertFullyApplied(store.applyTransaction("SPLIT_PARTITION", json, SYNCHRONOUS));
        List<Partition> split = splitRootAt100();
        assertEquals(List.of(split.get(1), split.get(2), split.get(0)), store.getAllPartitions());
    }

    @Test
    void extendPartitionTreeAddsSeveralLevels() throws StateStoreException {
        store.initialise();
        String json = "{\"updatePartitions\":[" + rootSplitAt100Json() + "],\"newPartitions\":["
                + partitionJson("L", false, "root", List.of("LL", "LR"), Long.MIN_VALUE, 100L, 0) + ","
                + partitionJson("LL", true, "L", List.of(), Long.MIN_VALUE, 50L, -1) + ","
                + partitionJson("LR", true, "L", List.of(), 50L, 100L, -1) + "," + rightJson() + "]}";
        assertFullyApplied(store.applyTransaction("EXTEND_PARTITION_TREE", json, SYNCHRONOUS));
        assertEquals(List.of("LL", "LR", "R"), store.getLeafPartitions().stream().map(Partition::getId)
                .collect(Collectors.toList()));
        assertEquals(Region.of(Range.of("key", 50L, 100L)), store.getPartition("LR").getRegion());
    }

    // ---- Modes -----------------------------------------------------------------------------------------

    @Test
    void anAsynchronousBatchSkipsTheInvalidJobsAndAppliesTheRest() throws StateStoreException {
        filesWithJobs();
        TransactionOutcome outcome = store.applyTransaction("REPLACE_FILE_REFERENCES", replaceJson(
                jobJson("job1", "ab", "a", "b"),
                jobJson("job1", "again", "a"), // a's reference went with the job before
                jobJson("job3", "c3", "c"), // c is job2's
                jobJson("job2", "ab", "c"), // the output exists since the first job
                jobJson("job2", "c2", "c")), ASYNCHRONOUS);
        assertFalse(outcome.isFullyApplied());
        List<TransactionFailure> failures = outcome.getFailures();
        assertEquals(List.of(1, 2, 3),
                failures.stream().map(TransactionFailure::getIndex).collect(Collectors.toList()));
        assertEquals(List.of(FileReferenceNotFoundException.class, FileReferenceNotAssignedToJobException.class,
                FileAlreadyExistsException.class), failures.stream().map(f -> f.getException().getClass())
                        .collect(Collectors.toList()));
        assertEquals("File reference not found in partition root, filename a",
                failures.get(0).getException().getMessage());
        assertEquals("job3", ((FileReferenceNotAssignedToJobException) failures.get(1).getException()).getJobId());
        assertEquals("ab", ((FileAlreadyExistsException) failures.get(2).getException()).getFilename());
        assertEquals(List.of("ab", "c2"), filenames());
    }

    @Test
    void aSynchronousBatchWithAnInvalidJobFailsWholeWithReplaceRequestsFailed() throws StateStoreException {
        filesWithJobs();
        ReplaceRequestsFailedException e = assertThrows(ReplaceRequestsFailedException.class,
                () -> store.applyTransaction("REPLACE_FILE_REFERENCES",
                        replaceJson(jobJson("job1", "ab", "a", "b"), jobJson("job3", "c3", "c")), SYNCHRONOUS));
        assertEquals(2, e.getFailedRequests().size());
        assertInstanceOf(FileReferenceNotAssignedToJobException.class, e.getCause());
        assertEquals(List.of("a", "b", "c"), filenames());
    }

    @Test
    void aJobWhoseOutputIsOneOfItsInputsFailsTheWholeBatchEvenWhenAsynchronous() throws StateStoreException {
        filesWithJobs();
        ReplaceRequestsFailedException e = assertThrows(ReplaceRequestsFailedException.class,
                () -> store.applyTransaction("REPLACE_FILE_REFERENCES",
                        replaceJson(jobJson("job2", "c2", "c"), jobJson("job1", "a", "a", "b")), ASYNCHRONOUS));
        assertEquals("a", assertInstanceOf(NewReferenceSameAsOldReferenceException.class, e.getCause()).getFilename());
        assertEquals(List.of("a", "b", "c"), filenames());
    }

    @Test
    void anAsynchronousIngestWithAFileThatExistsIsSkippedWhole() throws StateStoreException {
        store.initialise();
        store.addFile(reference("b", "root", 1));
        TransactionOutcome outcome = store.applyTransaction("ADD_FILES", addFilesJson("a", "b", "c"), ASYNCHRONOUS);
        assertEquals(1, outcome.getFailures().size());
        TransactionFailure failure = outcome.getFailures().get(0);
        assertEquals(1, failure.getIndex());
        FileAlreadyExistsException e = assertInstanceOf(FileAlreadyExistsException.class, failure.getException());
        assertEquals("File already exists: b", e.getMessage());
        assertEquals(List.of("b"), filenames());
    }

    @Test
    void aSynchronousIngestWithAFileThatExistsRaisesFileAlreadyExists() throws StateStoreException {
        store.initialise();
        store.addFile(reference("b", "root", 1));
        FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                () -> store.applyTransaction("ADD_FILES", addFilesJson("a", "b"), SYNCHRONOUS));
        assertEquals("b", e.getFilename());
        assertEquals(List.of("b"), filenames());
    }

    private static String splitMissingFileJson() {
        return "{\"requests\":[{\"oldReference\":" + referenceJson("missing", "root", 4) + ",\"newReferences\":["
                + referenceJson("missing", "L", 2) + "," + referenceJson("missing", "R", 2) + "]}]}";
    }

    @Test
    void aFailedSplitOfFileReferencesIsWrappedWhenSynchronous() throws StateStoreException {
        initialiseWithLeftAndRight();
        SplitRequestsFailedException e = assertThrows(SplitRequestsFailedException.class,
                () -> store.applyTransaction("SPLIT_FILE_REFERENCES", splitMissingFileJson(), SYNCHRONOUS));
        assertEquals("missing", assertInstanceOf(FileNotFoundException.class, e.getCause()).getFilename());
    }

    @Test
    void aFailedSplitOfFileReferencesIsUnwrappedWhenAsynchronous() throws StateStoreException {
        initialiseWithLeftAndRight();
        FileNotFoundException e = assertThrows(FileNotFoundException.class,
                () -> store.applyTransaction("SPLIT_FILE_REFERENCES", splitMissingFileJson(), ASYNCHRONOUS));
        assertEquals("File not found: missing", e.getMessage());
    }

    @Test
    void anInvalidPartitionSplitRaisesWhatSplitPartitionRaises() throws StateStoreException {
        store.initialise();
        String json = "{\"parent\":" + rootSplitAt100Json() + ",\"newChildren\":[" + leftJson() + "]}";
        StateStoreException e = assertThrows(StateStoreException.class,
                () -> store.applyTransaction("SPLIT_PARTITION", json, ASYNCHRONOUS));
        assertEquals(StateStoreException.class, e.getClass());
        assertInstanceOf(IllegalArgumentException.class, e.getCause());
    }

    // ---- Invalid input ---------------------------------------------------------------------------------

    @Test
    void anUnknownTransactionTypeIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.applyTransaction("COMPACT_EVERYTHING", "{}", SYNCHRONOUS));
        assertTrue(e.getMessage().startsWith("Unknown transaction type \"COMPACT_EVERYTHING\": expected one of "
                + "ADD_FILES, "), e.getMessage());
    }

    @Test
    void malformedJsonIsInvalidNamingTheType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.applyTransaction("ADD_FILES", "{\"files\":[", SYNCHRONOUS));
        assertTrue(e.getMessage().startsWith("Invalid ADD_FILES transaction: "), e.getMessage());
    }

    @Test
    void jsonOfAnotherShapeIsInvalid() {
        assertThrows(IllegalArgumentException.class,
                () -> store.applyTransaction("DELETE_FILES", "{\"filenames\":\"a\"}", SYNCHRONOUS));
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        assertEquals("transactionType must not be null", assertThrows(NullPointerException.class,
                () -> store.applyTransaction(null, "{}", SYNCHRONOUS)).getMessage());
        assertEquals("transactionJson must not be null", assertThrows(NullPointerException.class,
                () -> store.applyTransaction("CLEAR_FILES", null, SYNCHRONOUS)).getMessage());
    }
}
