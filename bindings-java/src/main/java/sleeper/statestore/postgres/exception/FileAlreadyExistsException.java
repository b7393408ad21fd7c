package sleeper.statestore.postgres.exception;

/** A file added, or a compaction output, already has a record: "File already exists: F". */
public class FileAlreadyExistsException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;

    public FileAlreadyExistsException(String message, String filename) {
        super(message);
        this.filename = filename;
    }

    public String getFilename() {
        return filename;
    }
}
