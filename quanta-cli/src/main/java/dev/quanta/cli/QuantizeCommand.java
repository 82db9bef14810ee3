package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.Datasets;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationReport;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.tflite.TfliteWriter;
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
            description = "Output file (replaced atomically; never an input); - writes the .tflite to standard output "
                    + "and the report to standard error.")
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
            names = "--allow-float-fallback",
            description = "Keep layers that have no integer kernel in float instead of failing.")
    boolean allowFloatFallback;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Threads for calibration.")
    int threads;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

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
                    .withCalibrator(parse(Calibrator.class, calibrator, "--calibrator"))
                    .withPercentile(percentile);
            return mode == null ? c : c.withMode(parse(QuantizationMode.class, mode, "--mode"));
        });
        boolean toStdout = OutputGuard.isStdout(output);
        if (!toStdout) {
            OutputGuard.check(spec, "-o", output, implicitInputs());
        }
        Model m = model.load();
        Converter converter = Converter.fromModel(m).withConfig(config);
        if (calibration.dataPath() != null) {
            Dataset data = calibration.load(m);
            converter = converter.withRepresentativeDataset(data);
        }
        Converter.Conversion c = converter.convert();
        long bytes;
        if (toStdout) {
            byte[] tflite = TfliteWriter.toBytes(c.model());
            OutputGuard.writeStdout(tflite, stdout);
            bytes = tflite.length;
        } else {
            TfliteWriter.write(c.model(), output); // checks the target and the model's source file once more
            bytes = Files.size(output);
        }
        long before = Files.size(model.model);
        var out = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(toMap(c.report(), output, before, bytes)));
        } else {
            out.print(c.report().render());
            out.printf(
                    Locale.ROOT,
                    "Wrote %s: %,d B (input file %,d B)%n",
                    toStdout ? "standard output" : output,
                    bytes,
                    before);
        }
        out.flush();
        return 0;
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
