package sleeper.statestore.postgres.internal;

import java.util.List;

import sleeper.statestore.postgres.exception.FileAlreadyExistsException;
import sleeper.statestore.postgres.exception.FileHasReferencesException;
import sleeper.statestore.postgres.exception.FileNotFoundException;
import sleeper.statestore.postgres.exception.FileReferenceAlreadyExistsException;
import sleeper.statestore.postgres.exception.FileReferenceAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotAssignedToJobException;
import sleeper.statestore.postgres.exception.FileReferenceNotFoundException;
import sleeper.statestore.postgres.exception.InitialiseWithFilesPresentException;
import sleeper.statestore.postgres.exception.NewReferenceSameAsOldReferenceException;
import sleeper.statestore.postgres.exception.PartitionNotFoundException;
import sleeper.statestore.postgres.exception.ReplaceRequestsFailedException;
import sleeper.statestore.postgres.exception.SplitRequestsFailedException;
import sleeper.statestore.postgres.exception.StateStoreConnectionException;
import sleeper.statestore.postgres.exception.StateStoreException;
import sleeper.statestore.postgres.exception.TableAlreadyExistsException;
import sleeper.statestore.postgres.exception.TableNotFoundException;

/**
 * Turns an error of the core into its Java exception. The JNI crate calls {@link #create} with the
 * error encoded as its {@code exception_name()}, message and fields, and throws what it returns; an
 * answer that holds errors (the skipped parts of a transaction) has each read by
 * {@link #readStateStoreException}, so that they are the exceptions a failing call would throw.
 * Internal.
 */
public final class Errors {
    private Errors() {
    }

    /** Called from native code. */
    public static Throwable create(byte[] encoded) {
        return read(new WireReader(encoded));
    }

    static Throwable read(WireReader in) {
        String name = in.string();
        String message = in.rawString();
        switch (name) {
            case "FileAlreadyExistsException":
                return new FileAlreadyExistsException(message, in.string());
            case "FileNotFoundException":
                return new FileNotFoundException(message, in.string());
            case "FileReferenceNotFoundException":
                return new FileReferenceNotFoundException(message, in.string(), in.string());
            case "FileReferenceAlreadyExistsException":
                return new FileReferenceAlreadyExistsException(message, in.string(), in.string());
            case "FileReferenceAssignedToJobException":
                return new FileReferenceAssignedToJobException(message, in.string(), in.string(), in.string());
            case "FileReferenceNotAssignedToJobException":
                return new FileReferenceNotAssignedToJobException(message, in.string(), in.string(), in.string());
            case "NewReferenceSameAsOldReferenceException":
                return new NewReferenceSameAsOldReferenceException(message, in.string());
            case "FileHasReferencesException":
                return new FileHasReferencesException(message, in.string(), in.i64());
            case "SplitRequestsFailedException":
                return new SplitRequestsFailedException(message, List.of(), in.list(WireReader::splitRequest),
                        List.of(readStateStoreException(in)));
            case "ReplaceRequestsFailedException":
                return new ReplaceRequestsFailedException(message, List.of(), in.list(WireReader::replaceRequest),
                        List.of(readStateStoreException(in)));
            case "InitialiseWithFilesPresentException":
                return new InitialiseWithFilesPresentException(message);
            case "PartitionNotFoundException":
                return new PartitionNotFoundException(message, in.string());
            case "TableNotFoundException":
                return new TableNotFoundException(message, in.string());
            case "TableAlreadyExistsException":
                return new TableAlreadyExistsException(message, in.string());
            case "StateStoreConnectionException":
                return new StateStoreConnectionException(message);
            case "InvalidArgument":
                return new IllegalArgumentException(message);
            case "StateStoreException":
                // A plain one may have a cause: the reason a partition tree or split is invalid.
                return in.bool() ? new StateStoreException(message, read(in)) : new StateStoreException(message);
            default:
                return new StateStoreException(message + " (unknown error kind " + name + ")");
        }
    }

    /**
     * An encoded error read from an answer, as the StateStoreException it stands for: a store error as
     * {@link #create} builds it, anything else wrapped in a plain StateStoreException.
     */
    public static StateStoreException readStateStoreException(WireReader in) {
        Throwable cause = read(in);
        if (cause instanceof StateStoreException) {
            return (StateStoreException) cause;
        }
        return new StateStoreException(cause.getMessage(), cause);
    }

    /** For tests: one exception of every kind the core can raise. */
    public static List<Throwable> samples() {
        WireReader in = new WireReader(Native.errorSamples());
        return in.list(reader -> create(reader.bytes()));
    }
}
