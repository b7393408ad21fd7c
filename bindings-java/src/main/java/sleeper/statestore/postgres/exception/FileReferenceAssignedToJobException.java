package sleeper.statestore.postgres.exception;

/** The reference already has a job; {@link #getJobId()} is that job. */
public class FileReferenceAssignedToJobException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;
    private final String partitionId;
    private final String jobId;

    public FileReferenceAssignedToJobException(String message, String filename, String partitionId, String jobId) {
        super(message);
        this.filename = filename;
        this.partitionId = partitionId;
        this.jobId = jobId;
    }

    public String getFilename() {
        return filename;
    }

    public String getPartitionId() {
        return partitionId;
    }

    public String getJobId() {
        return jobId;
    }
}
