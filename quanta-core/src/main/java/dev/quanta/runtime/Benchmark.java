package dev.quanta.runtime;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures inference latency and throughput of a model in Quanta's interpreter: warm-up runs, then timed runs
 * on seeded random inputs; latency percentiles per inference, throughput in samples per second and the peak
 * heap used.
 *
 * <p>With {@code parallel > 1}, that many interpreters (each confined to its own thread, never shared) serve a
 * stream of {@code runs} requests; they read one shared copy of the model's constants.
 */
public final class Benchmark {

    /**
     * @param threads threads inside one inference
     * @param parallel interpreters serving requests concurrently
     * @param batch samples per inference (resizes the batch dimension)
     * @param inputShape full input shape overriding {@code batch}, or null
     * @param profile after the timed runs, time every op over as many runs again (kept apart so that the
     *     latencies carry no profiling overhead)
     */
    public record Options(int warmup, int runs, int threads, int parallel, int batch, int[] inputShape,
            boolean profile) {
        public Options(int warmup, int runs, int threads, int parallel, int batch, int[] inputShape) {
            this(warmup, runs, threads, parallel, batch, inputShape, false);
        }

        public static Options defaults() {
            return new Options(20, 200, 1, 1, 1, null, false);
        }
    }

    /**
     * Latencies in microseconds per inference; throughput in samples per second; with {@link Options#profile} the
     * mean time of every op (of one interpreter), else an empty list.
     */
    public record Result(int runs, int batch, int threads, int parallel, double p50, double p90, double p99,
            double mean, double samplesPerSecond, long peakHeapBytes, List<Interpreter.OpTiming> ops) {}

    private Benchmark() {}

    public static Result run(Model model, Options o) {
        resetPeaks();
        int[] shape = inputShape(model, o);
        int batch = shape[0];
        Object input = randomInput(model.inputs().get(0), shape);
        List<Interpreter> interpreters = new ArrayList<>();
        for (int p = 0; p < Math.max(1, o.parallel()); p++) {
            Interpreter it = new Interpreter(model, new Interpreter.Options().setNumThreads(o.threads()));
            it.resizeInput(0, shape);
            interpreters.add(it);
        }
        try {
            for (Interpreter it : interpreters) {
                for (int w = 0; w < o.warmup(); w++) {
                    it.run(input, null);
                }
            }
            long[] latencies = new long[o.runs()];
            long start = System.nanoTime();
            if (interpreters.size() == 1) {
                Interpreter it = interpreters.get(0);
                for (int r = 0; r < o.runs(); r++) {
                    long t0 = System.nanoTime();
                    it.run(input, null);
                    latencies[r] = System.nanoTime() - t0;
                }
            } else {
                serve(interpreters, input, latencies);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(latencies).average().orElse(0) / 1e3;
            List<Interpreter.OpTiming> ops = List.of();
            if (o.profile()) {
                Interpreter it = interpreters.get(0);
                it.setProfiling(true);
                for (int r = 0; r < o.runs(); r++) {
                    it.run(input, null);
                }
                ops = it.opTimings();
                it.setProfiling(false);
            }
            return new Result(o.runs(), batch, o.threads(), interpreters.size(), pct(sorted, 50), pct(sorted, 90),
                    pct(sorted, 99), mean, o.runs() * (double) batch / wall, peakHeap(), ops);
        } finally {
            for (Interpreter it : interpreters) {
                it.close();
            }
        }
    }

    /** Each interpreter on its own thread takes the next request until {@code latencies.length} are served. */
    private static void serve(List<Interpreter> interpreters, Object input, long[] latencies) {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(interpreters.size());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Interpreter it : interpreters) {
                futures.add(pool.submit(() -> {
                    for (int r = next.getAndIncrement(); r < latencies.length; r = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        it.run(input, null);
                        latencies[r] = System.nanoTime() - t0;
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("benchmark interrupted", e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("benchmark failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    static int[] inputShape(Model model, Options o) {
        if (o.inputShape() != null) {
            return o.inputShape().clone();
        }
        int[] d = model.inputs().get(0).shape().dims();
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0) {
                d[i] = 1;
            }
        }
        d[0] = Math.max(1, o.batch());
        return d;
    }

    /** Seeded random values: uniform [0, 1) for float inputs, the whole integer range otherwise. */
    static Object randomInput(Tensor input, int[] shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        Object a = Buffers.allocate(input.dtype(), n);
        SplittableRandom r = new SplittableRandom(42);
        switch (a) {
            case float[] f -> {
                for (int i = 0; i < n; i++) {
                    f[i] = (float) r.nextDouble();
                }
            }
            case byte[] b -> r.nextBytes(b);
            case short[] s -> {
                for (int i = 0; i < n; i++) {
                    s[i] = (short) r.nextInt();
                }
            }
            default -> { }
        }
        return a;
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e3;
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
