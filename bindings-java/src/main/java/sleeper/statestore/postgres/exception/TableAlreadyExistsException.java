package sleeper.statestore.postgres.exception;

/** Creating a table whose id is taken: "Table already exists: T". */
public class TableAlreadyExistsException extends TableException {
    private static final long serialVersionUID = 1L;

    public TableAlreadyExistsException(String message, String tableId) {
        super(message, tableId);
    }
}
