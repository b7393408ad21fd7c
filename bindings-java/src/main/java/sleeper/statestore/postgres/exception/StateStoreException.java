package sleeper.statestore.postgres.exception;

/**
 * A state store call failed. Thrown plain when a partition tree or a split fails validation; every
 * specific failure is a subclass.
 */
public class StateStoreException extends Exception {
    private static final long serialVersionUID = 1L;

    public StateStoreException(String message) {
        super(message);
    }

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
