package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.testing.Fixtures;
import dev.quanta.testing.OnnxMutator;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutants of {@code onnx/mnist/mnist.onnx} ({@link OnnxMutator}, seeded) through {@code quanta summary}: each either
 * loads (exit code 0) or is refused with exit code 2 and one line on standard error that names the file, without a
 * stack trace. The ONNX reader's full fuzzing (2,000 mutants of three files, time and memory bounds) is
 * {@code OnnxFuzzIT} in quanta-core; this checks the same refusals reach the user as the CLI promises.
 */
@UsesFixtures
class OnnxMutantsCommandTest {
    private static final int MUTANTS = 150;

    @TempDir
    Path tmp;

    @Test
    void everyMutantIsSummarizedOrRefusedOnOneLine() throws IOException {
        byte[] original = Files.readAllBytes(Fixtures.require("onnx/mnist/mnist.onnx"));
        OnnxMutator mutator = new OnnxMutator(original);
        int loaded = 0;
        int refused = 0;
        for (int i = 0; i < MUTANTS; i++) {
            OnnxMutator.Mutant m = mutator.mutate(new SplittableRandom(7_000 + i));
            Path file = Files.write(tmp.resolve("mutant" + i + ".onnx"), m.bytes());
            CliRunner r = CliRunner.run("summary", file.toString());
            if (r.exitCode() == 0) {
                loaded++;
                assertThat(r.out()).as("mutant %d (%s)", i, m.what()).startsWith("Model: ");
            } else {
                refused++;
                assertOneLineError(r, file.toString());
            }
        }
        System.out.printf("OnnxMutantsCommandTest: %d mutants, %d summarized, %d refused%n", MUTANTS, loaded, refused);
        assertThat(loaded).isPositive();
        assertThat(refused).isPositive();
    }
}
