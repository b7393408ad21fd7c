package sleeper.statestore.postgres.exception;

/** The table does not exist or was deleted: Table not found with ID "T". */
public class TableNotFoundException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String tableId;

    public TableNotFoundException(String message, String tableId) {
        super(message);
        this.tableId = tableId;
    }

    public String getTableId() {
        return tableId;
    }
}
