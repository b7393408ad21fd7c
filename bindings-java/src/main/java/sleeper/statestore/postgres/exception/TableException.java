package sleeper.statestore.postgres.exception;

/** What the exceptions about a table share: its id. Not API. */
abstract class TableException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String tableId;

    TableException(String message, String tableId) {
        super(message);
        this.tableId = tableId;
    }

    public String getTableId() {
        return tableId;
    }
}
