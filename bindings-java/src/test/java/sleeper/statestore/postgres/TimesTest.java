package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AllReferencesToAFile;

/**
 * Times beyond what the database keeps (docs/sleeper-transactions.md): any instant is a GC cutoff, and an
 * update time the store cannot keep is invalid input that leaves the clock as it was.
 */
class TimesTest extends StoreTest {
    private static final Instant YEAR_MINUS_5000 = Instant.parse("-5000-01-01T00:00:00Z");
    /** The first and last instants the store keeps: the years every language can read back. */
    private static final Instant EARLIEST_KEPT = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST_KEPT = Instant.parse("9999-12-31T23:59:59.999Z");

    @BeforeEach
    void anUnreferencedFileWrittenAtTenAm() throws StateStoreException {
        store.initialise();
        store.fixFileUpdateTime(TEN_AM);
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("lonely", List.of())));
    }

    private Instant fileTime() throws StateStoreException {
        return store.getAllFilesWithMaxUnreferenced(10).getFiles().get(0).getLastUpdateTime();
    }

    @Test
    void theLargestEpochMillisecondIsAGcCutoff() throws StateStoreException {
        assertEquals(List.of("lonely"), store.getReadyForGCFilenamesBefore(Instant.ofEpochMilli(Long.MAX_VALUE)));
    }

    @Test
    void instantMaxIsAGcCutoff() throws StateStoreException {
        assertEquals(List.of("lonely"), store.getReadyForGCFilenamesBefore(Instant.MAX));
    }

    @Test
    void instantMinIsAGcCutoffBeforeEveryFile() throws StateStoreException {
        assertEquals(List.of(), store.getReadyForGCFilenamesBefore(Instant.MIN));
    }

    @Test
    void aCutoffBeforeTheFirstInstantKeptIsBeforeEveryFile() throws StateStoreException {
        assertEquals(List.of(), store.getReadyForGCFilenamesBefore(YEAR_MINUS_5000));
    }

    @Test
    void fixFileUpdateTimeOfInstantMaxIsInvalidAndKeepsTheClock() throws StateStoreException {
        assertThrows(IllegalArgumentException.class, () -> store.fixFileUpdateTime(Instant.MAX));
        store.clearFileData();
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("next", List.of())));
        assertEquals(TEN_AM, fileTime());
    }

    @Test
    void fixFileUpdateTimeBeforeTheFirstInstantKeptIsInvalid() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.fixFileUpdateTime(YEAR_MINUS_5000));
        assertEquals("The update time -5000-01-01T00:00:00+00:00 is outside the years 1 to 9999 (UTC), which every "
                + "language of the store can read back", e.getMessage());
    }

    @Test
    void fixFileUpdateTimeOfTheLatestInstantKeptIsStored() throws StateStoreException {
        store.fixFileUpdateTime(LATEST_KEPT);
        store.clearFileData();
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("late", List.of())));
        assertEquals(LATEST_KEPT, fileTime());
    }

    @Test
    void fixFileUpdateTimeOfTheEarliestInstantKeptIsStored() throws StateStoreException {
        store.fixFileUpdateTime(EARLIEST_KEPT);
        store.clearFileData();
        store.addFilesWithReferences(List.of(new AllReferencesToAFile("early", List.of())));
        assertEquals(EARLIEST_KEPT, fileTime());
    }

    @Test
    void fixFileUpdateTimeAMillisecondBeforeTheEarliestInstantKeptIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> store.fixFileUpdateTime(EARLIEST_KEPT.minusMillis(1)));
    }

    @Test
    void fixFileUpdateTimeAMillisecondAfterTheLatestInstantKeptIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> store.fixFileUpdateTime(LATEST_KEPT.plusMillis(1)));
    }

    @Test
    void fixPartitionUpdateTimeOfATimeTheStoreCannotKeepIsInvalid() {
        assertThrows(IllegalArgumentException.class, () -> store.fixPartitionUpdateTime(Instant.MAX));
        assertThrows(IllegalArgumentException.class, () -> store.fixPartitionUpdateTime(YEAR_MINUS_5000));
    }
}
