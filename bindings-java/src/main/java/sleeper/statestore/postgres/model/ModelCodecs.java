package sleeper.statestore.postgres.model;

import sleeper.statestore.postgres.internal.ModelAccess;
import sleeper.statestore.postgres.internal.WireCodec;

/** Hands each model class's package-private codec to the wire format's Java side. */
final class ModelCodecs extends ModelAccess {
    @Override
    public WireCodec<RowKeyField> rowKeyField() {
        return RowKeyField.WIRE;
    }

    @Override
    public WireCodec<Range> range() {
        return Range.WIRE;
    }

    @Override
    public WireCodec<Region> region() {
        return Region.WIRE;
    }

    @Override
    public WireCodec<Partition> partition() {
        return Partition.WIRE;
    }

    @Override
    public WireCodec<FileReference> fileReference() {
        return FileReference.WIRE;
    }

    @Override
    public WireCodec<AllReferencesToAFile> file() {
        return AllReferencesToAFile.WIRE;
    }

    @Override
    public WireCodec<AllReferencesToAllFiles> allFiles() {
        return AllReferencesToAllFiles.WIRE;
    }

    @Override
    public WireCodec<SplitFileReferenceRequest> splitRequest() {
        return SplitFileReferenceRequest.WIRE;
    }

    @Override
    public WireCodec<ReplaceFileReferencesRequest> replaceRequest() {
        return ReplaceFileReferencesRequest.WIRE;
    }

    @Override
    public WireCodec<AssignJobIdRequest> assignRequest() {
        return AssignJobIdRequest.WIRE;
    }

    @Override
    public WireCodec<CheckFileAssignmentsRequest> checkRequest() {
        return CheckFileAssignmentsRequest.WIRE;
    }
}
