package sleeper.statestore.postgres.internal;

import sleeper.statestore.postgres.exception.StateStoreException;

/**
 * The native methods: one per operation, each one line of the JNI crate's table ({@code lib.rs}).
 * Arguments and answers travel as one {@code byte[]} in the format of {@link WireWriter} and
 * {@link WireReader}; errors arrive as exceptions built by {@link Errors#create}. Handles are valid only
 * while held through a {@link NativeHandle}. Internal.
 */
public final class Native {
    static {
        NativeLibrary.load();
    }

    private Native() {
    }

    /** Makes sure the library is loaded. */
    public static void ensureLoaded() {
        // Running the static initialiser is the point.
    }

    public static native long clientConnect(byte[] options) throws StateStoreException;

    public static native void clientClose(long client) throws StateStoreException;

    public static native void clientFree(long client);

    public static native byte[] clientCreateTable(long client, byte[] args) throws StateStoreException;

    public static native byte[] clientTable(long client, byte[] tableId) throws StateStoreException;

    public static native byte[] clientListTables(long client) throws StateStoreException;

    public static native byte[] clientStats(long client) throws StateStoreException;

    public static native void clientDeleteTable(long client, byte[] tableId) throws StateStoreException;

    public static native void storeFree(long store);

    public static native void storeInitialise(long store) throws StateStoreException;

    public static native void storeInitialiseWithPartitions(long store, byte[] partitions) throws StateStoreException;

    public static native byte[] storeGetFileReferencesOnPartitions(long store, byte[] partitionIds)
            throws StateStoreException;

    public static native byte[] storeGetPartitionToReferencedFilesMapOnPartitions(long store, byte[] partitionIds)
            throws StateStoreException;

    public static native byte[] storeGetPartitionsInRegion(long store, byte[] region) throws StateStoreException;

    public static native byte[] storeGetPartitionToReferencedFilesMapInRegion(long store, byte[] region)
            throws StateStoreException;

    public static native void storeGetFileReferencesArrow(long store, byte[] scope, long stream)
            throws StateStoreException;

    public static native void storeGetPartitionsArrow(long store, byte[] scope, long stream)
            throws StateStoreException;

    public static native byte[] storeGetAllPartitions(long store) throws StateStoreException;

    public static native byte[] storeGetLeafPartitions(long store) throws StateStoreException;

    public static native byte[] storeGetPartition(long store, byte[] partitionId) throws StateStoreException;

    public static native void storeAtomicallyUpdatePartitionAndCreateNewOnes(long store, byte[] partitions)
            throws StateStoreException;

    public static native void storeSplitPartition(long store, byte[] args) throws StateStoreException;

    public static native void storeExtendPartitionTree(long store, byte[] args) throws StateStoreException;

    public static native void storeClearPartitionData(long store) throws StateStoreException;

    public static native void storeFixPartitionUpdateTime(long store, byte[] time);

    public static native void storeAddFile(long store, byte[] reference) throws StateStoreException;

    public static native void storeAddFiles(long store, byte[] references) throws StateStoreException;

    public static native void storeAddFilesWithReferences(long store, byte[] files) throws StateStoreException;

    public static native void storeSplitFileReferences(long store, byte[] requests) throws StateStoreException;

    public static native void storeAtomicallyReplaceFileReferencesWithNewOnes(long store, byte[] requests)
            throws StateStoreException;

    public static native void storeAssignJobIds(long store, byte[] requests) throws StateStoreException;

    public static native void storeDeleteGarbageCollectedFileReferenceCounts(long store, byte[] filenames)
            throws StateStoreException;

    public static native byte[] storeGetFileReferences(long store) throws StateStoreException;

    public static native byte[] storeGetFileReferencesWithNoJobId(long store) throws StateStoreException;

    public static native byte[] storeGetReadyForGCFilenamesBefore(long store, byte[] time) throws StateStoreException;

    public static native byte[] storeGetPartitionToReferencedFilesMap(long store) throws StateStoreException;

    public static native byte[] storeGetAllFilesWithMaxUnreferenced(long store, int maxUnreferencedFiles)
            throws StateStoreException;

    public static native boolean storeIsPartitionFilesAssignedToJob(long store, byte[] args) throws StateStoreException;

    public static native boolean storeIsAssigned(long store, byte[] requests) throws StateStoreException;

    public static native boolean storeHasNoFiles(long store) throws StateStoreException;

    public static native byte[] storeStatus(long store) throws StateStoreException;

    /** The answer is the entries: each its number, time (microseconds), type, JSON or none, and four counts. */
    public static native byte[] storeReadChanges(long store, long after, int limit) throws StateStoreException;

    /** As {@link #storeReadChanges}, waiting up to {@code timeoutMillis} for an entry if there is none yet. */
    public static native byte[] storeWaitForChanges(long store, long after, int limit, long timeoutMillis)
            throws StateStoreException;

    public static native long storeDeleteChangesThrough(long store, long sequence) throws StateStoreException;

    public static native void storeClearFileData(long store) throws StateStoreException;

    public static native void storeFixFileUpdateTime(long store, byte[] time);

    public static native void storeClearSleeperTable(long store) throws StateStoreException;

    /** The answer is the outcome's failures: each an index and an encoded error. */
    public static native byte[] storeApplyTransaction(long store, byte[] args) throws StateStoreException;

    /** The answer is the entries applied, then each failure: entry number, index and encoded error. */
    public static native byte[] storeApplyTransactionLog(long store, byte[] logPath) throws StateStoreException;

    /** Starts a cluster with the options set: the answer is its handle and URL. */
    public static native byte[] localPostgresStart(byte[] options) throws StateStoreException;

    public static native byte[] localPostgresStartReplica(long localPostgres) throws StateStoreException;

    public static native void localPostgresStop(long localPostgres);

    /** The core's validation of one model object; {@code kind} is one of {@link WireKind}. */
    public static native void validate(int kind, byte[] model);

    public static native byte[] splitFileToChildPartitions(byte[] args);

    public static native byte[] partitionsFromSplitPoints(byte[] args);
}
