package dev.quanta.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link InferenceBenchmark} over the fixture models in Quanta, in the official TFLite runtime (XNNPACK and
 * built-in kernels) and in ONNX Runtime (on each model's ONNX export, {@link OnnxRuntimeModels}; models Quanta cannot
 * export or ONNX Runtime refuses are listed and left out of that column) in one JMH run, and prints the mean latencies
 * side by side with Quanta's ratio to each, under a header naming the CPU, its SIMD flags, the JDK, Quanta's kernel
 * width and ONNX Runtime's version.
 *
 * <pre>
 * java -jar quanta-bench/target/benchmarks.jar [--quick] [--threads N[,M...]] [--gc] [--no-own] [--no-ort] [model ...]
 * java -jar quanta-bench/target/benchmarks.jar --kernels [--quick] [--simd on|128|256|512] [layer ...]
 * </pre>
 *
 * <ul>
 *   <li>Models are paths under the fixtures root ($QUANTA_FIXTURES or ../shared/fixtures); without any, {@link
 *       #DEFAULT_MODELS} plus Quanta's own int8 files of IC and VWW ({@link OwnInt8Models}, converted at start;
 *       {@code --no-own} leaves them out), shown beside Quanta's float of the same network.
 *   <li>{@code --threads 1,2}: every model at each thread count, then the speedup of the last count over the first.
 *   <li>{@code --no-ort}: without the ONNX Runtime column.
 *   <li>{@code --gc}: JMH's gc profiler; a column gives Quanta's {@code gc.alloc.rate.norm} (bytes allocated per
 *       inference, JMH's own bookkeeping included).
 *   <li>{@code --quick}: 1 fork, 2 × 1 s warm-up, 3 × 1 s measurement (else 1 fork, 3 × 2 s, 5 × 2 s).
 *   <li>{@code --kernels}: instead of models, each kernel family's throughput against the measured FMA peak
 *       ({@link KernelTable}); takes {@code --quick}, {@code --simd WIDTH} and layer keys of {@link KernelLayers}.
 * </ul>
 *
 * Any other JMH use: {@code java -cp quanta-bench/target/benchmarks.jar org.openjdk.jmh.Main InferenceBenchmark
 * -p model=... -prof gc}.
 */
public final class SideBySide {
    /** The default set of issue 9's acceptance: every model at batch 1. */
    static final List<String> DEFAULT_MODELS = List.of(
            "mlperf-tiny/ic/pretrainedResnet.tflite",
            "mlperf-tiny/ic/pretrainedResnet_quant.tflite",
            "mlperf-tiny/ic/pretrainedResnet_large_float.tflite",
            "mlperf-tiny/ic/pretrainedResnet_large_int8.tflite",
            "mlperf-tiny/kws/kws_ref_model.tflite",
            "mlperf-tiny/vww/vww_96_float.tflite",
            "mlperf-tiny/vww/vww_96_int8.tflite",
            "mlperf-tiny/ad/ad01_int8.tflite",
            "tflite-micro/mnist_lstm/trained_lstm_int8.tflite",
            "tflite-micro/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite");

    private static final String[] RUNTIMES = {"quanta", "tflite-xnnpack", "tflite-builtin"};
    private static final String ORT = "onnxruntime";
    private static final String GC_NORM = "gc.alloc.rate.norm";
    private static final int NAME = 46;

    /** One measurement: JMH's mean and 99.9% error in µs, and bytes allocated per operation (NaN without --gc). */
    private record Cell(double mean, double error, double bytesPerOp) {}

    private SideBySide() {}

    public static void main(String[] args) throws RunnerException, IOException {
        if (List.of(args).contains("--kernels")) {
            KernelTable.main(
                    List.of(args).stream().filter(a -> !a.equals("--kernels")).toList());
            return;
        }
        boolean quick = false;
        boolean gc = false;
        boolean own = true;
        boolean ort = true;
        List<Integer> threads = List.of(1);
        List<String> models = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--gc" -> gc = true;
                case "--no-own" -> own = false;
                case "--no-ort" -> ort = false;
                case "--threads" -> {
                    if (i + 1 == args.length) {
                        throw new IllegalArgumentException("--threads needs a count or a list such as 1,2");
                    }
                    threads = parseThreads(args[++i]);
                }
                default -> models.add(args[i]);
            }
        }
        Path fixtures = InferenceBenchmark.fixtures(); // fail early, with a message, when the fixtures are missing
        Map<String, String> labels = new LinkedHashMap<>();
        List<OwnInt8Models.Own> owns = new ArrayList<>();
        if (models.isEmpty()) {
            models = new ArrayList<>(DEFAULT_MODELS);
            if (own) {
                Path dir = Files.createTempDirectory("quanta-bench-int8");
                dir.toFile().deleteOnExit(); // registered first: deleted last, after its files
                System.out.println("bench: converting IC and VWW with Quanta's Converter into " + dir + " ...");
                for (OwnInt8Models.Own o : OwnInt8Models.write(fixtures, dir).values()) {
                    String path = o.file().toAbsolutePath().toString();
                    models.add(path);
                    labels.put(path, o.label());
                    owns.add(o);
                    o.file().toFile().deleteOnExit();
                }
            }
        }
        dev.quanta.runtime.Machine machine = dev.quanta.runtime.Machine.current();
        List<String> header = List.of(
                "CPU:   " + machine.cpu() + ", " + machine.cpus() + " CPU(s) for this JVM, "
                        + System.getProperty("os.arch"),
                "SIMD:  "
                        + (machine.simdFeatures().isEmpty() ? "none listed" : String.join(" ", machine.simdFeatures())),
                "JDK:   " + machine.jdk(),
                "Quanta kernels: " + machine.kernels(),
                ort
                        ? "ONNX Runtime: "
                                + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion()
                                + " (CPU provider, all graph optimizations) on Quanta's ONNX export of each model"
                                + " (QDQ with uint8 activations for int8 models)"
                        : "ONNX Runtime: off (--no-ort)");
        header.forEach(System.out::println);
        // the models ONNX Runtime runs: those Quanta exports and ONNX Runtime accepts
        List<String> ortModels = new ArrayList<>();
        if (ort) {
            for (String m : models) {
                String why = OnnxRuntimeModels.whyNot(fixtures.resolve(m));
                if (why == null) {
                    ortModels.add(m);
                } else {
                    System.out.println("bench: no ONNX Runtime column for " + m + ": " + why);
                }
            }
        }
        List<RunResult> results = new ArrayList<>(new Runner(options(models, RUNTIMES, threads, gc, quick)).run());
        if (!ortModels.isEmpty()) {
            results.addAll(new Runner(options(ortModels, new String[] {ORT}, threads, gc, quick)).run());
        }
        // threads -> model -> runtime -> cell
        Map<Integer, Map<String, Map<String, Cell>>> table = new TreeMap<>();
        for (RunResult r : results) {
            String model = r.getParams().getParam("model");
            String runtime = r.getParams().getParam("runtime");
            int t = Integer.parseInt(r.getParams().getParam("threads"));
            Result<?> alloc = r.getSecondaryResults().get(GC_NORM);
            Cell c = new Cell(
                    r.getPrimaryResult().getScore(),
                    r.getPrimaryResult().getScoreError(),
                    alloc == null ? Double.NaN : alloc.getScore());
            table.computeIfAbsent(t, k -> new LinkedHashMap<>())
                    .computeIfAbsent(model, k -> new LinkedHashMap<>())
                    .put(runtime, c);
        }
        System.out.println();
        header.forEach(System.out::println);
        System.out.println("JMH: 1 fork, "
                + (quick ? "2 x 1 s warm-up, 3 x 1 s measurement (--quick)" : "3 x 2 s warm-up, 5 x 2 s measurement"));
        for (var byThreads : table.entrySet()) {
            printLatencies(byThreads.getKey(), byThreads.getValue(), labels, gc);
            printOwn(byThreads.getKey(), byThreads.getValue(), owns);
        }
        if (table.size() > 1) {
            printSpeedups(table, labels);
        }
    }

    /** JMH's options for {@code models} × {@code runtimes} × {@code threads}. */
    private static org.openjdk.jmh.runner.options.Options options(
            List<String> models, String[] runtimes, List<Integer> threads, boolean gc, boolean quick) {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(InferenceBenchmark.class.getSimpleName())
                .param("model", models.toArray(String[]::new))
                .param("runtime", runtimes)
                .param("threads", threads.stream().map(String::valueOf).toArray(String[]::new))
                .forks(1)
                .jvmArgsAppend(
                        "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow",
                        "--add-modules",
                        "jdk.incubator.vector");
        if (gc) {
            o = o.addProfiler(GCProfiler.class);
        }
        o = quick
                ? o.warmupIterations(2)
                        .warmupTime(TimeValue.seconds(1))
                        .measurementIterations(3)
                        .measurementTime(TimeValue.seconds(1))
                : o.warmupIterations(3)
                        .warmupTime(TimeValue.seconds(2))
                        .measurementIterations(5)
                        .measurementTime(TimeValue.seconds(2));
        return o.build();
    }

    static List<Integer> parseThreads(String list) {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split(",")) {
            int t;
            try {
                t = Integer.parseInt(s.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--threads takes counts such as 1 or 1,2, got '" + list + "'");
            }
            if (t < 1) {
                throw new IllegalArgumentException("--threads counts must be at least 1, got '" + list + "'");
            }
            if (!out.contains(t)) {
                out.add(t);
            }
        }
        return out;
    }

    private static void printLatencies(
            int threads, Map<String, Map<String, Cell>> rows, Map<String, String> labels, boolean gc) {
        System.out.println();
        System.out.printf(
                Locale.ROOT, "mean µs per inference, batch 1, %d thread(s) (± JMH's 99.9%% error)%n", threads);
        String format = "%-" + NAME + "s %18s %18s %18s %18s %10s %10s %10s" + (gc ? " %10s" : "") + "%n";
        List<Object> head = new ArrayList<>(List.of(
                "model",
                "Quanta",
                "TFLite XNNPACK",
                "TFLite built-in",
                "ONNX Runtime",
                "Q/XNNPACK",
                "Q/built-in",
                "Q/ORT"));
        if (gc) {
            head.add("Q B/op");
        }
        System.out.printf(Locale.ROOT, format, head.toArray());
        for (var e : rows.entrySet()) {
            Cell q = e.getValue().get("quanta");
            Cell x = e.getValue().get("tflite-xnnpack");
            Cell b = e.getValue().get("tflite-builtin");
            Cell o = e.getValue().get(ORT);
            List<Object> row = new ArrayList<>(List.of(
                    name(e.getKey(), labels),
                    cell(q),
                    cell(x),
                    cell(b),
                    cell(o),
                    ratio(q, x),
                    ratio(q, b),
                    ratio(q, o)));
            if (gc) {
                row.add(
                        q == null || Double.isNaN(q.bytesPerOp())
                                ? "—"
                                : String.format(Locale.ROOT, "%.0f", q.bytesPerOp()));
            }
            System.out.printf(Locale.ROOT, format, row.toArray());
        }
        if (gc) {
            System.out.println("Q B/op: JMH's gc.alloc.rate.norm, which spreads JMH's own bookkeeping (a few KB per"
                    + " iteration) over the iteration's calls: it dominates for models that run only a few times a"
                    + " second.");
        }
    }

    /** Quanta's own int8 file beside Quanta's float of the same network. */
    private static void printOwn(int threads, Map<String, Map<String, Cell>> rows, List<OwnInt8Models.Own> owns) {
        if (owns.isEmpty()) {
            return;
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "Quanta's own int8 against its float, %d thread(s), mean µs%n", threads);
        String format = "%-" + NAME + "s %18s %18s %14s %22s %22s%n";
        System.out.printf(
                Locale.ROOT,
                format,
                "network",
                "Quanta float",
                "Quanta int8",
                "int8 speedup",
                "XNNPACK's int8 speedup",
                "ORT's int8 speedup");
        for (OwnInt8Models.Own o : owns) {
            Map<String, Cell> f = rows.get(o.floatModel());
            Map<String, Cell> q = rows.get(o.file().toAbsolutePath().toString());
            if (f == null || q == null) {
                continue;
            }
            System.out.printf(
                    Locale.ROOT,
                    format,
                    o.label(),
                    cell(f.get("quanta")),
                    cell(q.get("quanta")),
                    ratio(f.get("quanta"), q.get("quanta")),
                    ratio(f.get("tflite-xnnpack"), q.get("tflite-xnnpack")),
                    ratio(f.get(ORT), q.get(ORT)));
        }
    }

    /** The first thread count's latency over the last's, per model and runtime. */
    private static void printSpeedups(Map<Integer, Map<String, Map<String, Cell>>> table, Map<String, String> labels) {
        int first = table.keySet().stream().min(Integer::compare).orElseThrow();
        int last = table.keySet().stream().max(Integer::compare).orElseThrow();
        System.out.println();
        System.out.printf(
                Locale.ROOT, "speedup of %d threads over %d (time at %d / time at %d)%n", last, first, first, last);
        String format = "%-" + NAME + "s %10s %16s %16s %14s%n";
        System.out.printf(Locale.ROOT, format, "model", "Quanta", "TFLite XNNPACK", "TFLite built-in", "ONNX Runtime");
        for (var e : table.get(first).entrySet()) {
            Map<String, Cell> at = table.get(last).get(e.getKey());
            if (at == null) {
                continue;
            }
            System.out.printf(
                    Locale.ROOT,
                    format,
                    name(e.getKey(), labels),
                    ratio(e.getValue().get("quanta"), at.get("quanta")),
                    ratio(e.getValue().get("tflite-xnnpack"), at.get("tflite-xnnpack")),
                    ratio(e.getValue().get("tflite-builtin"), at.get("tflite-builtin")),
                    ratio(e.getValue().get(ORT), at.get(ORT)));
        }
    }

    /** The label of one of Quanta's own files, else the model's file name. */
    private static String name(String model, Map<String, String> labels) {
        String label = labels.get(model);
        return shorten(label != null ? label : Path.of(model).getFileName().toString(), NAME);
    }

    private static String cell(Cell v) {
        return v == null ? "—" : String.format(Locale.ROOT, "%.1f ± %.1f", v.mean(), v.error());
    }

    /** {@code a / b} of the means, "—" when either is missing. */
    private static String ratio(Cell a, Cell b) {
        return a == null || b == null ? "—" : String.format(Locale.ROOT, "%.2fx", a.mean() / b.mean());
    }

    private static String shorten(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }
}
