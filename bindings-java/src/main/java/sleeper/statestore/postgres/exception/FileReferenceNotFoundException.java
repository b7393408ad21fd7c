package sleeper.statestore.postgres.exception;

/** The file has no reference on the partition: "File reference not found in partition P, filename F". */
public class FileReferenceNotFoundException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;
    private final String partitionId;

    public FileReferenceNotFoundException(String message, String filename, String partitionId) {
        super(message);
        this.filename = filename;
        this.partitionId = partitionId;
    }

    public String getFilename() {
        return filename;
    }

    public String getPartitionId() {
        return partitionId;
    }
}
