package sleeper.statestore.postgres;

import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.Errors;
import sleeper.statestore.postgres.internal.WireReader;

/**
 * A part of a transaction that was skipped, and why: the index of the compaction job (REPLACE_FILE_REFERENCES)
 * or of the file (ADD_FILES) in the transaction, and the exception Sleeper's job tracker would report for it
 * ({@code FileReferenceNotFoundException}, {@code FileAlreadyExistsException} ...), built exactly as the one a
 * failing call throws.
 */
public final class TransactionFailure {
    private final int index;
    private final StateStoreException exception;

    public TransactionFailure(int index, StateStoreException exception) {
        this.index = index;
        this.exception = Args.notNull(exception, "exception");
    }

    static TransactionFailure read(WireReader in) {
        int index = in.i32();
        return new TransactionFailure(index, Errors.readStateStoreException(in));
    }

    /** The index of the skipped job or file in the transaction, from 0. */
    public int getIndex() {
        return index;
    }

    public StateStoreException getException() {
        return exception;
    }

    @Override
    public String toString() {
        return "TransactionFailure{index=" + index + ", exception=" + exception + "}";
    }
}
