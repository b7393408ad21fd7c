package sleeper.statestore.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the native library once per JVM: from {@code java.library.path} when it is there, otherwise from
 * the copy the jar carries for this platform at {@code native/<os>-<arch>/}, extracted to a temporary
 * file. The jar lists its platforms in {@code native/platforms}. Internal.
 */
public final class NativeLibrary {
    public static final String NAME = "sleeper_pg_java";

    private static boolean loaded;

    private NativeLibrary() {
    }

    public static synchronized void load() {
        if (loaded) {
            return;
        }
        if (onLibraryPath()) {
            System.loadLibrary(NAME);
        } else {
            loadFromJar();
        }
        loaded = true;
    }

    private static String libraryPath() {
        return System.getProperty("java.library.path", "");
    }

    private static boolean onLibraryPath() {
        String fileName = System.mapLibraryName(NAME);
        for (String directory : libraryPath().split(java.io.File.pathSeparator)) {
            if (!directory.isEmpty() && Files.isRegularFile(Path.of(directory, fileName))) {
                return true;
            }
        }
        return false;
    }

    /** The resource directory for this machine, as the jar names it: {@code linux-x86_64}, {@code linux-aarch64}. */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.contains("mac") ? "macos" : os.replaceAll("[^a-z0-9]", "");
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
                : arch.equals("arm64") ? "aarch64" : arch;
        return osName + "-" + archName;
    }

    /** The platforms this jar carries a library for, as listed in {@code native/platforms}. */
    static String platformsInJar() {
        try (InputStream in = NativeLibrary.class.getResourceAsStream("/native/platforms")) {
            return in == null ? "none" : new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            return "unknown (" + e + ")";
        }
    }

    private static void loadFromJar() {
        String fileName = System.mapLibraryName(NAME);
        String resource = "/native/" + platform() + "/" + fileName;
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("sleeper-pg has no native library for this platform, "
                        + platform() + ": it looked for " + resource + " in the jar, which carries libraries for "
                        + platformsInJar() + ", and for " + fileName + " on java.library.path ("
                        + libraryPath() + "). Build the library for " + platform()
                        + " (cargo build --release -p sleeper-pg-java) and put its directory on java.library.path.");
            }
            Path file = Files.createTempFile("libsleeper_pg_java-", fileName);
            try {
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                System.load(file.toAbsolutePath().toString());
            } finally {
                // Once loaded the mapping stays valid; deleting now leaves nothing behind after a crash.
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UnsatisfiedLinkError("sleeper-pg: could not extract the native library " + resource
                    + " to a temporary file: " + e);
        }
    }
}
