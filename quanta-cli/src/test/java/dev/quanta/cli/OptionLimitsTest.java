package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.SpecialFiles;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Numeric options that would make sizes overflow or explode (or make no sense) are refused before any work: exit
 * code 2, one line on standard error naming the flag, nothing on standard output.
 */
class OptionLimitsTest {
    @TempDir
    Path tmp;

    private static String mnist() {
        return MnistFixtures.model().toString();
    }

    private static String images() {
        return MnistFixtures.testImages().toString();
    }

    /** Runs the CLI and checks the refusal: quick, one line naming the flag and each fragment, no output. */
    private static void refused(String[] args, String... fragments) {
        long start = System.nanoTime();
        CliRunner r = CliRunner.run(args);
        double seconds = (System.nanoTime() - start) / 1e9;
        assertOneLineError(r, fragments);
        assertThat(r.err()).startsWith("quanta: ").doesNotContain("internal error");
        assertThat(r.out()).as("standard output of %s", String.join(" ", args)).isEmpty();
        // a refusal comes before any inference (the old --threads 100000 took 43 s to fail)
        assertThat(seconds).as("seconds to refuse %s", String.join(" ", args)).isLessThan(20);
    }

    private static String[] args(String... a) {
        return a;
    }

    @Test
    @UsesFixtures
    void benchmarkRefusesSizesThatOverflowOrExplode() {
        refused(args("benchmark", mnist(), "--batch", "2000000000"), "--batch", "2000000000", "268435456");
        refused(
                args("benchmark", mnist(), "--runs", "2000000000"),
                "--runs must be between 1 and 10000000",
                "2000000000");
        refused(
                args("benchmark", mnist(), "--input-shape", "1,100000,100000,3"),
                "--input-shape [1, 100000, 100000, 3] has 30000000000 elements",
                "268435456");
        // the batch is allowed on its own, the input it makes for this model is not: the file is named too
        refused(args("benchmark", mnist(), "--batch", "1000000"), mnist(), "--batch 1000000", "784000000 elements");
    }

    @Test
    @UsesFixtures
    void benchmarkRefusesTooManyThreadsAtOnceWithoutStartingThem() {
        long before = quantaThreads();
        int max = Interpreter.MAX_THREADS;
        refused(
                args("benchmark", mnist(), "--threads", "100000"),
                "--threads must be between 1 and " + max + " (8 per CPU), got 100000");
        refused(args("benchmark", mnist(), "--threads", "1,100000"), "--threads", "100000");
        refused(args("benchmark", mnist(), "--parallel", "100000"), "--parallel must be between 1 and " + max);
        refused(
                args("benchmark", mnist(), "--parallel", String.valueOf(max), "--threads", "2"),
                "--parallel " + max + " with --threads 2 makes " + 2 * max + " threads, more than the " + max);
        assertThat(quantaThreads()).isEqualTo(before);
    }

    private static long quantaThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("quanta-"))
                .count();
    }

    @Test
    @UsesFixtures
    void benchmarkRefusesCountsBelowTheirMinimum() {
        refused(args("benchmark", mnist(), "--runs", "0"), "--runs", "got 0");
        refused(args("benchmark", mnist(), "--warmup", "-1"), "--warmup", "got -1");
        refused(args("benchmark", mnist(), "--warmup", "2000000000"), "--warmup", "10000000");
        refused(args("benchmark", mnist(), "--batch", "0"), "--batch", "got 0");
        refused(args("benchmark", mnist(), "--threads", "0"), "--threads", "got 0");
        refused(args("benchmark", mnist(), "--parallel", "0"), "--parallel", "got 0");
        refused(args("benchmark", mnist(), "--input-shape", "3,0,28"), "--input-shape", "[3, 0, 28]");
        refused(args("benchmark", mnist(), "--input-shape", "3,28"), mnist(), "--input-shape [3, 28]", "rank 3");
    }

    @Test
    @UsesFixtures
    void benchmarkPrintsNothingWhenASecondModelIsRefused() throws IOException {
        Path junk = tmp.resolve("junk.tflite");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        refused(args("benchmark", mnist(), junk.toString(), "--runs", "3", "--warmup", "0"), junk.toString());
    }

    @Test
    @UsesFixtures
    void evaluateRefusesItsNumericOptionsOutOfRange() {
        int max = Interpreter.MAX_THREADS;
        refused(
                args("evaluate", mnist(), "--data", images(), "--threads", "100000"),
                "--threads must be between 1 and " + max + " (8 per CPU), got 100000");
        refused(args("evaluate", mnist(), "--data", images(), "--threads", "0"), "--threads", "got 0");
        refused(
                args("evaluate", mnist(), "--data", images(), "--parallel", "100000"),
                "--parallel must be between 1 and " + max + " (8 per CPU), got 100000");
        refused(args("evaluate", mnist(), "--data", images(), "--parallel", "0"), "--parallel", "got 0");
        refused(
                args("evaluate", mnist(), "--data", images(), "--parallel", String.valueOf(max), "--threads", "2"),
                "--parallel " + max + " with --threads 2 makes " + 2 * max + " threads, more than the " + max);
        refused(
                args("evaluate", mnist(), "--data", images(), "--batch-size", "0"),
                "--batch-size must be at least 1, got 0");
        refused(args("evaluate", mnist(), "--data", images(), "--top-k", "-2"), "--top-k must be at least 1, got -2");
        refused(
                args("evaluate", mnist(), "--data", images(), "--compare", mnist(), "--layer-samples", "0"),
                "--layer-samples must be at least 1, got 0");
    }

    @Test
    @UsesFixtures
    void compareAndQuantizeRefuseThreadAndSampleCounts() throws IOException {
        int max = Interpreter.MAX_THREADS;
        refused(
                args("compare", mnist(), mnist(), "--data", images(), "--threads", "100000"),
                "--threads must be between 1 and " + max + " (8 per CPU), got 100000");
        refused(
                args("compare", mnist(), mnist(), "--data", images(), "--samples", "0"),
                "--samples must be at least 1, got 0");
        Path out = tmp.resolve("q.tflite");
        refused(
                args("quantize", mnist(), "-o", out.toString(), "--calibration", images(), "--threads", "100000"),
                "--threads must be between 1 and " + max);
        refused(
                args("quantize", mnist(), "-o", out.toString(), "--calibration", images(), "--threads", "0"),
                "--threads",
                "got 0");
        refused(
                args("quantize", mnist(), "-o", out.toString(), "--calibration", images(), "--samples", "-5"),
                "--samples");
        assertThat(SpecialFiles.names(tmp)).isEmpty();
    }

    @Test
    void demoRefusesItsRunCount() {
        refused(args("demo", "--runs", "0"), "--runs must be between 1 and 10000000, got 0");
        refused(args("demo", "--runs", "2000000000"), "--runs", "2000000000");
    }
}
