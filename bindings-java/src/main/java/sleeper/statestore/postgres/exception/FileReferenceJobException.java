package sleeper.statestore.postgres.exception;

/** What the exceptions about a reference and a job share. Not API. */
abstract class FileReferenceJobException extends FileReferenceException {
    private static final long serialVersionUID = 1L;

    private final String jobId;

    FileReferenceJobException(String message, String filename, String partitionId, String jobId) {
        super(message, filename, partitionId);
        this.jobId = jobId;
    }

    public String getJobId() {
        return jobId;
    }
}
