package dev.quanta.cli;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Benchmark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code quanta benchmark MODEL [MODEL...]}: latency and throughput in Quanta's interpreter and, with {@code --engine},
 * ONNX Runtime, side by side.
 */
@Command(
        name = "benchmark",
        mixinStandardHelpOptions = true,
        description = "Measure latency (p50/p90/p99) and throughput of one or more models, side by side in one run.")
final class BenchmarkCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "Models to measure (.h5, .keras, .tflite, .onnx).")
    List<Path> models;

    @Option(names = "--config", paramLabel = "JSON", description = "Keras model JSON for a weights-only .h5.")
    Path config;

    @Option(
            names = "--warmup",
            defaultValue = "20",
            paramLabel = "N",
            description = "Warm-up runs (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--runs",
            defaultValue = "200",
            paramLabel = "N",
            description = "Timed runs (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(
            names = "--threads",
            defaultValue = "1",
            split = ",",
            paramLabel = "N[,N...]",
            description = "Threads inside one inference; a list measures each (default ${DEFAULT-VALUE}).")
    int[] threads;

    @Option(
            names = "--parallel",
            defaultValue = "1",
            paramLabel = "N",
            description = "Interpreters serving requests concurrently, sharing one copy of the weights.")
    int parallel;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Samples per inference.")
    int batch;

    @Option(
            names = "--input-shape",
            split = ",",
            paramLabel = "D,D,...",
            description = "Full input shape (resizes the input, like TFLite's resizeInput).")
    int[] inputShape;

    @Option(
            names = "--profile",
            description = "Also time every op (in extra runs after the timed ones) and list the ops by time.")
    boolean profile;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    // -- ONNX Runtime as an engine (issue 12) --
    @Option(
            names = "--engine",
            defaultValue = "quanta",
            split = ",",
            paramLabel = "NAME[,NAME...]",
            description = "Engines to measure side by side: quanta (Quanta's interpreter), onnxruntime (ONNX Runtime "
                    + "on the .onnx file, or on Quanta's ONNX export of a .tflite or Keras model; --threads are its "
                    + "intra-op threads). Default ${DEFAULT-VALUE}.")
    List<String> engines;

    @Override
    public Integer call() {
        // every option and model is checked before the table's header, so that a refusal prints one line only
        Benchmark.Options base = OptionErrors.build(() -> Benchmark.Options.defaults()
                .withWarmup(warmup)
                .withRuns(runs)
                .withParallel(parallel)
                .withBatch(batch)
                .withInputShape(inputShape)
                .withProfile(profile));
        List<Benchmark.Options> settings = new ArrayList<>();
        for (int t : threads) {
            settings.add(OptionErrors.build(() -> base.withThreads(t)));
        }
        List<String> engineNames = engines.stream().distinct().toList();
        for (String e : engineNames) {
            if (!BenchmarkEngine.NAMES.contains(e)) {
                throw new dev.quanta.QuantaException("--engine: unknown engine '" + e + "' (engines: "
                        + String.join(", ", BenchmarkEngine.NAMES) + ")");
            }
        }
        List<List<BenchmarkEngine>> opened = new ArrayList<>();
        List<Map<String, Agreement>> agreements = new ArrayList<>();
        for (Path p : models) {
            Model m = ModelFiles.load(p, config);
            List<BenchmarkEngine> forModel = new ArrayList<>();
            for (String e : engineNames) {
                forModel.add(BenchmarkEngine.open(e, p, m, base));
            }
            opened.add(forModel);
            agreements.add(agreements(m, forModel));
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        var out = spec.commandLine().getOut();
        dev.quanta.runtime.Machine machine = dev.quanta.runtime.Machine.current();
        if (!json) {
            out.println("Machine: " + machine.describe());
            out.printf(
                    Locale.ROOT,
                    "%-40s %-11s %7s %8s %6s %10s %10s %10s %10s %12s %9s %9s%n",
                    "model",
                    "engine",
                    "threads",
                    "parallel",
                    "batch",
                    "p50 us",
                    "p90 us",
                    "p99 us",
                    "mean us",
                    "samples/s",
                    "heap MB",
                    "B/run");
        }
        for (int i = 0; i < models.size(); i++) {
            Path p = models.get(i);
            for (BenchmarkEngine engine : opened.get(i)) {
                for (Benchmark.Options setting : settings) {
                    int t = setting.threads();
                    Benchmark.Result r = engine.run(setting);
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("model", p.toString());
                    row.put("engine", engine.name());
                    row.put("threads", t);
                    row.put("parallel", r.parallel());
                    row.put("batch", r.batch());
                    row.put("runs", r.runs());
                    row.put("p50_us", r.p50());
                    row.put("p90_us", r.p90());
                    row.put("p99_us", r.p99());
                    row.put("mean_us", r.mean());
                    row.put("samples_per_second", r.samplesPerSecond());
                    row.put("live_heap_bytes", r.liveHeapBytes());
                    row.put("allocated_bytes_per_run", r.allocatedBytesPerRun());
                    row.put("cpu", machine.cpu());
                    row.put("cpu_simd", machine.simdFeatures());
                    row.put("jdk", machine.jdk());
                    row.put("kernels", machine.kernels());
                    Agreement a = agreements.get(i).get(engine.name());
                    if (a != null) {
                        row.put("max_abs_diff_vs_quanta", a.maxAbsDifference());
                        row.put("quanta_output_range", a.range());
                    }
                    if (profile && engine instanceof QuantaEngine) {
                        row.put("ops", Json.rows(r.ops(), (op, o) -> {
                            o.put("layer", op.layer());
                            o.put("type", op.type());
                            o.put("mean_us", op.meanMicros());
                        }));
                    }
                    rows.add(row);
                    if (!json) {
                        out.printf(
                                Locale.ROOT,
                                "%-40s %-11s %7d %8d %6d %10.1f %10.1f %10.1f %10.1f %12.1f %9s %9s%n",
                                shorten(p.getFileName().toString(), 40),
                                engine.name(),
                                t,
                                r.parallel(),
                                r.batch(),
                                r.p50(),
                                r.p90(),
                                r.p99(),
                                r.mean(),
                                r.samplesPerSecond(),
                                r.liveHeapBytes() < 0
                                        ? "—"
                                        : String.format(Locale.ROOT, "%.1f", r.liveHeapBytes() / 1048576.0),
                                r.allocatedBytesPerRun() < 0 ? "—" : String.valueOf(r.allocatedBytesPerRun()));
                        if (profile && engine instanceof QuantaEngine) {
                            printProfile(out, r.ops());
                        }
                    }
                }
            }
        }
        if (!json) {
            for (int i = 0; i < models.size(); i++) {
                for (var e : agreements.get(i).entrySet()) {
                    out.printf(
                            Locale.ROOT,
                            "%s: %s vs quanta on one random input: max |difference| %.3g of the output range %.3g%n",
                            shorten(models.get(i).getFileName().toString(), 40),
                            e.getKey(),
                            e.getValue().maxAbsDifference(),
                            e.getValue().range());
                }
            }
        }
        if (json) {
            out.println(Json.write(rows));
        }
        out.flush();
        return 0;
    }

    /**
     * How far an engine's first output lies from Quanta's on the same seeded random input: max |y − y_quanta| over the
     * elements, and Quanta's output range max(y_quanta) − min(y_quanta), both in real (dequantized) units.
     */
    record Agreement(double maxAbsDifference, double range) {}

    /**
     * Each engine's {@link Agreement} with the {@code quanta} engine when both measure {@code m}; none when quanta is
     * not asked for, or the input is not float32, int8 or uint8 (the inputs the engines' check generates).
     */
    private static Map<String, Agreement> agreements(Model m, List<BenchmarkEngine> engines) {
        Map<String, Agreement> result = new LinkedHashMap<>();
        BenchmarkEngine quanta = engines.stream()
                .filter(e -> e instanceof QuantaEngine)
                .findFirst()
                .orElse(null);
        dev.quanta.ir.DType dtype = m.inputs().get(0).dtype();
        if (quanta == null
                || engines.size() < 2
                || !java.util.EnumSet.of(
                                dev.quanta.ir.DType.FLOAT32, dev.quanta.ir.DType.INT8, dev.quanta.ir.DType.UINT8)
                        .contains(dtype)) {
            return result;
        }
        Object input = BenchmarkEngine.randomInput(dtype, (int) BenchmarkEngine.elementCount(quanta.inputShape()));
        float[] reference = quanta.output(input);
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (float v : reference) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        for (BenchmarkEngine e : engines) {
            if (e == quanta) {
                continue;
            }
            if (BenchmarkEngine.elementCount(e.inputShape()) != BenchmarkEngine.elementCount(quanta.inputShape())) {
                continue; // another input size: no common input to compare on
            }
            float[] other = e.output(input);
            if (other.length != reference.length) {
                continue; // another output size: nothing to compare
            }
            double worst = 0;
            for (int k = 0; k < reference.length; k++) {
                worst = Math.max(worst, Math.abs((double) other[k] - reference[k]));
            }
            result.put(e.name(), new Agreement(worst, hi - lo));
        }
        return result;
    }

    /** The ops by time, longest first, with their share of the summed op time and the running total. */
    private static void printProfile(java.io.PrintWriter out, List<dev.quanta.runtime.Interpreter.OpTiming> ops) {
        double total = ops.stream()
                .mapToDouble(dev.quanta.runtime.Interpreter.OpTiming::meanMicros)
                .sum();
        List<dev.quanta.runtime.Interpreter.OpTiming> sorted = new ArrayList<>(ops);
        sorted.sort((a, b) -> Double.compare(b.meanMicros(), a.meanMicros()));
        out.printf(Locale.ROOT, "  %10s %7s %7s  %-24s %s%n", "mean us", "%", "cum %", "op", "layer");
        double cumulative = 0;
        for (var op : sorted) {
            cumulative += op.meanMicros();
            out.printf(
                    Locale.ROOT,
                    "  %10.1f %6.1f%% %6.1f%%  %-24s %s%n",
                    op.meanMicros(),
                    100 * op.meanMicros() / total,
                    100 * cumulative / total,
                    shorten(op.type(), 24),
                    shorten(op.layer(), 60));
        }
    }

    private static String shorten(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }
}
