package dev.quanta.kernels;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.kernels.conv.ConvolutionKernels;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The TFLite converter's int8 MLPerf Tiny models, read by {@link TfliteReader}, run through Quanta's integer kernels
 * and through the official runtime on both of its paths, on real inputs. Every output must be bit-exact with the
 * path Quanta reproduces; the report line gives per model and path the exact count, the largest difference in
 * output steps and the top-1 agreement with the labels.
 */
@UsesFixtures
@UsesOracle
class FixtureConformanceTest {
    private static final String ROOT = "mlperf-tiny/";

    /** One labelled (or unlabelled, label −1) int8 input. */
    record Sample(byte[] input, int label) {}

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("ic", "kws", "vww", "ad")) {
            for (QuantizedPath path : QuantizedPath.values()) {
                out.add(Arguments.of(model, path));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void bitExactWithTheOfficialRuntime(String which, QuantizedPath path) throws IOException {
        Path file = Fixtures.require(ROOT
                + switch (which) {
                    case "ic" -> "ic/pretrainedResnet_quant.tflite";
                    case "kws" -> "kws/kws_ref_model.tflite";
                    case "vww" -> "vww/vww_96_int8.tflite";
                    default -> "ad/ad01_int8.tflite";
                });
        Model model = TfliteReader.read(file);
        int inLen = Math.toIntExact(model.inputs().get(0).shape().withBatch(1).elementCount());
        List<Sample> samples = switch (which) {
            case "ic" -> icSamples();
            case "kws" -> kwsSamples();
            case "vww" -> randomSamples(40, inLen, 96);
            default -> randomSamples(100, inLen, 1);
        };
        TfliteOracle.Kernels kernels =
                path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
        int exact = 0;
        int maxDiff = 0;
        int quantaTop1 = 0;
        int oracleTop1 = 0;
        try (TfliteOracle oracle = TfliteOracle.open(file, kernels, 1);
                KernelRunner quanta = new KernelRunner(model, path);
                Interpreter interpreter = new Interpreter(model)) {
            byte[] viaInterpreter = new byte[oracle.outputLength(0)];
            for (Sample s : samples) {
                oracle.setInput(0, s.input());
                oracle.invoke();
                byte[] want = oracle.outputInt8(0);
                quanta.run(s.input());
                byte[] got = (byte[]) quanta.output();
                if (path == QuantizedPath.XNNPACK) {
                    // the interpreter's default kernels are the XNNPACK-path ones
                    interpreter.run(s.input(), viaInterpreter);
                    assertThat(viaInterpreter)
                            .as("Interpreter vs XNNPACK-path kernels")
                            .isEqualTo(got);
                }
                int d = 0;
                for (int i = 0; i < got.length; i++) {
                    d = Math.max(d, Math.abs(got[i] - want[i]));
                }
                exact += d == 0 ? 1 : 0;
                maxDiff = Math.max(maxDiff, d);
                if (s.label() >= 0) {
                    quantaTop1 += argmax(got) == s.label() ? 1 : 0;
                    oracleTop1 += argmax(want) == s.label() ? 1 : 0;
                }
            }
        }
        String top1 = samples.get(0).label() >= 0
                ? String.format(
                        ", top-1 Quanta %d/%d, TFLite %d/%d", quantaTop1, samples.size(), oracleTop1, samples.size())
                : "";
        System.out.printf(
                "conformance %-4s %-8s bit-exact %d/%d, max |diff| %d steps%s%n",
                which, path, exact, samples.size(), maxDiff, top1);
        assertThat(exact)
                .as(which + " on " + path + ": bit-exact outputs (max diff " + maxDiff + ")")
                .isEqualTo(samples.size());
    }

    /** The 200 IC perf samples: int8 = pixel − 128, labels from y_labels.csv ({@code file.bin,10,class}). */
    static List<Sample> icSamples() throws IOException {
        Path dir = Fixtures.require(ROOT + "ic/perf_samples_v0.5");
        List<Sample> out = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("y_labels.csv"))) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split(",");
            byte[] img = Files.readAllBytes(dir.resolve(f[0]));
            for (int j = 0; j < img.length; j++) {
                img[j] = (byte) ((img[j] & 0xFF) - 128);
            }
            out.add(new Sample(img, Integer.parseInt(f[2])));
        }
        return out;
    }

    /** The 1000 KWS MFCC samples, bytes as int8 as they are; the label is the number before {@code .bin}. */
    static List<Sample> kwsSamples() throws IOException {
        Path dir = Fixtures.require(ROOT + "kws/kws01_mfcc");
        List<Sample> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p :
                    files.filter(p -> p.toString().endsWith(".bin")).sorted().toList()) {
                String name = p.getFileName().toString();
                String stem = name.substring(0, name.length() - 4);
                int label = Integer.parseInt(stem.substring(stem.lastIndexOf('_') + 1));
                out.add(new Sample(Files.readAllBytes(p), label));
            }
        }
        return out;
    }

    static List<Sample> randomSamples(int n, int len, long seed) {
        Random r = new Random(seed);
        List<Sample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[len];
            r.nextBytes(b);
            out.add(new Sample(b, -1));
        }
        return out;
    }

    static Stream<Arguments> hybridCases() {
        List<Arguments> out = new ArrayList<>();
        for (String model : List.of("kws-hybrid", "toycar-hybrid")) {
            for (QuantizedPath path : QuantizedPath.values()) {
                out.add(Arguments.of(model, path));
            }
        }
        return out.stream();
    }

    /**
     * The converter's dynamic-range models (float32 in and out, int8 weights): Quanta's hybrid kernels follow the
     * built-in path; the report gives how close the XNNPACK path comes.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("hybridCases")
    void hybridModels(String which, QuantizedPath path) throws IOException {
        Path file = Fixtures.require(ROOT
                + (which.startsWith("kws")
                        ? "kws/kws_ref_model_float32.tflite"
                        : "ad/model_ToyCar_quant_dynamic_range.tflite"));
        Model model = TfliteReader.read(file);
        int inLen = Math.toIntExact(model.inputs().get(0).shape().withBatch(1).elementCount());
        List<float[]> inputs = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        if (which.startsWith("kws")) {
            for (Sample s : kwsSamples().subList(0, 200)) {
                float[] f = new float[s.input().length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (s.input()[i] - 83) * 0.5847029f;
                }
                inputs.add(f);
                labels.add(s.label());
            }
        } else {
            Random r = new Random(5);
            for (int i = 0; i < 50; i++) {
                float[] f = new float[inLen];
                for (int j = 0; j < inLen; j++) {
                    f[j] = (float) (r.nextGaussian() * 2);
                }
                inputs.add(f);
                labels.add(-1);
            }
        }
        TfliteOracle.Kernels kernels =
                path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
        int exact = 0;
        double maxRel = 0;
        int quantaTop1 = 0;
        int oracleTop1 = 0;
        // (ToyCar was converted with asymmetric_quantize_inputs = false: the reader records it on the op)
        ConvolutionKernels.BuiltinRounding tuning = ConvolutionKernels.BuiltinRounding.DEFAULT;
        try (TfliteOracle oracle = TfliteOracle.open(file, kernels, 1);
                KernelRunner quanta = new KernelRunner(model, path, tuning, 1)) {
            for (int s = 0; s < inputs.size(); s++) {
                float[] in = inputs.get(s);
                float[] want = oracle.runFloat(in);
                quanta.run(in);
                float[] got = (float[]) quanta.output();
                boolean same = true;
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToIntBits(got[i]) != Float.floatToIntBits(want[i])) {
                        same = false;
                        maxRel = Math.max(maxRel, Math.abs(got[i] - want[i]) / Math.max(1e-6, Math.abs(want[i])));
                    }
                }
                exact += same ? 1 : 0;
                if (labels.get(s) >= 0) {
                    quantaTop1 += argmax(got) == labels.get(s) ? 1 : 0;
                    oracleTop1 += argmax(want) == labels.get(s) ? 1 : 0;
                }
            }
        }
        System.out.printf(
                "hybrid %-13s %-8s bit-exact %d/%d, max rel diff %.3g%s%n",
                which,
                path,
                exact,
                inputs.size(),
                maxRel,
                labels.get(0) >= 0 ? String.format(", top-1 Quanta %d, TFLite %d", quantaTop1, oracleTop1) : "");
        if (path == QuantizedPath.BUILTIN && which.startsWith("toycar")) {
            // only hybrid FULLY_CONNECTED ops: bit-exact; KWS also has float DEPTHWISE_CONV_2D and FULLY_CONNECTED,
            // whose float summation order differs from TFLite's
            assertThat(exact)
                    .as(which + " bit-exact with the built-in hybrid kernels")
                    .isEqualTo(inputs.size());
        }
    }

    @SuppressWarnings("unused")
    private static String show(byte[] b) {
        return Arrays.toString(b);
    }
}
