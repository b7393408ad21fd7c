package sleeper.statestore.postgres.sleeper;

import java.util.List;

import sleeper.core.partition.Partition;
import sleeper.core.range.Range;
import sleeper.core.range.Region;
import sleeper.core.schema.Field;
import sleeper.core.schema.Schema;
import sleeper.core.schema.type.ByteArrayType;
import sleeper.core.schema.type.IntType;
import sleeper.core.schema.type.LongType;
import sleeper.core.schema.type.StringType;
import sleeper.core.schema.type.Type;
import sleeper.core.statestore.AllReferencesToAFile;
import sleeper.core.statestore.AllReferencesToAllFiles;
import sleeper.core.statestore.CheckFileAssignmentsRequest;
import sleeper.core.statestore.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.RowKeyField;

/**
 * Translates between Sleeper's model classes and the Java API's, field for field. Writes never pass
 * through here: they reach the store as Sleeper's own transaction JSON.
 */
final class SleeperModel {
    private final Schema schema;

    SleeperModel(Schema schema) {
        this.schema = schema;
    }

    /** The table's row key fields as the store keeps them. */
    static List<RowKeyField> rowKeys(Schema schema) {
        return schema.getRowKeyFields().stream()
                .map(field -> new RowKeyField(field.getName(), keyType(field)))
                .toList();
    }

    private static KeyType keyType(Field field) {
        Type type = field.getType();
        if (type instanceof IntType) {
            return KeyType.INT;
        } else if (type instanceof LongType) {
            return KeyType.LONG;
        } else if (type instanceof StringType) {
            return KeyType.STRING;
        } else if (type instanceof ByteArrayType) {
            return KeyType.BYTES;
        }
        throw new IllegalArgumentException("Row key field " + field.getName() + " has a type the store cannot keep: "
                + type);
    }

    Partition partition(sleeper.statestore.postgres.model.Partition partition) {
        return Partition.builder()
                .id(partition.getId())
                .region(region(partition.getRegion()))
                .leafPartition(partition.isLeafPartition())
                .parentPartitionId(partition.getParentPartitionId())
                .childPartitionIds(partition.getChildPartitionIds())
                .dimension(partition.getDimension())
                .build();
    }

    private Region region(sleeper.statestore.postgres.model.Region region) {
        return new Region(region.getRanges().stream()
                .map(range -> new Range(field(range.getFieldName()), range.getMin(), range.getMax()))
                .toList());
    }

    private Field field(String name) {
        return schema.getField(name)
                .orElseThrow(() -> new IllegalStateException("The store returned a range on " + name
                        + ", which is not a field of the table's schema"));
    }

    static FileReference fileReference(sleeper.statestore.postgres.model.FileReference reference) {
        return FileReference.builder()
                .filename(reference.getFilename())
                .partitionId(reference.getPartitionId())
                .numberOfRows(reference.getNumberOfRows())
                .jobId(reference.getJobId())
                .lastStateStoreUpdateTime(reference.getLastUpdateTime())
                .countApproximate(reference.isCountApproximate())
                .onlyContainsDataForThisPartition(reference.onlyContainsDataForThisPartition())
                .build();
    }

    static List<FileReference> fileReferences(List<sleeper.statestore.postgres.model.FileReference> references) {
        return references.stream().map(SleeperModel::fileReference).toList();
    }

    static AllReferencesToAllFiles allFiles(sleeper.statestore.postgres.model.AllReferencesToAllFiles report) {
        return new AllReferencesToAllFiles(
                report.getFiles().stream()
                        .map(file -> AllReferencesToAFile.builder()
                                .filename(file.getFilename())
                                .references(fileReferences(file.getReferences()))
                                .lastStateStoreUpdateTime(file.getLastUpdateTime())
                                .build())
                        .toList(),
                report.isMoreThanMax());
    }

    static sleeper.statestore.postgres.model.CheckFileAssignmentsRequest checkRequest(
            CheckFileAssignmentsRequest request) {
        return sleeper.statestore.postgres.model.CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition(
                request.getJobId(), request.getFilenames(), request.getPartitionId());
    }
}
