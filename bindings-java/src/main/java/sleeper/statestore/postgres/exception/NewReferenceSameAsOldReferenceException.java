package sleeper.statestore.postgres.exception;

/** A compaction output has the filename of one of its inputs. */
public class NewReferenceSameAsOldReferenceException extends FileException {
    private static final long serialVersionUID = 1L;

    public NewReferenceSameAsOldReferenceException(String message, String filename) {
        super(message, filename);
    }
}
