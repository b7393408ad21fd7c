package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotFoundException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;

/** Sleeper v0.36's isAssigned, on files a and b assigned to job1 and c with no job, all on L. */
class IsAssignedTest extends StoreTest {

    @BeforeEach
    void files() throws StateStoreException {
        initialiseWithLeftAndRight();
        store.addFiles(List.of(reference("a", "L", 1), reference("b", "L", 1), reference("c", "L", 1)));
        store.assignJobIds(List.of(new AssignJobIdRequest("job1", "L", List.of("a", "b"))));
    }

    private static CheckFileAssignmentsRequest check(String jobId, String partitionId, String... filenames) {
        return CheckFileAssignmentsRequest.isJobAssignedToFilesOnPartition(jobId, List.of(filenames), partitionId);
    }

    @Test
    void isAssignedIsTrueWhenEveryReferenceHasTheJob() throws StateStoreException {
        assertTrue(store.isAssigned(List.of(check("job1", "L", "a", "b"), check("job1", "L", "b"))));
    }

    @Test
    void isAssignedIsFalseWhenAReferenceHasNoJob() throws StateStoreException {
        assertFalse(store.isAssigned(List.of(check("job1", "L", "a"), check("job1", "L", "c"))));
    }

    @Test
    void isAssignedIsTrueForNoRequests() throws StateStoreException {
        assertTrue(store.isAssigned(List.of()));
    }

    @Test
    void aMissingReferenceRaisesFileReferenceNotFound() {
        FileReferenceNotFoundException e = assertThrows(FileReferenceNotFoundException.class,
                () -> store.isAssigned(List.of(check("job1", "R", "a"))));
        assertEquals("File reference not found in partition R, filename a", e.getMessage());
        assertEquals("a", e.getFilename());
        assertEquals("R", e.getPartitionId());
    }

    @Test
    void aReferenceWithAnotherJobRaisesFileReferenceAssignedToJobNamingThatJob() {
        FileReferenceAssignedToJobException e = assertThrows(FileReferenceAssignedToJobException.class,
                () -> store.isAssigned(List.of(check("job2", "L", "a"))));
        assertEquals("job1", e.getJobId());
        assertEquals("a", e.getFilename());
        assertEquals("L", e.getPartitionId());
    }

    @Test
    void aReferenceWithNoJobDoesNotStopTheWalk() {
        assertThrows(FileReferenceNotFoundException.class,
                () -> store.isAssigned(List.of(check("job1", "L", "c"), check("job1", "L", "missing"))));
    }

    @Test
    void isPartitionFilesAssignedToJobAgreesWithIsAssigned() throws StateStoreException {
        assertEquals(store.isAssigned(List.of(check("job1", "L", "a", "c"))),
                store.isPartitionFilesAssignedToJob("L", List.of("a", "c"), "job1"));
    }

    @Test
    void nullArgumentsRaiseNullPointerExceptionNamingThem() {
        assertEquals("requests must not be null",
                assertThrows(NullPointerException.class, () -> store.isAssigned(null)).getMessage());
        assertEquals("requests must not contain null (at index 0)", assertThrows(NullPointerException.class,
                () -> store.isAssigned(java.util.Arrays.asList((CheckFileAssignmentsRequest) null))).getMessage());
    }
}
