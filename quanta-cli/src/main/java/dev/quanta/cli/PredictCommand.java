package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.data.ImageFolder;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.ScaleOut;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quanta predict MODEL --data ... --out predictions.parquet} (issue 13): batch inference on Apache Spark, one
 * Parquet row per sample. It always runs on Spark (local[*] unless {@code --spark} names a master), which writes the
 * Parquet folder.
 */
@Command(
        name = "predict",
        mixinStandardHelpOptions = true,
        description = "Run a model over every sample and write one Parquet row per sample (sample index, label, top-k "
                + "classes and scores, or the raw output vector), on Apache Spark (the module quanta-spark). An image "
                + "folder, or a glob of image files (--data 'photos/*/*.jpg', no labels), is read and decoded by "
                + "Spark's executors.")
final class PredictCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Mixin
    DataOptions.Evaluation data;

    @Option(
            names = "--out",
            required = true,
            paramLabel = "FOLDER.parquet",
            description = "The Parquet output (a folder of part files, as Spark writes it); replaced when it is one "
                    + "Spark wrote before, refused when it is anything else.")
    Path out;

    @Option(
            names = "--column",
            paramLabel = "NAME",
            defaultValue = "features",
            description = "With Parquet --data: the column holding the samples, an array of floats or float32 "
                    + "little-endian bytes (default ${DEFAULT-VALUE}); the other columns are kept.")
    String column;

    static final class Kind {
        @Option(
                names = "--top-k",
                paramLabel = "K",
                description = "Write the K best classes and their scores (default 1).")
        Integer topK;

        @Option(names = "--raw", description = "Write the whole output vector (dequantized) instead of classes.")
        boolean raw;
    }

    @ArgGroup(exclusive = true)
    Kind kind;

    @Option(
            names = "--spark",
            arity = "0..1",
            fallbackValue = "local[*]",
            defaultValue = "local[*]",
            paramLabel = "MASTER",
            description = "The Spark master: local[*] (the default), local[N] or spark://HOST:PORT.")
    String sparkMaster;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            defaultValue = "64",
            description = "Samples per inference (default ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(
            names = "--parallel",
            paramLabel = "N",
            defaultValue = "1",
            description = "Interpreters per Spark task (default ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        int topK = kind == null || kind.topK == null ? (kind != null && kind.raw ? 0 : 1) : kind.topK;
        if (topK < 0 || (kind != null && kind.topK != null && topK < 1)) {
            throw new QuantaException("--top-k must be at least 1, got " + topK);
        }
        Evaluator.Options options = OptionErrors.build(
                () -> Evaluator.Options.defaults().withBatchSize(batchSize).withParallel(parallel));
        requireReplaceableOutput();
        boolean parquet = data.data.getFileName() != null
                && data.data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".parquet");
        boolean glob = ImageFolder.isFileGlob(data.data);
        if (!Files.exists(data.data) && !glob) {
            throw QuantaException.inFile(data.data, "no such file");
        }
        // the single-machine errors of the first sample, before Spark starts; globs of image files are read on the
        // executors only
        if (!parquet && !glob) {
            data.checkFirstSample(model.load());
        }
        ScaleOut engine = SparkEngine.find();
        ProgressBar bar = json ? new ProgressBar(System.err, false) : ProgressBar.forTerminal();
        ScaleOut.Run<Long> run;
        try (ScaleOut.Session opened = engine.open(sparkMaster)) {
            // --config: the weights-only file and the model JSON are broadcast together
            ScaleOut.Session session = model.config == null ? opened : opened.withModelConfig(model.config);
            run = session.predict(model.model, data.spec(), column, topK, options, out, bar);
        }
        bar.finish();
        var o = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("model", model.model.toString());
            map.put("data", data.data.toString());
            map.put("out", out.toString());
            map.put("rows", run.result());
            map.put("top_k", topK == 0 ? null : topK);
            map.put("spark", SparkEngine.toMap(sparkMaster, run));
            o.println(Json.write(map));
        } else {
            o.printf(
                    Locale.ROOT,
                    "Predictions: %d rows (%s) -> %s%n",
                    run.result(),
                    topK == 0 ? "raw outputs" : "top-" + topK + " classes and scores",
                    out);
        }
        o.flush();
        return 0;
    }

    /**
     * Refuses an {@code --out} that is an input, or an existing path other than an empty folder or one Spark wrote
     * (holding {@code _SUCCESS}): Spark replaces the whole folder.
     */
    private void requireReplaceableOutput() {
        Path abs = out.toAbsolutePath().normalize();
        for (Path in : new Path[] {model.model, data.data, data.labels}) {
            if (in != null && in.toAbsolutePath().normalize().startsWith(abs)) {
                throw QuantaException.inFile(out, "--out would replace the input " + in);
            }
        }
        if (!Files.exists(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw QuantaException.inFile(out, "--out exists and is not a Parquet folder; it is left as it is");
        }
        try (Stream<Path> files = Files.list(out)) {
            if (files.findAny().isPresent() && !Files.exists(out.resolve("_SUCCESS"))) {
                throw QuantaException.inFile(
                        out, "--out is a folder Spark did not write (no _SUCCESS file); it is left as it is");
            }
        } catch (IOException e) {
            throw QuantaException.inFile(out, "cannot read: " + e.getMessage(), e);
        }
    }
}
