package sleeper.statestore.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;

import sleeper.statestore.postgres.exception.ReplaceRequestsFailedException;
import sleeper.statestore.postgres.exception.SplitRequestsFailedException;
import sleeper.statestore.postgres.exception.StateStoreConnectionException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.NativeTesting;
import sleeper.statestore.postgres.internal.NativeTesting.Sample;

/**
 * Every error the core has (its {@code testing::error_samples()}: one of every kind) becomes the Java
 * exception its kind names, with every field the core gives it readable through a getter.
 */
class ExceptionMappingTest {
    private static final List<Sample> SAMPLES = NativeTesting.samples();

    private static Sample sample(String name, int nth) {
        return SAMPLES.stream().filter(s -> s.exceptionName.equals(name)).skip(nth).findFirst().orElseThrow();
    }

    @Test
    void theSamplesCoverEveryKind() {
        Set<Integer> kinds = SAMPLES.stream().map(s -> s.parts.kind).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(IntStream.range(0, kinds.size()).boxed().collect(Collectors.toSet()), kinds);
    }

    @Test
    void everyCoreErrorBecomesTheExceptionOfItsName() {
        for (Sample sample : SAMPLES) {
            String expected = sample.exceptionName.equals("InvalidArgument") ? "IllegalArgumentException"
                    : sample.exceptionName;
            assertEquals(expected, sample.exception.getClass().getSimpleName(), sample.toString());
            assertEquals(sample.parts.message, sample.exception.getMessage());
        }
    }

    @Test
    void everyFieldOfEveryErrorHasItsGetter() throws Exception {
        for (Sample sample : SAMPLES) {
            for (Map.Entry<String, Object> field : sample.parts.fields.entrySet()) {
                // filename -> getFilename, partition_id -> getPartitionId, sqlstate -> getSqlState
                String getter = "get" + field.getKey().replace("_", "");
                Method method = Arrays.stream(sample.exception.getClass().getMethods())
                        .filter(m -> m.getName().equalsIgnoreCase(getter) && m.getParameterCount() == 0).findFirst()
                        .orElseThrow(() -> new AssertionError(sample + " has no getter for " + field.getKey()));
                assertEquals(field.getValue(), method.invoke(sample.exception), sample + ": " + field.getKey());
            }
        }
    }

    @Test
    void everyStoreExceptionIsACheckedStateStoreException() {
        SAMPLES.stream().map(s -> s.exception).filter(e -> !(e instanceof IllegalArgumentException))
                .forEach(e -> assertInstanceOf(StateStoreException.class, e));
    }

    @Test
    void wrappedFailuresCarryTheirRequestsAndCause() {
        SplitRequestsFailedException split = (SplitRequestsFailedException) sample("SplitRequestsFailedException", 0)
                .exception;
        assertEquals(1, split.getFailedRequests().size());
        assertEquals(List.of(), split.getSuccessfulRequests());
        assertSame(split.getFailures().get(0), split.getCause());
        ReplaceRequestsFailedException replace = (ReplaceRequestsFailedException) sample(
                "ReplaceRequestsFailedException", 0).exception;
        assertEquals("output", replace.getFailedRequests().get(0).getNewReference().getFilename());
        assertEquals("FileReferenceNotFoundException", replace.getCause().getClass().getSimpleName());
    }

    @Test
    void aConnectionExceptionHasItsSqlStateWhenTheDatabaseGaveOne() {
        StateStoreConnectionException refused = (StateStoreConnectionException) sample(
                "StateStoreConnectionException", 0).exception;
        assertNull(refused.getSqlState());
        StateStoreConnectionException conflict = (StateStoreConnectionException) sample(
                "StateStoreConnectionException", 1).exception;
        assertEquals("40001", conflict.getSqlState());
    }

    @Test
    void aPlainStateStoreExceptionWithoutACauseHasNone() {
        Throwable plain = sample("StateStoreException", 0).exception;
        assertEquals("Parent should be a leaf partition", plain.getMessage());
        assertNull(plain.getCause());
    }

    @Test
    void aPlainStateStoreExceptionCarriesItsReasonAsAnIllegalArgumentExceptionCause() {
        Throwable caused = sample("StateStoreException", 1).exception;
        assertEquals(StateStoreException.class, caused.getClass());
        assertEquals("Update results in invalid partition tree", caused.getMessage());
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, caused.getCause());
        assertEquals("There should be exactly one root partition, found 2", cause.getMessage());
    }

    @Test
    void malformedCallDataIsAPlainStateStoreExceptionNamingTheBinding() {
        // Declared by no native method, so thrown through a sneaky throw of the checked exception.
        Throwable thrown = assertThrows(Throwable.class, NativeTesting::malformedCall);
        assertEquals(StateStoreException.class, thrown.getClass());
        assertTrue(thrown.getMessage().startsWith("sleeper-pg Java binding: malformed call data"), thrown.getMessage());
    }
}
