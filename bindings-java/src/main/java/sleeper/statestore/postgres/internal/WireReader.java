package sleeper.statestore.postgres.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import sleeper.statestore.postgres.model.AllReferencesToAllFiles;
import sleeper.statestore.postgres.model.FileReference;
import sleeper.statestore.postgres.model.KeyType;
import sleeper.statestore.postgres.model.Partition;
import sleeper.statestore.postgres.model.ReplaceFileReferencesRequest;
import sleeper.statestore.postgres.model.RowKeyField;
import sleeper.statestore.postgres.model.SplitFileReferenceRequest;

/**
 * Decodes one answer from native code (format in the JNI crate's {@code wire.rs}). Each distinct string
 * arrives once and is shared by every object that holds it. Model objects come in the format their class's
 * {@link WireCodec} reads, and are built without validating them again, since the store wrote them; the
 * methods named after a model class are shorthands for it. Internal.
 */
public final class WireReader {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] buffer;
    private int position;
    private final List<String> strings = new ArrayList<>();
    private final ModelAccess model = ModelAccess.get();
    private long lastMillis;
    private Instant lastInstant;

    public WireReader(byte[] buffer) {
        this.buffer = buffer;
    }

    public byte u8() {
        return buffer[position++];
    }

    public boolean bool() {
        return u8() != 0;
    }

    public int i32() {
        int value = (int) INT.get(buffer, position);
        position += 4;
        return value;
    }

    public long i64() {
        long value = (long) LONG.get(buffer, position);
        position += 8;
        return value;
    }

    /** A string sent once and referred to by index afterwards; null for index -1. */
    public String string() {
        int index = i32();
        if (index < 0) {
            return null;
        }
        if (index < strings.size()) {
            return strings.get(index);
        }
        String value = rawString();
        strings.add(value);
        return value;
    }

    /** A UTF-8 string given by its length and bytes. */
    public String rawString() {
        int length = i32();
        String value = new String(buffer, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    /** A double sent as its IEEE 754 bits. */
    public double f64() {
        return Double.longBitsToDouble(i64());
    }

    public List<String> strings() {
        return list(WireReader::string);
    }

    public Instant time() {
        if (!bool()) {
            return null;
        }
        long millis = i64();
        if (lastInstant == null || millis != lastMillis) {
            lastInstant = Instant.ofEpochMilli(millis);
            lastMillis = millis;
        }
        return lastInstant;
    }

    public <T> List<T> list(Function<WireReader, T> item) {
        int count = i32();
        List<T> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(item.apply(this));
        }
        return Collections.unmodifiableList(items);
    }

    public byte[] bytes() {
        int length = i32();
        byte[] value = new byte[length];
        System.arraycopy(buffer, position, value, 0, length);
        position += length;
        return value;
    }

    private Object keyTagged(byte tag) {
        switch (tag) {
            case WireWriter.TAG_INT:
                return i32();
            case WireWriter.TAG_LONG:
                return i64();
            case WireWriter.TAG_STRING:
                return string();
            case WireWriter.TAG_BYTES:
                return bytes();
            case WireWriter.TAG_NONE:
                return null;
            default:
                throw new IllegalStateException("sleeper-pg: unknown key tag " + tag);
        }
    }

    public Object key() {
        return keyTagged(u8());
    }

    public KeyType keyType() {
        switch (u8()) {
            case WireWriter.TAG_INT:
                return KeyType.INT;
            case WireWriter.TAG_LONG:
                return KeyType.LONG;
            case WireWriter.TAG_STRING:
                return KeyType.STRING;
            default:
                return KeyType.BYTES;
        }
    }

    /** A model object, in its class's format, built without validating it again. */
    public <T> T read(WireCodec<T> codec) {
        return codec.read(this);
    }

    /** A list of model objects, each in its class's format. */
    public <T> List<T> list(WireCodec<T> codec) {
        int count = i32();
        List<T> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            items.add(codec.read(this));
        }
        return Collections.unmodifiableList(items);
    }

    public List<RowKeyField> rowKeyFields() {
        return list(model.rowKeyField());
    }

    public Partition partition() {
        return model.partition().read(this);
    }

    public List<Partition> partitions() {
        return list(model.partition());
    }

    public List<FileReference> fileReferences() {
        return list(model.fileReference());
    }

    public AllReferencesToAllFiles allFiles() {
        return model.allFiles().read(this);
    }

    public List<SplitFileReferenceRequest> splitRequests() {
        return list(model.splitRequest());
    }

    public List<ReplaceFileReferencesRequest> replaceRequests() {
        return list(model.replaceRequest());
    }

    /** Partition id to filenames, in the order sent (sorted by the store). */
    public Map<String, List<String>> partitionToFiles() {
        int count = i32();
        Map<String, List<String>> map = new LinkedHashMap<>(Math.max(16, count * 2));
        for (int i = 0; i < count; i++) {
            String partitionId = string();
            map.put(partitionId, strings());
        }
        return Collections.unmodifiableMap(map);
    }
}
