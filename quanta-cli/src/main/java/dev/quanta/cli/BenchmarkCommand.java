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

/** {@code quanta benchmark MODEL [MODEL...]}: latency and throughput in Quanta's interpreter, side by side. */
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
        List<Model> loaded = new ArrayList<>();
        for (Path p : models) {
            Model m = ModelFiles.load(p, config);
            try {
                Benchmark.check(m, base); // the thread count changes nothing that check() looks at
            } catch (IllegalArgumentException e) {
                throw OptionErrors.refusal(p + ": ", e);
            }
            loaded.add(m);
        }
        List<Map<String, Object>> rows = new ArrayList<>();
        var out = spec.commandLine().getOut();
        dev.quanta.runtime.Machine machine = dev.quanta.runtime.Machine.current();
        if (!json) {
            out.println("Machine: " + machine.describe());
            out.printf(
                    Locale.ROOT,
                    "%-40s %7s %8s %6s %10s %10s %10s %12s %9s %9s%n",
                    "model",
                    "threads",
                    "parallel",
                    "batch",
                    "p50 us",
                    "p90 us",
                    "p99 us",
                    "samples/s",
                    "heap MB",
                    "B/run");
        }
        for (int i = 0; i < models.size(); i++) {
            Path p = models.get(i);
            for (Benchmark.Options setting : settings) {
                int t = setting.threads();
                Benchmark.Result r = Benchmark.run(loaded.get(i), setting);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("model", p.toString());
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
                if (profile) {
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
                            "%-40s %7d %8d %6d %10.1f %10.1f %10.1f %12.1f %9.1f %9s%n",
                            shorten(p.getFileName().toString(), 40),
                            t,
                            r.parallel(),
                            r.batch(),
                            r.p50(),
                            r.p90(),
                            r.p99(),
                            r.samplesPerSecond(),
                            r.liveHeapBytes() / 1048576.0,
                            r.allocatedBytesPerRun() < 0 ? "—" : String.valueOf(r.allocatedBytesPerRun()));
                    if (profile) {
                        printProfile(out, r.ops());
                    }
                }
            }
        }
        if (json) {
            out.println(Json.write(rows));
        }
        out.flush();
        return 0;
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
