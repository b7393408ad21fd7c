package sleeper.statestore.postgres.internal;

/** The kinds of model object {@link Native#validate} checks; the numbers match the JNI crate. Internal. */
public final class WireKind {
    public static final int ROW_KEY_FIELD = 0;
    public static final int RANGE = 1;
    public static final int REGION = 2;
    public static final int PARTITION = 3;
    public static final int FILE_REFERENCE = 4;
    public static final int FILE = 5;
    public static final int SPLIT_REQUEST = 6;
    public static final int REPLACE_REQUEST = 7;
    public static final int ASSIGN_REQUEST = 8;
    public static final int CHECK_REQUEST = 9;

    private WireKind() {
    }
}
