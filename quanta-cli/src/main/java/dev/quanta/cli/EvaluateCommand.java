package dev.quanta.cli;

import dev.quanta.Notice;
import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Loss;
import dev.quanta.ir.Model;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code quanta evaluate MODEL --data ...}: loss and accuracy on labelled data, like Keras {@code evaluate()}. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Measure a model's loss and top-k accuracy on labelled data.")
final class EvaluateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions.Evaluation data;

    @Option(names = "--loss", paramLabel = "NAME", description = "Loss to report (default: the model's training "
            + "config): sparse_categorical_crossentropy, categorical_crossentropy, mse, mae.")
    String loss;

    @Option(names = "--from-logits", arity = "0..1", paramLabel = "BOOL",
            description = "Outputs are logits (default: yes unless the model ends in a softmax).")
    Boolean fromLogits;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "1", description = "Count a sample correct when its "
            + "label is among the K highest outputs (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--batch-size", paramLabel = "N", defaultValue = "64", description = "Samples per inference "
            + "(default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1", description = "Threads per inference "
            + "(default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--compare", paramLabel = "QUANT_MODEL",
            description = "A converted model (e.g. Quanta's int8 .tflite) to evaluate side by side with MODEL, with a "
                    + "per-layer error table.")
    Path compare;

    @Option(names = "--layer-samples", defaultValue = "100", paramLabel = "N",
            description = "Samples used for the per-layer table of --compare (default ${DEFAULT-VALUE}).")
    int layerSamples;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Evaluator.Options options = OptionErrors.build(() -> Evaluator.Options.defaults().withTopK(topK)
                .withBatchSize(batchSize).withThreads(threads), "Evaluator topK", "--top-k", "Evaluator batchSize",
                "--batch-size", "Evaluator threads", "--threads");
        if (layerSamples < 1) {
            throw new dev.quanta.QuantaException("--layer-samples must be at least 1, got " + layerSamples);
        }
        Model m = model.load();
        Dataset d = data.load(m.inputs().get(0).shape().sampleDims());
        options = options.withLoss(loss == null ? null : Loss.parse(loss)).withFromLogits(fromLogits);
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        EvaluationResult r = Evaluator.evaluate(m, d, options, bar);
        bar.finish();
        var out = spec.commandLine().getOut();
        if (compare != null) {
            Comparison c = Comparison.run(model.model, m, compare, d, options, layerSamples, threads, bar);
            warn(c.floatResult().notices());
            warn(c.quantResult().notices());
            out.print(json ? Json.write(c.toMap()) + "\n" : c.render());
            out.flush();
            return 0;
        }
        warn(r.notices());
        if (json) {
            out.println(Json.write(toMap(model.model.toString(), d, r)));
        } else {
            out.print(render(model.model.toString(), d, r));
        }
        out.flush();
        return 0;
    }

    /** Each notice as one {@code quanta: warning:} line on standard error. */
    private void warn(List<Notice> notices) {
        var err = spec.commandLine().getErr();
        for (Notice n : notices) {
            err.println("quanta: warning: " + n.render(CliFlags::flag));
        }
        err.flush();
    }

    static Map<String, Object> toMap(String modelPath, Dataset d, EvaluationResult r) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("model", modelPath);
        if (d != null) {
            map.put("data", d.name());
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
        map.put("warnings", r.notices().stream().map(n -> n.render(CliFlags::flag)).toList());
        return map;
    }

    static String render(String modelPath, Dataset d, EvaluationResult r) {
        StringBuilder sb = new StringBuilder();
        sb.append("Model:      ").append(modelPath).append('\n');
        sb.append("Data:       ").append(d.name()).append(" (").append(r.samples()).append(" samples)\n");
        if (r.lossName() != null) {
            sb.append(String.format(Locale.ROOT, "Loss:       %.4f (%s%s)%n", r.loss(), r.lossName(),
                    r.fromLogits() ? ", from logits" : ""));
        } else {
            sb.append("Loss:       n/a (no loss in the model's training config; pass --loss)\n");
        }
        sb.append(String.format(Locale.ROOT, "Accuracy:   %.2f%% (%d/%d, top-%d)%n", 100 * r.accuracy(), r.correct(),
                r.samples(), r.topK()));
        sb.append(String.format(Locale.ROOT, "Throughput: %.0f samples/s (%.2f s)%n", r.samplesPerSecond(),
                r.seconds()));
        return sb.toString();
    }
}
