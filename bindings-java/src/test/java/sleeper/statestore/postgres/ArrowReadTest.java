package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.PartitionNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.Range;
import sleeper.statestore.postgres.model.Region;

/** Reads as Arrow through the C data interface: the columns arrive in the caller's allocator, and nothing leaks. */
class ArrowReadTest extends StoreTest {
    private BufferAllocator allocator;

    /** The root split at 100 into L and R, files on both leaves. */
    @BeforeEach
    void splitWithFiles() throws StateStoreException {
        allocator = new RootAllocator();
        initialiseWithLeftAndRight();
        store.addFiles(List.of(reference("a", "L", 7), reference("a", "R", 8), reference("b", "R", 9)));
    }

    /** Closing the allocator fails the test if any buffer of a read was not released. */
    @AfterEach
    void closeAllocator() {
        allocator.close();
    }

    /** Each row as "filename/partition/rows", the dictionary-encoded partition ids decoded. */
    private static List<String> referenceRows(ArrowReader reader) throws Exception {
        List<String> rows = new ArrayList<>();
        try (reader) {
            while (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                VarCharVector filenames = (VarCharVector) root.getVector("filename");
                FieldVector encoded = root.getVector("partition_id");
                Dictionary dictionary = reader.getDictionaryVectors()
                        .get(encoded.getField().getDictionary().getId());
                BigIntVector numbers = (BigIntVector) root.getVector("number_of_rows");
                try (VarCharVector partitions = (VarCharVector) DictionaryEncoder.decode(encoded, dictionary)) {
                    for (int i = 0; i < root.getRowCount(); i++) {
                        rows.add(filenames.getObject(i) + "/" + partitions.getObject(i) + "/" + numbers.get(i));
                    }
                }
            }
        }
        return rows;
    }

    @Test
    void theTablesReferencesArriveByFilenameThenPartition() throws Exception {
        assertEquals(List.of("a/L/7", "a/R/8", "b/R/9"), referenceRows(store.getFileReferencesArrow(allocator)));
    }

    @Test
    void referencesOnPartitionsArriveForThosePartitionsOnly() throws Exception {
        assertEquals(List.of("a/L/7"), referenceRows(store.getFileReferencesOnPartitionsArrow(allocator, List.of("L"))));
    }

    @Test
    void referencesInARegionArriveForTheLeavesItOverlaps() throws Exception {
        assertEquals(List.of("a/R/8", "b/R/9"), referenceRows(
                store.getFileReferencesInRegionArrow(allocator, Region.of(Range.of("key", 200L, 300L)))));
    }

    @Test
    void partitionsArriveWithTheirRangeOnTheKey() throws Exception {
        try (ArrowReader reader = store.getPartitionsArrow(allocator)) {
            reader.loadNextBatch();
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            assertEquals(3, root.getRowCount());
            assertEquals("R", root.getVector("partition_id").getObject(1).toString());
            assertEquals(100L, ((BigIntVector) root.getVector("key_min")).get(1));
            assertEquals(true, root.getVector("key_max").isNull(1));
        }
    }

    @Test
    void anUnknownPartitionRaisesPartitionNotFound() {
        assertThrows(PartitionNotFoundException.class,
                () -> store.getFileReferencesOnPartitionsArrow(allocator, List.of("nowhere")));
    }
}
