package sleeper.statestore.postgres.internal;

/**
 * The wire format of one model class (the JNI crate's {@code wire.rs}), kept in the model class itself beside
 * its fields and private constructor, so that a new field is written into one Java file: {@link #write} encodes
 * a value as a call's arguments carry it, {@link #read} decodes one from an answer. The model package hands
 * each codec over through {@link ModelAccess}; {@link WireWriter} and {@link WireReader} call them. Internal.
 */
public interface WireCodec<T> {
    /** Encodes {@code value} as arguments carry it (strings as UTF-16 code units). */
    void write(WireWriter out, T value);

    /**
     * Decodes a value as answers carry it (strings sent once). The store wrote it, so it is built without being
     * validated again: the public constructors validate through native code, which would cost a call per object.
     */
    T read(WireReader in);
}
