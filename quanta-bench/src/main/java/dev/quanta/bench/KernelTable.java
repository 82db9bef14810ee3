package dev.quanta.bench;

import dev.quanta.runtime.Machine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
 * {@code bench --kernels}: what each kernel family reaches against the machine's measured peak. Runs {@link
 * PeakFlops} (the Vector API's single-core FMA peak at the kernels' width, and the scalar one), then {@link
 * KernelThroughput} over {@link KernelLayers} with the fast kernels on and off, and prints one table: family, shape,
 * kernel µs, GFLOP/s (float) or GOP/s (int8), % of the vector FMA peak, the scalar kernel's µs and the SIMD
 * speed-up, under the {@link Machine} header.
 *
 * <pre>
 * java -jar quanta-bench/target/benchmarks.jar --kernels [--quick] [--simd on|128|256|512] [layer ...]
 * </pre>
 */
final class KernelTable {
    private KernelTable() {}

    static void main(List<String> args) throws RunnerException, IOException {
        boolean quick = false;
        String width = "on";
        List<String> layers = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--quick" -> quick = true;
                case "--simd" -> {
                    if (i + 1 == args.size()) {
                        throw new IllegalArgumentException("--simd needs on, 128, 256 or 512");
                    }
                    width = args.get(++i);
                }
                default -> layers.add(KernelLayers.get(args.get(i)).key());
            }
        }
        if (!width.matches("on|128|256|512")) {
            throw new IllegalArgumentException("--simd takes on, 128, 256 or 512 (the scalar kernels are always"
                    + " measured beside the fast ones), got '" + width + "'");
        }
        if (layers.isEmpty()) {
            layers.addAll(KernelLayers.LAYERS.keySet());
        }
        String header = "Machine: " + Machine.current().describe();
        System.out.println(header);
        Path times = Files.createTempFile("quanta-kernel-times", ".tsv");
        times.toFile().deleteOnExit();

        Map<String, Double> peak = new HashMap<>(); // method -> ns per call
        for (RunResult r : new Runner(options(quick, times, 2, 5)
                        .include(PeakFlops.class.getName() + "\\.")
                        .param("simd", width)
                        .build())
                .run()) {
            // a peak: the fastest measurement iteration (the machine is shared; slower ones lost the core)
            double best = r.getBenchmarkResults().stream()
                    .flatMap(b -> b.getIterationResults().stream())
                    .mapToDouble(it -> it.getPrimaryResult().getScore())
                    .min()
                    .orElse(r.getPrimaryResult().getScore());
            peak.put(r.getParams().getBenchmark().replaceAll(".*\\.", ""), best);
        }
        Map<String, Double> callMicros = new HashMap<>(); // layer|simd -> JMH µs per call
        // more warm-up: until C2 has compiled them, Vector API kernels run boxed, at ~50 ms a call, so the
        // first second makes few calls
        for (RunResult r : new Runner(options(quick, times, 4, 3)
                        .include(KernelThroughput.class.getName() + "\\.")
                        .param("layer", layers.toArray(String[]::new))
                        .param("simd", width, "off")
                        .build())
                .run()) {
            callMicros.put(
                    r.getParams().getParam("layer") + "|" + r.getParams().getParam("simd"),
                    r.getPrimaryResult().getScore());
        }
        Map<String, Double> kernelMicros = new HashMap<>(); // layer|simd -> profiled kernel µs
        for (String line : Files.readAllLines(times, StandardCharsets.UTF_8)) {
            String[] f = line.split("\t");
            if (f.length == 3) {
                kernelMicros.put(f[0] + "|" + f[1], Double.parseDouble(f[2]));
            }
        }
        Files.deleteIfExists(times);

        // the width the forks ran at: the CPU's preferred one, capped by --simd
        int preferred = jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
        int bits = width.matches("128|256|512") ? Math.min(Integer.parseInt(width), preferred) : preferred;
        double vectorPeak =
                peak.containsKey("vector") && bits > 0 ? PeakFlops.vectorFlops(bits) / peak.get("vector") : Double.NaN;
        double scalarPeak = peak.containsKey("scalar") ? PeakFlops.SCALAR_FLOPS / peak.get("scalar") : Double.NaN;

        System.out.println();
        System.out.println(header);
        System.out.println("JMH: 1 fork per row and setting, 1 thread, "
                + (quick
                        ? "peak 2 x 1 s warm-up, 5 x 1 s measurement; layers 4 x 1 s, 3 x 1 s (--quick)"
                        : "peak 3 x 2 s warm-up, layers 5 x 2 s; 5 x 2 s measurement"));
        System.out.printf(
                Locale.ROOT,
                "Peak (PeakFlops, %d independent FMA chains in registers, fastest iteration): Vector API %d-bit"
                        + " %.1f GFLOP/s, scalar Math.fma %.1f GFLOP/s%n",
                PeakFlops.CHAINS,
                bits,
                vectorPeak,
                scalarPeak);
        System.out.println();
        String format = "%-26s %-26s %10s %11s %10s %10s %9s %10s %10s%n";
        System.out.printf(
                Locale.ROOT,
                format,
                "family",
                "shape",
                "µs",
                "G(FL)OP/s",
                "% of peak",
                "scalar µs",
                "speed-up",
                "call µs",
                "scalar G/s");
        for (String key : layers) {
            KernelLayers.Layer l = KernelLayers.get(key);
            Double fast = kernelMicros.get(key + "|" + width);
            Double slow = kernelMicros.get(key + "|off");
            Double call = callMicros.get(key + "|" + width);
            double rate = fast == null ? Double.NaN : l.ops() / (fast * 1e3); // ops per ns = G ops per s
            double slowRate = slow == null ? Double.NaN : l.ops() / (slow * 1e3);
            System.out.printf(
                    Locale.ROOT,
                    format,
                    l.family(),
                    l.shape(),
                    num(fast, "%.2f"),
                    num(rate, "%.2f") + (l.isInt() ? " GOP" : " GF"),
                    num(100 * rate / vectorPeak, "%.1f%%"),
                    num(slow, "%.2f"),
                    fast == null || slow == null ? "—" : String.format(Locale.ROOT, "%.1fx", slow / fast),
                    num(call, "%.2f"),
                    num(slowRate, "%.2f"));
        }
        System.out.println();
        System.out.println("µs: the kernel alone (the interpreter's per-op profiling, median of the measurement"
                + " iterations' means), SIMD on; call µs: JMH's mean of the whole run() with the copies in and out.");
        System.out.println("G(FL)OP/s: conv and FC 2 ops per multiply-accumulate, ADD 1 per element, pools 1 per"
                + " window tap; % of peak: against the Vector API float FMA peak above (int8 included: the Vector"
                + " API has no integer dot-product instruction).");
    }

    private static String num(Double v, String format) {
        return v == null || v.isNaN() ? "—" : String.format(Locale.ROOT, format, v);
    }

    /**
     * 1 fork; {@code --quick}: {@code warmups} × 1 s warm-up and {@code measurements} × 1 s measurement, else one
     * more warm-up and 5 × 2 s.
     */
    private static ChainedOptionsBuilder options(boolean quick, Path times, int warmups, int measurements) {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .forks(1)
                .jvmArgsAppend(
                        "--enable-native-access=ALL-UNNAMED",
                        "--add-modules",
                        "jdk.incubator.vector",
                        "-D" + KernelThroughput.KERNEL_TIMES + "=" + times.toAbsolutePath());
        return quick
                ? o.warmupIterations(warmups)
                        .warmupTime(TimeValue.seconds(1))
                        .measurementIterations(measurements)
                        .measurementTime(TimeValue.seconds(1))
                : o.warmupIterations(warmups + 1)
                        .warmupTime(TimeValue.seconds(2))
                        .measurementIterations(Math.max(5, measurements))
                        .measurementTime(TimeValue.seconds(2));
    }
}
