package sleeper.statestore.postgres.exception;

/** A compaction input is not assigned to the job committing it; {@link #getJobId()} is that job. */
public class FileReferenceNotAssignedToJobException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;
    private final String partitionId;
    private final String jobId;

    public FileReferenceNotAssignedToJobException(String message, String filename, String partitionId, String jobId) {
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
