package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10's VWW finding: MLPerf Tiny's VWW MobileNet has dead BatchNorm channels (folded weights about 1e-30) in
 * conv2d_5 … conv2d_13. Quanta now quantizes them as TFLite's converter does ({@link QuantMath}'s guards), and its
 * file is compared layer by layer with the converter's {@code vww_96_int8.tflite}, both against the Keras model, on
 * natural 96×96 inputs that were not used for calibration:
 *
 * <ul>
 *   <li>calibration: MLPerf Tiny IC images 100–199 (CSV order), 32×32 RGB upscaled ×3 (bilinear, half-pixel
 *       centres), pixels / 255;
 *   <li>evaluation: IC images 0–49 upscaled the same way, and tflite-micro's person.bmp and no_person.bmp (their
 *       bytes are int8 grey, so pixel = byte + 128; rows bottom-up; grey copied to R, G and B), pixels / 255.
 * </ul>
 */
@UsesFixtures
class VwwDeadChannelsIT {
    private static final String KERAS = "mlperf-tiny/vww/vww_96.h5";
    private static final String CONVERTER = "mlperf-tiny/vww/vww_96_int8.tflite";
    private static final int SIZE = 96;

    private static Model keras;
    private static Dataset calibration;
    private static Dataset evaluation;
    private static Map<String, Double> converterSqnr;

    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        keras = ModelFiles.load(Fixtures.require(KERAS));
        calibration = icUpscaled(100, 200, List.of());
        evaluation = icUpscaled(
                0,
                50,
                List.of(
                        bitmap("tflite-micro/person_detection/person.bmp"),
                        bitmap("tflite-micro/person_detection/no_person.bmp")));
        converterSqnr = sqnrByLayer(TfliteReader.read(Fixtures.require(CONVERTER)));
    }

    static Model keras() {
        return keras;
    }

    static Dataset calibration() {
        return calibration;
    }

    static Dataset evaluation() {
        return evaluation;
    }

    /** The IC images {@code [from, to)} upscaled to 96×96, then {@code extra}, all pixels / 255. */
    static Dataset icUpscaled(int from, int to, List<float[]> extra) throws IOException {
        Path dir = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        List<String> files = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve("y_labels.csv"))) {
            if (!line.isBlank()) {
                files.add(line.split(",")[0].trim());
            }
        }
        int n = to - from + extra.size();
        int per = SIZE * SIZE * 3;
        float[] x = new float[n * per];
        for (int i = from; i < to; i++) {
            byte[] raw = Files.readAllBytes(dir.resolve(files.get(i)));
            float[] up = upscale(raw, 32);
            System.arraycopy(up, 0, x, (i - from) * per, per);
        }
        for (int e = 0; e < extra.size(); e++) {
            System.arraycopy(extra.get(e), 0, x, (to - from + e) * per, per);
        }
        return Dataset.of("vww-natural", new int[] {SIZE, SIZE, 3}, x, new int[n]);
    }

    /** Bilinear ×(96 / n) of an n×n×3 uint8 HWC image, half-pixel centres, edges clamped; values / 255. */
    static float[] upscale(byte[] rgb, int n) {
        double[] src = new double[SIZE];
        int[] i0 = new int[SIZE];
        int[] i1 = new int[SIZE];
        double[] f = new double[SIZE];
        for (int o = 0; o < SIZE; o++) {
            src[o] = Math.min(n - 1, Math.max(0, (o + 0.5) * n / SIZE - 0.5));
            i0[o] = (int) Math.floor(src[o]);
            i1[o] = Math.min(i0[o] + 1, n - 1);
            f[o] = src[o] - i0[o];
        }
        float[] out = new float[SIZE * SIZE * 3];
        for (int y = 0; y < SIZE; y++) {
            for (int xx = 0; xx < SIZE; xx++) {
                for (int c = 0; c < 3; c++) {
                    double top = px(rgb, n, i0[y], i0[xx], c) * (1 - f[xx]) + px(rgb, n, i0[y], i1[xx], c) * f[xx];
                    double bottom = px(rgb, n, i1[y], i0[xx], c) * (1 - f[xx]) + px(rgb, n, i1[y], i1[xx], c) * f[xx];
                    out[(y * SIZE + xx) * 3 + c] = (float) ((top * (1 - f[y]) + bottom * f[y]) / 255);
                }
            }
        }
        return out;
    }

    private static double px(byte[] rgb, int n, int y, int x, int c) {
        return rgb[(y * n + x) * 3 + c] & 0xff;
    }

    /** A 96×96 8-bit BMP of int8 grey bytes as RGB / 255 (pixel = byte + 128, rows stored bottom-up). */
    static float[] bitmap(String relative) throws IOException {
        byte[] b = Files.readAllBytes(Fixtures.require(relative));
        int offset = ByteBuffer.wrap(b, 10, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        float[] out = new float[SIZE * SIZE * 3];
        for (int y = 0; y < SIZE; y++) {
            int row = offset + (SIZE - 1 - y) * SIZE;
            for (int x = 0; x < SIZE; x++) {
                float grey = (b[row + x] + 128) / 255f;
                for (int c = 0; c < 3; c++) {
                    out[(y * SIZE + x) * 3 + c] = grey;
                }
            }
        }
        return out;
    }

    private static final Pattern CONVERTER_LAYER = Pattern.compile("^model/([A-Za-z0-9_]+)/");

    /**
     * The Keras layer a tensor belongs to: the converter names tensors after all the ops it fused
     * ({@code model/activation_11/Relu;model/batch_normalization_11/…}); Quanta keeps the Keras names, its Dense
     * splits into "dense/fully_connected" and the softmax "dense".
     */
    static String layerOf(String tensor) {
        Matcher m = CONVERTER_LAYER.matcher(tensor);
        if (m.find()) {
            return m.group(1);
        }
        if (tensor.startsWith("Identity") || tensor.equals("dense")) {
            return "softmax";
        }
        return tensor.equals("dense/fully_connected") ? "dense" : tensor;
    }

    /** SQNR (dB) of every layer of {@code quantized} against the Keras model on the evaluation images. */
    static Map<String, Double> sqnrByLayer(Model quantized) {
        List<LayerError> errors = LayerComparison.compare(
                keras,
                quantized,
                evaluation,
                LayerComparison.Options.defaults()
                        .withSamples(evaluation.size())
                        .withThreads(2));
        Map<String, Double> sqnr = new LinkedHashMap<>();
        String quantizedInput = keras.inputs().get(0).name() + "/quantized";
        for (LayerError e : errors) {
            if (e.tensor().equals(quantizedInput)) {
                continue; // the input's QUANTIZE, paired with the float input by name: not a layer of both files
            }
            sqnr.put(layerOf(e.tensor()), e.sqnrDb());
        }
        return sqnr;
    }

    /** The table of Quanta against the converter, worst first; returns the smallest difference (dB). */
    static double printAndWorstDifference(String title, Map<String, Double> quanta) {
        assertThat(quanta.keySet()).containsExactlyInAnyOrderElementsOf(converterSqnr.keySet());
        List<String> layers = new ArrayList<>(quanta.keySet());
        layers.sort(
                (a, b) -> Double.compare(quanta.get(a) - converterSqnr.get(a), quanta.get(b) - converterSqnr.get(b)));
        StringBuilder sb = new StringBuilder(String.format(
                Locale.ROOT,
                "%s (%d evaluation images)%n%-20s %8s %10s %7s%n",
                title,
                evaluation.size(),
                "layer",
                "Quanta",
                "converter",
                "diff"));
        for (String l : layers) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-20s %8.2f %10.2f %7.2f%n",
                    l,
                    quanta.get(l),
                    converterSqnr.get(l),
                    quanta.get(l) - converterSqnr.get(l)));
        }
        System.out.print(sb);
        return quanta.get(layers.get(0)) - converterSqnr.get(layers.get(0));
    }

    /**
     * With the converter's own activation parameters, Quanta's weights, biases and multipliers are what is compared:
     * within 1 dB of the converter's file at every layer (they are bit for bit the converter's weights, dead
     * channels included). Before the guards, activation_11 was 13 dB below.
     */
    @Test
    void withTheConvertersActivationRangesEveryLayerIsWithin1dB() throws IOException {
        Model floatModel = FloatGraphPasses.apply(keras);
        Model converter = TfliteReader.read(Fixtures.require(CONVERTER));
        Calibration ranges = rangesOf(converter, floatModel);
        Rewritten r = FullIntegerRewriter.rewrite(
                floatModel, QuantizationConfig.defaults().withMode(QuantizationMode.INT8), ranges);
        Path file = tmp.resolve("vww_quanta_converter_ranges.tflite");
        TfliteWriter.write(r.model(), file);
        Model written = TfliteReader.read(file);

        double worst = printAndWorstDifference(
                "VWW, Quanta's weights with the converter's activation ranges", sqnrByLayer(written));
        assertThat(worst).as("min over layers of Quanta − converter SQNR (dB)").isGreaterThanOrEqualTo(-1.0);
        assertSameWeightsAsTheConverter(written, converter);
    }

    /**
     * End to end, calibrated on IC images 100–199: the dead-channel layers are healthy (activation_11, _20 and _22
     * were at 9.1, 11.1 and 9.8 dB), every layer is within 2 dB of the converter's file, and the report names every
     * dead channel. The remaining gap (up to 1.8 dB, activation_14) is the activation ranges: the converter was
     * calibrated on VWW's own images, narrower than the ranges min/max finds on upscaled CIFAR images.
     */
    @Test
    void calibratedOnOtherImagesTheDeadChannelLayersAreHealthyAndEveryLayerWithin2dB() throws IOException {
        Converter.Conversion c = Converter.fromModel(keras)
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.INT8))
                .withRepresentativeDataset(calibration)
                .convert();
        Path file = tmp.resolve("vww_quanta.tflite");
        TfliteWriter.write(c.model(), file);
        Map<String, Double> quanta = sqnrByLayer(TfliteReader.read(file));
        double worst = printAndWorstDifference("VWW, Quanta calibrated on IC images 100-199 (upscaled)", quanta);

        assertThat(worst).as("min over layers of Quanta − converter SQNR (dB)").isGreaterThanOrEqualTo(-2.0);
        for (String l : List.of("activation_11", "activation_20", "activation_22")) {
            assertThat(quanta.get(l)).as(l).isGreaterThan(18.0);
        }
        // every channel whose folded weights are all below 5e-7 is reported, and no other
        Map<String, Integer> dead = new LinkedHashMap<>();
        for (Op op : FloatGraphPasses.apply(keras).ops()) {
            if (op.type() == OpType.CONV_2D || op.type() == OpType.DEPTHWISE_CONV_2D) {
                int n = deadChannels(op);
                if (n > 0) {
                    dead.put(op.origin().layerName(), n);
                }
            }
        }
        Map<String, Integer> reported = new LinkedHashMap<>();
        for (ScaleAdjustment a : c.report().scaleAdjustments()) {
            reported.merge(a.layer(), 1, Integer::sum);
            assertThat(a.causes()).contains(ScaleAdjustment.Cause.MINIMUM_SCALE);
        }
        System.out.println("VWW dead channels per layer: " + dead);
        assertThat(reported).isEqualTo(dead);
        // the text report: one line per layer (971 channels in 9 lines), each naming its layer and channel count
        String text = c.report().render();
        String section = text.substring(text.indexOf("Weight scales adjusted ("), text.indexOf("Weights: "));
        System.out.print(section);
        List<String> lines = section.lines().skip(1).toList();
        assertThat(lines).hasSize(dead.size());
        int i = 0;
        for (Map.Entry<String, Integer> e : dead.entrySet()) {
            assertThat(lines.get(i++))
                    .startsWith("  " + e.getKey() + ": " + e.getValue() + " channels (minimum scale " + e.getValue());
        }
        int total = dead.values().stream().mapToInt(Integer::intValue).sum();
        assertThat(section).startsWith("Weight scales adjusted (" + total + " channels in 9 layers");
        assertThat(c.report()
                        .render(true)
                        .lines()
                        .filter(l -> l.contains(" channel "))
                        .count())
                .isEqualTo(total);
        assertThat(dead.keySet())
                .containsExactly(
                        "conv2d_5",
                        "conv2d_6",
                        "conv2d_7",
                        "conv2d_8",
                        "conv2d_9",
                        "conv2d_10",
                        "conv2d_11",
                        "conv2d_12",
                        "conv2d_13");
    }

    /**
     * Each calibrator on the same data (calibrated on IC images 100–199 upscaled): the worst layer against the
     * converter's file. Measured (dB, Quanta − converter at the worst layer): minmax −1.80 (activation_14), percentile
     * −2.81 (activation_4), entropy −19.93 (softmax: its clipped ReLU ranges compound down the network), mse −1.66
     * (activation_4), auto −0.74 (activation_4; −2.03 before auto searched ranges: its per-tensor choices keep min/max
     * on the first layers, where clipping pays off on this network although it raises the layer's own error on the
     * other half of the calibration data). No per-tensor calibrator is within 1 dB at every layer: the calibration
     * images differ from VWW's own, on which the converter was calibrated; ranges chosen by the whole network's
     * held-out error are (see {@link #autoIsWithin1dBOfTheConverterAtEveryLayer}). Also tried and rejected: each range as
     * the mean over calibration images of their own minimum and maximum ("moving average" calibration), −15.1 dB
     * (activation: it clips every image's extremes); the median image's, −17.1 dB; the 10th/90th percentile image's,
     * −7.3 dB; every min/max range ×0.9, −5.0 dB, ×1.2, −3.0 dB, ×1.5, −5.1 dB. Floors: 0.3 dB below the measured
     * figures; auto within 1 dB of the converter and at least minmax.
     */
    @Test
    void everyCalibratorAgainstTheConvertersFile() throws IOException {
        Map<Calibrator, Double> worst = new java.util.EnumMap<>(Calibrator.class);
        for (Calibrator cal : Calibrator.values()) {
            Converter.Conversion c = Converter.fromModel(keras)
                    .withConfig(QuantizationConfig.defaults()
                            .withMode(QuantizationMode.INT8)
                            .withCalibrationThreads(2)
                            .withCalibrator(cal))
                    .withRepresentativeDataset(calibration)
                    .convert();
            Path file = tmp.resolve("vww_" + cal.cliName() + ".tflite");
            TfliteWriter.write(c.model(), file);
            worst.put(
                    cal,
                    printAndWorstDifference(
                            "VWW, Quanta " + cal.cliName() + " calibrated on IC images 100-199 (upscaled)",
                            sqnrByLayer(TfliteReader.read(file))));
            if (cal == Calibrator.AUTO) {
                System.out.print(c.report().calibration().render());
            }
        }
        System.out.println("VWW worst layer difference (dB) by calibrator: " + worst);
        assertThat(worst.get(Calibrator.MINMAX)).isGreaterThanOrEqualTo(-2.1);
        assertThat(worst.get(Calibrator.MSE)).isGreaterThanOrEqualTo(-2.0);
        assertThat(worst.get(Calibrator.AUTO))
                .isGreaterThanOrEqualTo(-1.0)
                .isGreaterThanOrEqualTo(worst.get(Calibrator.MINMAX));
    }

    /**
     * Acceptance 5 with plain {@link Calibrator#AUTO}, on the same IC images 100–199: its per-tensor choices beat
     * min/max on the held-out images, so it runs the range search from them and from min/max; the search from
     * min/max ends lower (held-out error 0.1430 against 0.1614) and is kept, which gives the file of
     * {@link #minMaxWithRangeSearchIsWithin1dBOfTheConverterAtEveryLayer}. Measured: worst layer −0.74 dB (auto before
     * it searched ranges −2.03).
     */
    @Test
    void autoIsWithin1dBOfTheConverterAtEveryLayer() throws IOException {
        Converter.Conversion c = Converter.fromModel(keras)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationThreads(2)
                        .withCalibrator(Calibrator.AUTO))
                .withRepresentativeDataset(calibration)
                .convert();
        Path file = tmp.resolve("vww_auto.tflite");
        TfliteWriter.write(c.model(), file);
        double worst = printAndWorstDifference(
                "VWW, Quanta auto calibrated on IC images 100-199 (upscaled)", sqnrByLayer(TfliteReader.read(file)));
        QuantizationReport.Technique search = c.report().techniques().stream()
                .filter(t -> t.name().equals("range search"))
                .findFirst()
                .orElseThrow();
        search.changes().forEach(System.out::println);
        assertThat(search.changes().get(0)).contains("ranges scaled").contains("on 50 samples (ranges from 50 others)");
        assertThat(search.changes().get(1)).startsWith("searched from min/max (held-out error ");
        assertThat(worst).as("min over layers of Quanta − converter SQNR (dB)").isGreaterThanOrEqualTo(-1.0);
    }

    /**
     * Acceptance 5: min/max calibration with the range search ({@link QuantizationConfig#withRangeSearch}), on the
     * same IC images 100–199, comes within 1 dB of the converter's file at every layer. The search scales each
     * range chosen on the even calibration images by the factor that lowers the network's error on the odd ones
     * (summed over layers): it narrows the first layers' ranges (activation ×0.8, as the converter's 3.8 against
     * min/max's 5.3) and widens others. Measured: worst layer −0.74 dB (min/max alone −1.80).
     */
    @Test
    void minMaxWithRangeSearchIsWithin1dBOfTheConverterAtEveryLayer() throws IOException {
        Converter.Conversion c = Converter.fromModel(keras)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationThreads(2)
                        .withRangeSearch(true))
                .withRepresentativeDataset(calibration)
                .convert();
        Path file = tmp.resolve("vww_range_search.tflite");
        TfliteWriter.write(c.model(), file);
        double worst = printAndWorstDifference(
                "VWW, Quanta minmax + range search calibrated on IC images 100-199 (upscaled)",
                sqnrByLayer(TfliteReader.read(file)));
        QuantizationReport.Technique search = c.report().techniques().stream()
                .filter(t -> t.name().equals("range search"))
                .findFirst()
                .orElseThrow();
        search.changes().forEach(System.out::println);
        assertThat(search.changes().get(0)).contains("ranges scaled").contains("on 50 samples (ranges from 50 others)");
        assertThat(search.changes()).anyMatch(l -> l.startsWith("activation: ×0.80"));
        assertThat(worst).as("min over layers of Quanta − converter SQNR (dB)").isGreaterThanOrEqualTo(-1.0);
    }

    /** Output channels of {@code op} (axis 0, or 3 for depthwise) whose weights are all below 5e-7 in magnitude. */
    private static int deadChannels(Op op) {
        float[] w = op.input(1).data().floats();
        int[] shape = op.input(1).shape().dims();
        int axis = op.type() == OpType.DEPTHWISE_CONV_2D ? 3 : 0;
        int channels = shape[axis];
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] absMax = new double[channels];
        for (int e = 0; e < w.length; e++) {
            int ch = (e / inner) % channels;
            absMax[ch] = Math.max(absMax[ch], Math.abs(w[e]));
        }
        int n = 0;
        for (double m : absMax) {
            n += m < QuantMath.MIN_WEIGHT_ABS_MAX ? 1 : 0;
        }
        return n;
    }

    /**
     * The converter's activation parameters as calibration ranges of {@code floatModel}: ops paired in graph order
     * (QUANTIZE and DEQUANTIZE aside), range [s·(−128 − zp), s·(127 − zp)], from which the asymmetric rule gives back
     * s and zp.
     */
    private static Calibration rangesOf(Model converter, Model floatModel) {
        List<Op> theirs = converter.ops().stream()
                .filter(o -> o.type() != OpType.QUANTIZE && o.type() != OpType.DEQUANTIZE)
                .toList();
        List<Op> ours = floatModel.ops();
        assertThat(theirs)
                .extracting(Op::type)
                .containsExactlyElementsOf(ours.stream().map(Op::type).toList());
        Map<Tensor, TensorRange> ranges = new HashMap<>();
        ranges.put(floatModel.inputs().get(0), range(converter.inputs().get(0).quant()));
        for (int i = 0; i < ours.size(); i++) {
            ranges.put(ours.get(i).output(0), range(theirs.get(i).output(0).quant()));
        }
        return new Calibration(ranges, Map.of());
    }

    private static TensorRange range(QuantParams p) {
        return new TensorRange(p.scale() * (-128 - p.zeroPoint()), p.scale() * (127 - p.zeroPoint()));
    }

    /** Byte for byte the converter's int8 weights, op by op (dead channels: all zeros in both). */
    private static void assertSameWeightsAsTheConverter(Model quanta, Model converter) {
        List<Op> ours = quanta.ops().stream().filter(o -> o.inputs().size() > 2).toList();
        List<Op> theirs =
                converter.ops().stream().filter(o -> o.inputs().size() > 2).toList();
        assertThat(ours).hasSameSizeAs(theirs);
        for (int i = 0; i < ours.size(); i++) {
            Tensor w = ours.get(i).input(1);
            assertThat(w.data().bytes())
                    .as(ours.get(i).origin().layerName())
                    .isEqualTo(theirs.get(i).input(1).data().bytes());
        }
    }
}
