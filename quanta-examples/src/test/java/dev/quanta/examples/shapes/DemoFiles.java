package dev.quanta.examples.shapes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test helpers: the shipped files of the demo example (quanta-cli's resources, found through the system property
 * {@code quanta.demo.shipped} that quanta-examples' pom sets).
 */
final class DemoFiles {
    private DemoFiles() {}

    /** The folder of the shipped files. */
    static Path shippedDir() {
        String dir = System.getProperty("quanta.demo.shipped");
        if (dir == null) {
            throw new IllegalStateException("system property quanta.demo.shipped is not set; run the tests through "
                    + "Maven, or set it to " + DemoExample.SHIPPED_DIR + " of the repository");
        }
        return Path.of(dir);
    }

    /** The bytes of a shipped file of the demo example. */
    static byte[] shipped(String name) {
        Path file = shippedDir().resolve(name);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("shipped demo file " + file + " cannot be read", e);
        }
    }
}
