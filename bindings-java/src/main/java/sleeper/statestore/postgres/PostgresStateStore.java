package sleeper.statestore.postgres;

import java.lang.ref.Reference;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.arrow.c.ArrowArrayStream;
import org.apache.arrow.c.Data;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.ipc.ArrowReader;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.NativeHandle;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The state of one Sleeper table: the methods of Sleeper's {@code PartitionStore} and
 * {@code FileReferenceStore}, with their names and argument order, and Sleeper v0.36's operations and
 * transactions ({@link #splitPartition}, {@link #extendPartitionTree}, {@link #isAssigned},
 * {@link #applyTransaction}, {@link #applyTransactionLog}; {@code docs/sleeper-transactions.md}). Every call is
 * one PostgreSQL transaction, all or nothing; behaviour is that of {@code CONTRACT.md}. Any number of threads
 * may call one store at once. Invalid arguments raise IllegalArgumentException (null ones NullPointerException)
 * before anything reaches the database; a store, or its client, that is closed raises
 * IllegalStateException.
 */
public final class PostgresStateStore implements AutoCloseable {
    private final PostgresStateStoreClient client;
    private final NativeHandle handle;
    private final String tableId;
    private final List<RowKeyField> rowKeyFields;

    PostgresStateStore(PostgresStateStoreClient client, long address, String tableId, List<RowKeyField> rowKeyFields) {
        this.client = client;
        this.handle = new NativeHandle(this, address, Native::storeFree, "PostgresStateStore");
        this.tableId = tableId;
        this.rowKeyFields = rowKeyFields;
    }

    /** Runs one native call with this store's address, counted as in use until it returns. */
    private <T, E extends Exception> T call(NativeHandle.Call<T, E> call) throws E {
        client.checkOpen();
        try {
            return handle.call(call);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private <E extends Exception> void run(NativeHandle.Run<E> run) throws E {
        call(address -> {
            run.run(address);
            return null;
        });
    }

    public String getTableId() {
        return tableId;
    }

    /** The table's row key fields, in dimension order. */
    public List<RowKeyField> getRowKeyFields() {
        return rowKeyFields;
    }

    // ---- PartitionStore -------------------------------------------------------------------------------

    /** Replaces all partitions with one root partition covering every key. */
    public void initialise() throws StateStoreException {
        run(Native::storeInitialise);
    }

    /** Replaces all partitions with exactly {@code partitions}, once checked to form a valid tree. */
    public void initialise(List<Partition> partitions) throws StateStoreException {
        byte[] args = new WireWriter(256).partitions(Args.noNulls(partitions, "partitions")).toBytes();
        run(s -> Native.storeInitialiseWithPartitions(s, args));
    }

    /** Every partition, by id. */
    public List<Partition> getAllPartitions() throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetAllPartitions(s)).partitions());
    }

    /** The leaf partitions, by id. */
    public List<Partition> getLeafPartitions() throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetLeafPartitions(s)).partitions());
    }

    /** @throws sleeper.statestore.postgres.exception.PartitionNotFoundException for an unknown id */
    public Partition getPartition(String partitionId) throws StateStoreException {
        byte[] args = new WireWriter(16 + 2 * Args.notNull(partitionId, "partitionId").length())
                .string(partitionId).toBytes();
        return call(s -> new WireReader(Native.storeGetPartition(s, args)).partition());
    }

    /** Splits a leaf: stores {@code splitPartition}, now with two children, and the two new partitions. */
    public void atomicallyUpdatePartitionAndCreateNewOnes(Partition splitPartition, Partition newPartition1,
            Partition newPartition2) throws StateStoreException {
        byte[] args = new WireWriter(512).partition(Args.notNull(splitPartition, "splitPartition"))
                .partition(Args.notNull(newPartition1, "newPartition1"))
                .partition(Args.notNull(newPartition2, "newPartition2")).toBytes();
        run(s -> Native.storeAtomicallyUpdatePartitionAndCreateNewOnes(s, args));
    }

    /**
     * Sleeper v0.36's {@code SplitPartitionTransaction}: stores {@code parent} (a leaf as stored, now split) and
     * its new children, which must be two; with two it is
     * {@link #atomicallyUpdatePartitionAndCreateNewOnes(Partition, Partition, Partition)}, the children in either
     * order. Nothing changes if a check fails.
     *
     * @throws StateStoreException plain, with the message "Failed to validate partition split: Expected 2 child
     *         partitions under P, left and right of split point, found N" when there are not two children; a
     *         message starting "Failed to validate partition split: " has an IllegalArgumentException cause
     *         holding the reason after that prefix, as Sleeper's has
     * @throws sleeper.statestore.postgres.exception.PartitionNotFoundException if the parent is not stored
     */
    public void splitPartition(Partition parent, List<Partition> newChildren) throws StateStoreException {
        Args.notNull(parent, "parent");
        Args.noNulls(newChildren, "newChildren");
        byte[] args = new WireWriter(256 + newChildren.size() * 256).partition(parent).partitions(newChildren)
                .toBytes();
        run(s -> Native.storeSplitPartition(s, args));
    }

    /**
     * Sleeper v0.36's {@code ExtendPartitionTreeTransaction}: splits the leaves in {@code updatePartitions}
     * (stored as given) and adds {@code newPartitions}, any number of levels at once, in one transaction. Each
     * partition is checked in order against the tree the ones before it leave, then the whole resulting tree as
     * {@link #initialise(List)} checks it; nothing changes if a check fails. Both lists empty changes nothing.
     *
     * @throws StateStoreException plain: "Attempted to update a partition which does not exist: X", "Attempted to
     *         update a partition which has already been split: X", "Attempted to update a partition without
     *         splitting it: X", "Attempted to add a partition which already exists: X", or "Update results in
     *         invalid partition tree" with an IllegalArgumentException cause saying what is wrong with it
     */
    public void extendPartitionTree(List<Partition> updatePartitions, List<Partition> newPartitions)
            throws StateStoreException {
        Args.noNulls(updatePartitions, "updatePartitions");
        Args.noNulls(newPartitions, "newPartitions");
        byte[] args = new WireWriter(16 + (updatePartitions.size() + newPartitions.size()) * 256)
                .partitions(updatePartitions).partitions(newPartitions).toBytes();
        run(s -> Native.storeExtendPartitionTree(s, args));
    }

    /** Removes every partition; files stay. The table needs {@link #initialise()} again. */
    public void clearPartitionData() throws StateStoreException {
        run(Native::storeClearPartitionData);
    }

    /**
     * Partition writes through this handle use {@code time} as now; null returns to the database clock.
     *
     * @throws IllegalArgumentException for a time the store cannot keep (outside the years 1 to 9999, UTC, which
     *         every language of the store can read back; {@link Instant#MAX} included); the clock is then left as
     *         it was
     */
    public void fixPartitionUpdateTime(Instant time) {
        byte[] args = new WireWriter(16).time(time).toBytes();
        run(s -> Native.storeFixPartitionUpdateTime(s, args));
    }

    // ---- FileReferenceStore ---------------------------------------------------------------------------

    /** Exactly {@code addFiles(List.of(fileReference))}. */
    public void addFile(FileReference fileReference) throws StateStoreException {
        byte[] args = new WireWriter(128).fileReference(Args.notNull(fileReference, "fileReference")).toBytes();
        run(s -> Native.storeAddFile(s, args));
    }

    /** Adds new files from their references, grouped by filename. */
    public void addFiles(List<FileReference> fileReferences) throws StateStoreException {
        Args.noNulls(fileReferences, "fileReferences");
        byte[] args = new WireWriter(16 + fileReferences.size() * 128).fileReferences(fileReferences).toBytes();
        run(s -> Native.storeAddFiles(s, args));
    }

    /** Adds new files, each with zero or more references. */
    public void addFilesWithReferences(List<AllReferencesToAFile> files) throws StateStoreException {
        Args.noNulls(files, "files");
        byte[] args = new WireWriter(16 + files.size() * 160).files(files).toBytes();
        run(s -> Native.storeAddFilesWithReferences(s, args));
    }

    /**
     * Replaces references by new ones on other partitions; all requests apply or none.
     *
     * @throws sleeper.statestore.postgres.exception.SplitRequestsFailedException if any request fails
     */
    public void splitFileReferences(List<SplitFileReferenceRequest> splitRequests) throws StateStoreException {
        Args.noNulls(splitRequests, "splitRequests");
        byte[] args = new WireWriter(16 + splitRequests.size() * 384).splitRequests(splitRequests).toBytes();
        run(s -> Native.storeSplitFileReferences(s, args));
    }

    /**
     * Commits compaction jobs; all apply or none.
     *
     * @throws sleeper.statestore.postgres.exception.ReplaceRequestsFailedException if any request fails
     */
    public void atomicallyReplaceFileReferencesWithNewOnes(List<ReplaceFileReferencesRequest> replaceRequests)
            throws StateStoreException {
        Args.noNulls(replaceRequests, "replaceRequests");
        byte[] args = new WireWriter(16 + replaceRequests.size() * 512).replaceRequests(replaceRequests).toBytes();
        run(s -> Native.storeAtomicallyReplaceFileReferencesWithNewOnes(s, args));
    }

    /** Assigns each request's job to the named files' references on its partition. */
    public void assignJobIds(List<AssignJobIdRequest> requests) throws StateStoreException {
        Args.noNulls(requests, "requests");
        byte[] args = new WireWriter(16 + requests.size() * 256).assignRequests(requests).toBytes();
        run(s -> Native.storeAssignJobIds(s, args));
    }

    /** Removes the records of garbage-collected files, which must have no references left. */
    public void deleteGarbageCollectedFileReferenceCounts(List<String> filenames) throws StateStoreException {
        Args.noNulls(filenames, "filenames");
        byte[] args = new WireWriter(16 + filenames.size() * 128).strings(filenames).toBytes();
        run(s -> Native.storeDeleteGarbageCollectedFileReferenceCounts(s, args));
    }

    /** Every reference of every file, by filename then partition id. */
    public List<FileReference> getFileReferences() throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetFileReferences(s)).fileReferences());
    }

    /** The references with no job, by filename then partition id. */
    public List<FileReference> getFileReferencesWithNoJobId() throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetFileReferencesWithNoJobId(s)).fileReferences());
    }

    /**
     * The files with no references whose last update is strictly before {@code maxUpdateTime} (truncated to
     * milliseconds), sorted. Any instant is a valid cutoff, {@link Instant#MAX} and {@link Instant#MIN} included:
     * one beyond what the store keeps is moved to the nearest instant it can, which compares the same way with
     * every stored time. Sleeper's method returns a {@code Stream}: call {@code .stream()} on this list.
     */
    public List<String> getReadyForGCFilenamesBefore(Instant maxUpdateTime) throws StateStoreException {
        byte[] args = new WireWriter(16).time(Args.notNull(maxUpdateTime, "maxUpdateTime")).toBytes();
        return call(s -> new WireReader(Native.storeGetReadyForGCFilenamesBefore(s, args)).strings());
    }

    /** Each partition with references, to the filenames referenced on it; keys and lists sorted. */
    public Map<String, List<String>> getPartitionToReferencedFilesMap() throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetPartitionToReferencedFilesMap(s)).partitionToFiles());
    }

    /**
     * The live references on the partitions named, by partition id then filename.
     *
     * @throws sleeper.statestore.postgres.exception.PartitionNotFoundException for a partition that does not exist
     */
    public List<FileReference> getFileReferencesOnPartitions(List<String> partitionIds) throws StateStoreException {
        byte[] args = partitionIdsArgument(partitionIds);
        return call(s -> new WireReader(Native.storeGetFileReferencesOnPartitions(s, args)).fileReferences());
    }

    /**
     * The partitions named that have references, each to the filenames referenced on it; keys and lists sorted.
     *
     * @throws sleeper.statestore.postgres.exception.PartitionNotFoundException for a partition that does not exist
     */
    public Map<String, List<String>> getPartitionToReferencedFilesMapOnPartitions(List<String> partitionIds)
            throws StateStoreException {
        byte[] args = partitionIdsArgument(partitionIds);
        return call(s -> new WireReader(Native.storeGetPartitionToReferencedFilesMapOnPartitions(s, args))
                .partitionToFiles());
    }

    /**
     * Every partition, leaf or not, whose range overlaps {@code region}, by id. Both ends of the region's ranges
     * are included; a row key field it has no range on matches any value.
     */
    public List<Partition> getPartitionsInRegion(Region region) throws StateStoreException {
        byte[] args = regionArgument(region);
        return call(s -> new WireReader(Native.storeGetPartitionsInRegion(s, args)).partitions());
    }

    /**
     * The partitions overlapping {@code region} that have references (the leaves a query reads, and their
     * ancestors, whose files hold data of those leaves), each to its filenames; keys and lists sorted.
     */
    public Map<String, List<String>> getPartitionToReferencedFilesMapInRegion(Region region)
            throws StateStoreException {
        byte[] args = regionArgument(region);
        return call(s -> new WireReader(Native.storeGetPartitionToReferencedFilesMapInRegion(s, args))
                .partitionToFiles());
    }

    /**
     * Every live reference of the table as Arrow record batches, by filename then partition id, in buffers of
     * {@code allocator}: columns {@code filename}, {@code partition_id} (dictionary), {@code number_of_rows},
     * {@code job_id} (dictionary, nullable), {@code last_update_time} (timestamp in milliseconds, UTC),
     * {@code count_approximate}, {@code only_contains_data_for_this_partition}. The caller closes the reader.
     * Needs {@code org.apache.arrow:arrow-c-data} and a memory module on the class path.
     */
    public ArrowReader getFileReferencesArrow(BufferAllocator allocator) throws StateStoreException {
        return arrow(allocator, scope(null, null), Native::storeGetFileReferencesArrow);
    }

    /** As {@link #getFileReferencesArrow(BufferAllocator)} for the partitions named, by partition then file. */
    public ArrowReader getFileReferencesOnPartitionsArrow(BufferAllocator allocator, List<String> partitionIds)
            throws StateStoreException {
        return arrow(allocator, scope(Args.notNull(partitionIds, "partitionIds"), null),
                Native::storeGetFileReferencesArrow);
    }

    /** As {@link #getFileReferencesArrow(BufferAllocator)} for the partitions overlapping {@code region}. */
    public ArrowReader getFileReferencesInRegionArrow(BufferAllocator allocator, Region region)
            throws StateStoreException {
        return arrow(allocator, scope(null, Args.notNull(region, "region")), Native::storeGetFileReferencesArrow);
    }

    /**
     * Every partition as Arrow record batches, by id: columns {@code partition_id}, {@code is_leaf_partition},
     * {@code parent_partition_id} (nullable), {@code child_partition_ids} (list), {@code dimension}, then for each
     * row key field {@code <name>_min} and {@code <name>_max} (null for no upper bound) of the field's type.
     */
    public ArrowReader getPartitionsArrow(BufferAllocator allocator) throws StateStoreException {
        return arrow(allocator, scope(null, null), Native::storeGetPartitionsArrow);
    }

    /** As {@link #getPartitionsArrow(BufferAllocator)} for the partitions overlapping {@code region}. */
    public ArrowReader getPartitionsInRegionArrow(BufferAllocator allocator, Region region)
            throws StateStoreException {
        return arrow(allocator, scope(null, Args.notNull(region, "region")), Native::storeGetPartitionsArrow);
    }

    /** A native read that writes an Arrow C stream into the struct at the address it is given. */
    private interface ArrowRead {
        void read(long store, byte[] scope, long stream) throws StateStoreException;
    }

    private ArrowReader arrow(BufferAllocator allocator, byte[] scope, ArrowRead read) throws StateStoreException {
        Args.notNull(allocator, "allocator");
        try (ArrowArrayStream stream = ArrowArrayStream.allocateNew(allocator)) {
            run(s -> read.read(s, scope, stream.memoryAddress()));
            return Data.importArrayStream(allocator, stream);
        }
    }

    /** The part of the table a read covers, as {@code read_scope} in the JNI library decodes it. */
    private static byte[] scope(List<String> partitionIds, Region region) {
        WireWriter writer = new WireWriter(64).bool(partitionIds != null);
        if (partitionIds != null) {
            writer.strings(partitionIds);
        }
        writer.bool(region != null);
        if (region != null) {
            writer.region(region);
        }
        return writer.toBytes();
    }

    private static byte[] partitionIdsArgument(List<String> partitionIds) {
        return new WireWriter(64).strings(Args.notNull(partitionIds, "partitionIds")).toBytes();
    }

    private static byte[] regionArgument(Region region) {
        return new WireWriter(128).region(Args.notNull(region, "region")).toBytes();
    }

    /**
     * Every referenced file and the first {@code maxUnreferencedFiles} unreferenced ones, by filename;
     * {@link AllReferencesToAllFiles#isMoreThanMax()} tells whether any were left out.
     */
    public AllReferencesToAllFiles getAllFilesWithMaxUnreferenced(int maxUnreferencedFiles)
            throws StateStoreException {
        return call(s -> new WireReader(Native.storeGetAllFilesWithMaxUnreferenced(s, maxUnreferencedFiles))
                .allFiles());
    }

    /**
     * True iff every named file's reference on the partition has {@code jobId}; false if one has no job.
     *
     * @throws sleeper.statestore.postgres.exception.FileReferenceNotFoundException for a missing reference
     * @throws sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException for another job
     */
    public boolean isPartitionFilesAssignedToJob(String partitionId, List<String> filenames, String jobId)
            throws StateStoreException {
        Args.notNull(partitionId, "partitionId");
        Args.noNulls(filenames, "filenames");
        Args.notNull(jobId, "jobId");
        byte[] args = new WireWriter(64 + filenames.size() * 128).string(partitionId).strings(filenames)
                .string(jobId).toBytes();
        return call(s -> Native.storeIsPartitionFilesAssignedToJob(s, args));
    }

    /**
     * Sleeper v0.36's {@code isAssigned}: true iff every named reference of every request has the request's job
     * (true for no requests). Walking the requests and each one's filenames in order, a reference with no job
     * makes the answer false and the walk goes on. Read-only, one snapshot.
     *
     * @throws sleeper.statestore.postgres.exception.FileReferenceNotFoundException for a file with no reference on
     *         the request's partition (including no such file)
     * @throws sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException for a reference with
     *         another job, which it names
     */
    public boolean isAssigned(List<CheckFileAssignmentsRequest> requests) throws StateStoreException {
        Args.noNulls(requests, "requests");
        byte[] args = new WireWriter(16 + requests.size() * 256).checkRequests(requests).toBytes();
        return call(s -> Native.storeIsAssigned(s, args));
    }

    /** True iff the table has no file record at all, referenced or not. */
    public boolean hasNoFiles() throws StateStoreException {
        return call(Native::storeHasNoFiles);
    }

    /** The table's counts of partitions, files, references and jobs, and the oldest waiting ones, in one snapshot. */
    public TableStatus status() throws StateStoreException {
        return call(s -> TableStatus.read(new WireReader(Native.storeStatus(s))));
    }

    // ---- The change feed ---------------------------------------------------------------------------------------

    /**
     * The entries of the table's change feed numbered after {@code after}, in order, at most {@code limit}: every
     * write whose transaction, and every transaction that began before it, has ended. Read from the primary.
     *
     * @param after the last entry's number already seen; 0 for the whole feed
     * @param limit the most entries returned
     * @throws IllegalArgumentException for a negative {@code after} or {@code limit}
     */
    public List<Change> readChanges(long after, int limit) throws StateStoreException {
        return call(s -> Change.readList(new WireReader(Native.storeReadChanges(s, after, limit))));
    }

    /**
     * {@link #readChanges}, waiting up to {@code timeout} for an entry after {@code after} if there is none yet:
     * woken by the client that wrote it, or finding it by looking again every second. The calling thread blocks for
     * the wait (it is not interruptible).
     *
     * @return the entries, or an empty list if none came in time
     * @throws IllegalArgumentException for a negative {@code after}, {@code limit} or {@code timeout}
     */
    public List<Change> waitForChanges(long after, int limit, Duration timeout) throws StateStoreException {
        long timeoutMillis = millis(Args.notNull(timeout, "timeout"));
        return call(s -> Change.readList(new WireReader(Native.storeWaitForChanges(s, after, limit, timeoutMillis))));
    }

    /**
     * Deletes the entries of the table's feed numbered up to {@code sequence}.
     *
     * @param sequence a number a read gave: an entry after the last one numbered may not be numbered yet
     * @return how many entries were deleted
     * @throws IllegalArgumentException for a negative {@code sequence} or one past the last numbered entry
     */
    public long deleteChangesThrough(long sequence) throws StateStoreException {
        return call(s -> Native.storeDeleteChangesThrough(s, sequence));
    }

    private static long millis(Duration duration) {
        try {
            return duration.toMillis();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** Removes every file record and reference; partitions stay. */
    public void clearFileData() throws StateStoreException {
        run(Native::storeClearFileData);
    }

    /**
     * File writes through this handle use {@code time} as now; null returns to the database clock.
     *
     * @throws IllegalArgumentException for a time the store cannot keep (outside the years 1 to 9999, UTC, which
     *         every language of the store can read back; {@link Instant#MAX} included); the clock is then left as
     *         it was
     */
    public void fixFileUpdateTime(Instant time) {
        byte[] args = new WireWriter(16).time(time).toBytes();
        run(s -> Native.storeFixFileUpdateTime(s, args));
    }

    // ---- Sleeper v0.36 transactions -------------------------------------------------------------------

    /**
     * Applies one Sleeper v0.36 transaction, given as the JSON of Sleeper's {@code TransactionSerDe}, in one
     * database transaction ({@code docs/sleeper-transactions.md}).
     * <p>
     * Synchronous is Sleeper's {@code synchronousCommit}: any invalid part raises the exception Sleeper raises and
     * nothing is applied; SPLIT_FILE_REFERENCES raises {@code SplitRequestsFailedException} and
     * REPLACE_FILE_REFERENCES {@code ReplaceRequestsFailedException}, each caused by the specific exception.
     * Asynchronous is Sleeper's state store committer: SPLIT_FILE_REFERENCES raises the specific exception
     * unwrapped; a REPLACE_FILE_REFERENCES job that is no longer valid is skipped and the others apply; an ADD_FILES
     * transaction with a file that cannot be added is skipped whole. Skipped parts are the outcome's failures.
     *
     * @param transactionType Sleeper's {@code TransactionType} name: ADD_FILES, ASSIGN_JOB_IDS, CLEAR_FILES,
     *        DELETE_FILES, INITIALISE_PARTITIONS, REPLACE_FILE_REFERENCES, SPLIT_FILE_REFERENCES, SPLIT_PARTITION
     *        or EXTEND_PARTITION_TREE
     * @param transactionJson the transaction's JSON; key values are read with the table's row key types
     * @param synchronous true for Sleeper's synchronous commit, false for its committer's apply
     * @return the parts skipped (asynchronous mode only), each with its index and exception
     * @throws IllegalArgumentException for an unknown type or JSON that is not a transaction of the type
     */
    public TransactionOutcome applyTransaction(String transactionType, String transactionJson, boolean synchronous)
            throws StateStoreException {
        Args.notNull(transactionType, "transactionType");
        Args.notNull(transactionJson, "transactionJson");
        byte[] args = new WireWriter(16 + 2 * (transactionType.length() + transactionJson.length()))
                .string(transactionType).string(transactionJson).bool(synchronous).toBytes();
        return call(s -> TransactionOutcome.read(new WireReader(Native.storeApplyTransaction(s, args))));
    }

    /**
     * Replays a table's transaction log: a file of JSON lines, one entry each,
     * {@code {"transactionNumber": 7, "updateTime": 1700000000000, "transactionType": "ADD_FILES",
     * "transaction": {...}}} (number and time optional; the transaction an object or a string holding its JSON;
     * blank lines skipped). Entries apply in order, each in a database transaction of its own and in asynchronous
     * mode, as Sleeper applies its log, with the entry's update time as the clock of everything it writes (this
     * handle's clock without one). It stops at the first entry that fails, throwing its exception; the entries
     * before it stay applied.
     * <p>
     * The file is read by the native library, from its path, so a log may be far larger than a Java array. There
     * is no progress callback in Java, unlike the core's: the core runs its callback on the native side, where
     * calling back into Java for each entry is not worth its cost.
     *
     * @param log a file of the default file system
     * @return the entries applied and every part skipped, with its entry's number
     * @throws IllegalArgumentException if the file cannot be read, or a line is not an entry (naming it)
     */
    public TransactionLogReplay applyTransactionLog(Path log) throws StateStoreException {
        Args.notNull(log, "log");
        if (log.getFileSystem() != FileSystems.getDefault()) {
            throw new IllegalArgumentException("log must be a file of the default file system, got " + log);
        }
        String path = log.toAbsolutePath().toString();
        byte[] args = new WireWriter(16 + 2 * path.length()).string(path).toBytes();
        return call(s -> TransactionLogReplay.read(new WireReader(Native.storeApplyTransactionLog(s, args))));
    }

    // ---- StateStore -----------------------------------------------------------------------------------

    /** Removes every file and partition of the table; it needs {@link #initialise()} again. */
    public void clearSleeperTable() throws StateStoreException {
        run(Native::storeClearSleeperTable);
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the handle; the client stays open. Closing again does nothing. */
    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return "PostgresStateStore{tableId='" + tableId + "', rowKeyFields=" + rowKeyFields
                + (isClosed() ? ", closed" : "") + "}";
    }
}
