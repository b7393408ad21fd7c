package sleeper.statestore.postgres;

import java.util.List;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * What {@link PostgresStateStore#applyTransaction} did: the parts of the transaction it skipped, by index.
 * For REPLACE_FILE_REFERENCES the jobs not listed were applied; for ADD_FILES a failure means that none of its
 * files was added. Empty when everything applied, and always in synchronous mode, where an invalid part fails the
 * whole call instead.
 */
public final class TransactionOutcome {
    private final List<TransactionFailure> failures;

    public TransactionOutcome(List<TransactionFailure> failures) {
        this.failures = Args.listOf(failures, "failures");
    }

    static TransactionOutcome read(WireReader in) {
        return new TransactionOutcome(in.list(TransactionFailure::read));
    }

    /** The skipped parts, in the order of the transaction. */
    public List<TransactionFailure> getFailures() {
        return failures;
    }

    /** True when every part of the transaction was applied. */
    public boolean isFullyApplied() {
        return failures.isEmpty();
    }

    @Override
    public String toString() {
        return "TransactionOutcome{failures=" + failures + "}";
    }
}
