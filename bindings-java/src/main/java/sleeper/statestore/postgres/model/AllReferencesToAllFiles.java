package sleeper.statestore.postgres.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * The report of getAllFilesWithMaxUnreferenced: files sorted by filename, and whether unreferenced files
 * were left out because of the limit. Two reports are equal when they hold equal files and the same flag.
 */
public final class AllReferencesToAllFiles {
    private final List<AllReferencesToAFile> files;
    private final boolean moreThanMax;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<AllReferencesToAllFiles> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, AllReferencesToAllFiles value) {
            out.list(AllReferencesToAFile.WIRE, value.files).bool(value.moreThanMax);
        }

        @Override
        public AllReferencesToAllFiles read(WireReader in) {
            List<AllReferencesToAFile> files = in.list(AllReferencesToAFile.WIRE);
            boolean moreThanMax = in.bool();
            return new AllReferencesToAllFiles(files, moreThanMax, false);
        }
    };

    public AllReferencesToAllFiles(List<AllReferencesToAFile> files, boolean moreThanMax) {
        this(Args.listOf(files, "files"), moreThanMax, true);
    }

    /** {@code validate} changes nothing: the core has no rule for a report beyond the public constructor's checks. */
    private AllReferencesToAllFiles(List<AllReferencesToAFile> files, boolean moreThanMax, boolean validate) {
        this.files = files;
        this.moreThanMax = moreThanMax;
    }

    /** Every file in the report, by filename. */
    public List<AllReferencesToAFile> getFiles() {
        return files;
    }

    /** The files with at least one reference, by filename. */
    public List<AllReferencesToAFile> getFilesWithReferences() {
        return select(true);
    }

    /** The files with no references, by filename. */
    public List<AllReferencesToAFile> getFilesWithNoReferences() {
        return select(false);
    }

    private List<AllReferencesToAFile> select(boolean referenced) {
        List<AllReferencesToAFile> selected = new ArrayList<>();
        for (AllReferencesToAFile file : files) {
            if (file.getReferences().isEmpty() != referenced) {
                selected.add(file);
            }
        }
        return Collections.unmodifiableList(selected);
    }

    /** True iff unreferenced files were left out because of the limit. */
    public boolean isMoreThanMax() {
        return moreThanMax;
    }

    /** The references of the referenced files, by filename then partition id. */
    public List<FileReference> listFileReferences() {
        List<FileReference> references = new ArrayList<>();
        for (AllReferencesToAFile file : files) {
            references.addAll(file.getReferences());
        }
        return Collections.unmodifiableList(references);
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof AllReferencesToAllFiles)) {
            return false;
        }
        AllReferencesToAllFiles that = (AllReferencesToAllFiles) other;
        return moreThanMax == that.moreThanMax && files.equals(that.files);
    }

    @Override
    public int hashCode() {
        return Objects.hash(files, moreThanMax);
    }

    @Override
    public String toString() {
        return "AllReferencesToAllFiles{moreThanMax=" + moreThanMax + ", files=" + files + "}";
    }
}
