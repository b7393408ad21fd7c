package sleeper.statestore.postgres.exception;

/** The database cannot be reached, answered with an unexpected error, or conflicts outlasted the retry budget; the call changed nothing. */
public class StateStoreConnectionException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    public StateStoreConnectionException(String message) {
        super(message);
    }
}
