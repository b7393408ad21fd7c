package sleeper.statestore.postgres.exception;

/** The file already has a reference on the partition: "Reference to file already exists in partition P, filename F". */
public class FileReferenceAlreadyExistsException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final String filename;
    private final String partitionId;

    public FileReferenceAlreadyExistsException(String message, String filename, String partitionId) {
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
