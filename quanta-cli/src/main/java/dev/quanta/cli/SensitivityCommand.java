package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.report.SensitivityHtml;
import dev.quanta.tuning.Sensitivity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quanta sensitivity MODEL --calibration CAL --data EVAL}: per layer, the metric with only that layer
 * integer, and with every layer integer but that one, most sensitive first ({@link Sensitivity}).
 */
@Command(
        name = "sensitivity",
        mixinStandardHelpOptions = true,
        description = "Per-layer quantization sensitivity: the metric with only each layer quantized (the rest "
                + "float), and with every layer quantized but it, most sensitive first.")
final class SensitivityCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions.Evaluation data;

    @Option(
            names = "--calibration",
            required = true,
            paramLabel = "PATH",
            description = "Representative data to calibrate on, its first --samples samples (the format and "
                    + "preprocessing options apply to it too; --labels, --skip and --limit only to --data); when it is the "
                    + "--data file, give --skip at least the calibration samples so the two do not overlap.")
    Path calibration;

    @Option(
            names = "--samples",
            defaultValue = "100",
            paramLabel = "N",
            description = "Calibration samples: the first N (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(
            names = "--mode",
            defaultValue = "int8",
            paramLabel = "MODE",
            description = "int8 or int16x8 (default ${DEFAULT-VALUE}).")
    String mode;

    @Option(
            names = "--scheme",
            defaultValue = "symmetric",
            paramLabel = "SCHEME",
            description = "symmetric or asymmetric (default ${DEFAULT-VALUE}).")
    String scheme;

    @Option(
            names = "--granularity",
            defaultValue = "per-channel",
            paramLabel = "G",
            description = "Weights per-channel or per-tensor (default ${DEFAULT-VALUE}).")
    String granularity;

    @Option(
            names = "--calibrator",
            defaultValue = "minmax",
            paramLabel = "NAME",
            description = "minmax, percentile, entropy or mse (default ${DEFAULT-VALUE}).")
    String calibrator;

    @Option(
            names = "--percentile",
            defaultValue = "99.99",
            paramLabel = "P",
            description = "With --calibrator percentile: the percentile kept (default ${DEFAULT-VALUE}).")
    double percentile;

    @Option(
            names = "--metric",
            paramLabel = "NAME",
            description = "topk, mse, mae or auc (default: mse for an autoencoder, else topk).")
    String metric;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            defaultValue = "64",
            description = "Samples per inference (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--threads",
            paramLabel = "N",
            defaultValue = "1",
            description = "Threads per inference and calibration (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            defaultValue = "1",
            description = "Interpreters evaluating batches at once (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Option(
            names = "--report",
            paramLabel = "FILE.html",
            description =
                    "Also write a self-contained HTML report (summary, a bar chart of each layer's recovered "
                            + "drop, the table; no script, nothing loaded from elsewhere), replaced atomically; never an input.")
    Path report;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        QuantizationConfig config = OptionErrors.build(() -> QuantizationConfig.defaults()
                .withMode(QuantizeCommand.parse(QuantizationMode.class, mode, "--mode"))
                .withScheme(QuantizeCommand.parse(QuantizationScheme.class, scheme, "--scheme"))
                .withGranularity(QuantizeCommand.parse(Granularity.class, granularity, "--granularity"))
                .withCalibrator(QuantizeCommand.parse(Calibrator.class, calibrator, "--calibrator"))
                .withPercentile(percentile)
                .withCalibrationSamples(samples)
                .withCalibrationThreads(threads));
        if (config.mode() != QuantizationMode.INT8 && config.mode() != QuantizationMode.INT16X8) {
            throw new QuantaException("--mode must be int8 or int16x8 for sensitivity, not '" + mode + "'");
        }
        Evaluator.Options options = OptionErrors.build(() -> Evaluator.Options.defaults()
                .withBatchSize(batchSize)
                .withThreads(threads)
                .withParallel(parallel));
        Metric chosen = metric == null ? null : Metric.parse(metric);
        if (report != null) {
            OutputGuard.check(spec, "--report", report, Map.of());
        }
        Model m = model.load();
        Dataset cal = data.loadOther(m, calibration, data.labelsIfSameData(calibration), 0, samples);
        Dataset eval = data.load(m);
        checkDisjoint(calibration, data.data, cal.size(), data.skip);
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        Sensitivity.Result r = Sensitivity.measure(
                Converter.fromModel(m).withConfig(config).withRepresentativeDataset(cal),
                eval,
                chosen,
                options,
                bar::update);
        bar.finish();
        String text = render(r, config, cal.size());
        if (report != null) {
            SensitivityHtml.page(
                            model.model.getFileName().toString(),
                            text.lines().findFirst().orElse(""),
                            r)
                    .write(report);
        }
        var out = spec.commandLine().getOut();
        out.print(json ? Json.write(toMap(r, cal.size())) + "\n" : text);
        if (report != null && !json) {
            out.println("Report: " + report);
        }
        out.flush();
        return 0;
    }

    /**
     * Refuses evaluation data that overlaps the calibration samples: the same file with fewer than
     * {@code calibrated} samples skipped.
     */
    static void checkDisjoint(Path calibration, Path eval, int calibrated, int evalSkip) throws IOException {
        if (Files.exists(calibration)
                && Files.exists(eval)
                && Files.isSameFile(calibration, eval)
                && evalSkip < calibrated) {
            throw new QuantaException(eval + ": the evaluation data would reuse calibration samples "
                    + (evalSkip + 1) + "–" + calibrated + " (calibration takes the first " + calibrated
                    + " samples of the same file); give --skip " + calibrated + " or more, or other data");
        }
    }

    /** A value of the metric as printed: accuracy in percent, an error or AUC with 4 decimals. */
    static String value(Metric m, double v) {
        return m == Metric.TOPK ? String.format(Locale.ROOT, "%.2f%%", v) : String.format(Locale.ROOT, "%.4f", v);
    }

    /** A drop as printed: points or percent, with its sign. */
    static String drop(Metric m, double d) {
        return String.format(Locale.ROOT, "%+.2f", d) + (Sensitivity.dropUnit(m).equals("%") ? "%" : "");
    }

    private String render(Sensitivity.Result r, QuantizationConfig config, int calibrated) {
        Metric m = r.metric();
        String what = m == Metric.TOPK ? "top-1 accuracy" : m == Metric.AUC ? "ROC AUC" : "mean window " + m.label();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(
                Locale.ROOT,
                "Sensitivity of %s: %s %s, calibrated on %d samples of %s; %s on %d samples of %s%n",
                model.model,
                config.mode().name().toLowerCase(Locale.ROOT),
                config.granularity().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                calibrated,
                calibration,
                what,
                r.samples(),
                data.data));
        sb.append(String.format(
                Locale.ROOT,
                "Float %s, all layers quantized %s (drop %s %s%s)%n",
                value(m, r.floatValue()),
                value(m, r.int8Value()),
                drop(m, r.int8Drop()),
                Sensitivity.dropUnit(m).equals("%") ? "of the float error" : "points",
                Double.isNaN(r.int8P()) ? "" : String.format(Locale.ROOT, ", p = %.2g", r.int8P())));
        sb.append("Drops are from float: positive is worse"
                + (Sensitivity.dropUnit(m).equals("%") ? " (percent of the float error)" : " (points)")
                + ". Most sensitive first.\n");
        int width = "Layer".length();
        for (Sensitivity.Layer l : r.layers()) {
            width = Math.max(width, l.layer().length());
        }
        // top-k: each drop and each recovery also with McNemar's exact p, paired sample by sample
        boolean paired = !Double.isNaN(r.int8P());
        String row = "%-" + width + "s  %14s  %10s" + (paired ? "  %8s" : "") + "  %14s  %10s" + (paired ? "  %8s" : "")
                + "%n";
        sb.append(String.format(
                Locale.ROOT,
                row,
                columns(paired, "Layer", "Only it quant.", "Drop", "p", "All but it", "Recovered", "p")));
        for (Sensitivity.Layer l : r.layers()) {
            sb.append(String.format(
                    Locale.ROOT,
                    row,
                    columns(
                            paired,
                            l.layer(),
                            value(m, l.aloneValue()),
                            drop(m, l.aloneDrop()),
                            String.format(Locale.ROOT, "%.2g", l.aloneP()),
                            value(m, l.allButValue()),
                            drop(m, l.recovered()),
                            String.format(Locale.ROOT, "%.2g", l.recoveredP()))));
        }
        if (paired) {
            sb.append("p: McNemar's exact test, drop against float, recovered against all quantized; below 0.05 it is"
                    + " more than noise\n");
        }
        return sb.toString();
    }

    /** The seven columns of a layer row, or without the two p columns (the 4th and 7th) when not {@code paired}. */
    private static Object[] columns(boolean paired, Object... seven) {
        return paired ? seven : new Object[] {seven[0], seven[1], seven[2], seven[4], seven[5]};
    }

    private Map<String, Object> toMap(Sensitivity.Result r, int calibrated) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model", model.model.toString());
        map.put("calibration", calibration.toString());
        map.put("calibration_samples", calibrated);
        map.put("data", data.data.toString());
        map.put("samples", r.samples());
        map.put("metric", r.metric().label());
        map.put("drop_unit", Sensitivity.dropUnit(r.metric()).equals("%") ? "percent of float" : "points");
        map.put("float", r.floatValue());
        map.put("quantized", r.int8Value());
        map.put("quantized_drop", r.int8Drop());
        map.put("quantized_p", pOrNull(r.int8P()));
        map.put("layers", Json.rows(r.layers(), (l, row) -> {
            row.put("layer", l.layer());
            row.put("only_it_quantized", l.aloneValue());
            row.put("only_it_quantized_drop", l.aloneDrop());
            row.put("all_but_it_quantized", l.allButValue());
            row.put("recovered", l.recovered());
            row.put("only_it_quantized_p", pOrNull(l.aloneP()));
            row.put("recovered_p", pOrNull(l.recoveredP()));
        }));
        return map;
    }

    /** A McNemar p for JSON: null where there is none (a reconstruction metric). */
    private static Double pOrNull(double p) {
        return Double.isNaN(p) ? null : p;
    }
}
