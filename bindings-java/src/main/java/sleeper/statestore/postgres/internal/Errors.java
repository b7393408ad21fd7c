package sleeper.statestore.postgres.internal;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

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
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * The one place that turns an error of the core into its Java exception. The JNI crate encodes an
 * error from its kind alone ({@code wire.rs}): the kind's number, the message, the named fields, the
 * requests of a failed batch and the cause. {@link #KINDS} maps each number, in the order of the
 * core's {@code ErrorKind::ALL}, to its exception, which takes its fields by name. Native code calls
 * {@link #create} and throws what it returns; an answer that holds errors (the skipped parts of a
 * transaction) has each read by {@link #readStateStoreException}, so that they are the exceptions a
 * failing call would throw. Internal.
 */
public final class Errors {
    private static final byte FIELD_TEXT = 0;
    private static final byte REQUESTS_SPLIT = 1;
    private static final byte REQUESTS_REPLACE = 2;

    /** The exception of each kind, by the kind's number. */
    private static final List<Function<Parts, Throwable>> KINDS = List.of(
            p -> new FileAlreadyExistsException(p.message, p.text("filename")),
            p -> new FileNotFoundException(p.message, p.text("filename")),
            p -> new FileReferenceNotFoundException(p.message, p.text("filename"), p.text("partition_id")),
            p -> new FileReferenceAlreadyExistsException(p.message, p.text("filename"), p.text("partition_id")),
            p -> new FileReferenceAssignedToJobException(p.message, p.text("filename"), p.text("partition_id"),
                    p.text("job_id")),
            p -> new FileReferenceNotAssignedToJobException(p.message, p.text("filename"), p.text("partition_id"),
                    p.text("job_id")),
            p -> new NewReferenceSameAsOldReferenceException(p.message, p.text("filename")),
            p -> new FileHasReferencesException(p.message, p.text("filename"), p.count("reference_count")),
            p -> new SplitRequestsFailedException(p.message, List.of(), p.requests(SplitFileReferenceRequest.class),
                    p.failures()),
            p -> new ReplaceRequestsFailedException(p.message, List.of(),
                    p.requests(ReplaceFileReferencesRequest.class), p.failures()),
            p -> new InitialiseWithFilesPresentException(p.message),
            p -> new PartitionNotFoundException(p.message, p.text("partition_id")),
            p -> new TableNotFoundException(p.message, p.text("table_id")),
            p -> new TableAlreadyExistsException(p.message, p.text("table_id")),
            p -> new StateStoreConnectionException(p.message, p.text("sqlstate")),
            p -> new StateStoreException(p.message, p.cause),
            p -> new IllegalArgumentException(p.message, p.cause));

    private Errors() {
    }

    /** Called from native code. */
    public static Throwable create(byte[] encoded) {
        return read(new WireReader(encoded));
    }

    /** Reads one encoded error as its exception. */
    public static Throwable read(WireReader in) {
        Parts parts = Parts.read(in);
        if (parts.kind < 0 || parts.kind >= KINDS.size()) {
            return new StateStoreException(parts.message + " (unknown error kind " + parts.kind + ")", parts.cause);
        }
        return KINDS.get(parts.kind).apply(parts);
    }

    /**
     * An encoded error read from an answer, as the StateStoreException it stands for: a store error as
     * {@link #create} builds it, anything else wrapped in a plain StateStoreException.
     */
    public static StateStoreException readStateStoreException(WireReader in) {
        return asStateStoreException(read(in));
    }

    private static StateStoreException asStateStoreException(Throwable error) {
        if (error instanceof StateStoreException) {
            return (StateStoreException) error;
        }
        return new StateStoreException(error.getMessage(), error);
    }

    /** An error as encoded: what every exception is built from. */
    public static final class Parts {
        public final int kind;
        public final String message;
        /** The named fields, by the core's names ({@code filename}, {@code partition_id}, ...). */
        public final Map<String, Object> fields;
        private final List<?> requests;
        private final byte requestsKind;
        public final Throwable cause;

        private Parts(int kind, String message, Map<String, Object> fields, byte requestsKind, List<?> requests,
                Throwable cause) {
            this.kind = kind;
            this.message = message;
            this.fields = fields;
            this.requestsKind = requestsKind;
            this.requests = requests;
            this.cause = cause;
        }

        public static Parts read(WireReader in) {
            int kind = Byte.toUnsignedInt(in.u8());
            String message = in.rawString();
            int count = in.i32();
            Map<String, Object> fields = new HashMap<>();
            for (int i = 0; i < count; i++) {
                String name = in.string();
                fields.put(name, in.u8() == FIELD_TEXT ? in.string() : (Object) in.i64());
            }
            byte requestsKind = in.u8();
            List<?> requests = requestsKind == REQUESTS_SPLIT ? in.splitRequests()
                    : requestsKind == REQUESTS_REPLACE ? in.replaceRequests() : List.of();
            Throwable cause = in.bool() ? Errors.read(in) : null;
            return new Parts(kind, message, Map.copyOf(fields), requestsKind, requests, cause);
        }

        String text(String name) {
            return (String) fields.get(name);
        }

        long count(String name) {
            Object value = fields.get(name);
            return value == null ? 0 : (Long) value;
        }

        @SuppressWarnings("unchecked")
        <T> List<T> requests(Class<T> type) {
            byte expected = type == SplitFileReferenceRequest.class ? REQUESTS_SPLIT : REQUESTS_REPLACE;
            return requestsKind == expected ? (List<T>) requests : List.of();
        }

        /** The failures of a batch: its cause, the specific exception of its first failing request. */
        List<StateStoreException> failures() {
            return cause == null ? List.of() : List.of(asStateStoreException(cause));
        }
    }
}
