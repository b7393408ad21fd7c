package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.exception.TableNotFoundException;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.FileReference;

/** A client's statistics of its calls, and a table's status. */
class OperatingTest extends StoreTest {

    @Test
    void statsCountAnOperationsCallsFailuresAndDurations() throws StateStoreException {
        try (PostgresStateStoreClient own = TestDatabase.connect()) {
            own.listTables();
            assertThrows(TableNotFoundException.class, () -> own.table("no_such_table"));

            ClientStats stats = own.stats();

            ClientStats.OperationStats listTables = stats.operation("list_tables").orElseThrow();
            assertEquals(1, listTables.calls());
            assertEquals(Map.of(), listTables.failures());
            ClientStats.OperationStats table = stats.operation("table").orElseThrow();
            assertEquals(Map.of("TableNotFoundException", 1L), table.failures());
            assertEquals(0, table.retries());
            ClientStats.DurationHistogram duration = table.duration();
            assertEquals(1, duration.count());
            assertTrue(duration.sumSeconds() > 0);
            assertTrue(duration.buckets().get(duration.buckets().size() - 1).count() <= 1);
            assertTrue(duration.p50Seconds().getAsDouble() > 0);
        }
    }

    @Test
    void statusCountsTheTablesContents() throws StateStoreException {
        store.initialise();
        store.fixFileUpdateTime(TEN_AM);
        store.addFiles(List.of(reference("a"), reference("b")));
        store.assignJobIds(List.of(new AssignJobIdRequest("job", "root", List.of("b"))));

        TableStatus status = store.status();

        assertEquals(new TableStatus(1, 1, 2, 2, 1, 1, 0, Optional.of(TEN_AM), Optional.empty()), status);
    }

    private static FileReference reference(String filename) {
        return FileReference.builder().filename(filename).partitionId("root").numberOfRows(5).build();
    }
}
