package dev.quanta.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link InferenceBenchmark} over the fixture models in Quanta and in the official TFLite runtime (XNNPACK and
 * built-in kernels) in one JMH run, and prints the mean latencies side by side with Quanta's ratio to each.
 *
 * <pre>
 * java -jar quanta-bench/target/benchmarks.jar [--quick] [--threads N] [model.tflite ...]
 * </pre>
 *
 * Models are paths under the fixtures root ($QUANTA_FIXTURES or ../shared/fixtures); without any, a default set of
 * the MLPerf Tiny and tflite-micro files. {@code --quick}: 1 fork, 2 × 1 s warm-up, 3 × 1 s measurement (else 1
 * fork, 3 × 2 s, 5 × 2 s). Any other JMH use: {@code java -cp quanta-bench/target/benchmarks.jar
 * org.openjdk.jmh.Main InferenceBenchmark -p model=...}.
 */
public final class SideBySide {
    static final List<String> DEFAULT_MODELS = List.of(
            "mlperf-tiny/ic/pretrainedResnet.tflite",
            "mlperf-tiny/ic/pretrainedResnet_quant.tflite",
            "mlperf-tiny/kws/kws_ref_model.tflite",
            "mlperf-tiny/vww/vww_96_int8.tflite",
            "mlperf-tiny/ad/ad01_int8.tflite",
            "tflite-micro/mnist_lstm/trained_lstm_int8.tflite",
            "tflite-micro/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite");

    private static final String[] RUNTIMES = {"quanta", "tflite-xnnpack", "tflite-builtin"};

    private SideBySide() {}

    public static void main(String[] args) throws RunnerException {
        boolean quick = false;
        int threads = 1;
        List<String> models = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                default -> models.add(args[i]);
            }
        }
        if (models.isEmpty()) {
            models = DEFAULT_MODELS;
        }
        InferenceBenchmark.fixtures(); // fail early, with a message, when the fixtures are missing
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(InferenceBenchmark.class.getSimpleName())
                .param("model", models.toArray(String[]::new))
                .param("runtime", RUNTIMES)
                .param("threads", String.valueOf(threads))
                .forks(1)
                .jvmArgsAppend(
                        "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow",
                        "--add-modules",
                        "jdk.incubator.vector");
        o = quick
                ? o.warmupIterations(2)
                        .warmupTime(TimeValue.seconds(1))
                        .measurementIterations(3)
                        .measurementTime(TimeValue.seconds(1))
                : o.warmupIterations(3)
                        .warmupTime(TimeValue.seconds(2))
                        .measurementIterations(5)
                        .measurementTime(TimeValue.seconds(2));
        Map<String, Map<String, double[]>> table = new LinkedHashMap<>();
        for (RunResult r : new Runner(o.build()).run()) {
            String model = r.getParams().getParam("model");
            String runtime = r.getParams().getParam("runtime");
            double mean = r.getPrimaryResult().getScore();
            double error = r.getPrimaryResult().getScoreError();
            table.computeIfAbsent(model, k -> new LinkedHashMap<>()).put(runtime, new double[] {mean, error});
        }
        System.out.println();
        System.out.printf(
                Locale.ROOT, "mean µs per inference, batch 1, %d thread(s) (± JMH's 99.9%% error)%n", threads);
        System.out.printf(
                Locale.ROOT,
                "%-44s %18s %18s %18s %10s %10s%n",
                "model",
                "Quanta",
                "TFLite XNNPACK",
                "TFLite built-in",
                "Q/XNNPACK",
                "Q/built-in");
        for (var e : table.entrySet()) {
            double[] q = e.getValue().get("quanta");
            double[] x = e.getValue().get("tflite-xnnpack");
            double[] b = e.getValue().get("tflite-builtin");
            System.out.printf(
                    Locale.ROOT,
                    "%-44s %18s %18s %18s %10s %10s%n",
                    shorten(e.getKey(), 44),
                    cell(q),
                    cell(x),
                    cell(b),
                    ratio(q, x),
                    ratio(q, b));
        }
    }

    private static String cell(double[] v) {
        return v == null ? "—" : String.format(Locale.ROOT, "%.1f ± %.1f", v[0], v[1]);
    }

    private static String ratio(double[] q, double[] t) {
        return q == null || t == null ? "—" : String.format(Locale.ROOT, "%.1fx", q[0] / t[0]);
    }

    private static String shorten(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }
}
