package sleeper.statestore.postgres.exception;

/** A file added, or a compaction output, already has a record: "File already exists: F". */
public class FileAlreadyExistsException extends FileException {
    private static final long serialVersionUID = 1L;

    public FileAlreadyExistsException(String message, String filename) {
        super(message, filename);
    }
}
