package sleeper.statestore.postgres.exception;

/** Splitting, replacing or deleting for a filename with no file record: "File not found: F". */
public class FileNotFoundException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;

    public FileNotFoundException(String message, String filename) {
        super(message);
        this.filename = filename;
    }

    public String getFilename() {
        return filename;
    }
}
