package sleeper.statestore.postgres.exception;

import java.util.List;

import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The split requests of a {@code splitFileReferences} call failed together: nothing was applied. {@link #getSuccessfulRequests()} is always empty,
 * {@link #getFailedRequests()} holds every request of the call in the order given, {@link #getFailures()}
 * the specific exception, which is also the cause.
 */
public class SplitRequestsFailedException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    private final transient List<SplitFileReferenceRequest> successfulRequests;
    private final transient List<SplitFileReferenceRequest> failedRequests;
    private final transient List<StateStoreException> failures;

    public SplitRequestsFailedException(String message, List<SplitFileReferenceRequest> successfulRequests,
            List<SplitFileReferenceRequest> failedRequests, List<StateStoreException> failures) {
        super(message, failures.isEmpty() ? null : failures.get(0));
        this.successfulRequests = List.copyOf(successfulRequests);
        this.failedRequests = List.copyOf(failedRequests);
        this.failures = List.copyOf(failures);
    }

    public List<SplitFileReferenceRequest> getSuccessfulRequests() {
        return successfulRequests;
    }

    public List<SplitFileReferenceRequest> getFailedRequests() {
        return failedRequests;
    }

    public List<StateStoreException> getFailures() {
        return failures;
    }
}
