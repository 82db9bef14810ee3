package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static dev.quanta.cli.MnistFixtures.model;
import static dev.quanta.cli.MnistFixtures.testImages;
import static dev.quanta.testing.HostileFiles.idxHeader;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.OpType;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quanta quantize}: a working run, and every bad input ending in exit code 2 with nothing half-written. */
class QuantizeCommandTest {
    @TempDir
    Path tmp;

    private void assertNothingWritten(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains(".tflite")
                            || p.getFileName().toString().contains(".tmp")))
                    .isEmpty();
        }
    }

    @Test
    @UsesFixtures
    void quantizesMnistToInt8AndReports() throws IOException {
        Path out = tmp.resolve("mnist_int8.tflite");
        CliRunner r = MnistFixtures.quantizeInt8(out);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Mode: int8 (chosen: a representative dataset was given")
                .contains("dense_6")
                .contains("FULLY_CONNECTED")
                .contains("calibrated on 100 samples")
                .contains("Wrote");
        assertThat(Files.size(out)).isBetween(100_000L, 110_000L);
        // the written model evaluates through the CLI
        CliRunner e = CliRunner.run(
                "evaluate", out.toString(), "--data", testImages().toString(), "--scale", "1/255", "--limit", "1000");
        assertThat(e.exitCode()).as(e.err()).isZero();
        assertThat(e.out()).contains("(1000 samples)");
    }

    @Test
    @UsesFixtures
    void calibrationOfTheWrongShape() throws IOException {
        Path out = tmp.resolve("out.tflite");
        String samples = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5").toString();
        CliRunner r = CliRunner.quantize(
                model(), out, "--calibration", samples, "--sample-type", "uint8", "--sample-shape", "32,32,3");
        assertOneLineError(r, "3072", "784");
        assertNothingWritten(tmp);
    }

    @Test
    @UsesFixtures
    void emptyCalibrationSet() throws IOException {
        Path empty = HostileFiles.write(tmp.resolve("empty-images-idx3-ubyte"), idxHeader(0x08, 0, 28, 28));
        Path out = tmp.resolve("out.tflite");
        CliRunner r = CliRunner.quantize(model(), out, "--calibration", empty.toString());
        assertOneLineError(r, "empty-images-idx3-ubyte");
        assertNothingWritten(tmp);
    }

    @Test
    @UsesFixtures
    void int8WithoutCalibrationDataSaysWhatIsMissing() throws IOException {
        Path out = tmp.resolve("out.tflite");
        CliRunner r = CliRunner.quantize(model(), out, "--mode", "int8");
        assertOneLineError(r, "--mode int8 calibrates activations: give --calibration DATA");
        assertNothingWritten(tmp);
        assertOneLineError(
                CliRunner.quantize(model(), out, "--io", "int8"),
                "--io int8 needs full-integer quantization, which calibrates activations: give --calibration DATA");
    }

    /** As TFLite's Optimize.DEFAULT without a representative dataset: dynamic range, and the report says so. */
    @Test
    @UsesFixtures
    void withoutModeOrCalibrationDataQuantizesDynamicRange() {
        Path out = tmp.resolve("out.tflite");
        CliRunner r = CliRunner.quantize(model(), out);
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Mode: dynamic (chosen: no representative dataset, so weights only (TFLite's "
                        + "Optimize.DEFAULT without one))");
        Model m = dev.quanta.tflite.TfliteReader.read(out);
        assertThat(m.inputs().get(0).dtype()).isEqualTo(dev.quanta.ir.DType.FLOAT32);
        assertThat(m.ops()).allSatisfy(op -> {
            assertThat(op.type()).isNotIn(OpType.QUANTIZE, OpType.DEQUANTIZE);
            if (op.type() == OpType.FULLY_CONNECTED) {
                assertThat(op.input(1).dtype()).as("weights").isEqualTo(dev.quanta.ir.DType.INT8);
                assertThat(op.output(0).dtype()).as("activations").isEqualTo(dev.quanta.ir.DType.FLOAT32);
            }
        });
        CliRunner json = CliRunner.quantize(model(), out, "--json");
        assertThat(json.out())
                .contains("\"mode\" : \"dynamic\"")
                .contains("\"mode_reason\" : \"chosen: no representative dataset");
    }

    @Test
    @UsesFixtures
    void outputPointingAtTheInputIsRefusedAndTheInputIsUntouched() throws IOException {
        Path copy = tmp.resolve("model.h5");
        Files.copy(model(), copy);
        byte[] before = Files.readAllBytes(copy);
        CliRunner r = CliRunner.quantize(copy, copy, "--mode", "float16");
        assertOneLineError(r, "is the same file as the input MODEL");
        assertThat(Files.readAllBytes(copy)).isEqualTo(before);
    }

    @Test
    @UsesFixtures
    void unwritableOutputPath() throws IOException {
        Path file = tmp.resolve("not-a-dir");
        Files.writeString(file, "x");
        Path out = file.resolve("model.tflite");
        CliRunner r = CliRunner.quantize(model(), out, "--mode", "float16");
        assertOneLineError(r, out.getParent().toString());
        assertThat(Files.readString(file)).isEqualTo("x");
    }

    /** {@link CliTestModels#relu6AfterPool()} as a Keras .h5: TFLite has no int16 ReLU6 kernel. */
    private Path modelWithStandaloneRelu6() {
        Path file = tmp.resolve("relu6.h5");
        KerasH5Writer.write(CliTestModels.relu6AfterPool(), file);
        return file;
    }

    /** {@code n} random 8×8 images as an IDX file. */
    private Path randomImages(int n) {
        byte[] px = new byte[n * 64];
        new SplittableRandom(9).nextBytes(px);
        return HostileFiles.write(tmp.resolve("cal-images-idx3-ubyte"), idxHeader(0x08, n, 8, 8), px);
    }

    @Test
    void opWithoutIntegerKernelNamesTheLayerAndOffersFallback() throws IOException {
        Path model = modelWithStandaloneRelu6();
        Path cal = randomImages(20);
        Path out = tmp.resolve("out_int16.tflite");
        String[] int16x8 = {"--mode", "int16x8", "--calibration", cal.toString(), "--scale", "1/255"};
        CliRunner r = CliRunner.quantize(model, out, CliRunner.args(int16x8, "--sample-shape", "8,8,1"));
        assertOneLineError(r, "re_lu", "RELU6", "--allow-float-fallback");
        assertThat(out).doesNotExist();

        CliRunner ok = CliRunner.quantize(model, out, CliRunner.args(int16x8, "--allow-float-fallback"));
        assertThat(ok.exitCode()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("Left in float:").contains("re_lu (RELU6)");
        assertThat(out).exists();
    }

    @Test
    @UsesFixtures
    void aSmallCalibrationSetIsWarnedOnStandardErrorAndInJson() throws IOException {
        Path out = tmp.resolve("out.tflite");
        CliRunner r = CliRunner.quantize(
                model(), out, "--calibration", testImages().toString(), "--scale", "1/255", "--samples", "20");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.err().lines().filter(l -> l.startsWith("quanta: warning: ")))
                .contains("quanta: warning: calibrated on 20 samples; about 100 to 500 representative samples are"
                        + " advised");
        assertThat(r.out()).doesNotContain("warning");
        CliRunner json = CliRunner.quantize(
                model(),
                tmp.resolve("out2.tflite"),
                "--calibration",
                testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "20",
                "--json");
        assertThat(json.exitCode()).as(json.err()).isZero();
        assertThat(json.out())
                .contains("\"warnings\" : [ \"calibrated on 20 samples; about 100 to 500 representative samples are"
                        + " advised\"");
    }
}
