package sleeper.statestore.postgres.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * One file and all its references. Read from the store, the references are sorted by partition id and
 * the time is the file-level time; as input (addFilesWithReferences) the time is ignored and every
 * reference must carry the file's filename. Equality covers the filename, the time and the references
 * in order.
 */
public final class AllReferencesToAFile {
    private final String filename;
    private final List<FileReference> references;
    private final Instant lastUpdateTime;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<AllReferencesToAFile> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, AllReferencesToAFile value) {
            out.string(value.filename).list(FileReference.WIRE, value.references).time(value.lastUpdateTime);
        }

        @Override
        public AllReferencesToAFile read(WireReader in) {
            String filename = in.string();
            List<FileReference> references = in.list(FileReference.WIRE);
            Instant lastUpdateTime = in.time();
            return new AllReferencesToAFile(filename, references, lastUpdateTime, false);
        }
    };

    public AllReferencesToAFile(String filename, List<FileReference> references) {
        this(filename, references, null);
    }

    public AllReferencesToAFile(String filename, List<FileReference> references, Instant lastUpdateTime) {
        this(Args.notNull(filename, "filename"), Args.listOf(references, "references"), lastUpdateTime, true);
    }

    private AllReferencesToAFile(String filename, List<FileReference> references, Instant lastUpdateTime,
            boolean validate) {
        this.filename = filename;
        this.references = references;
        this.lastUpdateTime = lastUpdateTime;
        if (validate) {
            WireWriter.validate(WireKind.FILE, WIRE, this);
        }
    }

    public String getFilename() {
        return filename;
    }

    public List<FileReference> getReferences() {
        return references;
    }

    public int getReferenceCount() {
        return references.size();
    }

    /** When the last write that touched the file ran; null on input. */
    public Instant getLastUpdateTime() {
        return lastUpdateTime;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof AllReferencesToAFile)) {
            return false;
        }
        AllReferencesToAFile that = (AllReferencesToAFile) other;
        return filename.equals(that.filename) && references.equals(that.references)
                && Objects.equals(lastUpdateTime, that.lastUpdateTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(filename, references, lastUpdateTime);
    }

    @Override
    public String toString() {
        return "AllReferencesToAFile{filename='" + filename + "', lastUpdateTime=" + lastUpdateTime
                + ", references=" + references + "}";
    }
}
