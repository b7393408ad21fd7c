package sleeper.statestore.postgres;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * A part of a transaction log entry that was skipped ({@link TransactionLogReplay#getFailures()}): the number of
 * its entry, from 1, and the index and exception of the skipped part as {@link TransactionFailure} has them.
 */
public final class TransactionLogFailure {
    private final long entry;
    private final TransactionFailure failure;

    public TransactionLogFailure(long entry, int index, StateStoreException exception) {
        this(entry, new TransactionFailure(index, exception));
    }

    private TransactionLogFailure(long entry, TransactionFailure failure) {
        this.entry = entry;
        this.failure = failure;
    }

    static TransactionLogFailure read(WireReader in) {
        long entry = in.i64();
        return new TransactionLogFailure(entry, TransactionFailure.read(in));
    }

    /** The number of the entry in the log, from 1, counting entries (not blank lines). */
    public long getEntry() {
        return entry;
    }

    /** The index of the skipped job or file in the entry's transaction, from 0. */
    public int getIndex() {
        return failure.getIndex();
    }

    public StateStoreException getException() {
        return failure.getException();
    }

    @Override
    public String toString() {
        return "TransactionLogFailure{entry=" + entry + ", index=" + getIndex() + ", exception=" + getException()
                + "}";
    }
}
