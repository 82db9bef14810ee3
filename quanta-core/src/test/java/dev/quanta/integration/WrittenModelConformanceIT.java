package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every file Quanta writes, in every mode × scheme × granularity, on real fixture models (IC, MNIST, VWW, AD and
 * the mnist_lstm LSTM, whose uint8 settings are left out: TFLite has no uint8 LSTM): it loads and runs in
 * the official TFLite runtime, and its outputs agree with Quanta's interpreter on the same inputs. Float models
 * agree within 1e-5 of the output range; hybrid (dynamic) models agree with the built-in path within 1e-5 of the
 * range; integer models are bit-exact on every sample with each path when Quanta's interpreter is set to that
 * path. The count of exact matches and the largest difference (in output steps for integer models) are printed
 * for both paths.
 */
@UsesFixtures
@UsesOracle
class WrittenModelConformanceIT {

    record Fixture(String name, Supplier<Model> model, Supplier<Dataset> data, int samples) {}

    record Setting(String name, QuantizationMode mode, QuantizationScheme scheme, Granularity granularity, IoType io) {}

    static final List<Setting> SETTINGS = List.of(
            new Setting(
                    "float32",
                    QuantizationMode.FLOAT32,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.FLOAT),
            new Setting(
                    "float16",
                    QuantizationMode.FLOAT16,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.FLOAT),
            new Setting(
                    "dynamic per-channel",
                    QuantizationMode.DYNAMIC,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.FLOAT),
            new Setting(
                    "dynamic per-tensor",
                    QuantizationMode.DYNAMIC,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_TENSOR,
                    IoType.FLOAT),
            new Setting(
                    "int8 per-channel",
                    QuantizationMode.INT8,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.FLOAT),
            new Setting(
                    "int8 per-tensor",
                    QuantizationMode.INT8,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_TENSOR,
                    IoType.FLOAT),
            new Setting(
                    "int8 per-channel int8-io",
                    QuantizationMode.INT8,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.INT8),
            new Setting(
                    "uint8 asymmetric per-tensor",
                    QuantizationMode.INT8,
                    QuantizationScheme.ASYMMETRIC,
                    Granularity.PER_TENSOR,
                    IoType.FLOAT),
            new Setting(
                    "uint8 asymmetric uint8-io",
                    QuantizationMode.INT8,
                    QuantizationScheme.ASYMMETRIC,
                    Granularity.PER_TENSOR,
                    IoType.UINT8),
            new Setting(
                    "int16x8 per-channel",
                    QuantizationMode.INT16X8,
                    QuantizationScheme.SYMMETRIC,
                    Granularity.PER_CHANNEL,
                    IoType.FLOAT));

    static final List<Fixture> FIXTURES = List.of(
            new Fixture(
                    "ic",
                    () -> KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5"),
                    KerasFixtureModels::icImages,
                    8),
            new Fixture(
                    "mnist",
                    () -> KerasFixtureModels.model("mnist/keras_mlp/mnist.h5"),
                    () -> KerasFixtureModels.idx("mnist", null).limit(100),
                    16),
            new Fixture(
                    "vww",
                    () -> KerasFixtureModels.model("mlperf-tiny/vww/vww_96.h5"),
                    () -> RandomData.uniform(new int[] {96, 96, 3}, 8, 3),
                    4),
            new Fixture("ad", () -> KerasFixtureModels.model("mlperf-tiny/ad/ad01.h5"), RandomData::adWindows, 16),
            new Fixture(
                    "lstm",
                    () -> dev.quanta.io.ModelFiles.load(
                            dev.quanta.testing.Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite")),
                    () -> KerasFixtureModels.idx("mnist", null).limit(100),
                    16));

    @TestFactory
    Stream<DynamicTest> everyWrittenModelRunsInTheOfficialRuntimeAndMatchesQuanta() throws Exception {
        Path dir = Files.createTempDirectory("quanta-conformance");
        List<DynamicTest> tests = new ArrayList<>();
        for (Fixture f : FIXTURES) {
            for (Setting s : SETTINGS) {
                if (f.name().equals("lstm") && s.scheme() == QuantizationScheme.ASYMMETRIC) {
                    continue; // TFLite has no uint8 LSTM; LstmQuantizationIT checks the refusal and the fallback
                }
                tests.add(DynamicTest.dynamicTest(f.name() + " " + s.name(), () -> check(f, s, dir)));
            }
        }
        return tests.stream();
    }

    private static void check(Fixture f, Setting s, Path dir) {
        Dataset data = f.data().get();
        Converter c = Converter.fromModel(f.model().get())
                .withConfig(QuantizationConfig.defaults()
                        .withMode(s.mode())
                        .withScheme(s.scheme())
                        .withGranularity(s.granularity())
                        .withIo(s.io())
                        .withCalibrationSamples(64)
                        .withAllowFloatFallback(s.mode() == QuantizationMode.INT16X8))
                .withRepresentativeDataset(data);
        Path file = dir.resolve(f.name() + "_" + s.name().replace(' ', '_') + ".tflite");
        TfliteWriter.write(c.convert().model(), file);
        Model written = TfliteReader.read(file);
        Tensor in = written.inputs().get(0);
        Tensor out = written.outputs().get(0);
        boolean floatModel = s.mode() == QuantizationMode.FLOAT32 || s.mode() == QuantizationMode.FLOAT16;
        double unit = floatModel || s.mode() == QuantizationMode.DYNAMIC ? Double.NaN : outputStep(written);
        double[] maxDiff = new double[2];
        int[] exact = new int[2];
        double range = 0;
        float[] x = new float[data.sampleSize()];
        try (Interpreter quantaXnn = new Interpreter(written);
                Interpreter quantaBuiltin =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            TfliteOracle[] paths = {xnn, builtin};
            Interpreter[] quantas = {quantaXnn, quantaBuiltin};
            for (int i = 0; i < f.samples(); i++) {
                data.copySample(i, x, 0);
                Object input = in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in);
                for (int p = 0; p < 2; p++) {
                    Object mine = Buffers.allocate(
                            out.dtype(), quantas[p].getOutputTensor(0).numElements());
                    quantas[p].run(input, mine);
                    float[] q = InputQuantizer.dequantize(mine, out);
                    for (float v : q) {
                        range = Math.max(range, Math.abs(v));
                    }
                    float[] ref = run(paths[p], input, out);
                    double d = 0;
                    for (int k = 0; k < q.length; k++) {
                        d = Math.max(d, Math.abs(q[k] - ref[k]));
                    }
                    maxDiff[p] = Math.max(maxDiff[p], d);
                    exact[p] += d == 0 ? 1 : 0;
                }
            }
        }
        System.out.printf(
                Locale.ROOT,
                "conformance %-5s %-28s exact XNNPACK %d/%d built-in %d/%d; max diff %s / %s%n",
                f.name(),
                s.name(),
                exact[0],
                f.samples(),
                exact[1],
                f.samples(),
                fmt(maxDiff[0], unit),
                fmt(maxDiff[1], unit));
        if (floatModel) {
            // float kernels: summation order differs from both paths, so agreement is to float rounding
            assertThat(Math.min(maxDiff[0], maxDiff[1]))
                    .as("float outputs, relative to the output range")
                    .isLessThanOrEqualTo(1e-5 * Math.max(range, 1e-6));
        } else if (s.mode() == QuantizationMode.DYNAMIC) {
            // hybrid kernels reproduce the built-in path (XNNPACK has a hybrid scheme of its own)
            assertThat(maxDiff[1])
                    .as("hybrid outputs vs built-in, relative to the output range")
                    .isLessThanOrEqualTo(1e-5 * Math.max(range, 1e-6));
        } else {
            // Quanta's integer kernels reproduce each path's arithmetic bit for bit (Interpreter.Options
            // .withKernelPath); the two paths themselves differ by a step here and there, compounding over layers
            assertThat(exact[0]).as("samples bit-exact with XNNPACK").isEqualTo(f.samples());
            assertThat(exact[1])
                    .as("samples bit-exact with the built-in kernels")
                    .isEqualTo(f.samples());
        }
    }

    private static String fmt(double d, double unit) {
        return Double.isNaN(unit)
                ? String.format(Locale.ROOT, "%.3g", d)
                : String.format(Locale.ROOT, "%.0f steps", d / unit);
    }

    /** The output's quantization step: the scale of the output, or of the tensor a float output dequantizes. */
    private static double outputStep(Model m) {
        Tensor out = m.outputs().get(0);
        if (out.quant() != null) {
            return out.quant().scale();
        }
        return m.producer(out).input(0).quant().scale();
    }

    private static float[] run(TfliteOracle o, Object input, Tensor out) {
        OracleRuns.setInput(o, input);
        o.resetVariableTensors(); // TFLite keeps LSTM states between invocations; Quanta starts each run at zero
        o.invoke();
        return OracleRuns.output(o, out);
    }
}
