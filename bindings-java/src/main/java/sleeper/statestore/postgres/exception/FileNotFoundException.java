package sleeper.statestore.postgres.exception;

/** Splitting, replacing or deleting for a filename with no file record: "File not found: F". */
public class FileNotFoundException extends FileException {
    private static final long serialVersionUID = 1L;

    public FileNotFoundException(String message, String filename) {
        super(message, filename);
    }
}
