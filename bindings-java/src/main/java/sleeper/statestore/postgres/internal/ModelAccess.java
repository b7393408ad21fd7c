package sleeper.statestore.postgres.internal;

import java.time.Instant;
import java.util.List;

import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * Builds model objects from values the store returned, without validating them again (the public
 * constructors validate through native code, which would cost a call per object). The model package
 * registers its implementation; lists passed in must be unmodifiable already. Internal.
 */
public abstract class ModelAccess {
    private static volatile ModelAccess instance;

    /** Called once by the model package. */
    public static synchronized void register(ModelAccess access) {
        if (instance == null) {
            instance = access;
        }
    }

    public static ModelAccess get() {
        ModelAccess access = instance;
        if (access == null) {
            try {
                // Its static initialiser registers the model package's implementation.
                Class.forName(FileReference.class.getName(), true, FileReference.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
            access = instance;
        }
        return access;
    }

    public abstract RowKeyField rowKeyField(String name, KeyType type);

    public abstract Range range(String fieldName, Object min, Object max);

    public abstract Region region(List<Range> ranges);

    public abstract Partition partition(String id, Region region, boolean leaf, String parentId,
            List<String> childIds, int dimension);

    public abstract FileReference fileReference(String filename, String partitionId, long numberOfRows,
            String jobId, Instant lastUpdateTime, boolean countApproximate, boolean onlyContainsDataForThisPartition);

    public abstract AllReferencesToAFile file(String filename, List<FileReference> references, Instant lastUpdateTime);

    public abstract AllReferencesToAllFiles allFiles(List<AllReferencesToAFile> files, boolean moreThanMax);

    public abstract SplitFileReferenceRequest splitRequest(FileReference oldReference,
            List<FileReference> newReferences);

    public abstract ReplaceFileReferencesRequest replaceRequest(String jobId, String partitionId,
            List<String> inputFiles, FileReference newReference);
}
