package sleeper.statestore.postgres.exception;

/** The table does not exist or was deleted: Table not found with ID "T". */
public class TableNotFoundException extends TableException {
    private static final long serialVersionUID = 1L;

    public TableNotFoundException(String message, String tableId) {
        super(message, tableId);
    }
}
