package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;

/** The change feed: every write an entry, numbered in the order the writes took effect, a wait, and retention. */
class ChangeFeedTest extends StoreTest {
    /**
     * Entries can wait on any transaction of the server that began before them, other tests' included: reads wait
     * for them rather than expect them at once (a guard against hanging, not a limit).
     */
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    /** The first {@code count} entries after {@code after}, waiting for them. */
    private List<Change> changes(long after, int count) throws StateStoreException {
        List<Change> found = new ArrayList<>();
        while (found.size() < count) {
            long from = found.isEmpty() ? after : found.get(found.size() - 1).sequence();
            List<Change> more = store.waitForChanges(from, count - found.size(), PATIENCE);
            assertFalse(more.isEmpty(), "no entry after " + from + " within " + PATIENCE);
            found.addAll(more);
        }
        return found;
    }

    @Test
    void theEntriesOfWritesComeBackInOrderWithTheirTypesAndJson() throws Exception {
        store.initialise();
        store.addFiles(List.of(reference("a", "root", 10), reference("b", "root", 20)));
        store.assignJobIds(List.of(new AssignJobIdRequest("job-c", "root", List.of("a", "b"))));
        store.atomicallyReplaceFileReferencesWithNewOnes(List.of(
                new ReplaceFileReferencesRequest("job-c", "root", List.of("a", "b"), reference("c", "root", 30))));

        List<Change> changes = changes(0, 4);

        assertEquals(List.of(1L, 2L, 3L, 4L), changes.stream().map(Change::sequence).toList());
        assertEquals(List.of("INITIALISE_PARTITIONS", "ADD_FILES", "ASSIGN_JOB_IDS", "REPLACE_FILE_REFERENCES"),
                changes.stream().map(Change::transactionType).toList());
        Change added = changes.get(1);
        String json = added.transactionJson().orElseThrow();
        assertTrue(json.contains("\"filename\":\"a\"") && json.contains("\"filename\":\"b\""), json);
        assertEquals(new ChangeSummary(2, 2, 0, 0), added.summary());
        assertEquals(changes.subList(2, 4), store.readChanges(2, 1000));
    }

    @Test
    void aWaitIsGivenAnotherClientsWrite() throws Exception {
        store.initialise();
        changes(0, 1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (PostgresStateStoreClient writer = TestDatabase.connect();
                PostgresStateStore written = writer.table(store.getTableId())) {
            Future<List<Change>> waiting = pool.submit(() -> store.waitForChanges(1, 10, PATIENCE));
            written.addFile(reference("a", "root", 1));

            assertEquals(List.of("ADD_FILES"), waiting.get().stream().map(Change::transactionType).toList());
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aWaitWithNothingWrittenReturnsEmpty() throws StateStoreException {
        store.initialise();
        changes(0, 1);

        assertEquals(List.of(), store.waitForChanges(1, 10, Duration.ofMillis(50)));
    }

    @Test
    void deletingChangesThroughNRemovesTheEntriesUpToN() throws StateStoreException {
        store.initialise();
        for (String name : List.of("a", "b", "c")) {
            store.addFile(reference(name, "root", 1));
        }
        changes(0, 4);

        assertEquals(2, store.deleteChangesThrough(2));
        assertEquals(List.of(3L, 4L), store.readChanges(0, 10).stream().map(Change::sequence).toList());
    }

    @Test
    void deletingPastTheLastNumberedEntryThrowsIllegalArgumentException() throws StateStoreException {
        store.initialise();
        changes(0, 1);

        assertThrows(IllegalArgumentException.class, () -> store.deleteChangesThrough(5));
        assertEquals(1, store.readChanges(0, 10).size());
    }

    @Test
    void aClientWithTheChangeFeedOffRecordsNothing() throws StateStoreException {
        store.initialise();
        try (PostgresStateStoreClient quiet = PostgresStateStoreClient.connect(TestDatabase.url(),
                ClientOptions.builder().changeFeed(false).build());
                PostgresStateStore quietStore = quiet.table(store.getTableId())) {
            quietStore.addFile(reference("unrecorded", "root", 1));
        }
        store.addFile(reference("recorded", "root", 1));

        Change entry = changes(1, 1).get(0);

        assertTrue(entry.transactionJson().orElseThrow().contains("\"filename\":\"recorded\""));
        assertEquals(List.of(), store.readChanges(entry.sequence(), 10));
    }
}
