package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13's point, data bigger than the driver: {@code evaluate --spark local[2]} of the MNIST test set repeated 20
 * times (200,000 samples, 627 MB as floats) in a JVM of {@code -Xmx512m}. The single-machine {@code evaluate} refuses
 * that data in that heap (one line, before allocating); on Spark the driver reads only the first sample and the
 * count, each task loads its range (at most 64 MiB of samples), and the accuracy is exactly the 10,000 samples'
 * (each counted 20 times). {@code quantize --spark} of the same data reads on the driver only the samples it
 * calibrates on.
 */
@UsesFixtures
class SparkEvaluateLargeDataTest {
    private static final int REPEATS = 20;
    private static final int TEST_SAMPLES = 10_000;
    private static final String HEAP = "512m";

    @TempDir
    Path tmp;

    /** The MNIST test images and labels repeated {@link #REPEATS} times, as plain IDX files; returns the images. */
    private Path repeatedMnist() throws IOException {
        byte[] images = gunzip(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"));
        byte[] labels = gunzip(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"));
        int n = TEST_SAMPLES * REPEATS;
        Path imagesFile = tmp.resolve("big-images-idx3-ubyte");
        try (OutputStream out = Files.newOutputStream(imagesFile)) {
            out.write(ByteBuffer.allocate(16)
                    .putInt(0x803)
                    .putInt(n)
                    .putInt(28)
                    .putInt(28)
                    .array());
            for (int r = 0; r < REPEATS; r++) {
                out.write(images, 16, images.length - 16);
            }
        }
        try (OutputStream out = Files.newOutputStream(tmp.resolve("big-labels-idx1-ubyte"))) {
            out.write(ByteBuffer.allocate(8).putInt(0x801).putInt(n).array());
            for (int r = 0; r < REPEATS; r++) {
                out.write(labels, 8, labels.length - 8);
            }
        }
        return imagesFile;
    }

    private static byte[] gunzip(Path gz) throws IOException {
        try (var in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(gz)))) {
            return in.readAllBytes();
        }
    }

    /** Output, error and exit code of {@code quanta ARGS} in a child JVM of {@link #HEAP}. */
    private record Child(int exitCode, String out, String err) {}

    private Child runInSmallHeap(List<String> args) throws IOException, InterruptedException {
        List<String> command = CliRunner.childCommand(List.of("-Xmx" + HEAP), args);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("quanta " + args + " did not end in 120 s");
        }
        return new Child(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void sparkEvaluatesDataTheDriverHeapCannotHold() throws IOException, InterruptedException {
        Path images = repeatedMnist();
        int n = TEST_SAMPLES * REPEATS;
        // the whole data as floats does not fit the heap
        assertThat(4L * 784 * n).isGreaterThan(512L << 20);
        List<String> args = new ArrayList<>(
                List.of("evaluate", MnistFixtures.model().toString(), "--data", images.toString(), "--scale", "1/255"));

        Child single = runInSmallHeap(args);
        assertThat(single.exitCode()).as(single.err()).isEqualTo(2);
        assertThat(single.err().strip().lines().count()).as(single.err()).isEqualTo(1);
        assertThat(single.err()).contains(images.getFileName().toString()).doesNotContain("\tat ");

        args.addAll(List.of("--spark", "local[2]", "--json"));
        Child spread = runInSmallHeap(args);
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(spread.out());
        assertThat(json.get("samples").asInt()).isEqualTo(n);
        // the 10,000 test samples score 9719 correct (SparkEvaluateCommandTest), each counted 20 times
        assertThat(json.get("correct").asInt()).isEqualTo(9719 * REPEATS);
        JsonNode spark = json.get("spark");
        // at most 64 MiB of samples per task: 627 MB in 10 ranges
        assertThat(spark.get("partitions").asInt()).isEqualTo(10);
        JsonNode stages = spark.get("stage_seconds");
        List<String> names = new ArrayList<>();
        stages.fieldNames().forEachRemaining(names::add);
        assertThat(names).containsExactly("load", "broadcast", "evaluate", "merge");
        for (String s : names) {
            assertThat(stages.get(s).asDouble()).as(s).isGreaterThanOrEqualTo(0).isLessThan(120);
        }

        // quantize --spark reads on the driver only the calibration samples (100, the first of the test set): the
        // file equals the one calibrated on the 10,000 test images on one machine
        Path int8 = tmp.resolve("big_int8.tflite");
        Child quantize = runInSmallHeap(List.of(
                "quantize",
                MnistFixtures.model().toString(),
                "-o",
                int8.toString(),
                "--calibration",
                images.toString(),
                "--scale",
                "1/255",
                "--samples",
                "100",
                "--spark",
                "local[2]"));
        assertThat(quantize.exitCode()).as(quantize.err()).isZero();
        Path reference = tmp.resolve("t10k_int8.tflite");
        CliRunner q = MnistFixtures.quantizeInt8(reference);
        assertThat(q.exitCode()).as(q.err()).isZero();
        assertThat(Files.readAllBytes(int8)).isEqualTo(Files.readAllBytes(reference));
    }
}
