package sleeper.statestore.postgres.sleeper;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.core.properties.instance.InstanceProperties;
import sleeper.core.properties.table.TableProperties;
import sleeper.core.schema.Schema;
import sleeper.core.schema.type.LongType;
import sleeper.core.statestore.AllReferencesToAFile;
import sleeper.core.statestore.FileReference;
import sleeper.core.statestore.ReplaceFileReferencesRequest;
import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.exception.FileAlreadyExistsException;
import sleeper.core.statestore.exception.FileReferenceNotAssignedToJobException;
import sleeper.core.statestore.exception.FileReferenceNotFoundException;
import sleeper.core.statestore.exception.ReplaceRequestsFailedException;
import sleeper.core.statestore.testutils.InMemoryTransactionLogStateStore;
import sleeper.core.statestore.testutils.InMemoryTransactionLogs;
import sleeper.core.statestore.transactionlog.AddTransactionRequest;
import sleeper.core.statestore.transactionlog.transaction.StateStoreTransaction;
import sleeper.core.statestore.transactionlog.transaction.impl.AddFilesTransaction;
import sleeper.core.statestore.transactionlog.transaction.impl.ReplaceFileReferencesTransaction;
import sleeper.core.tracker.compaction.job.CompactionJobTracker;
import sleeper.core.tracker.compaction.job.update.CompactionJobCommittedEvent;
import sleeper.core.tracker.compaction.job.update.CompactionJobFailedEvent;
import sleeper.core.tracker.ingest.job.IngestJobTracker;
import sleeper.core.tracker.ingest.job.update.IngestJobAddedFilesEvent;
import sleeper.core.tracker.ingest.job.update.IngestJobFailedEvent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static sleeper.core.properties.table.TableProperty.TABLE_ID;
import static sleeper.core.properties.testutils.InstancePropertiesTestHelper.createTestInstanceProperties;
import static sleeper.core.properties.testutils.TablePropertiesTestHelper.createTestTableProperties;
import static sleeper.core.schema.SchemaTestHelper.createSchemaWithKey;
import static sleeper.core.statestore.AssignJobIdRequest.assignJobOnPartitionToFiles;
import static sleeper.core.statestore.ReplaceFileReferencesRequest.replaceJobFileReferences;
import static sleeper.core.statestore.testutils.StateStoreUpdatesWrapper.update;

/**
 * The two ways Sleeper applies a transaction, side by side with Sleeper's own in-memory store given the
 * same transactions: its committer's (a request with no before-apply listener, skipping what is no longer
 * valid) and {@code synchronousCommit} (strict).
 */
class CommitModesTest {
    private static final Instant UPDATE_TIME = Instant.parse("2025-01-14T11:42:10Z");
    private final Schema schema = createSchemaWithKey("key", new LongType());
    private final InstanceProperties instanceProperties = createTestInstanceProperties();
    private final TableProperties tableProperties = createTestTableProperties(instanceProperties, schema);
    private final List<Object> trackerEvents = new ArrayList<>();
    private StateStore inMemory;
    private StateStore postgres;

    @BeforeEach
    void setUp() {
        tableProperties.set(TABLE_ID, PostgresTestDatabase.uniqueTableId());
        inMemory = InMemoryTransactionLogStateStore.createAndInitialise(tableProperties, new InMemoryTransactionLogs());
        postgres = PostgresTestDatabase.factory()
                .withJobTrackers(JobTrackers.of(recordingIngestTracker(), recordingCompactionTracker()))
                .getStateStore(tableProperties);
        update(postgres).initialise(schema);
        for (StateStore store : List.of(inMemory, postgres)) {
            store.fixFileUpdateTime(UPDATE_TIME);
            update(store).addFiles(List.of(file("a"), file("b"), file("c")));
            update(store).assignJobIds(List.of(
                    assignJobOnPartitionToFiles("job1", "root", List.of("a", "b")),
                    assignJobOnPartitionToFiles("job2", "root", List.of("c"))));
        }
        trackerEvents.clear();
    }

    private static FileReference file(String filename) {
        return FileReference.builder().filename(filename).partitionId("root").numberOfRows(10L)
                .countApproximate(false).onlyContainsDataForThisPartition(true).build();
    }

    private void commitToBoth(StateStoreTransaction<?> transaction) {
        for (StateStore store : List.of(inMemory, postgres)) {
            store.addTransaction(AddTransactionRequest.withTransaction(transaction).build());
        }
    }

    private ReplaceFileReferencesTransaction batch() {
        return new ReplaceFileReferencesTransaction(List.of(
                replaceJobFileReferences("job1", List.of("a", "b"), file("ab")),
                replaceJobFileReferences("job1", List.of("a"), file("again")),
                replaceJobFileReferences("job3", List.of("c"), file("c3")),
                replaceJobFileReferences("job2", List.of("c"), file("ab")),
                replaceJobFileReferences("job2", List.of("c"), file("c2"))));
    }

    @Test
    void aBatchFromTheCommitterSkipsTheJobsSleeperSkips() {
        commitToBoth(batch());

        assertThat(postgres.getFileReferences()).containsExactlyInAnyOrderElementsOf(inMemory.getFileReferences());
        assertThat(postgres.getFileReferences()).extracting(FileReference::getFilename)
                .containsExactly("ab", "c2");
        assertThat(postgres.getAllFilesWithMaxUnreferenced(10).getFiles())
                .containsExactlyInAnyOrderElementsOf(inMemory.getAllFilesWithMaxUnreferenced(10).getFiles());
    }

    @Test
    void anIngestFromTheCommitterWithAFileThatExistsIsSkippedAsSleeperSkipsIt() {
        commitToBoth(AddFilesTransaction.fromReferences(List.of(file("new"), file("a"))));

        assertThat(postgres.getFileReferences()).containsExactlyInAnyOrderElementsOf(inMemory.getFileReferences());
        assertThat(postgres.getFileReferences()).extracting(FileReference::getFilename)
                .containsExactly("a", "b", "c");
    }

    @Test
    void aSynchronousBatchWithAnInvalidJobAppliesNothing() {
        List<FileReference> before = postgres.getFileReferences();

        assertThatThrownBy(() -> batch().synchronousCommit(postgres))
                .isInstanceOf(ReplaceRequestsFailedException.class)
                .hasCauseInstanceOf(FileReferenceNotFoundException.class);
        assertThat(postgres.getFileReferences()).isEqualTo(before);
    }

    @Test
    void aSynchronousIngestOfAFileThatExistsRaisesFileAlreadyExists() {
        assertThatThrownBy(() -> AddFilesTransaction.fromReferences(List.of(file("a"))).synchronousCommit(postgres))
                .isInstanceOf(FileAlreadyExistsException.class)
                .hasMessage("File already exists: a");
    }

    @Test
    void aSynchronousCommitOfAJobOnFilesItDoesNotHoldRaisesSleepersException() {
        ReplaceFileReferencesTransaction commit = new ReplaceFileReferencesTransaction(List.of(
                replaceJobFileReferences("job3", List.of("c"), file("c3"))));

        assertThatThrownBy(() -> commit.synchronousCommit(postgres))
                .isInstanceOf(ReplaceRequestsFailedException.class)
                .cause().isInstanceOf(FileReferenceNotAssignedToJobException.class)
                .hasMessage("Reference to file is not assigned to job job3, in partition root, filename c");
    }

    @Test
    void compactionCommitsAreReportedToTheJobTrackerJobByJob() {
        postgres.addTransaction(AddTransactionRequest.withTransaction(new ReplaceFileReferencesTransaction(List.of(
                tracked("job1", List.of("a", "b"), "ab", "run1"),
                tracked("job3", List.of("c"), "c3", "run3")))).build());

        assertThat(trackerEvents).hasSize(2);
        assertThat(trackerEvents).filteredOn(CompactionJobCommittedEvent.class::isInstance)
                .extracting(event -> ((CompactionJobCommittedEvent) event).getJobRunId()).containsExactly("run1");
        assertThat(trackerEvents).filteredOn(CompactionJobFailedEvent.class::isInstance)
                .extracting(event -> ((CompactionJobFailedEvent) event).getFailureReasons())
                .containsExactly(List.of("Reference to file is not assigned to job job3, in partition root, filename c"));
    }

    @Test
    void anIngestIsReportedToTheJobTrackerAsAddedOrFailed() {
        AddFilesTransaction added = AddFilesTransaction.builder().jobId("ingest1").taskId("task").jobRunId("run1")
                .writtenTime(UPDATE_TIME).files(List.of(AllReferencesToAFile.newFilesWithReferences(List.of(file("new"))).get(0)))
                .build();
        AddFilesTransaction existing = AddFilesTransaction.builder().jobId("ingest2").taskId("task").jobRunId("run2")
                .writtenTime(UPDATE_TIME).files(List.of(AllReferencesToAFile.newFilesWithReferences(List.of(file("a"))).get(0)))
                .build();

        postgres.addTransaction(AddTransactionRequest.withTransaction(added).build());
        postgres.addTransaction(AddTransactionRequest.withTransaction(existing).build());

        assertThat(trackerEvents).hasSize(2);
        assertThat(trackerEvents.get(0)).isInstanceOf(IngestJobAddedFilesEvent.class);
        assertThat(trackerEvents.get(1)).isInstanceOfSatisfying(IngestJobFailedEvent.class,
                failed -> assertThat(failed.getFailureReasons()).containsExactly("File already exists: a"));
    }

    private static ReplaceFileReferencesRequest tracked(
            String jobId, List<String> inputs, String output, String runId) {
        return ReplaceFileReferencesRequest.builder().jobId(jobId).inputFiles(inputs)
                .newReference(file(output)).taskId("task").jobRunId(runId).build();
    }

    private IngestJobTracker recordingIngestTracker() {
        return new IngestJobTracker() {
            @Override
            public void jobAddedFiles(IngestJobAddedFilesEvent event) {
                trackerEvents.add(event);
            }

            @Override
            public void jobFailed(IngestJobFailedEvent event) {
                trackerEvents.add(event);
            }
        };
    }

    private CompactionJobTracker recordingCompactionTracker() {
        return new CompactionJobTracker() {
            @Override
            public void jobCommitted(CompactionJobCommittedEvent event) {
                trackerEvents.add(event);
            }

            @Override
            public void jobFailed(CompactionJobFailedEvent event) {
                trackerEvents.add(event);
            }
        };
    }
}
