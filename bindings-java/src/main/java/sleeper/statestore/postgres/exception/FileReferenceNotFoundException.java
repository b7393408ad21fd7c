package sleeper.statestore.postgres.exception;

/** The file has no reference on the partition: "File reference not found in partition P, filename F". */
public class FileReferenceNotFoundException extends FileReferenceException {
    private static final long serialVersionUID = 1L;

    public FileReferenceNotFoundException(String message, String filename, String partitionId) {
        super(message, filename, partitionId);
    }
}
