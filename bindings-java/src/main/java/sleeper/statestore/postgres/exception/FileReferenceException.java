package sleeper.statestore.postgres.exception;

/** What the exceptions about one file's reference on a partition share. Not API. */
abstract class FileReferenceException extends FileException {
    private static final long serialVersionUID = 1L;

    private final String partitionId;

    FileReferenceException(String message, String filename, String partitionId) {
        super(message, filename);
        this.partitionId = partitionId;
    }

    public String getPartitionId() {
        return partitionId;
    }
}
