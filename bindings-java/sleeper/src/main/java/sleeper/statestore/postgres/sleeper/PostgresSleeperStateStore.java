package sleeper.statestore.postgres.sleeper;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import sleeper.core.partition.Partition;
import sleeper.core.schema.Schema;
import sleeper.core.statestore.AllReferencesToAllFiles;
import sleeper.core.statestore.CheckFileAssignmentsRequest;
import sleeper.core.statestore.FileReference;
import sleeper.core.statestore.StateStore;
import sleeper.core.statestore.StateStoreException;
import sleeper.core.statestore.transactionlog.AddTransactionRequest;
import sleeper.core.statestore.transactionlog.state.StateListenerBeforeApply;
import sleeper.core.statestore.transactionlog.transaction.StateStoreTransaction;
import sleeper.core.statestore.transactionlog.transaction.TransactionSerDe;
import sleeper.core.statestore.transactionlog.transaction.TransactionType;
import sleeper.core.table.TableStatus;
import sleeper.statestore.postgres.PostgresStateStore;
import sleeper.statestore.postgres.TransactionOutcome;

/**
 * Sleeper's {@link StateStore} for one table kept in PostgreSQL by sleeper-pg. Reads come straight from
 * the database, one consistent snapshot each, as Sleeper's model classes. Every change arrives as one of
 * Sleeper's transactions and is applied whole in one database transaction, as its JSON
 * ({@link TransactionSerDe}): strictly when it comes from {@code synchronousCommit} (its request carries
 * a before-apply listener), and as Sleeper's committer applies it otherwise, skipping the compaction jobs
 * and ingests that are no longer valid (see {@code docs/sleeper-transactions.md}). Safe to share between
 * threads. Made by {@link PostgresStateStoreFactory}.
 */
public final class PostgresSleeperStateStore implements StateStore {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresSleeperStateStore.class);
    /** What a request carries unless {@code synchronousCommit} set a listener. */
    private static final StateListenerBeforeApply NO_LISTENER = StateListenerBeforeApply.none();

    private final PostgresStateStore store;
    private final SleeperModel model;
    private final TransactionSerDe serDe;
    private final JobReporter jobReporter;

    PostgresSleeperStateStore(PostgresStateStore store, Schema schema, TableStatus table, JobTrackers trackers) {
        this.store = store;
        this.model = new SleeperModel(schema);
        this.serDe = new TransactionSerDe(schema);
        this.jobReporter = new JobReporter(trackers, table);
    }

    /** The Java API's handle on the same table. */
    public PostgresStateStore postgresStateStore() {
        return store;
    }

    @Override
    public List<Partition> getAllPartitions() {
        return call(store::getAllPartitions).stream().map(model::partition).toList();
    }

    @Override
    public List<Partition> getLeafPartitions() {
        return call(store::getLeafPartitions).stream().map(model::partition).toList();
    }

    @Override
    public Partition getPartition(String partitionId) {
        return model.partition(call(() -> store.getPartition(partitionId)));
    }

    @Override
    public List<FileReference> getFileReferences() {
        return SleeperModel.fileReferences(call(store::getFileReferences));
    }

    @Override
    public List<FileReference> getFileReferencesWithNoJobId() {
        return SleeperModel.fileReferences(call(store::getFileReferencesWithNoJobId));
    }

    @Override
    public Stream<String> getReadyForGCFilenamesBefore(Instant maxUpdateTime) {
        return call(() -> store.getReadyForGCFilenamesBefore(maxUpdateTime)).stream();
    }

    @Override
    public Map<String, List<String>> getPartitionToReferencedFilesMap() {
        return call(store::getPartitionToReferencedFilesMap);
    }

    @Override
    public AllReferencesToAllFiles getAllFilesWithMaxUnreferenced(int maxUnreferencedFiles) {
        return SleeperModel.allFiles(call(() -> store.getAllFilesWithMaxUnreferenced(maxUnreferencedFiles)));
    }

    @Override
    public boolean isAssigned(List<CheckFileAssignmentsRequest> requests) {
        return call(() -> store.isAssigned(requests.stream().map(SleeperModel::checkRequest).toList()));
    }

    @Override
    public boolean hasNoFiles() {
        return call(store::hasNoFiles);
    }

    @Override
    public void fixFileUpdateTime(Instant time) {
        store.fixFileUpdateTime(time);
    }

    @Override
    public void fixPartitionUpdateTime(Instant time) {
        store.fixPartitionUpdateTime(time);
    }

    @Override
    public void clearSleeperTable() {
        call(() -> {
            store.clearSleeperTable();
            return null;
        });
    }

    @Override
    public void addFilesTransaction(AddTransactionRequest request) {
        apply(request);
    }

    @Override
    public void addPartitionsTransaction(AddTransactionRequest request) {
        apply(request);
    }

    private void apply(AddTransactionRequest request) {
        StateStoreTransaction<?> transaction = request.getTransaction();
        TransactionType type = TransactionType.getType(transaction);
        boolean synchronous = request.getBeforeApplyListener() != NO_LISTENER;
        String json = serDe.toJson(transaction);
        TransactionOutcome outcome;
        try {
            outcome = store.applyTransaction(type.name(), json, synchronous);
        } catch (sleeper.statestore.postgres.exception.StateStoreException e) {
            StateStoreException failure = SleeperExceptions.toSleeper(e);
            jobReporter.failed(transaction, failure);
            throw failure;
        }
        outcome.getFailures().forEach(failure -> LOGGER.debug("Skipped part {} of a {} transaction: {}",
                failure.getIndex(), type, failure.getException().getMessage()));
        jobReporter.applied(transaction, outcome);
    }

    /** A call of the Java API, its checked exceptions turned into Sleeper's. */
    private static <T> T call(ApiCall<T> call) {
        try {
            return call.run();
        } catch (sleeper.statestore.postgres.exception.StateStoreException e) {
            throw SleeperExceptions.toSleeper(e);
        }
    }

    @FunctionalInterface
    private interface ApiCall<T> {
        T run() throws sleeper.statestore.postgres.exception.StateStoreException;
    }

    @Override
    public String toString() {
        return "PostgresSleeperStateStore{" + store + "}";
    }
}
