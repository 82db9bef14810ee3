package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.ModelComparison;
import dev.quanta.files.AtomicFiles;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.runtime.Benchmark;
import dev.quanta.summary.ModelSummary;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code quanta demo}: the whole workflow on the embedded example, a small CNN that Quanta's own code trained on
 * generated shape images (see {@code dev/quanta/cli/demo/README.md} in this module's resources; the quanta-examples
 * module makes them): summary, quantize in four ways, compare, benchmark.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = "Run the workflow on the embedded example: summary, quantize (int8 per-channel, uint8, "
                + "dynamic, float16), compare accuracy and size, benchmark float against int8.")
final class DemoCommand implements Callable<Integer> {
    static final String RESOURCES = "/dev/quanta/cli/demo/";
    static final String MODEL = "shapes_cnn.h5";
    static final String TEST_IMAGES = "shapes-test-images-idx3-ubyte.gz";
    static final String TEST_LABELS = "shapes-test-labels-idx1-ubyte.gz";
    static final String TRAIN_IMAGES = "shapes-train-images-idx3-ubyte.gz";
    static final String TRAIN_LABELS = "shapes-train-labels-idx1-ubyte.gz";

    @Option(
            names = "--output-dir",
            paramLabel = "DIR",
            description = "Keep the example and the quantized models in DIR (default: a temporary folder, deleted); "
                    + "regular files of the same names in DIR are replaced.")
    Path outputDir;

    @Option(names = "--runs", defaultValue = "300", paramLabel = "N", description = "Benchmark runs per setting.")
    int runs;

    /** Warm-up runs per benchmark setting (at least as many as are timed). */
    static final int WARMUP_RUNS = 20_000;

    @Spec
    CommandSpec spec;

    private record Variant(String label, QuantizationMode mode, QuantizationScheme scheme, Granularity granularity) {
        String fileName() {
            return "shapes_cnn_" + label.replaceAll("[^a-z0-9]+", "_") + ".tflite";
        }
    }

    @Override
    public Integer call() throws IOException {
        Benchmark.Options bench = OptionErrors.build(
                // the SIMD kernels run interpreted until the JIT has compiled them all, which takes some 10^4 runs of
                // this ~6 µs model (0.1 s): with 3000 the int8 p50 measured 32.8 µs against a steady 6.0 µs
                () -> Benchmark.Options.defaults().withRuns(runs).withWarmup(Math.max(WARMUP_RUNS, runs)));
        PrintWriter out = spec.commandLine().getOut();
        List<Variant> variants = List.of(
                new Variant(
                        "int8 symmetric per-channel",
                        QuantizationMode.INT8,
                        QuantizationScheme.SYMMETRIC,
                        Granularity.PER_CHANNEL),
                new Variant(
                        "uint8 asymmetric per-tensor",
                        QuantizationMode.INT8,
                        QuantizationScheme.ASYMMETRIC,
                        Granularity.PER_TENSOR),
                new Variant(
                        "dynamic range int8",
                        QuantizationMode.DYNAMIC,
                        QuantizationScheme.SYMMETRIC,
                        Granularity.PER_CHANNEL),
                new Variant(
                        "float16", QuantizationMode.FLOAT16, QuantizationScheme.SYMMETRIC, Granularity.PER_CHANNEL));
        if (outputDir != null) {
            checkOutputDir(variants);
        }
        Path dir = outputDir != null ? Files.createDirectories(outputDir) : Files.createTempDirectory("quanta-demo");
        try {
            Path model = extract(dir, MODEL);
            Path testImages = extract(dir, TEST_IMAGES);
            Path testLabels = extract(dir, TEST_LABELS);
            Path trainImages = extract(dir, TRAIN_IMAGES);
            Path trainLabels = extract(dir, TRAIN_LABELS);
            Preprocessing pixels = Preprocessing.scale(1f / 255f);
            Dataset test = idx(testImages, testLabels, pixels);
            Dataset calibration = idx(trainImages, trainLabels, pixels);

            out.println("== 1. summary: the embedded example model ==");
            out.println("$ quanta summary " + MODEL);
            Model m = ModelFiles.load(model);
            out.print(ModelSummary.of(m).render());

            out.println();
            out.println("== 2. quantize: four ways, calibrated on 100 training images ==");
            List<Path> files = new ArrayList<>();
            for (Variant v : variants) {
                String name = v.fileName();
                Path file = dir.resolve(name);
                out.printf(
                        Locale.ROOT,
                        "$ quanta quantize %s -o %s --mode %s --scheme %s --granularity %s%s%n",
                        MODEL,
                        name,
                        v.mode().name().toLowerCase(Locale.ROOT),
                        v.scheme().name().toLowerCase(Locale.ROOT),
                        v.granularity().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                        v.mode() == QuantizationMode.INT8
                                ? " --calibration " + TRAIN_IMAGES + " --scale 1/255 --samples 100"
                                : "");
                Converter.Conversion c = Converter.fromModel(m)
                        .withConfig(QuantizationConfig.defaults()
                                .withMode(v.mode())
                                .withScheme(v.scheme())
                                .withGranularity(v.granularity()))
                        .withRepresentativeDataset(calibration)
                        .convert();
                TfliteWriter.write(c.model(), file);
                long bytes = Files.size(file);
                out.printf(
                        Locale.ROOT,
                        "   wrote %,d B in %.2f s%n",
                        bytes,
                        c.report().seconds());
                files.add(file);
            }

            out.println();
            out.println("== 3. compare: accuracy on the 1000 test images, in Quanta's interpreter ==");
            EvaluationResult floatResult =
                    Evaluator.evaluate(m, test, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
            String row = "%-30s %12s %16s %10s %10s%n";
            out.printf(Locale.ROOT, row, "model", "size", "accuracy", "drop", "agreement");
            out.printf(
                    Locale.ROOT,
                    row,
                    "float32 Keras (.h5)",
                    String.format(Locale.ROOT, "%,d B", Files.size(model)),
                    pct(floatResult),
                    "",
                    "");
            List<Model> written = new ArrayList<>(); // the quantized models as read back from their files
            for (int i = 0; i < variants.size(); i++) {
                written.add(ModelFiles.load(files.get(i)));
                EvaluationResult r =
                        Evaluator.evaluate(written.get(i), test, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
                out.printf(
                        Locale.ROOT,
                        row,
                        variants.get(i).label(),
                        String.format(Locale.ROOT, "%,d B", Files.size(files.get(i))),
                        pct(r),
                        String.format(Locale.ROOT, "%+.2f", 100 * (floatResult.accuracy() - r.accuracy())),
                        String.format(Locale.ROOT, "%.1f%%", 100 * ModelComparison.agreement(floatResult, r)));
            }

            out.println();
            out.println("== 4. benchmark: float against int8, 1 and 2 threads (batch 1, " + runs + " runs) ==");
            out.printf(Locale.ROOT, "%-30s %8s %10s %10s %12s%n", "model", "threads", "p50 us", "p99 us", "samples/s");
            Model int8 = written.get(0);
            for (int threads : new int[] {1, 2}) {
                for (Object[] pair : new Object[][] {{"float32", m}, {"int8 per-channel", int8}}) {
                    Benchmark.Result b = Benchmark.run((Model) pair[1], bench.withThreads(threads));
                    out.printf(
                            Locale.ROOT,
                            "%-30s %8d %10.1f %10.1f %12.0f%n",
                            pair[0],
                            threads,
                            b.p50(),
                            b.p99(),
                            b.samplesPerSecond());
                }
            }
            if (outputDir != null) {
                out.println();
                out.println("Files are in " + outputDir);
            }
            out.flush();
            return 0;
        } finally {
            if (outputDir == null) {
                deleteRecursively(dir);
            }
        }
    }

    private static String pct(EvaluationResult r) {
        return String.format(Locale.ROOT, "%.2f%% (%d)", 100 * r.accuracy(), r.correct());
    }

    private static Dataset idx(Path images, Path labels, Preprocessing p) {
        return Datasets.load(
                DatasetSpec.of(images).withLabels(labels).withFormat("idx").withPreprocessing(p));
    }

    /**
     * Before any work: {@code --output-dir} must be a folder (or not exist), and each file the demo writes there
     * must be a regular file or absent. A symbolic link is refused too: the demo chose the name, not the user, so it
     * must not write through a link to some other file.
     */
    private void checkOutputDir(List<Variant> variants) {
        if (Files.exists(outputDir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(outputDir)) {
            throw QuantaException.inFile(outputDir, "--output-dir is not a directory");
        }
        List<String> names = new ArrayList<>(List.of(MODEL, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS));
        variants.forEach(v -> names.add(v.fileName()));
        for (String name : names) {
            Path file = outputDir.resolve(name);
            if (Files.isSymbolicLink(file)) {
                throw QuantaException.inFile(
                        file,
                        "is a symbolic link; the demo writes its files only as regular "
                                + "files in --output-dir (remove the link or choose another folder)");
            }
            if (Files.isDirectory(outputDir)) {
                AtomicFiles.requireWritableTarget(file);
            }
        }
    }

    private static Path extract(Path dir, String name) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the embedded example " + name + " is missing from the build");
            }
            Path target = dir.resolve(name);
            AtomicFiles.writeStream(target, in::transferTo);
            return target;
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
