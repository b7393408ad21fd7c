package sleeper.statestore.postgres.exception;

/** A compaction input is not assigned to the job committing it; {@link #getJobId()} is that job. */
public class FileReferenceNotAssignedToJobException extends FileReferenceJobException {
    private static final long serialVersionUID = 1L;

    public FileReferenceNotAssignedToJobException(String message, String filename, String partitionId, String jobId) {
        super(message, filename, partitionId, jobId);
    }
}
