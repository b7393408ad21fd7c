package sleeper.statestore.postgres;

import java.util.List;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * What {@link PostgresStateStore#applyTransactionLog} did: the number of entries applied (skipped parts included)
 * and every part Sleeper's apply skipped, with the number of its entry.
 */
public final class TransactionLogReplay {
    private final long entries;
    private final List<TransactionLogFailure> failures;

    public TransactionLogReplay(long entries, List<TransactionLogFailure> failures) {
        this.entries = entries;
        this.failures = Args.listOf(failures, "failures");
    }

    static TransactionLogReplay read(WireReader in) {
        long entries = in.i64();
        return new TransactionLogReplay(entries, in.list(TransactionLogFailure::read));
    }

    /** The entries applied, skipped parts included. */
    public long getEntries() {
        return entries;
    }

    /** The skipped parts, in the order of the log. */
    public List<TransactionLogFailure> getFailures() {
        return failures;
    }

    @Override
    public String toString() {
        return "TransactionLogReplay{entries=" + entries + ", failures=" + failures + "}";
    }
}
