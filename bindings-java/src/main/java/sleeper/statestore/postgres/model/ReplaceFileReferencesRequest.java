package sleeper.statestore.postgres.model;

import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * The commit of one compaction job: remove the reference of each input file on {@code partitionId} (each
 * must be assigned to {@code jobId}) and add the output file, whose only reference is {@code newReference}.
 */
public final class ReplaceFileReferencesRequest {
    private final String jobId;
    private final String partitionId;
    private final List<String> inputFiles;
    private final FileReference newReference;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<ReplaceFileReferencesRequest> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, ReplaceFileReferencesRequest value) {
            out.string(value.jobId).string(value.partitionId).strings(value.inputFiles)
                    .write(FileReference.WIRE, value.newReference);
        }

        @Override
        public ReplaceFileReferencesRequest read(WireReader in) {
            String jobId = in.string();
            String partitionId = in.string();
            List<String> inputFiles = in.strings();
            FileReference newReference = in.read(FileReference.WIRE);
            return new ReplaceFileReferencesRequest(jobId, partitionId, inputFiles, newReference, false);
        }
    };

    public ReplaceFileReferencesRequest(String jobId, String partitionId, List<String> inputFiles,
            FileReference newReference) {
        this(Args.notNull(jobId, "jobId"), Args.notNull(partitionId, "partitionId"),
                Args.listOf(inputFiles, "inputFiles"), Args.notNull(newReference, "newReference"), true);
    }

    private ReplaceFileReferencesRequest(String jobId, String partitionId, List<String> inputFiles,
            FileReference newReference, boolean validate) {
        this.jobId = jobId;
        this.partitionId = partitionId;
        this.inputFiles = inputFiles;
        this.newReference = newReference;
        if (validate) {
            WireWriter.validate(WireKind.REPLACE_REQUEST, WIRE, this);
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public String getJobId() {
        return jobId;
    }

    public String getPartitionId() {
        return partitionId;
    }

    public List<String> getInputFiles() {
        return inputFiles;
    }

    public FileReference getNewReference() {
        return newReference;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof ReplaceFileReferencesRequest)) {
            return false;
        }
        ReplaceFileReferencesRequest that = (ReplaceFileReferencesRequest) other;
        return jobId.equals(that.jobId) && partitionId.equals(that.partitionId) && inputFiles.equals(that.inputFiles)
                && newReference.equals(that.newReference);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jobId, partitionId, inputFiles, newReference);
    }

    @Override
    public String toString() {
        return "ReplaceFileReferencesRequest{jobId='" + jobId + "', partitionId='" + partitionId + "', inputFiles="
                + inputFiles + ", newReference=" + newReference + "}";
    }

    /** Builds a request; every field is required. */
    public static final class Builder {
        private String jobId;
        private String partitionId;
        private List<String> inputFiles;
        private FileReference newReference;

        private Builder() {
        }

        public Builder jobId(String jobId) {
            this.jobId = jobId;
            return this;
        }

        public Builder partitionId(String partitionId) {
            this.partitionId = partitionId;
            return this;
        }

        public Builder inputFiles(List<String> inputFiles) {
            this.inputFiles = inputFiles;
            return this;
        }

        public Builder newReference(FileReference newReference) {
            this.newReference = newReference;
            return this;
        }

        public ReplaceFileReferencesRequest build() {
            return new ReplaceFileReferencesRequest(jobId, partitionId, inputFiles, newReference);
        }
    }
}
