package sleeper.statestore.postgres;

import java.lang.ref.Reference;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.NativeHandle;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The state of one Sleeper table: the methods of Sleeper's {@code PartitionStore} and
 * {@code FileReferenceStore}, with their names and argument order. Every call is one PostgreSQL
 * transaction, all or nothing; behaviour is that of {@code CONTRACT.md}. Any number of threads may call
 * one store at once. Invalid arguments raise IllegalArgumentException (null ones NullPointerException)
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

    private long acquire() {
        client.checkOpen();
        return handle.acquire();
    }

    private void release() {
        handle.release();
        Reference.reachabilityFence(this);
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
        long store = acquire();
        try {
            Native.storeInitialise(store);
        } finally {
            release();
        }
    }

    /** Replaces all partitions with exactly {@code partitions}, once checked to form a valid tree. */
    public void initialise(List<Partition> partitions) throws StateStoreException {
        byte[] args = new WireWriter(256).partitions(Args.noNulls(partitions, "partitions")).toBytes();
        long store = acquire();
        try {
            Native.storeInitialiseWithPartitions(store, args);
        } finally {
            release();
        }
    }

    /** Every partition, by id. */
    public List<Partition> getAllPartitions() throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetAllPartitions(store)).partitions();
        } finally {
            release();
        }
    }

    /** The leaf partitions, by id. */
    public List<Partition> getLeafPartitions() throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetLeafPartitions(store)).partitions();
        } finally {
            release();
        }
    }

    /** @throws sleeper.statestore.postgres.exception.PartitionNotFoundException for an unknown id */
    public Partition getPartition(String partitionId) throws StateStoreException {
        byte[] args = new WireWriter(16 + 2 * Args.notNull(partitionId, "partitionId").length())
                .string(partitionId).toBytes();
        long store = acquire();
        try {
            return new WireReader(Native.storeGetPartition(store, args)).partition();
        } finally {
            release();
        }
    }

    /** Splits a leaf: stores {@code splitPartition}, now with two children, and the two new partitions. */
    public void atomicallyUpdatePartitionAndCreateNewOnes(Partition splitPartition, Partition newPartition1,
            Partition newPartition2) throws StateStoreException {
        byte[] args = new WireWriter(512).partition(Args.notNull(splitPartition, "splitPartition"))
                .partition(Args.notNull(newPartition1, "newPartition1"))
                .partition(Args.notNull(newPartition2, "newPartition2")).toBytes();
        long store = acquire();
        try {
            Native.storeAtomicallyUpdatePartitionAndCreateNewOnes(store, args);
        } finally {
            release();
        }
    }

    /** Removes every partition; files stay. The table needs {@link #initialise()} again. */
    public void clearPartitionData() throws StateStoreException {
        long store = acquire();
        try {
            Native.storeClearPartitionData(store);
        } finally {
            release();
        }
    }

    /** Partition writes through this handle use {@code time} as now; null returns to the database clock. */
    public void fixPartitionUpdateTime(Instant time) {
        byte[] args = new WireWriter(16).time(time).toBytes();
        long store = acquire();
        try {
            Native.storeFixPartitionUpdateTime(store, args);
        } finally {
            release();
        }
    }

    // ---- FileReferenceStore ---------------------------------------------------------------------------

    /** Exactly {@code addFiles(List.of(fileReference))}. */
    public void addFile(FileReference fileReference) throws StateStoreException {
        byte[] args = new WireWriter(128).fileReference(Args.notNull(fileReference, "fileReference")).toBytes();
        long store = acquire();
        try {
            Native.storeAddFile(store, args);
        } finally {
            release();
        }
    }

    /** Adds new files from their references, grouped by filename. */
    public void addFiles(List<FileReference> fileReferences) throws StateStoreException {
        Args.noNulls(fileReferences, "fileReferences");
        byte[] args = new WireWriter(16 + fileReferences.size() * 128).fileReferences(fileReferences).toBytes();
        long store = acquire();
        try {
            Native.storeAddFiles(store, args);
        } finally {
            release();
        }
    }

    /** Adds new files, each with zero or more references. */
    public void addFilesWithReferences(List<AllReferencesToAFile> files) throws StateStoreException {
        Args.noNulls(files, "files");
        byte[] args = new WireWriter(16 + files.size() * 160).files(files).toBytes();
        long store = acquire();
        try {
            Native.storeAddFilesWithReferences(store, args);
        } finally {
            release();
        }
    }

    /**
     * Replaces references by new ones on other partitions; all requests apply or none.
     *
     * @throws sleeper.statestore.postgres.exception.SplitRequestsFailedException if any request fails
     */
    public void splitFileReferences(List<SplitFileReferenceRequest> splitRequests) throws StateStoreException {
        Args.noNulls(splitRequests, "splitRequests");
        byte[] args = new WireWriter(16 + splitRequests.size() * 384).splitRequests(splitRequests).toBytes();
        long store = acquire();
        try {
            Native.storeSplitFileReferences(store, args);
        } finally {
            release();
        }
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
        long store = acquire();
        try {
            Native.storeAtomicallyReplaceFileReferencesWithNewOnes(store, args);
        } finally {
            release();
        }
    }

    /** Assigns each request's job to the named files' references on its partition. */
    public void assignJobIds(List<AssignJobIdRequest> requests) throws StateStoreException {
        Args.noNulls(requests, "requests");
        byte[] args = new WireWriter(16 + requests.size() * 256).assignRequests(requests).toBytes();
        long store = acquire();
        try {
            Native.storeAssignJobIds(store, args);
        } finally {
            release();
        }
    }

    /** Removes the records of garbage-collected files, which must have no references left. */
    public void deleteGarbageCollectedFileReferenceCounts(List<String> filenames) throws StateStoreException {
        Args.noNulls(filenames, "filenames");
        byte[] args = new WireWriter(16 + filenames.size() * 128).strings(filenames).toBytes();
        long store = acquire();
        try {
            Native.storeDeleteGarbageCollectedFileReferenceCounts(store, args);
        } finally {
            release();
        }
    }

    /** Every reference of every file, by filename then partition id. */
    public List<FileReference> getFileReferences() throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetFileReferences(store)).fileReferences();
        } finally {
            release();
        }
    }

    /** The references with no job, by filename then partition id. */
    public List<FileReference> getFileReferencesWithNoJobId() throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetFileReferencesWithNoJobId(store)).fileReferences();
        } finally {
            release();
        }
    }

    /**
     * The files with no references whose last update is strictly before {@code maxUpdateTime} (truncated to
     * milliseconds), sorted. Sleeper's method returns a {@code Stream}: call {@code .stream()} on this list.
     */
    public List<String> getReadyForGCFilenamesBefore(Instant maxUpdateTime) throws StateStoreException {
        byte[] args = new WireWriter(16).time(Args.notNull(maxUpdateTime, "maxUpdateTime")).toBytes();
        long store = acquire();
        try {
            return new WireReader(Native.storeGetReadyForGCFilenamesBefore(store, args)).strings();
        } finally {
            release();
        }
    }

    /** Each partition with references, to the filenames referenced on it; keys and lists sorted. */
    public Map<String, List<String>> getPartitionToReferencedFilesMap() throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetPartitionToReferencedFilesMap(store)).partitionToFiles();
        } finally {
            release();
        }
    }

    /**
     * Every referenced file and the first {@code maxUnreferencedFiles} unreferenced ones, by filename;
     * {@link AllReferencesToAllFiles#isMoreThanMax()} tells whether any were left out.
     */
    public AllReferencesToAllFiles getAllFilesWithMaxUnreferenced(int maxUnreferencedFiles)
            throws StateStoreException {
        long store = acquire();
        try {
            return new WireReader(Native.storeGetAllFilesWithMaxUnreferenced(store, maxUnreferencedFiles)).allFiles();
        } finally {
            release();
        }
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
        long store = acquire();
        try {
            return Native.storeIsPartitionFilesAssignedToJob(store, args);
        } finally {
            release();
        }
    }

    /** True iff the table has no file record at all, referenced or not. */
    public boolean hasNoFiles() throws StateStoreException {
        long store = acquire();
        try {
            return Native.storeHasNoFiles(store);
        } finally {
            release();
        }
    }

    /** Removes every file record and reference; partitions stay. */
    public void clearFileData() throws StateStoreException {
        long store = acquire();
        try {
            Native.storeClearFileData(store);
        } finally {
            release();
        }
    }

    /** File writes through this handle use {@code time} as now; null returns to the database clock. */
    public void fixFileUpdateTime(Instant time) {
        byte[] args = new WireWriter(16).time(time).toBytes();
        long store = acquire();
        try {
            Native.storeFixFileUpdateTime(store, args);
        } finally {
            release();
        }
    }

    // ---- StateStore -----------------------------------------------------------------------------------

    /** Removes every file and partition of the table; it needs {@link #initialise()} again. */
    public void clearSleeperTable() throws StateStoreException {
        long store = acquire();
        try {
            Native.storeClearSleeperTable(store);
        } finally {
            release();
        }
    }

    /**
     * For benchmarks: the nanoseconds {@code iterations} calls of {@code getPartition(partitionId)} (or, with
     * a null id, of {@code getFileReferences()}) take in Rust, through this handle, without crossing JNI for
     * each. Not part of the state store API.
     */
    long benchmarkInRust(String partitionId, int iterations) throws StateStoreException {
        byte[] args = new WireWriter().string(partitionId).toBytes();
        long store = acquire();
        try {
            return Native.benchmark(store, partitionId == null ? 1 : 0, args, iterations);
        } finally {
            release();
        }
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
