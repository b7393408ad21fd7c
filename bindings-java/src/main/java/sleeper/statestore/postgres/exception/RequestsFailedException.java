package sleeper.statestore.postgres.exception;

import java.util.List;

/**
 * What the two exceptions of a failed batch share: the specific exception of each failed request, the first
 * of which is the cause. Not API.
 */
abstract class RequestsFailedException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final transient List<StateStoreException> failures;

    RequestsFailedException(String message, List<StateStoreException> failures) {
        super(message, failures.isEmpty() ? null : failures.get(0));
        this.failures = List.copyOf(failures);
    }

    public List<StateStoreException> getFailures() {
        return failures;
    }
}
