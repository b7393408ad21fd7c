package sleeper.statestore.postgres.model;

import java.util.Arrays;
import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/**
 * The values of one row key field: {@code min} inclusive, {@code max} exclusive, or null for no upper
 * bound. Values are Integer, Long, String or byte[] (copied in and out, compared by content).
 */
public final class Range {
    private final String fieldName;
    private final Object min;
    private final Object max;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<Range> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, Range value) {
            out.string(value.fieldName).key(value.min, "min").key(value.max, "max");
        }

        @Override
        public Range read(WireReader in) {
            String fieldName = in.string();
            Object min = in.key();
            Object max = in.key();
            return new Range(fieldName, min, max, false);
        }
    };

    public Range(String fieldName, Object min, Object max) {
        this(Args.notNull(fieldName, "fieldName"), copy(Args.notNull(min, "min")), copy(max), true);
    }

    private Range(String fieldName, Object min, Object max, boolean validate) {
        this.fieldName = fieldName;
        this.min = min;
        this.max = max;
        if (validate) {
            WireWriter.validate(WireKind.RANGE, WIRE, this);
        }
    }

    /** A range with no upper bound. */
    public static Range from(String fieldName, Object min) {
        return new Range(fieldName, min, null);
    }

    public static Range of(String fieldName, Object min, Object max) {
        return new Range(fieldName, min, max);
    }

    public String getFieldName() {
        return fieldName;
    }

    public Object getMin() {
        return copy(min);
    }

    /** The exclusive upper bound, or null for none. */
    public Object getMax() {
        return copy(max);
    }

    private static Object copy(Object value) {
        return value instanceof byte[] ? ((byte[]) value).clone() : value;
    }

    static boolean keyEquals(Object a, Object b) {
        if (a instanceof byte[] && b instanceof byte[]) {
            return Arrays.equals((byte[]) a, (byte[]) b);
        }
        return Objects.equals(a, b);
    }

    static int keyHash(Object value) {
        return value instanceof byte[] ? Arrays.hashCode((byte[]) value) : Objects.hashCode(value);
    }

    static String describe(Object value) {
        if (value instanceof byte[]) {
            StringBuilder hex = new StringBuilder("0x");
            for (byte b : (byte[]) value) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } else if (value instanceof String) {
            return "\"" + value + "\"";
        } else if (value instanceof Long) {
            return value + "L";
        }
        return String.valueOf(value);
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Range)) {
            return false;
        }
        Range that = (Range) other;
        return fieldName.equals(that.fieldName) && keyEquals(min, that.min) && keyEquals(max, that.max);
    }

    @Override
    public int hashCode() {
        return (fieldName.hashCode() * 31 + keyHash(min)) * 31 + keyHash(max);
    }

    @Override
    public String toString() {
        return "Range{fieldName='" + fieldName + "', min=" + describe(min) + ", max="
                + (max == null ? "none" : describe(max)) + "}";
    }
}
