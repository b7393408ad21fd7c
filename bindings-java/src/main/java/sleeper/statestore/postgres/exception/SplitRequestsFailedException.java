package sleeper.statestore.postgres.exception;

import java.util.List;

import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The split requests of a {@code splitFileReferences} call failed together: nothing was applied. {@link #getSuccessfulRequests()} is always empty,
 * {@link #getFailedRequests()} holds every request of the call in the order given, {@link #getFailures()}
 * the specific exception, which is also the cause.
 */
public class SplitRequestsFailedException extends RequestsFailedException {
    private static final long serialVersionUID = 1L;

    private final transient List<SplitFileReferenceRequest> successfulRequests;
    private final transient List<SplitFileReferenceRequest> failedRequests;

    public SplitRequestsFailedException(String message, List<SplitFileReferenceRequest> successfulRequests,
            List<SplitFileReferenceRequest> failedRequests, List<StateStoreException> failures) {
        super(message, failures);
        this.successfulRequests = List.copyOf(successfulRequests);
        this.failedRequests = List.copyOf(failedRequests);
    }

    public List<SplitFileReferenceRequest> getSuccessfulRequests() {
        return successfulRequests;
    }

    public List<SplitFileReferenceRequest> getFailedRequests() {
        return failedRequests;
    }
}
