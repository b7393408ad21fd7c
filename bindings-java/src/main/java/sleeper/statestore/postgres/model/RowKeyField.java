package sleeper.statestore.postgres.model;

import java.util.Objects;

import sleeper.statestore.postgres.internal.Args;
import sleeper.statestore.postgres.internal.WireCodec;
import sleeper.statestore.postgres.internal.WireKind;
import sleeper.statestore.postgres.internal.WireReader;
import sleeper.statestore.postgres.internal.WireWriter;

/** One row key field of a table: its name and type. A field's index in the table is its dimension. */
public final class RowKeyField {
    private final String name;
    private final KeyType type;

    /** The wire format, as {@link FileReference}'s: the fields in order, read back without validation. */
    static final WireCodec<RowKeyField> WIRE = new WireCodec<>() {
        @Override
        public void write(WireWriter out, RowKeyField value) {
            out.string(value.name).keyType(value.type);
        }

        @Override
        public RowKeyField read(WireReader in) {
            String name = in.string();
            KeyType type = in.keyType();
            return new RowKeyField(name, type, false);
        }
    };

    public RowKeyField(String name, KeyType type) {
        this(Args.notNull(name, "name"), Args.notNull(type, "type"), true);
    }

    private RowKeyField(String name, KeyType type, boolean validate) {
        this.name = name;
        this.type = type;
        if (validate) {
            WireWriter.validate(WireKind.ROW_KEY_FIELD, WIRE, this);
        }
    }

    public static RowKeyField of(String name, KeyType type) {
        return new RowKeyField(name, type);
    }

    public String getName() {
        return name;
    }

    public KeyType getType() {
        return type;
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof RowKeyField)) {
            return false;
        }
        RowKeyField that = (RowKeyField) other;
        return name.equals(that.name) && type == that.type;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type);
    }

    @Override
    public String toString() {
        return "RowKeyField{name='" + name + "', type=" + type.getName() + "}";
    }
}
