package sleeper.statestore.postgres.sleeper;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import sleeper.core.statestore.ReplaceFileReferencesRequest;
import sleeper.core.statestore.transactionlog.state.StateStoreFiles;
import sleeper.core.statestore.transactionlog.transaction.StateStoreTransaction;
import sleeper.core.statestore.transactionlog.transaction.impl.AddFilesTransaction;
import sleeper.core.statestore.transactionlog.transaction.impl.ReplaceFileReferencesTransaction;
import sleeper.core.table.TableStatus;
import sleeper.core.tracker.compaction.job.update.CompactionJobCommittedEvent;
import sleeper.statestore.postgres.TransactionFailure;
import sleeper.statestore.postgres.TransactionOutcome;

/**
 * Tells the job trackers what became of the jobs in an applied transaction, as Sleeper's log followers
 * do from its transaction log: only jobs with tracking ids are reported, as there.
 */
final class JobReporter {
    private final JobTrackers trackers;
    private final TableStatus table;

    JobReporter(JobTrackers trackers, TableStatus table) {
        this.trackers = trackers;
        this.table = table;
    }

    /** After a transaction applied, perhaps with parts skipped. */
    void applied(StateStoreTransaction<?> transaction, TransactionOutcome outcome) {
        if (transaction instanceof AddFilesTransaction add) {
            if (outcome.isFullyApplied()) {
                // Checked against no files, so reported as added: the store has just added them.
                add.reportJobCommit(trackers.ingest(), table, new StateStoreFiles());
            } else {
                add.reportJobFailed(trackers.ingest(), table, sleeperException(outcome.getFailures().get(0)));
            }
        } else if (transaction instanceof ReplaceFileReferencesTransaction replace) {
            Instant now = Instant.now();
            Set<Integer> skipped = outcome.getFailures().stream().map(TransactionFailure::getIndex)
                    .collect(Collectors.toSet());
            List<ReplaceFileReferencesRequest> jobs = replace.getJobs();
            for (TransactionFailure failure : outcome.getFailures()) {
                jobs.get(failure.getIndex()).reportFailed(trackers.compaction(), table, now, sleeperException(failure));
            }
            for (int i = 0; i < jobs.size(); i++) {
                if (!skipped.contains(i)) {
                    committed(jobs.get(i), now);
                }
            }
        }
    }

    /** After a transaction failed whole. */
    void failed(StateStoreTransaction<?> transaction, Exception failure) {
        if (transaction instanceof AddFilesTransaction add) {
            add.reportJobFailed(trackers.ingest(), table, failure);
        } else if (transaction instanceof ReplaceFileReferencesTransaction replace) {
            replace.reportJobsAllFailed(trackers.compaction(), table, Instant.now(), failure);
        }
    }

    private static Exception sleeperException(TransactionFailure failure) {
        return SleeperExceptions.toSleeper(failure.getException());
    }

    private void committed(ReplaceFileReferencesRequest job, Instant now) {
        if (job.getTaskId() == null) {
            return;
        }
        trackers.compaction().jobCommitted(CompactionJobCommittedEvent.builder()
                .jobId(job.getJobId())
                .tableId(table.getTableUniqueId())
                .taskId(job.getTaskId())
                .jobRunId(job.getJobRunId())
                .commitTime(now)
                .build());
    }
}
