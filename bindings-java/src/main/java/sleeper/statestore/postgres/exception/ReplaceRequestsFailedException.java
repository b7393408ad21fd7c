package sleeper.statestore.postgres.exception;

import java.util.List;

import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;

/**
 * The compaction commits of an {@code atomicallyReplaceFileReferencesWithNewOnes} call failed together: nothing was applied. {@link #getSuccessfulRequests()} is always empty,
 * {@link #getFailedRequests()} holds every request of the call in the order given, {@link #getFailures()}
 * the specific exception, which is also the cause.
 */
public class ReplaceRequestsFailedException extends RequestsFailedException {
    private static final long serialVersionUID = 1L;

    private final transient List<ReplaceFileReferencesRequest> successfulRequests;
    private final transient List<ReplaceFileReferencesRequest> failedRequests;

    public ReplaceRequestsFailedException(String message, List<ReplaceFileReferencesRequest> successfulRequests,
            List<ReplaceFileReferencesRequest> failedRequests, List<StateStoreException> failures) {
        super(message, failures);
        this.successfulRequests = List.copyOf(successfulRequests);
        this.failedRequests = List.copyOf(failedRequests);
    }

    public List<ReplaceFileReferencesRequest> getSuccessfulRequests() {
        return successfulRequests;
    }

    public List<ReplaceFileReferencesRequest> getFailedRequests() {
        return failedRequests;
    }
}
