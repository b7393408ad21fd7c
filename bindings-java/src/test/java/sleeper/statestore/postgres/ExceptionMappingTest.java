package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.ReplaceRequestsFailedException;
import sleeper.statestore.postgres.exception.SplitRequestsFailedException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Errors;

/** Every error the core has maps to the Java exception of its name. */
class ExceptionMappingTest {
    private static final List<String> EXPECTED = List.of("FileAlreadyExistsException", "FileNotFoundException",
            "FileReferenceNotFoundException", "FileReferenceAlreadyExistsException",
            "FileReferenceAssignedToJobException", "FileReferenceNotAssignedToJobException",
            "NewReferenceSameAsOldReferenceException", "FileHasReferencesException", "SplitRequestsFailedException",
            "ReplaceRequestsFailedException", "InitialiseWithFilesPresentException", "PartitionNotFoundException",
            "TableNotFoundException", "TableAlreadyExistsException", "StateStoreConnectionException",
            "StateStoreException", "IllegalArgumentException", "StateStoreException");

    @Test
    void everyCoreErrorBecomesTheExceptionOfItsName() {
        List<String> names = Errors.samples().stream().map(e -> e.getClass().getSimpleName())
                .collect(Collectors.toList());
        assertEquals(EXPECTED, names);
    }

    @Test
    void everyStoreExceptionIsACheckedStateStoreException() {
        Errors.samples().stream().filter(e -> !(e instanceof IllegalArgumentException))
                .forEach(e -> assertInstanceOf(StateStoreException.class, e));
    }

    @Test
    void wrappedFailuresCarryTheirRequestsAndCause() {
        List<Throwable> samples = Errors.samples();
        SplitRequestsFailedException split = (SplitRequestsFailedException) samples.get(8);
        assertEquals(1, split.getFailedRequests().size());
        assertSame(split.getFailures().get(0), split.getCause());
        ReplaceRequestsFailedException replace = (ReplaceRequestsFailedException) samples.get(9);
        assertEquals("output", replace.getFailedRequests().get(0).getNewReference().getFilename());
        assertEquals("FileReferenceNotFoundException", replace.getCause().getClass().getSimpleName());
    }

    @Test
    void aPlainStateStoreExceptionWithoutACauseHasNone() {
        Throwable plain = Errors.samples().get(15);
        assertEquals("Parent should be a leaf partition", plain.getMessage());
        assertNull(plain.getCause());
    }

    @Test
    void aPlainStateStoreExceptionCarriesItsReasonAsAnIllegalArgumentExceptionCause() {
        Throwable caused = Errors.samples().get(17);
        assertEquals(StateStoreException.class, caused.getClass());
        assertEquals("Update results in invalid partition tree", caused.getMessage());
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, caused.getCause());
        assertEquals("There should be exactly one root partition, found 2", cause.getMessage());
    }
}
