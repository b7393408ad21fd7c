package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import sleeper.statestore.postgres.exception.FileHasReferencesException;
import sleeper.statestore.postgres.exception.FileReferenceNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.FileReference;

/** applyTransactionLog: a log file of JSON lines replayed in order (docs/sleeper-transactions.md). */
class TransactionLogTest extends StoreTest {
    private static final Instant T1001 = Instant.parse("2024-01-01T10:01:00Z");
    private static final Instant T1002 = Instant.parse("2024-01-01T10:02:00Z");

    @TempDir
    Path directory;

    @BeforeEach
    void initialiseTheRoot() throws StateStoreException {
        store.initialise();
    }

    private static String entry(long number, Instant updateTime, String type, String transaction) {
        return "{\"transactionNumber\":" + number + ",\"updateTime\":" + updateTime.toEpochMilli()
                + ",\"transactionType\":\"" + type + "\",\"transaction\":" + transaction + "}";
    }

    private Path log(String... lines) throws IOException {
        Path log = directory.resolve("log.jsonl");
        Files.write(log, List.of(lines), StandardCharsets.UTF_8);
        return log;
    }

    private List<String> filenames() throws StateStoreException {
        return store.getFileReferences().stream().map(FileReference::getFilename).collect(Collectors.toList());
    }

    @Test
    void aLogReplaysInOrderWithEachEntryAtItsOwnTimeAndReportsSkippedParts() throws Exception {
        Path log = log(
                entry(1, TEN_AM, "ADD_FILES", TransactionTest.addFilesJson("a")),
                "",
                entry(2, T1001, "ASSIGN_JOB_IDS",
                        "{\"requests\":[{\"jobId\":\"job\",\"partitionId\":\"root\",\"filenames\":[\"a\"]}]}"),
                entry(3, T1002, "REPLACE_FILE_REFERENCES", TransactionTest.replaceJson(
                        TransactionTest.jobJson("job", "b", "a"), TransactionTest.jobJson("job", "c", "a"))));
        TransactionLogReplay replay = store.applyTransactionLog(log);
        assertEquals(3, replay.getEntries());
        assertEquals(1, replay.getFailures().size());
        TransactionLogFailure failure = replay.getFailures().get(0);
        assertEquals(3, failure.getEntry());
        assertEquals(1, failure.getIndex());
        assertInstanceOf(FileReferenceNotFoundException.class, failure.getException());
        assertEquals(List.of(new AllReferencesToAFile("a", List.of(), T1002),
                new AllReferencesToAFile("b", List.of(stored(reference("b", "root", 10), T1002)), T1002)),
                store.getAllFilesWithMaxUnreferenced(10).getFiles());
    }

    @Test
    void anEntryMayHoldItsTransactionAsAString() throws Exception {
        String body = TransactionTest.addFilesJson("a").replace("\"", "\\\"");
        TransactionLogReplay replay = store.applyTransactionLog(log(entry(1, TEN_AM, "ADD_FILES", "\"" + body + "\"")));
        assertEquals(1, replay.getEntries());
        assertEquals(List.of("a"), filenames());
    }

    @Test
    void aLogStopsAtTheFirstEntryThatFailsKeepingTheEntriesBefore() throws Exception {
        Path log = log(
                entry(1, TEN_AM, "ADD_FILES", TransactionTest.addFilesJson("a")),
                entry(2, T1001, "DELETE_FILES", "{\"filenames\":[\"a\"]}"),
                entry(3, T1002, "ADD_FILES", TransactionTest.addFilesJson("b")));
        FileHasReferencesException e = assertThrows(FileHasReferencesException.class,
                () -> store.applyTransactionLog(log));
        assertEquals("a", e.getFilename());
        assertEquals(List.of("a"), filenames());
    }

    @Test
    void aLineThatIsNotAnEntryIsInvalidNamingItsPosition() throws Exception {
        Path log = log(entry(1, TEN_AM, "ADD_FILES", TransactionTest.addFilesJson("a")), "not json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.applyTransactionLog(log));
        assertTrue(e.getMessage().startsWith("Entry 2 of the transaction log"), e.getMessage());
        assertEquals(List.of("a"), filenames());
    }

    @Test
    void aLogThatCannotBeOpenedIsInvalid() {
        Path missing = directory.resolve("missing.jsonl");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.applyTransactionLog(missing));
        assertTrue(e.getMessage().startsWith("Could not open the transaction log " + missing), e.getMessage());
    }

    @Test
    void anEmptyLogAppliesNothing() throws Exception {
        TransactionLogReplay replay = store.applyTransactionLog(log());
        assertEquals(0, replay.getEntries());
        assertEquals(List.of(), replay.getFailures());
    }

    @Test
    void aNullLogRaisesNullPointerException() {
        assertEquals("log must not be null",
                assertThrows(NullPointerException.class, () -> store.applyTransactionLog(null)).getMessage());
    }
}
