package sleeper.statestore.postgres.model;

import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * Whether {@code jobId} is assigned to the reference of each named file on {@code partitionId}: one request
 * of {@code PostgresStateStore.isAssigned} (Sleeper's {@code CheckFileAssignmentsRequest}).
 */
public final class CheckFileAssignmentsRequest {
    private final String jobId;
    private final List<String> filenames;
    private final String partitionId;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<CheckFileAssignmentsRequest> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, CheckFileAssignmentsRequest value) {
            out.string(value.jobId).strings(value.filenames).string(value.partitionId);
        }

        @Override
        public CheckFileAssignmentsRequest read(WireReader in) {
            String jobId = in.string();
            List<String> filenames = in.strings();
            String partitionId = in.string();
            return new CheckFileAssignmentsRequest(jobId, filenames, partitionId, false);
        }
    };

    private CheckFileAssignmentsRequest(String jobId, List<String> filenames, String partitionId, boolean validate) {
        this.jobId = jobId;
        this.filenames = filenames;
        this.partitionId = partitionId;
        if (validate) {
            WireWriter.validate(WireKind.CHECK_REQUEST, WIRE, this);
        }
    }

    /** Sleeper's factory: is {@code jobId} assigned to each of {@code filenames} on {@code partitionId}? */
    public static CheckFileAssignmentsRequest isJobAssignedToFilesOnPartition(String jobId, List<String> filenames,
            String partitionId) {
        return new CheckFileAssignmentsRequest(Args.notNull(jobId, "jobId"), Args.listOf(filenames, "filenames"),
                Args.notNull(partitionId, "partitionId"), true);
    }

    public String getJobId() {
        return jobId;
    }

    public List<String> getFilenames() {
        return filenames;
    }

    public String getPartitionId() {
        return partitionId;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof CheckFileAssignmentsRequest)) {
            return false;
        }
        CheckFileAssignmentsRequest that = (CheckFileAssignmentsRequest) other;
        return jobId.equals(that.jobId) && filenames.equals(that.filenames) && partitionId.equals(that.partitionId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jobId, filenames, partitionId);
    }

    @Override
    public String toString() {
        return "CheckFileAssignmentsRequest{jobId='" + jobId + "', filenames=" + filenames + ", partitionId='"
                + partitionId + "'}";
    }
}
