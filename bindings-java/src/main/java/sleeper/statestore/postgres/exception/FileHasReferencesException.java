package sleeper.statestore.postgres.exception;

/** Deleting a file record that still has references. */
public class FileHasReferencesException extends FileException {
    private static final long serialVersionUID = 1L;

    private final long referenceCount;

    public FileHasReferencesException(String message, String filename, long referenceCount) {
        super(message, filename);
        this.referenceCount = referenceCount;
    }

    public long getReferenceCount() {
        return referenceCount;
    }
}
