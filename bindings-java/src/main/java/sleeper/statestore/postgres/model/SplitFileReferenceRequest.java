package sleeper.statestore.postgres.model;

import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Native;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * Replace a file's reference on {@code oldReference}'s partition by {@code newReferences}: at least one,
 * each with the old reference's filename. The store reads only the filename and partition id of the old
 * reference.
 */
public final class SplitFileReferenceRequest {
    private final FileReference oldReference;
    private final List<FileReference> newReferences;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<SplitFileReferenceRequest> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, SplitFileReferenceRequest value) {
            out.write(FileReference.WIRE, value.oldReference).list(FileReference.WIRE, value.newReferences);
        }

        @Override
        public SplitFileReferenceRequest read(WireReader in) {
            FileReference oldReference = in.read(FileReference.WIRE);
            List<FileReference> newReferences = in.list(FileReference.WIRE);
            return new SplitFileReferenceRequest(oldReference, newReferences, false);
        }
    };

    public SplitFileReferenceRequest(FileReference oldReference, List<FileReference> newReferences) {
        this(Args.notNull(oldReference, "oldReference"), Args.listOf(newReferences, "newReferences"), true);
    }

    private SplitFileReferenceRequest(FileReference oldReference, List<FileReference> newReferences,
            boolean validate) {
        this.oldReference = oldReference;
        this.newReferences = newReferences;
        if (validate) {
            WireWriter.validate(WireKind.SPLIT_REQUEST, WIRE, this);
        }
    }

    /**
     * The usual push-down of one reference into the two children of its partition: each new reference has
     * half the rows (rounded down), an approximate count, and may hold data of other partitions.
     */
    public static SplitFileReferenceRequest splitFileToChildPartitions(FileReference file, String leftPartitionId,
            String rightPartitionId) {
        Args.notNull(file, "file");
        Args.notNull(leftPartitionId, "leftPartitionId");
        Args.notNull(rightPartitionId, "rightPartitionId");
        byte[] args = new WireWriter().write(FileReference.WIRE, file).string(leftPartitionId).string(rightPartitionId)
                .toBytes();
        return new WireReader(Native.splitFileToChildPartitions(args)).read(WIRE);
    }

    public FileReference getOldReference() {
        return oldReference;
    }

    public List<FileReference> getNewReferences() {
        return newReferences;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof SplitFileReferenceRequest)) {
            return false;
        }
        SplitFileReferenceRequest that = (SplitFileReferenceRequest) other;
        return oldReference.equals(that.oldReference) && newReferences.equals(that.newReferences);
    }

    @Override
    public int hashCode() {
        return Objects.hash(oldReference, newReferences);
    }

    @Override
    public String toString() {
        return "SplitFileReferenceRequest{oldReference=" + oldReference + ", newReferences=" + newReferences + "}";
    }
}
