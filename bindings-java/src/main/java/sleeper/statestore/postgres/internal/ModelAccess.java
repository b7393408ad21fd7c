package sleeper.statestore.postgres.internal;

import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The {@link WireCodec} of each model class, which the model package keeps package-private (a codec builds
 * objects through the private constructor that skips validation) and hands over by registering its
 * implementation. One method per class, none per field: a new field changes only its class. Internal.
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

    public abstract WireCodec<RowKeyField> rowKeyField();

    public abstract WireCodec<Range> range();

    public abstract WireCodec<Region> region();

    public abstract WireCodec<Partition> partition();

    public abstract WireCodec<FileReference> fileReference();

    public abstract WireCodec<AllReferencesToAFile> file();

    public abstract WireCodec<AllReferencesToAllFiles> allFiles();

    public abstract WireCodec<SplitFileReferenceRequest> splitRequest();

    public abstract WireCodec<ReplaceFileReferencesRequest> replaceRequest();

    public abstract WireCodec<AssignJobIdRequest> assignRequest();

    public abstract WireCodec<CheckFileAssignmentsRequest> checkRequest();
}
