package sleeper.statestore.postgres.exception;

/** "Partition not found: ID" from a lookup, "Parent partition not found" from a split. */
public class PartitionNotFoundException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String partitionId;

    public PartitionNotFoundException(String message, String partitionId) {
        super(message);
        this.partitionId = partitionId;
    }

    public String getPartitionId() {
        return partitionId;
    }
}
