package dev.quanta.bench;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.runtime.Machine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Side-by-side timing in one JVM: several interpreters (models, or one model built under different system
 * properties) run in alternation, round after round, so that a busy, shared machine slows them alike; the ratio of
 * their medians is what to read, not the absolute times.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp quanta-bench/target/benchmarks.jar dev.quanta.bench.Alternating \
 *     [--rounds R] [--runs N] [--warmup W] [--threads T] [--profile] SETTING...
 * SETTING = model.tflite[@name=value[,name=value...]]
 * </pre>
 *
 * Each setting's system properties are set while its interpreter allocates its kernels (kernels read their switches
 * at construction) and cleared after. Per round each interpreter runs {@code N} times; the round's median is kept.
 * Printed per setting: the minimum and median over rounds of those medians (µs), and the median's ratio to the first
 * setting, and the bytes the calling thread allocated per run in the last round (boxed vectors show there: a kernel
 * that C2 has not compiled, or compiled with boxing, allocates); with {@code --profile}, each op's mean time from extra profiled runs, side by side.
 */
public final class Alternating {
    private Alternating() {}

    public static void main(String[] args) {
        int rounds = 15;
        int runs = 100;
        int warmup = 3000;
        int threads = 1;
        boolean profile = false;
        boolean wall = false;
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--profile" -> profile = true;
                case "--wall" -> wall = true;
                default -> settings.add(args[i]);
            }
        }
        if (settings.isEmpty()) {
            throw new IllegalArgumentException("give at least one model[@name=value,...]");
        }
        Machine m = Machine.current();
        System.out.printf(
                Locale.ROOT,
                "CPU: %s (%s), %d CPUs, JDK %s, kernels: %s; %d rounds x %d runs, %d warm-up runs, %d thread(s), %s%n",
                m.cpu(),
                String.join(" ", m.simdFeatures()),
                m.cpus(),
                m.jdk(),
                m.kernels(),
                rounds,
                runs,
                warmup,
                threads,
                threads == 1 && !wall ? "thread CPU time" : "wall time");
        int s = settings.size();
        Interpreter[] interpreters = new Interpreter[s];
        Object[][] inputs = new Object[s][];
        Object[][] outputs = new Object[s][];
        for (int i = 0; i < s; i++) {
            String setting = settings.get(i);
            int at = setting.indexOf('@');
            Path file = Path.of(at < 0 ? setting : setting.substring(0, at));
            Map<String, String> props = new LinkedHashMap<>();
            if (at >= 0) {
                for (String kv : setting.substring(at + 1).split(",")) {
                    int eq = kv.indexOf('=');
                    props.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            props.forEach(System::setProperty);
            Model model = file.toString().startsWith("conv:") ? conv(file.toString()) : ModelFiles.load(file);
            Interpreter it =
                    new Interpreter(model, Interpreter.Options.defaults().withNumThreads(threads));
            it.allocateTensors();
            props.keySet().forEach(System::clearProperty);
            interpreters[i] = it;
            inputs[i] = new Object[it.getInputTensorCount()];
            SplittableRandom r = new SplittableRandom(7);
            for (int j = 0; j < inputs[i].length; j++) {
                inputs[i][j] = randomInput(it.getInputTensor(j).newArray(), r);
            }
            outputs[i] = new Object[it.getOutputTensorCount()];
            for (int j = 0; j < outputs[i].length; j++) {
                outputs[i][j] = it.getOutputTensor(j).newArray();
            }
        }
        for (int w = 0; w < warmup; w++) {
            for (int i = 0; i < s; i++) {
                interpreters[i].runForMultipleInputsOutputs(inputs[i], outputs[i]);
            }
        }
        double[][] medians = new double[s][rounds];
        long[] times = new long[runs];
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        boolean cpuTime = threads == 1 && !wall;
        long[] best = new long[s];
        long[] bytes = new long[s];
        com.sun.management.ThreadMXBean alloc = (com.sun.management.ThreadMXBean) mx;
        long self = Thread.currentThread().threadId();
        Arrays.fill(best, Long.MAX_VALUE);
        for (int round = 0; round < rounds; round++) {
            for (int i0 = 0; i0 < s; i0++) {
                int i = (i0 + round) % s; // rotate who goes first
                long b0 = alloc.getThreadAllocatedBytes(self);
                for (int n = 0; n < runs; n++) {
                    long t0 = cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime();
                    interpreters[i].runForMultipleInputsOutputs(inputs[i], outputs[i]);
                    times[n] = (cpuTime ? mx.getCurrentThreadCpuTime() : System.nanoTime()) - t0;
                }
                if (round == rounds - 1) {
                    bytes[i] = (alloc.getThreadAllocatedBytes(self) - b0) / runs;
                }
                Arrays.sort(times);
                medians[i][round] = times[runs / 2] / 1e3;
                best[i] = Math.min(best[i], times[0]);
            }
        }
        double firstMedian = 0;
        for (int i = 0; i < s; i++) {
            double[] v = medians[i].clone();
            Arrays.sort(v);
            double median = v[rounds / 2];
            if (i == 0) {
                firstMedian = median;
            }
            System.out.printf(
                    Locale.ROOT,
                    "%-70s fastest run %9.1f us; round medians: min %9.1f us, median %9.1f us, %.3fx of the first;"
                            + " %,d B allocated per run (last round)%n",
                    settings.get(i),
                    best[i] / 1e3,
                    v[0],
                    median,
                    median / firstMedian,
                    bytes[i]);
        }
        if (profile) {
            List<List<Interpreter.OpTiming>> timings = new ArrayList<>();
            for (int i = 0; i < s; i++) {
                interpreters[i].setProfiling(true);
            }
            for (int n = 0; n < runs * 3; n++) {
                for (int i = 0; i < s; i++) {
                    interpreters[i].runForMultipleInputsOutputs(inputs[i], outputs[i]);
                }
            }
            for (int i = 0; i < s; i++) {
                timings.add(interpreters[i].opTimings());
            }
            for (int i = 0; i < s; i++) {
                System.out.println("ops of " + settings.get(i) + " (mean us per run, profiled runs):");
                for (Interpreter.OpTiming t : timings.get(i)) {
                    String name = t.layer();
                    System.out.printf(
                            Locale.ROOT,
                            "%9.2f  %-20s %s%n",
                            t.meanMicros(),
                            t.type(),
                            name.length() > 60 ? "…" + name.substring(name.length() - 59) : name);
                }
            }
        }
        for (Interpreter it : interpreters) {
            it.close();
        }
    }

    /** {@code conv:f32|i8:HW:IN:OUT:K}: a single SAME stride-1 convolution ({@link KernelLayers#conv}). */
    private static Model conv(String spec) {
        String[] f = spec.split(":");
        return KernelLayers.conv(
                f[1].equals("f32") ? dev.quanta.ir.DType.FLOAT32 : dev.quanta.ir.DType.INT8,
                Integer.parseInt(f[2]),
                Integer.parseInt(f[3]),
                Integer.parseInt(f[4]),
                Integer.parseInt(f[5]));
    }

    private static Object randomInput(Object buf, SplittableRandom r) {
        if (buf instanceof float[] f) {
            for (int i = 0; i < f.length; i++) {
                f[i] = (float) r.nextDouble(-1, 1);
            }
        } else if (buf instanceof byte[] b) {
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) r.nextInt(256);
            }
        }
        return buf;
    }
}
