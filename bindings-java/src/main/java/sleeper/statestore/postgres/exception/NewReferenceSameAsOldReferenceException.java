package sleeper.statestore.postgres.exception;

/** A compaction output has the filename of one of its inputs. */
public class NewReferenceSameAsOldReferenceException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;

    public NewReferenceSameAsOldReferenceException(String message, String filename) {
        super(message);
        this.filename = filename;
    }

    public String getFilename() {
        return filename;
    }
}
