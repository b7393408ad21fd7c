package sleeper.statestore.postgres.exception;

/** What the exceptions about one file share: its filename. Not API: each exception is Sleeper's class. */
abstract class FileException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;

    FileException(String message, String filename) {
        super(message);
        this.filename = filename;
    }

    public String getFilename() {
        return filename;
    }
}
