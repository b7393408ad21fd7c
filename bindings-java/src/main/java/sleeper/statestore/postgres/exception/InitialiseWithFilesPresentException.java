package sleeper.statestore.postgres.exception;

/** Initialising the partitions of a table that has file records: "Cannot initialise state store when files are present". */
public class InitialiseWithFilesPresentException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    public InitialiseWithFilesPresentException(String message) {
        super(message);
    }
}
