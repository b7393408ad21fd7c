package sleeper.statestore.postgres.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the native library once per JVM: from {@code java.library.path} when it is there, otherwise from
 * the copy the jar carries at {@code native/<os>-<arch>/}, extracted to a temporary file. Internal.
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

    private static boolean onLibraryPath() {
        String fileName = System.mapLibraryName(NAME);
        String path = System.getProperty("java.library.path", "");
        for (String directory : path.split(java.io.File.pathSeparator)) {
            if (!directory.isEmpty() && Files.isRegularFile(Path.of(directory, fileName))) {
                return true;
            }
        }
        return false;
    }

    /** The resource directory for this machine, as the jar names it. */
    public static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName = os.contains("linux") ? "linux" : os.replaceAll("[^a-z0-9]", "");
        String archName = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64" : arch;
        return osName + "-" + archName;
    }

    private static void loadFromJar() {
        String resource = "/native/" + platform() + "/" + System.mapLibraryName(NAME);
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("sleeper-pg: no native library for " + platform()
                        + ": " + System.mapLibraryName(NAME) + " is neither on java.library.path nor at "
                        + resource + " in the jar (this jar is built for linux-x86_64)");
            }
            Path file = Files.createTempFile("libsleeper_pg_java-", ".so");
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
