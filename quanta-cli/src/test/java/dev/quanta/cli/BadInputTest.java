package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static dev.quanta.testing.HostileFiles.idxHeader;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.testing.Fixtures;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every bad input ends with exit code 2 and one line on standard error that names the file and what is wrong; no
 * stack trace unless {@code --verbose}.
 */
class BadInputTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void truncatedH5() throws IOException {
        byte[] full = Files.readAllBytes(MnistFixtures.model());
        Path cut = tmp.resolve("truncated.h5");
        Files.write(cut, Arrays.copyOf(full, full.length / 3));
        assertOneLineError(CliRunner.run("summary", cut.toString()), cut.toString());
    }

    @Test
    void randomBytesH5() throws IOException {
        byte[] junk = new byte[4096];
        new SplittableRandom(3).nextBytes(junk);
        Path p = tmp.resolve("random.h5");
        Files.write(p, junk);
        assertOneLineError(CliRunner.run("summary", p.toString()), p.toString());
    }

    @Test
    @UsesFixtures
    void h5WithoutModelConfigSuggestsConfig() {
        Path p = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        assertOneLineError(CliRunner.run("summary", p.toString()), p.toString(), "model_config", "--config");
    }

    @Test
    @UsesFixtures
    void unknownLayerClassNamesTheLayer() throws IOException {
        Path config = Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json");
        String json = Files.readString(config);
        assertThat(json).contains("\"MaxPooling2D\"");
        Path edited = tmp.resolve("unknown-layer.json");
        Files.writeString(edited, json.replaceFirst("\"MaxPooling2D\"", "\"FancyPooling2D\""));
        Path weights = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        assertOneLineError(
                CliRunner.run("summary", weights.toString(), "--config", edited.toString()),
                "FancyPooling2D",
                "unsupported");
    }

    @Test
    @UsesFixtures
    void weightShapeMismatchNamesLayerAndShapes() throws IOException {
        Path config = Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json");
        String json = Files.readString(config);
        assertThat(json).contains("\"units\": 256");
        Path edited = tmp.resolve("wrong-units.json");
        Files.writeString(edited, json.replaceFirst("\"units\": 256", "\"units\": 128"));
        Path weights = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        CliRunner r = CliRunner.run("summary", weights.toString(), "--config", edited.toString());
        assertOneLineError(r, "256", "128");
    }

    @Test
    @UsesFixtures
    void datasetShapeThatDoesNotFitTheModel() {
        Path model = MnistFixtures.model();
        Path images = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        CliRunner r = CliRunner.run(
                "evaluate",
                model.toString(),
                "--data",
                images.toString(),
                "--sample-type",
                "uint8",
                "--sample-shape",
                "32,32,3");
        assertOneLineError(r, "3072", "784");
    }

    @Test
    @UsesFixtures
    void labelsOutOfRange() throws IOException {
        Path model = MnistFixtures.model();
        int n = 3;
        Path img =
                HostileFiles.write(tmp.resolve("bad-images-idx3-ubyte"), idxHeader(0x08, n, 28, 28), new byte[n * 784]);
        Path lab = HostileFiles.write(tmp.resolve("bad-labels-idx1-ubyte"), idxHeader(0x08, n), new byte[] {1, 12, 3});
        CliRunner r = CliRunner.run("evaluate", model.toString(), "--data", img.toString(), "--labels", lab.toString());
        assertOneLineError(r, "label 12 at sample 1", "out of range", "10 classes");
    }

    @Test
    @UsesFixtures
    void missingFile() {
        Path p = tmp.resolve("nope.h5");
        assertOneLineError(CliRunner.run("summary", p.toString()), p.toString(), "no such file");
        Path model = MnistFixtures.model();
        Path data = tmp.resolve("missing-images-idx3-ubyte.gz");
        assertOneLineError(CliRunner.run("evaluate", model.toString(), "--data", data.toString()), data.toString());
    }

    @Test
    void verbosePrintsTheStackTrace() {
        Path p = tmp.resolve("nope.h5");
        CliRunner r = CliRunner.run("summary", "--verbose", p.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("QuantaException").contains("\tat ");
    }
}
