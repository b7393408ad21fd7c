package sleeper.statestore.postgres.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import sleeper.statestore.postgres.model.AllReferencesToAFile;
import sleeper.statestore.postgres.model.AssignJobIdRequest;
import sleeper.statestore.postgres.model.CheckFileAssignmentsRequest;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.Region;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * Encodes the arguments of one native call (the format is described in the JNI crate's {@code wire.rs}).
 * Strings go as UTF-16 code units, unchanged, so that Rust sees and refuses unpaired surrogates. Model objects
 * go in the format their class's {@link WireCodec} writes; the methods named after a model class are
 * shorthands for it. Internal.
 */
public final class WireWriter {
    static final byte TAG_INT = 0;
    static final byte TAG_LONG = 1;
    static final byte TAG_STRING = 2;
    static final byte TAG_BYTES = 3;
    static final byte TAG_NONE = (byte) 255;

    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle CHAR = MethodHandles.byteArrayViewVarHandle(char[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] buffer;
    private int position;

    public WireWriter() {
        this(64);
    }

    public WireWriter(int capacity) {
        buffer = new byte[Math.max(16, capacity)];
    }

    public byte[] toBytes() {
        return Arrays.copyOf(buffer, position);
    }

    private void reserve(int bytes) {
        int needed = position + bytes;
        if (needed < 0) {
            throw new IllegalArgumentException("the arguments are too large to pass in one call");
        }
        if (needed > buffer.length) {
            long grown = Math.max((long) buffer.length * 2, needed);
            buffer = Arrays.copyOf(buffer, (int) Math.min(grown, Integer.MAX_VALUE - 8));
        }
    }

    public WireWriter u8(byte value) {
        reserve(1);
        buffer[position++] = value;
        return this;
    }

    public WireWriter bool(boolean value) {
        return u8(value ? (byte) 1 : (byte) 0);
    }

    public WireWriter i32(int value) {
        reserve(4);
        INT.set(buffer, position, value);
        position += 4;
        return this;
    }

    public WireWriter i64(long value) {
        reserve(8);
        LONG.set(buffer, position, value);
        position += 8;
        return this;
    }

    /** A string, or null. */
    public WireWriter string(String value) {
        if (value == null) {
            return i32(-1);
        }
        int length = value.length();
        i32(length);
        reserve(length * 2);
        for (int i = 0; i < length; i++) {
            CHAR.set(buffer, position, value.charAt(i));
            position += 2;
        }
        return this;
    }

    public WireWriter strings(List<String> values) {
        i32(values.size());
        for (String value : values) {
            string(value);
        }
        return this;
    }

    /**
     * A time, or null, as epoch milliseconds (rounded down). An instant beyond the range of a {@code long}
     * of milliseconds ({@link Instant#MAX}, {@link Instant#MIN}) goes as {@link Long#MAX_VALUE} or
     * {@link Long#MIN_VALUE}: both lie beyond what the store can keep, as the instant does, so the core
     * treats them alike, refusing either as an update time and taking the nearest instant it keeps as a cutoff.
     */
    public WireWriter time(Instant value) {
        if (value == null) {
            return bool(false);
        }
        return bool(true).i64(epochMillis(value));
    }

    /** {@link Instant#toEpochMilli()}, saturated to the range of a {@code long} instead of overflowing. */
    static long epochMillis(Instant value) {
        try {
            return value.toEpochMilli();
        } catch (ArithmeticException e) {
            return value.getEpochSecond() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** A row key value: Integer, Long, String or byte[]; null writes "none". */
    public WireWriter key(Object value, String name) {
        if (value == null) {
            return u8(TAG_NONE);
        } else if (value instanceof Integer) {
            return u8(TAG_INT).i32((Integer) value);
        } else if (value instanceof Long) {
            return u8(TAG_LONG).i64((Long) value);
        } else if (value instanceof String) {
            return u8(TAG_STRING).string((String) value);
        } else if (value instanceof byte[]) {
            byte[] bytes = (byte[]) value;
            u8(TAG_BYTES).i32(bytes.length);
            reserve(bytes.length);
            System.arraycopy(bytes, 0, buffer, position, bytes.length);
            position += bytes.length;
            return this;
        }
        throw new IllegalArgumentException(name + " must be an Integer, Long, String or byte[], got "
                + value.getClass().getName());
    }

    /** A row key field's type, as the tag of its values. */
    public WireWriter keyType(KeyType type) {
        switch (type) {
            case INT:
                return u8(TAG_INT);
            case LONG:
                return u8(TAG_LONG);
            case STRING:
                return u8(TAG_STRING);
            default:
                return u8(TAG_BYTES);
        }
    }

    /** A model object, in its class's format. */
    public <T> WireWriter write(WireCodec<T> codec, T value) {
        codec.write(this, value);
        return this;
    }

    /** A list of model objects: its size, then each in its class's format. */
    public <T> WireWriter list(WireCodec<T> codec, List<? extends T> values) {
        i32(values.size());
        for (T value : values) {
            codec.write(this, value);
        }
        return this;
    }

    private static ModelAccess model() {
        return ModelAccess.get();
    }

    public WireWriter rowKeyFields(List<RowKeyField> fields) {
        return list(model().rowKeyField(), fields);
    }

    public WireWriter region(Region region) {
        return write(model().region(), region);
    }

    public WireWriter partition(Partition partition) {
        return write(model().partition(), partition);
    }

    public WireWriter partitions(List<Partition> partitions) {
        return list(model().partition(), partitions);
    }

    public WireWriter fileReference(FileReference reference) {
        return write(model().fileReference(), reference);
    }

    public WireWriter fileReferences(List<FileReference> references) {
        return list(model().fileReference(), references);
    }

    public WireWriter files(List<AllReferencesToAFile> files) {
        return list(model().file(), files);
    }

    public WireWriter splitRequests(List<SplitFileReferenceRequest> requests) {
        return list(model().splitRequest(), requests);
    }

    public WireWriter replaceRequests(List<ReplaceFileReferencesRequest> requests) {
        return list(model().replaceRequest(), requests);
    }

    public WireWriter assignRequests(List<AssignJobIdRequest> requests) {
        return list(model().assignRequest(), requests);
    }

    public WireWriter checkRequests(List<CheckFileAssignmentsRequest> requests) {
        return list(model().checkRequest(), requests);
    }

    /**
     * Runs the core's validation of a model object of {@code kind} ({@link WireKind}):
     * IllegalArgumentException when it breaks a rule.
     */
    public static <T> void validate(int kind, WireCodec<T> codec, T value) {
        Native.validate(kind, new WireWriter().write(codec, value).toBytes());
    }
}
