package sleeper.statestore.postgres.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The native methods only tests call, in the library the tests load (built with the cargo feature
 * {@code testing}; the jar's library has none of them): the JNI crate's {@code testing.rs}.
 */
public final class NativeTesting {
    /** Echo kinds beyond the model objects of {@link WireKind}, as {@code testing.rs} numbers them. */
    public static final int KEY = 100;
    public static final int UPDATE_TIME = 101;
    public static final int CUTOFF = 102;
    public static final int CLIENT_OPTIONS = 103;
    public static final int STRINGS = 104;
    public static final int LOCAL_POSTGRES_OPTIONS = 105;
    /** An {@code AllReferencesToAllFiles}, which only answers carry: Rust reads it here for the echo alone. */
    public static final int ALL_FILES = 106;

    static {
        Native.ensureLoaded();
    }

    private NativeTesting() {
    }

    /** The core's {@code testing::error_samples()}: each sample's exception name, then each encoded error. */
    public static native byte[] errorSamples();

    /** Decodes a value of {@code kind} as Java encoded it and encodes it back as answers carry it. */
    public static native byte[] echo(int kind, byte[] encoded);

    /** Fails as a call with malformed arguments does. */
    public static native void malformedCall();

    /** One error of every kind the core has, as the core names its exception and as Java reads it. */
    public static List<Sample> samples() {
        WireReader in = new WireReader(errorSamples());
        List<String> names = in.strings();
        List<byte[]> encoded = in.list(WireReader::bytes);
        List<Sample> samples = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            samples.add(new Sample(names.get(i), Errors.Parts.read(new WireReader(encoded.get(i))),
                    Errors.create(encoded.get(i))));
        }
        return samples;
    }

    /** A sample error: the core's exception name, the parts it was encoded as, and the exception Java built. */
    public static final class Sample {
        public final String exceptionName;
        public final Errors.Parts parts;
        public final Throwable exception;

        Sample(String exceptionName, Errors.Parts parts, Throwable exception) {
            this.exceptionName = exceptionName;
            this.parts = parts;
            this.exception = exception;
        }

        @Override
        public String toString() {
            return exceptionName + ": " + exception;
        }
    }
}
