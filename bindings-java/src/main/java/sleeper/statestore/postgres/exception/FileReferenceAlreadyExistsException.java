package sleeper.statestore.postgres.exception;

/** The file already has a reference on the partition: "Reference to file already exists in partition P, filename F". */
public class FileReferenceAlreadyExistsException extends FileReferenceException {
    private static final long serialVersionUID = 1L;

    public FileReferenceAlreadyExistsException(String message, String filename, String partitionId) {
        super(message, filename, partitionId);
    }
}
