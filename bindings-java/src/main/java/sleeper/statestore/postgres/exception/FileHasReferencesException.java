package sleeper.statestore.postgres.exception;

/** Deleting a file record that still has references. */
public class FileHasReferencesException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;
    private final long referenceCount;

    public FileHasReferencesException(String message, String filename, long referenceCount) {
        super(message);
        this.filename = filename;
        this.referenceCount = referenceCount;
    }

    public String getFilename() {
        return filename;
    }

    public long getReferenceCount() {
        return referenceCount;
    }
}
