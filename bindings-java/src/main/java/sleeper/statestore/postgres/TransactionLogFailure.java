package sleeper.statestore.postgres;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Errors;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * A part of a transaction log entry that was skipped ({@link TransactionLogReplay#getFailures()}): the number of
 * its entry, from 1, and the index and exception of the skipped part as {@link TransactionFailure} has them.
 */
public final class TransactionLogFailure {
    private final long entry;
    private final int index;
    private final StateStoreException exception;

    public TransactionLogFailure(long entry, int index, StateStoreException exception) {
        this.entry = entry;
        this.index = index;
        this.exception = Args.notNull(exception, "exception");
    }

    static TransactionLogFailure read(WireReader in) {
        long entry = in.i64();
        int index = in.i32();
        return new TransactionLogFailure(entry, index, Errors.readStateStoreException(in));
    }

    /** The number of the entry in the log, from 1, counting entries (not blank lines). */
    public long getEntry() {
        return entry;
    }

    /** The index of the skipped job or file in the entry's transaction, from 0. */
    public int getIndex() {
        return index;
    }

    public StateStoreException getException() {
        return exception;
    }

    @Override
    public String toString() {
        return "TransactionLogFailure{entry=" + entry + ", index=" + index + ", exception=" + exception + "}";
    }
}
