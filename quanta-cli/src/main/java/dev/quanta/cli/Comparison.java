package dev.quanta.cli;

import dev.quanta.io.ModelFiles;
import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.LayerComparison;
import dev.quanta.eval.LayerError;
import dev.quanta.eval.Loss;
import dev.quanta.ir.Model;
import dev.quanta.quantize.FloatGraphPasses;
import dev.quanta.runtime.Benchmark;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code evaluate --compare}: a float model and its converted twin side by side, then the per-layer errors. */
record Comparison(Path floatPath, Path quantPath, EvaluationResult floatResult, EvaluationResult quantResult,
        double agreement, long floatBytes, long quantBytes, Benchmark.Result floatLatency,
        Benchmark.Result quantLatency, List<LayerError> layers) {

    static Comparison run(Path floatPath, Model floatModel, Path quantPath, Dataset data, Evaluator.Options options,
            int layerSamples, int threads, Evaluator.Progress progress) {
        Model quant = ModelFiles.load(quantPath);
        EvaluationResult f = Evaluator.evaluate(floatModel, data, options, progress);
        // the converted file has no training config: score it with the float model's loss
        Evaluator.Options quantOptions = options;
        if (options.loss() == null && f.lossName() != null) {
            quantOptions = options.withLoss(Loss.parse(f.lossName())).withFromLogits(f.fromLogits());
        }
        EvaluationResult q = Evaluator.evaluate(quant, data, quantOptions, progress);
        int same = 0;
        for (int i = 0; i < f.samples(); i++) {
            if (f.predictions()[i] == q.predictions()[i]) {
                same++;
            }
        }
        Benchmark.Options bench = Benchmark.Options.defaults().withWarmup(5).withRuns(50).withThreads(threads);
        Benchmark.Result fl = Benchmark.run(floatModel, bench);
        Benchmark.Result ql = Benchmark.run(quant, bench);
        // the float reference after the converter's own folding, so that tensor names mean the same values
        List<LayerError> layers = LayerComparison.compare(FloatGraphPasses.apply(floatModel), quant, data,
                layerSamples, threads);
        return new Comparison(floatPath, quantPath, f, q, (double) same / Math.max(1, f.samples()), size(floatPath),
                size(quantPath), fl, ql, layers);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        String fmt = "%-18s %18s %18s%n";
        sb.append(String.format(Locale.ROOT, fmt, "", "float", "quantized"));
        sb.append(String.format(Locale.ROOT, fmt, "model", floatPath.getFileName(), quantPath.getFileName()));
        sb.append(String.format(Locale.ROOT, fmt, "samples", floatResult.samples(), quantResult.samples()));
        if (floatResult.lossName() != null) {
            sb.append(String.format(Locale.ROOT, fmt, "loss", String.format(Locale.ROOT, "%.4f", floatResult.loss()),
                    String.format(Locale.ROOT, "%.4f", quantResult.loss())));
        }
        sb.append(String.format(Locale.ROOT, fmt, "accuracy (top-" + floatResult.topK() + ")",
                String.format(Locale.ROOT, "%.2f%% (%d)", 100 * floatResult.accuracy(), floatResult.correct()),
                String.format(Locale.ROOT, "%.2f%% (%d)", 100 * quantResult.accuracy(), quantResult.correct())));
        sb.append(String.format(Locale.ROOT, "%-18s %18s %+17.2f%n", "accuracy drop", "",
                100 * (floatResult.accuracy() - quantResult.accuracy())));
        sb.append(String.format(Locale.ROOT, "%-18s %18s %17.2f%%%n", "top-1 agreement", "", 100 * agreement));
        sb.append(String.format(Locale.ROOT, fmt, "file size", String.format(Locale.ROOT, "%,d B", floatBytes),
                String.format(Locale.ROOT, "%,d B", quantBytes)));
        sb.append(String.format(Locale.ROOT, fmt, "latency p50", String.format(Locale.ROOT, "%.1f us", floatLatency.p50()),
                String.format(Locale.ROOT, "%.1f us", quantLatency.p50())));
        sb.append('\n').append("Per-layer error of the quantized model against float, worst first ")
                .append("(RMSE/scale about 0.289 is rounding alone):\n");
        String lf = "%-32s %-18s %10s %12s %12s %12s%n";
        sb.append(String.format(Locale.ROOT, lf, "layer", "op", "SQNR dB", "RMSE", "RMSE/scale", "max |err|"));
        for (LayerError l : layers) {
            sb.append(String.format(Locale.ROOT, "%-32s %-18s %10.2f %12.4g %12s %12.4g%n", l.layer(), l.op(),
                    l.sqnrDb(), l.rmse(), Double.isNaN(l.scale()) ? "-" : String.format(Locale.ROOT, "%.3f",
                            l.rmseOverScale()), l.maxAbs()));
        }
        return sb.toString();
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("float", EvaluateCommand.toMap(floatPath.toString(), null, floatResult));
        m.put("quantized", EvaluateCommand.toMap(quantPath.toString(), null, quantResult));
        m.put("accuracy_drop", floatResult.accuracy() - quantResult.accuracy());
        m.put("top1_agreement", agreement);
        m.put("float_file_bytes", floatBytes);
        m.put("quantized_file_bytes", quantBytes);
        m.put("float_latency_p50_us", floatLatency.p50());
        m.put("quantized_latency_p50_us", quantLatency.p50());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (LayerError l : layers) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("tensor", l.tensor());
            r.put("layer", l.layer());
            r.put("op", l.op());
            r.put("sqnr_db", Double.isInfinite(l.sqnrDb()) ? null : l.sqnrDb());
            r.put("rmse", l.rmse());
            r.put("rmse_over_scale", Double.isNaN(l.scale()) ? null : l.rmseOverScale());
            r.put("max_abs_error", l.maxAbs());
            rows.add(r);
        }
        m.put("layers", rows);
        return m;
    }
}
