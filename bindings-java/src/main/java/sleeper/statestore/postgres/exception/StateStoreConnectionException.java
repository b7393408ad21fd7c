package sleeper.statestore.postgres.exception;

/**
 * The database cannot be reached, answered with an unexpected error, or conflicts outlasted the retry
 * budget; the call changed nothing. {@link #getSqlState()} is the SQLSTATE code the database answered
 * with, when it answered with an error.
 */
public class StateStoreConnectionException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public StateStoreConnectionException(String message) {
        this(message, null);
    }

    public StateStoreConnectionException(String message, String sqlState) {
        super(message);
        this.sqlState = sqlState;
    }

    /** The database's SQLSTATE code ({@code 40001} for a serialization failure), or null when it has none. */
    public String getSqlState() {
        return sqlState;
    }
}
