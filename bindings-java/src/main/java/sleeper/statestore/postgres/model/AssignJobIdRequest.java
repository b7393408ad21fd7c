package sleeper.statestore.postgres.model;

import java.util.List;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/** Assign {@code jobId} to the reference of each named file on {@code partitionId}. */
public final class AssignJobIdRequest {
    private final String jobId;
    private final String partitionId;
    private final List<String> filenames;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<AssignJobIdRequest> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, AssignJobIdRequest value) {
            out.string(value.jobId).string(value.partitionId).strings(value.filenames);
        }

        @Override
        public AssignJobIdRequest read(WireReader in) {
            String jobId = in.string();
            String partitionId = in.string();
            List<String> filenames = in.strings();
            return new AssignJobIdRequest(jobId, partitionId, filenames, false);
        }
    };

    public AssignJobIdRequest(String jobId, String partitionId, List<String> filenames) {
        this(Args.notNull(jobId, "jobId"), Args.notNull(partitionId, "partitionId"),
                Args.listOf(filenames, "filenames"), true);
    }

    private AssignJobIdRequest(String jobId, String partitionId, List<String> filenames, boolean validate) {
        this.jobId = jobId;
        this.partitionId = partitionId;
        this.filenames = filenames;
        if (validate) {
            WireWriter.validate(WireKind.ASSIGN_REQUEST, WIRE, this);
        }
    }

    /** Sleeper's name for the constructor. */
    public static AssignJobIdRequest assignJobOnPartitionToFiles(String jobId, String partitionId,
            List<String> filenames) {
        return new AssignJobIdRequest(jobId, partitionId, filenames);
    }

    public String getJobId() {
        return jobId;
    }

    public String getPartitionId() {
        return partitionId;
    }

    public List<String> getFilenames() {
        return filenames;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof AssignJobIdRequest)) {
            return false;
        }
        AssignJobIdRequest that = (AssignJobIdRequest) other;
        return jobId.equals(that.jobId) && partitionId.equals(that.partitionId) && filenames.equals(that.filenames);
    }

    @Override
    public int hashCode() {
        return Objects.hash(jobId, partitionId, filenames);
    }

    @Override
    public String toString() {
        return "AssignJobIdRequest{jobId='" + jobId + "', partitionId='" + partitionId + "', filenames=" + filenames
                + "}";
    }
}
