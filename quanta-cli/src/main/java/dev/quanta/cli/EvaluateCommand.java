package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.Setting;
import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Loss;
import dev.quanta.eval.Metric;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.PairedComparison;
import dev.quanta.eval.Reconstruction;
import dev.quanta.eval.ReconstructionResult;
import dev.quanta.eval.ScaleOut;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.LayerError;
import dev.quanta.report.ComparisonHtml;
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

/** {@code quanta evaluate MODEL --data ...}: loss and accuracy on labelled data, like Keras {@code evaluate()}. */
@Command(
        name = "evaluate",
        mixinStandardHelpOptions = true,
        description = "Measure a model's loss and top-k accuracy on labelled data, or an autoencoder's reconstruction "
                + "error and ROC AUC.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions.Evaluation data;

    @Option(
            names = "--loss",
            paramLabel = "NAME",
            description = "Loss to report (default: the model's training "
                    + "config): sparse_categorical_crossentropy, categorical_crossentropy, mse, mae.")
    String loss;

    @Option(
            names = "--from-logits",
            arity = "0..1",
            paramLabel = "BOOL",
            description = "Outputs are logits (default: yes unless the model ends in a softmax).")
    Boolean fromLogits;

    @Option(
            names = "--metric",
            paramLabel = "NAME",
            description = "auc, mse, mae or topk (default: mse for an autoencoder, whose output has the input's "
                    + "shape, else topk). mse/mae: the mean over windows of the reconstruction error; auc: ROC AUC "
                    + "over "
                    + "clips labelled 0 (normal) and 1 (anomalous), a clip scored by the mean MSE of its windows.")
    String metric;

    @Option(
            names = "--top-k",
            paramLabel = "K",
            defaultValue = "1",
            description = "Count a sample correct when its "
                    + "label is among the K highest outputs (default ${DEFAULT-VALUE}).")
    int topK;

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
            description = "Threads per inference (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            defaultValue = "1",
            description = "Interpreters evaluating batches at once, each on its own thread (default ${DEFAULT-VALUE}); "
                    + "the results are the same as with one.")
    int parallel;

    @Option(
            names = "--compare",
            paramLabel = "QUANT_MODEL",
            description = "A converted model (e.g. Quanta's int8 .tflite) to evaluate side by side with MODEL, with a "
                    + "per-layer error table.")
    Path compare;

    @Option(
            names = "--layer-samples",
            defaultValue = "100",
            paramLabel = "N",
            converter = SampleCount.class,
            description = "Samples (the first ones) used for the per-layer table of --compare, its errors and "
                    + "saturation, or 'all' (default ${DEFAULT-VALUE}; with --spark computed on the executors).")
    int layerSamples;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Option(
            names = "--report",
            paramLabel = "FILE.html",
            description = "With --compare: also write a self-contained HTML report (tables, per-layer SQNR chart; "
                    + "no script, nothing loaded from elsewhere), replaced atomically; never an input.")
    Path report;

    // -- issue 13: the evaluation split over a Spark cluster --
    @Option(
            names = "--spark",
            arity = "0..1",
            fallbackValue = "local[*]",
            paramLabel = "MASTER",
            description = "Evaluate on Apache Spark (the module quanta-spark; the launcher adds it): local[*] (the "
                    + "default), local[N] or spark://HOST:PORT. The samples are cut into partitions, every executor "
                    + "reads the same --data path, and the results equal the single-machine ones.")
    String sparkMaster;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Evaluator.Options options = OptionErrors.build(() -> Evaluator.Options.defaults()
                .withTopK(topK)
                .withBatchSize(batchSize)
                .withThreads(threads)
                .withParallel(parallel)
                .withLoss(loss == null ? null : Loss.parse(loss))
                .withFromLogits(fromLogits));
        Metric chosen = metric == null ? null : Metric.parse(metric);
        ModelComparison.Options comparison = OptionErrors.build(() -> ModelComparison.Options.defaults()
                .withEvaluation(options)
                .withLayerSamples(layerSamples)
                .withLatency(ModelComparison.Options.defaults().latency().withThreads(threads))
                .withMetric(chosen));
        if (report != null) {
            if (compare == null) {
                throw new QuantaException("--report needs --compare (the report compares two models)");
            }
            OutputGuard.check(spec, "--report", report, Map.of());
        }
        if (sparkMaster != null) {
            return onSpark(chosen, options, comparison);
        }
        Model m = model.load();
        Model converted = compare == null ? null : loadCompared();
        Dataset d = converted == null ? data.load(m) : data.load(m, converted);
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        var out = spec.commandLine().getOut();
        if (compare != null) {
            ModelComparison.Result c =
                    ModelComparison.compare(m, converted, d, comparison, bar).withFileBytes(model.model, compare);
            bar.finish();
            Warnings.print(spec.commandLine().getErr(), c.notices());
            if (report != null) {
                ComparisonHtml.page(fileName(model.model), fileName(compare), c).write(report);
            }
            out.print(json ? Json.write(toMap(model.model, compare, c)) + "\n" : render(model.model, compare, c));
            if (report != null && !json) {
                out.println("Report: " + report);
            }
            out.flush();
            return 0;
        }
        Metric used = chosen != null ? chosen : Metric.defaultFor(m);
        if (used.isReconstruction()) {
            ReconstructionResult r = Reconstruction.evaluate(m, d, used, options, bar);
            bar.finish();
            Warnings.print(spec.commandLine().getErr(), r.notices());
            if (json) {
                out.println(Json.write(toMap(model.model.toString(), d, r)));
            } else {
                out.print(render(model.model.toString(), d, r));
            }
            out.flush();
            return 0;
        }
        EvaluationResult r = Evaluator.evaluate(m, d, options, bar);
        bar.finish();
        Warnings.print(spec.commandLine().getErr(), r.notices());
        if (json) {
            out.println(Json.write(toMap(model.model.toString(), d, r)));
        } else {
            out.print(render(model.model.toString(), d, r));
        }
        out.flush();
        return 0;
    }

    /**
     * {@code --spark}: the data's first sample and count are read here (their errors are the single-machine ones;
     * each task loads its own range and a range's error comes back as the same one line), then the evaluation runs
     * on the cluster and prints as it does on one machine, with the Spark stages' times under {@code --json}.
     */
    private int onSpark(Metric chosen, Evaluator.Options options, ModelComparison.Options comparison) {
        Model m = model.load();
        Model converted = compare == null ? null : loadCompared();
        Dataset d = data.loadFirst(m, converted); // the driver holds none of the data but its first sample
        Metric used = chosen != null ? chosen : Metric.defaultFor(m);
        ScaleOut engine = SparkEngine.find();
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        var out = spec.commandLine().getOut();
        try (ScaleOut.Session opened = engine.open(sparkMaster)) {
            // --config: the weights-only file and the model JSON are broadcast together (with --compare, those of
            // the float model; the compared model is a self-contained file)
            ScaleOut.Session session = model.config == null ? opened : opened.withModelConfig(model.config);
            if (converted != null) {
                ScaleOut.Run<ModelComparison.Result> run =
                        session.compare(model.model, compare, data.spec(m, converted), comparison, bar);
                bar.finish();
                ModelComparison.Result c = run.result();
                Warnings.print(spec.commandLine().getErr(), c.notices());
                if (report != null) {
                    ComparisonHtml.page(fileName(model.model), fileName(compare), c)
                            .write(report);
                }
                if (json) {
                    Map<String, Object> map = toMap(model.model, compare, c);
                    map.put("spark", SparkEngine.toMap(sparkMaster, run));
                    out.println(Json.write(map));
                } else {
                    out.print(render(model.model, compare, c));
                    if (report != null) {
                        out.println("Report: " + report);
                    }
                }
            } else if (used.isReconstruction()) {
                ScaleOut.Run<ReconstructionResult> run =
                        session.reconstruct(model.model, data.spec(), used, options, bar);
                bar.finish();
                ReconstructionResult r = run.result();
                Warnings.print(spec.commandLine().getErr(), r.notices());
                if (json) {
                    Map<String, Object> map = toMap(model.model.toString(), d, r);
                    map.put("spark", SparkEngine.toMap(sparkMaster, run));
                    out.println(Json.write(map));
                } else {
                    out.print(render(model.model.toString(), d, r));
                }
            } else {
                ScaleOut.Run<EvaluationResult> run = session.evaluate(model.model, data.spec(), options, bar);
                bar.finish();
                EvaluationResult r = run.result();
                Warnings.print(spec.commandLine().getErr(), r.notices());
                if (json) {
                    Map<String, Object> map = toMap(model.model.toString(), d, r);
                    map.put("spark", SparkEngine.toMap(sparkMaster, run));
                    out.println(Json.write(map));
                } else {
                    out.print(render(model.model.toString(), d, r));
                }
            }
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> toMap(String modelPath, Dataset d, EvaluationResult r) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model", modelPath);
        if (d != null) {
            map.put("data", d.name());
            map.put(
                    "preprocessing",
                    d.preprocessing() == null
                            ? null
                            : d.preprocessing().normalization().toString());
        }
        map.put("samples", r.samples());
        map.put("loss_name", r.lossName());
        map.put("loss", Double.isNaN(r.loss()) ? null : r.loss());
        map.put("from_logits", r.fromLogits());
        map.put("top_k", r.topK());
        map.put("correct", r.correct());
        map.put("accuracy", r.accuracy());
        map.put("seconds", r.seconds());
        map.put("samples_per_second", r.samplesPerSecond());
        map.put(
                "warnings",
                r.notices().stream().map(n -> n.render(CliFlags::flag)).toList());
        return map;
    }

    static String render(String modelPath, Dataset d, EvaluationResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("Model:      ").append(modelPath).append('\n');
        sb.append("Data:       ")
                .append(d.name())
                .append(" (")
                .append(r.samples())
                .append(" samples)\n");
        if (d.preprocessing() != null) {
            sb.append("Input:      x = ")
                    .append(d.preprocessing().normalization())
                    .append('\n');
        }
        if (r.lossName() != null) {
            sb.append(String.format(
                    Locale.ROOT,
                    "Loss:       %.4f (%s%s)%n",
                    r.loss(),
                    r.lossName(),
                    r.fromLogits() ? ", from logits" : ""));
        } else {
            sb.append("Loss:       n/a (no loss in the model's training config; pass --loss)\n");
        }
        sb.append(String.format(
                Locale.ROOT,
                "Accuracy:   %.2f%% (%d/%d, top-%d)%n",
                100 * r.accuracy(),
                r.correct(),
                r.samples(),
                r.topK()));
        sb.append(
                String.format(Locale.ROOT, "Throughput: %.0f samples/s (%.2f s)%n", r.samplesPerSecond(), r.seconds()));
        return sb.toString();
    }

    /** {@code --json} of a reconstruction metric: the scores, then each clip's score and label. */
    static Map<String, Object> toMap(String modelPath, Dataset d, ReconstructionResult r) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model", modelPath);
        if (d != null) {
            map.put("data", d.name());
            map.put(
                    "preprocessing",
                    d.preprocessing() == null
                            ? null
                            : d.preprocessing().normalization().toString());
        }
        map.put("metric", r.metric().label());
        map.put("value", number(r.value()));
        map.put("samples", r.samples());
        map.put("clips", r.clips());
        map.put("normal_clips", r.clipsLabelled(0));
        map.put("anomalous_clips", r.clipsLabelled(1));
        map.put("auc", number(r.auc()));
        map.put("mean_window_mse", r.meanMse());
        map.put("mean_window_mae", r.meanMae());
        map.put("clip_score", r.metric() == Metric.MAE ? "mean window mae" : "mean window mse");
        map.put("seconds", r.seconds());
        map.put("samples_per_second", r.samplesPerSecond());
        map.put(
                "warnings",
                r.notices().stream().map(n -> n.render(CliFlags::flag)).toList());
        java.util.List<Map<String, Object>> clips = new java.util.ArrayList<>();
        for (int c = 0; c < r.clips(); c++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("clip", r.clipNames().get(c));
            row.put("label", r.clipLabels()[c] < 0 ? null : r.clipLabels()[c]);
            row.put("score", r.clipScores()[c]);
            clips.add(row);
        }
        map.put("clip_scores", clips);
        return map;
    }

    /** A double for JSON: null for NaN or infinite. */
    private static Double number(double v) {
        return Double.isFinite(v) ? v : null;
    }

    static String render(String modelPath, Dataset d, ReconstructionResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("Model:      ").append(modelPath).append('\n');
        String labelled = d.hasLabels()
                ? format(": %d normal, %d anomalous", r.clipsLabelled(0), r.clipsLabelled(1))
                : ", unlabelled";
        sb.append(
                d.hasClips()
                        ? format(
                                "Data:       %s (%d windows of %d clips%s)%n",
                                d.name(), r.samples(), r.clips(), labelled)
                        : format("Data:       %s (%d samples%s)%n", d.name(), r.samples(), labelled));
        if (d.preprocessing() != null) {
            sb.append("Input:      x = ")
                    .append(d.preprocessing().normalization())
                    .append('\n');
        }
        if (!Double.isNaN(r.auc())) {
            sb.append(format(
                    "AUC:        %.4f (ROC over clips; a clip's score is the mean %s of its windows)%n",
                    r.auc(), r.metric() == Metric.MAE ? "MAE" : "MSE"));
        }
        sb.append(format("Window MSE: %.6g (mean over %d windows)%n", r.meanMse(), r.samples()));
        sb.append(format("Window MAE: %.6g%n", r.meanMae()));
        sb.append(format("Throughput: %.0f samples/s (%.2f s)%n", r.samplesPerSecond(), r.seconds()));
        return sb.toString();
    }

    /** The side-by-side table of {@code --compare}, then the per-layer errors. */
    static String render(Path floatPath, Path quantPath, ModelComparison.Result c) {
        EvaluationResult f = c.floatResult();
        EvaluationResult q = c.quantizedResult();
        StringBuilder sb = new StringBuilder();
        row(sb, "", "float", "quantized");
        row(sb, "model", floatPath.getFileName(), quantPath.getFileName());
        if (f == null) {
            ReconstructionResult fr = c.floatReconstruction();
            ReconstructionResult qr = c.quantizedReconstruction();
            row(sb, "windows", fr.samples(), qr.samples());
            row(
                    sb,
                    "clips",
                    format("%d (%d/%d)", fr.clips(), fr.clipsLabelled(0), fr.clipsLabelled(1)),
                    format("%d (%d/%d)", qr.clips(), qr.clipsLabelled(0), qr.clipsLabelled(1)));
            if (!Double.isNaN(fr.auc())) {
                row(sb, "AUC", format("%.4f", fr.auc()), format("%.4f", qr.auc()));
                sb.append(format("%-18s %18s %+18.4f%n", "AUC drop", "", fr.auc() - qr.auc()));
            }
            row(sb, "mean window MSE", format("%.6g", fr.meanMse()), format("%.6g", qr.meanMse()));
            row(sb, "mean window MAE", format("%.6g", fr.meanMae()), format("%.6g", qr.meanMae()));
        } else {
            row(sb, "samples", f.samples(), q.samples());
            if (f.lossName() != null) {
                row(sb, "loss", format("%.4f", f.loss()), format("%.4f", q.loss()));
            }
            row(
                    sb,
                    "accuracy (top-" + f.topK() + ")",
                    format("%.2f%% (%d)", 100 * f.accuracy(), f.correct()),
                    format("%.2f%% (%d)", 100 * q.accuracy(), q.correct()));
            sb.append(format("%-18s %18s %+17.2f%n", "accuracy drop", "", 100 * c.accuracyDrop()));
            sb.append(format("%-18s %18s %17.2f%%%n", "top-1 agreement", "", 100 * c.agreement()));
            PairedComparison p = c.paired();
            row(sb, "right only here", p.onlyFirst(), p.onlySecond());
            sb.append(format("%-18s %18s %18s%n", "paired test", "", pValue(p)));
        }
        row(sb, "file size", format("%,d B", c.floatBytes()), format("%,d B", c.quantizedBytes()));
        row(
                sb,
                "latency p50",
                format("%.1f us", c.floatLatency().p50()),
                format("%.1f us", c.quantizedLatency().p50()));
        sb.append('\n')
                .append("Per-layer error of the quantized model against float, worst first ")
                .append("(RMSE/scale about 0.289 is rounding alone; saturated: values clipped at the quantized "
                        + "range):\n");
        String lf = "%-32s %-18s %10s %12s %12s %12s %10s%n";
        sb.append(String.format(
                Locale.ROOT, lf, "layer", "op", "SQNR dB", "RMSE", "RMSE/scale", "max |err|", "saturated"));
        for (LayerError l : c.layers()) {
            sb.append(String.format(
                    Locale.ROOT,
                    "%-32s %-18s %10.2f %12.4g %12s %12.4g %10s%n",
                    l.layer(),
                    l.op(),
                    l.sqnrDb(),
                    l.rmse(),
                    Double.isNaN(l.scale()) ? "-" : String.format(Locale.ROOT, "%.3f", l.rmseOverScale()),
                    l.maxAbs(),
                    saturation(l)));
        }
        return sb.toString();
    }

    private static String fileName(Path p) {
        return p.getFileName() == null ? p.toString() : p.getFileName().toString();
    }

    /** A layer's saturation as a percentage with three decimals, or "-" for a tensor that is not quantized. */
    static String saturation(LayerError l) {
        return Double.isNaN(l.saturation()) ? "-" : String.format(Locale.ROOT, "%.3f%%", 100 * l.saturation());
    }

    /** A row of the {@code --compare} table: its label, then the float model's and the quantized model's values. */
    private static void row(StringBuilder sb, String label, Object floatValue, Object quantizedValue) {
        sb.append(format("%-18s %18s %18s%n", label, floatValue, quantizedValue));
    }

    /**
     * The {@code --compare} model, which must be self-contained: {@code --config} belongs to MODEL alone, so a
     * weights-only .h5 here is refused in words that say so (not "give --config JSON", which the user may have done).
     */
    private Model loadCompared() {
        try {
            return ModelFiles.load(compare);
        } catch (QuantaException e) {
            if (e.names(Setting.MODEL_CONFIG)) {
                throw QuantaException.inFile(
                        compare,
                        "a weights-only .h5 cannot be compared (--config JSON belongs to MODEL); give --compare a"
                                + " self-contained model: a full .h5 or .keras, a .tflite or an .onnx");
            }
            throw e;
        }
    }

    /** McNemar's exact p of a paired comparison, e.g. {@code p = 0.43 (McNemar)}. */
    static String pValue(PairedComparison p) {
        return format("p = %.2g (McNemar)", p.p());
    }

    private static String format(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /**
     * {@code --compare --json}: both evaluations (loss and accuracy, or the reconstruction scores), the differences
     * and the per-layer rows.
     */
    static Map<String, Object> toMap(Path floatPath, Path quantPath, ModelComparison.Result c) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (c.floatResult() == null) {
            m.put("float", toMap(floatPath.toString(), null, c.floatReconstruction()));
            m.put("quantized", toMap(quantPath.toString(), null, c.quantizedReconstruction()));
            m.put(
                    "auc_drop",
                    number(c.floatReconstruction().auc()
                            - c.quantizedReconstruction().auc()));
        } else {
            m.put("float", toMap(floatPath.toString(), null, c.floatResult()));
            m.put("quantized", toMap(quantPath.toString(), null, c.quantizedResult()));
            m.put("accuracy_drop", c.accuracyDrop());
            m.put("top1_agreement", c.agreement());
            PairedComparison p = c.paired();
            m.put("right_only_float", p.onlyFirst());
            m.put("right_only_quantized", p.onlySecond());
            m.put("mcnemar_p", p.p());
        }
        m.put("float_file_bytes", c.floatBytes());
        m.put("quantized_file_bytes", c.quantizedBytes());
        m.put("float_latency_p50_us", c.floatLatency().p50());
        m.put("quantized_latency_p50_us", c.quantizedLatency().p50());
        m.put("layers", Json.rows(c.layers(), (l, r) -> {
            r.put("tensor", l.tensor());
            r.put("layer", l.layer());
            r.put("op", l.op());
            r.put("sqnr_db", Double.isInfinite(l.sqnrDb()) ? null : l.sqnrDb());
            r.put("rmse", l.rmse());
            r.put("rmse_over_scale", Double.isNaN(l.scale()) ? null : l.rmseOverScale());
            r.put("max_abs_error", l.maxAbs());
            r.put("saturation", number(l.saturation()));
        }));
        return m;
    }
}
