package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.Datasets;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.ir.Model;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.quantize.CalibrationScaleOut;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationReport;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.report.QuantizationHtml;
import dev.quanta.tflite.TfliteWriter;
import dev.quanta.tuning.MixedPrecision;
import dev.quanta.tuning.Sensitivity;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quanta quantize MODEL -o OUT.tflite}: post-training quantization to a standard .tflite file. */
@Command(
        name = "quantize",
        mixinStandardHelpOptions = true,
        description = "Convert a model to a smaller .tflite: float32, float16, dynamic-range int8, full int8 "
                + "calibrated on representative data, or 16x8.")
final class QuantizeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(
            names = {"-o", "--output"},
            required = true,
            paramLabel = "OUT.tflite",
            description = "Output file (replaced atomically; never an input): .tflite, or .onnx for a QDQ ONNX model; "
                    + "- writes the .tflite to standard output and the report to standard error.")
    Path output;

    /** Standard output as bytes, for {@code -o -}; null means the process's own (tests put a buffer here). */
    OutputStream stdout;

    @Option(
            names = "--mode",
            paramLabel = "MODE",
            description = "float32, float16, dynamic, int8 or int16x8 (default: int8 with --calibration, else "
                    + "dynamic, as TFLite's Optimize.DEFAULT).")
    String mode;

    @Option(
            names = "--scheme",
            defaultValue = "symmetric",
            paramLabel = "SCHEME",
            description =
                    "symmetric (TFLite int8 spec) or asymmetric (TFLite uint8 scheme) (default ${DEFAULT-VALUE}).")
    String scheme;

    @Option(
            names = "--granularity",
            defaultValue = "per-channel",
            paramLabel = "G",
            description = "Weights per-channel (convolutions; Dense with --per-channel-dense) or per-tensor "
                    + "(default ${DEFAULT-VALUE}).")
    String granularity;

    @Mixin
    DataOptions.Calibration calibration;

    @Option(
            names = "--samples",
            defaultValue = "100",
            paramLabel = "N",
            description = "Calibration samples: the first N (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(
            names = "--calibrator",
            defaultValue = "minmax",
            paramLabel = "NAME",
            description = "How activation ranges are chosen: minmax (TFLite's converter), percentile, entropy (KL "
                    + "divergence, as TensorRT), mse (least squared quantization error) or auto (per tensor, the "
                    + "one whose range generalises best across two halves of the data) (default ${DEFAULT-VALUE}).")
    String calibrator;

    @Option(
            names = "--percentile",
            defaultValue = "99.99",
            paramLabel = "P",
            description = "With --calibrator percentile: the percentile kept, above 50 and at most 100 (default "
                    + "${DEFAULT-VALUE}).")
    double percentile;

    @Option(
            names = "--io",
            defaultValue = "float",
            paramLabel = "TYPE",
            description =
                    "float (QUANTIZE/DEQUANTIZE at the boundary), int8, uint8 or int16 (default ${DEFAULT-VALUE}).")
    String io;

    @Option(
            names = "--per-channel-dense",
            description = "With per-channel granularity, quantize Dense weights per channel too (TFLite's converter "
                    + "keeps them per tensor, which is also smaller).")
    boolean perChannelDense;

    @Option(
            names = "--equalize",
            description = "Cross-layer equalization before quantizing: rescale the channels of consecutive "
                    + "convolution and Dense layers (ReLU or nothing between them) so that their weight ranges match, "
                    + "then (full-integer modes) absorb each channel's constant offset into the next layer's bias; "
                    + "helps per-tensor weights.")
    boolean equalize;

    @Option(
            names = "--bias-correction",
            description = "Correct each Dense or convolution bias for the mean output shift its weights' rounding "
                    + "causes on the calibration data (int8 and int16x8).")
    boolean biasCorrection;

    @Option(
            names = "--adaround",
            description = "Learned rounding (AdaRound's layer-wise objective): round each Dense or convolution weight "
                    + "down or up, whichever gives the layer's output, on the inputs the quantized model gives it, the "
                    + "least expected squared error against the float layer on the calibration data; scales unchanged "
                    + "(int8 and int16x8; slower). Runs before --bias-correction.")
    boolean adaround;

    @Option(
            names = "--range-search",
            description = "Scale each activation range the calibrator chose by 0.8, 0.9, 1.1 or 1.25 where that "
                    + "lowers the whole network's error (sum over layers of 1/SQNR) on held-out calibration samples: "
                    + "ranges from the even samples, error on the odd ones (int8 and int16x8; slower). --calibrator "
                    + "auto runs it without the flag where it keeps its per-tensor choices.")
    boolean rangeSearch;

    // -- ONNX export (issue 12) --
    @Option(
            names = "--reduce-range",
            description = "7-bit weights (int8 on [-63, 63], uint8 on [0, 127]): for ONNX Runtime's u8s8 kernels on "
                    + "AVX2 CPUs without VNNI, which saturate with full-range weights (int8 mode).")
    boolean reduceRange;

    @Option(
            names = "--onnx-u8s8",
            description = "With -o OUT.onnx: write int8 activations as uint8 (zero point + 128, the same values), "
                    + "ONNX Runtime's U8S8 format, which it runs as integer kernels on x86-64; integer inputs and "
                    + "outputs keep their type.")
    boolean onnxU8s8;

    @Option(
            names = "--allow-float-fallback",
            description = "Keep layers that have no integer kernel in float instead of failing.")
    boolean allowFloatFallback;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Threads for calibration.")
    int threads;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Option(
            names = "--max-drop",
            paramLabel = "X",
            description = "Mixed precision: keep the most sensitive layers in float until the metric on --eval-data "
                    + "drops from the float model's by at most X (accuracy points; for mse/mae percent of the float "
                    + "error).")
    Double maxDrop;

    @Option(
            names = "--eval-data",
            paramLabel = "PATH",
            description = "With --max-drop: labelled data to measure the drop on (the format and preprocessing "
                    + "options apply to it too), disjoint from the calibration samples.")
    Path evalData;

    @Option(
            names = "--eval-labels",
            paramLabel = "PATH",
            description = "Labels of --eval-data (default: --labels when it is the calibration file, else found next "
                    + "to it).")
    Path evalLabels;

    @Option(
            names = "--eval-skip",
            defaultValue = "0",
            paramLabel = "N",
            description = "Leave out the first N samples of --eval-data (default ${DEFAULT-VALUE}).")
    int evalSkip;

    @Option(
            names = "--eval-limit",
            paramLabel = "N",
            description = "Use only N samples of --eval-data (after --eval-skip).")
    Integer evalLimit;

    @Option(
            names = "--metric",
            paramLabel = "NAME",
            description = "With --max-drop: topk, mse, mae or auc (default: mse for an autoencoder, else topk).")
    String metric;

    @Option(
            names = "--report",
            paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report (settings, sizes, layers, activation histograms "
                    + "with the chosen ranges), replaced atomically; never an input.")
    Path report;

    // -- issue 13: calibration statistics collected over a Spark cluster --
    @Option(
            names = "--spark",
            arity = "0..1",
            fallbackValue = "local[*]",
            paramLabel = "MASTER",
            description = "Collect the calibration statistics on Apache Spark (the module quanta-spark; the launcher "
                    + "adds it): local[*] (the default), local[N] or spark://HOST:PORT. Every executor reads the same "
                    + "--calibration path; the written file equals the single-machine one byte for byte.")
    String sparkMaster;

    /** The partitions of the {@code --spark} calibration job, for {@code --json}. */
    private int sparkPartitions;

    /** The time of each stage of the {@code --spark} calibration job, for {@code --json}. */
    private Map<String, Double> sparkStageSeconds = Map.of();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        QuantizationConfig config = OptionErrors.build(() -> {
            QuantizationConfig c = QuantizationConfig.defaults()
                    .withScheme(parse(QuantizationScheme.class, scheme, "--scheme"))
                    .withGranularity(parse(Granularity.class, granularity, "--granularity"))
                    .withIo(parse(IoType.class, io, "--io"))
                    .withCalibrationSamples(samples)
                    .withCalibrationThreads(threads)
                    .withAllowFloatFallback(allowFloatFallback)
                    .withPerChannelDense(perChannelDense)
                    .withCrossLayerEqualization(equalize)
                    .withBiasCorrection(biasCorrection)
                    .withLearnedRounding(adaround)
                    .withRangeSearch(rangeSearch)
                    .withReduceRange(reduceRange)
                    .withCalibrator(parse(Calibrator.class, calibrator, "--calibrator"))
                    .withPercentile(percentile);
            return mode == null ? c : c.withMode(parse(QuantizationMode.class, mode, "--mode"));
        });
        boolean toStdout = OutputGuard.isStdout(output);
        if (onnxU8s8 && (toStdout || !isOnnx(output))) {
            throw new QuantaException("--onnx-u8s8 applies to an ONNX output: give -o OUT.onnx");
        }
        if (!toStdout) {
            OutputGuard.check(spec, "-o", output, implicitInputs());
        }
        if (report != null) {
            OutputGuard.check(spec, "--report", report, implicitInputs());
            if (report.toAbsolutePath()
                    .normalize()
                    .equals(output.toAbsolutePath().normalize())) {
                throw new QuantaException("--report " + report + " is the -o file; write the report to another path");
            }
        }
        Model m = model.load();
        Converter converter = Converter.fromModel(m).withConfig(config).withHistograms(report != null);
        if (calibration.dataPath() != null) {
            // --spark: the driver reads only the samples the conversion uses (and one more, for the report's count);
            // the executors load their ranges of them
            Dataset data = sparkMaster != null
                    ? calibration.loadFirst(
                            m, (int) Math.min(Integer.MAX_VALUE, (long) config.calibrationSamples() + 1))
                    : calibration.load(m);
            converter = converter.withRepresentativeDataset(data);
        }
        MixedPrecision.Result mixed = null;
        Converter.Conversion c;
        if (sparkMaster != null) {
            c = onSpark(converter);
        } else if (maxDrop != null || evalData != null) {
            mixed = mixedPrecision(m, converter);
            c = mixed.conversion();
        } else {
            c = converter.convert();
        }
        long bytes;
        if (toStdout) {
            byte[] tflite = TfliteWriter.toBytes(c.model());
            OutputGuard.writeStdout(tflite, stdout);
            bytes = tflite.length;
        } else if (isOnnx(output)) {
            OnnxWriter.write(
                    c.model(),
                    output,
                    OnnxWriter.Options.defaults().withUint8Activations(onnxU8s8)); // QDQ ONNX (issue 12)
            bytes = Files.size(output);
        } else {
            TfliteWriter.write(c.model(), output); // checks the target and the model's source file once more
            bytes = Files.size(output);
        }
        long before = Files.size(model.model);
        if (report != null) {
            QuantizationHtml.page(
                            c.report(),
                            model.model.getFileName().toString(),
                            toStdout ? "standard output" : output.getFileName().toString(),
                            before,
                            bytes)
                    .write(report);
        }
        Warnings.printLines(spec.commandLine().getErr(), c.report().warnings());
        var out = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
        if (json) {
            Map<String, Object> map = toMap(c.report(), output, before, bytes);
            if (mixed != null) {
                map.put("mixed_precision", mixedMap(mixed));
            }
            if (sparkMaster != null) {
                Map<String, Object> spark = new LinkedHashMap<>();
                spark.put("master", sparkMaster);
                spark.put("partitions", sparkPartitions);
                spark.put("stage_seconds", new LinkedHashMap<>(sparkStageSeconds));
                map.put("spark", spark);
            }
            out.println(Json.write(map));
        } else {
            out.print(c.report().render());
            if (mixed != null) {
                out.print(renderMixed(mixed));
            }
            out.printf(
                    Locale.ROOT,
                    "Wrote %s: %,d B (input file %,d B)%n",
                    toStdout ? "standard output" : output,
                    bytes,
                    before);
            if (report != null) {
                out.println("Report: " + report);
            }
        }
        out.flush();
        return 0;
    }

    /**
     * {@code --spark}: the conversion with its calibration statistics collected on the cluster (issue 13); the
     * calibration samples were loaded here first (not the rest of the data), so their errors are the single-machine
     * ones.
     */
    private Converter.Conversion onSpark(Converter converter) {
        if (calibration.dataPath() == null) {
            throw new QuantaException("--spark collects calibration statistics: give --calibration DATA");
        }
        if (maxDrop != null || evalData != null) {
            throw new QuantaException(
                    "--spark does not take " + (maxDrop != null ? "--max-drop" : "--eval-data") + " yet");
        }
        CalibrationScaleOut engine = CalibrationScaleOut.find()
                .orElseThrow(() -> new QuantaException("--spark needs the module quanta-spark on the class path: run "
                        + "through the launcher ./quanta (it builds the module on first use), or add "
                        + "quanta-spark/target/quanta-spark-*.jar and quanta-spark/target/lib/* to it"));
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        try (CalibrationScaleOut.Session opened = engine.open(sparkMaster)) {
            CalibrationScaleOut.Session session = model.config == null ? opened : opened.withModelConfig(model.config);
            Converter.Conversion c = converter
                    .withCalibrationStatistics(session.statistics(model.model, calibration.spec(), bar::update))
                    .convert();
            bar.finish();
            sparkPartitions = session.lastPartitions();
            sparkStageSeconds = session.lastStageSeconds();
            return c;
        }
    }

    /** Whether {@code -o} names an ONNX file ({@code .onnx}, any case): written by {@link OnnxWriter}. */
    static boolean isOnnx(Path out) {
        Path name = out.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".onnx");
    }

    /** {@code --max-drop} with {@code --eval-data}: the layers kept in float and the chosen conversion. */
    private MixedPrecision.Result mixedPrecision(Model m, Converter converter) throws IOException {
        if (maxDrop == null || evalData == null) {
            throw new QuantaException(
                    maxDrop == null
                            ? "--eval-data is the data of --max-drop: give --max-drop X too"
                            : "--max-drop measures the drop on labelled data: give --eval-data PATH");
        }
        if (!(maxDrop >= 0) || maxDrop.isInfinite()) {
            throw new QuantaException("--max-drop must be a number at least 0, got " + maxDrop);
        }
        if (calibration.dataPath() == null) {
            throw new QuantaException(
                    "--max-drop starts from full integer, which calibrates activations: " + "give --calibration DATA");
        }
        Metric chosen = metric == null ? null : Metric.parse(metric);
        Dataset eval = calibration.loadOther(
                m,
                evalData,
                evalLabels != null ? evalLabels : calibration.labelsIfSameData(evalData),
                evalSkip,
                evalLimit);
        if (Files.exists(evalData) && Files.isSameFile(evalData, calibration.dataPath())) {
            int from = calibration.skip;
            int to = from + Math.min(samples, calibration.limit == null ? Integer.MAX_VALUE : calibration.limit);
            long evalTo = evalLimit == null ? Long.MAX_VALUE : (long) evalSkip + evalLimit;
            if (evalSkip < to && evalTo > from) {
                throw new QuantaException(evalData + ": the evaluation samples (from " + (evalSkip + 1)
                        + ") overlap the calibration samples " + (from + 1) + "–" + to
                        + " of the same file; give --eval-skip " + to + " or other data");
            }
        }
        Evaluator.Options options = Evaluator.Options.defaults().withThreads(threads);
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        bar.update(0, 1);
        MixedPrecision.Result r = MixedPrecision.choose(converter, eval, chosen, maxDrop, options);
        bar.finish();
        return r;
    }

    private static String renderMixed(MixedPrecision.Result r) {
        Metric m = r.metric();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "Mixed precision (--max-drop %s %s) on %d samples: float %s%n",
                r.maxDrop(),
                Sensitivity.dropUnit(m).equals("%") ? "% of the float " + m.label() : "points of " + m.label(),
                r.samples(),
                SensitivityCommand.value(m, r.floatValue())));
        for (MixedPrecision.Step s : r.steps()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "  %s: %s (drop %s)%n",
                    describeStep(s, "all layers int8"),
                    SensitivityCommand.value(m, s.value()),
                    SensitivityCommand.drop(m, s.drop())));
        }
        sb.append(
                r.met()
                        ? "Chosen: " + describeStep(r.chosen(), "every layer int8") + ", the rest int8\n"
                        : "Warning: the drop stays above " + r.maxDrop()
                                + " even with every layer in float; wrote that model" + "\n");
        return sb.toString();
    }

    /** "16x8 a, b; float c" or {@code none} when every layer is int8. */
    private static String describeStep(MixedPrecision.Step s, String none) {
        List<String> parts = new ArrayList<>();
        if (!s.int16Layers().isEmpty()) {
            parts.add("16x8 " + String.join(", ", s.int16Layers()));
        }
        if (!s.floatLayers().isEmpty()) {
            parts.add("float " + String.join(", ", s.floatLayers()));
        }
        return parts.isEmpty() ? none : String.join("; ", parts);
    }

    private static Map<String, Object> mixedMap(MixedPrecision.Result r) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("metric", r.metric().label());
        map.put("samples", r.samples());
        map.put("max_drop", r.maxDrop());
        map.put("drop_unit", Sensitivity.dropUnit(r.metric()).equals("%") ? "percent of float" : "points");
        map.put("float", r.floatValue());
        map.put("met", r.met());
        map.put("value", r.chosen().value());
        map.put("drop", r.chosen().drop());
        map.put("float_layers", r.chosen().floatLayers());
        map.put("int16_layers", r.chosen().int16Layers());
        map.put("steps", Json.rows(r.steps(), (s, row) -> {
            row.put("float_layers", s.floatLayers());
            row.put("int16_layers", s.int16Layers());
            row.put("value", s.value());
            row.put("drop", s.drop());
        }));
        return map;
    }

    /** Inputs read without being named: the IDX labels found next to the calibration images. */
    private Map<String, Path> implicitInputs() {
        Map<String, Path> inputs = new LinkedHashMap<>();
        if (calibration.dataPath() != null
                && calibration.labels == null
                && Files.isRegularFile(calibration.dataPath())) {
            inputs.put("labels next to --calibration", Datasets.idxLabelsSibling(calibration.dataPath()));
        }
        return inputs;
    }

    static <E extends Enum<E>> E parse(Class<E> type, String value, String option) {
        String v = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(v)) {
                return e;
            }
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        throw new QuantaException(option + " must be one of " + String.join(", ", names) + ", not '" + value + "'");
    }

    static Map<String, Object> toMap(QuantizationReport r, Path output, long inputBytes, long outputBytes) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output", output.toString());
        m.put("mode", r.mode().name().toLowerCase(Locale.ROOT));
        m.put("mode_reason", r.modeReason());
        m.put("scheme", r.scheme().name().toLowerCase(Locale.ROOT));
        m.put("granularity", r.granularity().name().toLowerCase(Locale.ROOT).replace('_', '-'));
        m.put("io", r.io().name().toLowerCase(Locale.ROOT));
        m.put("calibration_samples", r.calibrationSamples());
        m.put("input_file_bytes", inputBytes);
        m.put("output_file_bytes", outputBytes);
        m.put("float_weight_bytes", r.floatBytes());
        m.put("quantized_weight_bytes", r.quantizedBytes());
        m.put("seconds", r.seconds());
        m.put("warnings", r.warnings());
        if (r.calibration() != null) {
            m.put("calibrator", r.calibration().calibrator().cliName());
            m.put(
                    "percentile",
                    Double.isNaN(r.calibration().percentile())
                            ? null
                            : r.calibration().percentile());
            m.put("activations", Json.rows(r.calibration().tensors(), (t, row) -> {
                row.put("tensor", t.tensor());
                row.put("calibrated_by", t.method());
                row.put("seen_min", (double) t.seen().min());
                row.put("seen_max", (double) t.seen().max());
                row.put("chosen_min", (double) t.chosen().min());
                row.put("chosen_max", (double) t.chosen().max());
                row.put("clipped_fraction", t.clippedFraction());
            }));
        }
        m.put("techniques", Json.rows(r.techniques(), (t, row) -> {
            row.put("technique", t.name());
            row.put("changes", t.changes());
        }));
        m.put("layers", Json.rows(r.layers(), (l, row) -> {
            row.put("layer", l.layer());
            row.put("op", l.op());
            row.put("input_type", l.inputType());
            row.put("output_type", l.outputType());
            row.put("output_params", l.outputParams());
            row.put("weights", l.weightParams());
            row.put("left_in_float", l.leftInFloat());
            row.put("reason", l.reason());
        }));
        m.put("scale_adjustments", Json.rows(r.scaleAdjustments(), (a, row) -> {
            row.put("layer", a.layer());
            row.put("channel", a.channel());
            row.put("original_scale", a.originalScale());
            row.put("new_scale", a.newScale());
            row.put(
                    "causes",
                    a.causes().stream()
                            .map(c -> c.name().toLowerCase(Locale.ROOT))
                            .toList());
            row.put("reason", a.detail());
        }));
        return m;
    }
}
