package sleeper.statestore.postgres.exception;

/** The reference already has a job; {@link #getJobId()} is that job. */
public class FileReferenceAssignedToJobException extends FileReferenceJobException {
    private static final long serialVersionUID = 1L;

    public FileReferenceAssignedToJobException(String message, String filename, String partitionId, String jobId) {
        super(message, filename, partitionId, jobId);
    }
}
