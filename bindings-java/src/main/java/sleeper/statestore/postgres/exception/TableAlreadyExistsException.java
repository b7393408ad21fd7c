package sleeper.statestore.postgres.exception;

/** Creating a table whose id is taken: "Table already exists: T". */
public class TableAlreadyExistsException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String tableId;

    public TableAlreadyExistsException(String message, String tableId) {
        super(message);
        this.tableId = tableId;
    }

    public String getTableId() {
        return tableId;
    }
}
