package dev.quanta.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Locates the third-party fixtures in {@code ../shared/fixtures} (override with {@code QUANTA_FIXTURES}).
 *
 * <p>Under {@code CI=true} a missing fixture fails the test; elsewhere it is skipped with a note.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The fixtures root directory. */
    public static Path root() {
        String override = System.getenv("QUANTA_FIXTURES");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String fromBuild = System.getenv("QUANTA_FIXTURES_DEFAULT");
        if (fromBuild != null && !fromBuild.isBlank() && Files.isDirectory(Path.of(fromBuild))) {
            return Path.of(fromBuild).normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            Path candidate = p.resolveSibling("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return dir.resolveSibling("shared").resolve("fixtures");
    }

    /** The fixture at {@code relative}; fails under CI and skips elsewhere when it is missing. */
    public static Path require(String relative) {
        if (Boolean.getBoolean("quanta.fastTier")) { // as dev.quanta.testing.FastTier (quanta-oracle) tells it
            fail("the fast tier reads no fixtures, but this test asks for " + relative + ": mark its class "
                    + "@UsesFixtures");
        }
        Path p = root().resolve(relative);
        if (!Files.exists(p)) {
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("fixture missing under CI=true: " + p + " (set QUANTA_FIXTURES)");
            }
            Assumptions.abort("fixture missing: " + p);
        }
        return p;
    }
}
