package dev.quanta.runtime;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import java.lang.management.ManagementFactory;
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
 * on seeded random inputs; latency percentiles per inference, throughput in samples per second, the heap in use
 * once warmed up (after a full GC: the model, its packed weights and the interpreters' buffers) and the bytes each
 * timed inference allocated on the measuring thread (0 for an allocation-free run).
 *
 * <p>With {@code parallel > 1}, that many interpreters (each confined to its own thread, never shared) serve a
 * stream of {@code runs} requests; they read one shared copy of the model's constants.
 */
public final class Benchmark {

    /** The most warm-up or timed runs a benchmark takes (each timed run keeps 16 bytes of latency). */
    public static final int MAX_RUNS = 10_000_000;

    /**
     * Benchmark settings, immutable: start from {@link #defaults()} and change one setting per wither, which
     * refuses a value out of range with an {@link IllegalArgumentException} naming the setting ("Benchmark runs").
     * Limits that depend on the model (the input's size, the heap it needs) are checked by {@link #check}.
     */
    public static final class Options {
        private static final Options DEFAULTS = new Options(20, 200, 1, 1, 1, null, false);

        private final int warmup;
        private final int runs;
        private final int threads;
        private final int parallel;
        private final int batch;
        private final int[] inputShape;
        private final boolean profile;

        private Options(int warmup, int runs, int threads, int parallel, int batch, int[] inputShape, boolean profile) {
            if (warmup < 0 || warmup > MAX_RUNS) {
                throw new IllegalArgumentException(
                        "Benchmark warmup must be between 0 and " + MAX_RUNS + ", got " + warmup);
            }
            if (runs < 1 || runs > MAX_RUNS) {
                throw new IllegalArgumentException(
                        "Benchmark runs must be between 1 and " + MAX_RUNS + ", got " + runs);
            }
            if (threads < 1 || threads > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Benchmark threads must be between 1 and " + Interpreter.MAX_THREADS
                        + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + threads);
            }
            if (parallel < 1 || parallel > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Benchmark parallel must be between 1 and " + Interpreter.MAX_THREADS
                        + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + parallel);
            }
            if ((long) parallel * threads > Interpreter.MAX_THREADS) {
                throw new IllegalArgumentException("Benchmark parallel " + parallel + " with Benchmark threads "
                        + threads + " makes " + (long) parallel * threads + " threads, more than the "
                        + Interpreter.MAX_THREADS + " allowed (" + Interpreter.THREADS_PER_CPU + " per CPU)");
            }
            if (batch < 1 || batch > Interpreter.MAX_TENSOR_ELEMENTS) {
                throw new IllegalArgumentException(
                        "Benchmark batch must be between 1 and " + Interpreter.MAX_TENSOR_ELEMENTS + ", got " + batch);
            }
            if (inputShape != null) {
                if (inputShape.length == 0 || Arrays.stream(inputShape).anyMatch(d -> d < 1)) {
                    throw new IllegalArgumentException("Benchmark inputShape must have dimensions of at least 1, got "
                            + Arrays.toString(inputShape));
                }
                long elements = Interpreter.elementCount(inputShape);
                if (elements > Interpreter.MAX_TENSOR_ELEMENTS) {
                    throw new IllegalArgumentException("Benchmark inputShape " + Arrays.toString(inputShape)
                            + " has " + Interpreter.describeCount(elements) + " elements, more than the "
                            + Interpreter.MAX_TENSOR_ELEMENTS + " an interpreter tensor may hold");
                }
            }
            this.warmup = warmup;
            this.runs = runs;
            this.threads = threads;
            this.parallel = parallel;
            this.batch = batch;
            this.inputShape = inputShape == null ? null : inputShape.clone();
            this.profile = profile;
        }

        /** 20 warm-up and 200 timed runs, one thread, one interpreter, batch 1, no profile. */
        public static Options defaults() {
            return DEFAULTS;
        }

        /** Untimed runs of each interpreter first, 0 to {@link #MAX_RUNS}. */
        public Options withWarmup(int n) {
            return new Options(n, runs, threads, parallel, batch, inputShape, profile);
        }

        /** Timed runs (requests, shared by the parallel interpreters), 1 to {@link #MAX_RUNS}. */
        public Options withRuns(int n) {
            return new Options(warmup, n, threads, parallel, batch, inputShape, profile);
        }

        /**
         * Threads inside one inference; {@code parallel × threads} is at most {@link Interpreter#MAX_THREADS}.
         */
        public Options withThreads(int n) {
            return new Options(warmup, runs, n, parallel, batch, inputShape, profile);
        }

        /** Interpreters serving requests concurrently; {@code parallel × threads} is at most the same limit. */
        public Options withParallel(int n) {
            return new Options(warmup, runs, threads, n, batch, inputShape, profile);
        }

        /** Samples per inference (resizes the batch dimension); ignored with an {@link #inputShape}. */
        public Options withBatch(int n) {
            return new Options(warmup, runs, threads, parallel, n, inputShape, profile);
        }

        /** The full input shape, overriding {@link #batch}; null keeps the model's shape. */
        public Options withInputShape(int[] shape) {
            return new Options(warmup, runs, threads, parallel, batch, shape, profile);
        }

        /**
         * After the timed runs, time every op over as many runs again (kept apart so that the latencies carry no
         * profiling overhead).
         */
        public Options withProfile(boolean on) {
            return new Options(warmup, runs, threads, parallel, batch, inputShape, on);
        }

        public int warmup() {
            return warmup;
        }

        public int runs() {
            return runs;
        }

        public int threads() {
            return threads;
        }

        public int parallel() {
            return parallel;
        }

        public int batch() {
            return batch;
        }

        /** A copy of the full input shape, or null. */
        public int[] inputShape() {
            return inputShape == null ? null : inputShape.clone();
        }

        public boolean profile() {
            return profile;
        }

        /** Every setting: what equality and the hash are made of. */
        private List<Object> values() {
            List<Integer> shape = inputShape == null
                    ? null
                    : Arrays.stream(inputShape).boxed().toList();
            return Arrays.asList(warmup, runs, threads, parallel, batch, shape, profile);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options x && values().equals(x.values());
        }

        @Override
        public int hashCode() {
            return values().hashCode();
        }

        @Override
        public String toString() {
            return "Benchmark.Options[warmup=" + warmup + ", runs=" + runs + ", threads=" + threads + ", parallel="
                    + parallel + ", batch=" + batch + ", inputShape=" + Arrays.toString(inputShape) + ", profile="
                    + profile + "]";
        }
    }

    /**
     * Latencies in microseconds per inference; throughput in samples per second; with {@link Options#profile} the
     * mean time of every op (of one interpreter), else an empty list.
     */
    public record Result(
            int runs,
            int batch,
            int threads,
            int parallel,
            double p50,
            double p90,
            double p99,
            double mean,
            double samplesPerSecond,
            long liveHeapBytes,
            long allocatedBytesPerRun,
            List<Interpreter.OpTiming> ops) {}

    private Benchmark() {}

    /**
     * Refuses, before anything is measured, what {@link #run} would refuse for {@code model}: a model without
     * exactly one input, an input shape the model does not take or larger than {@link Interpreter#MAX_TENSOR_ELEMENTS},
     * latencies or inputs that would fill more than half the heap, and a model the interpreter cannot prepare.
     *
     * @throws IllegalArgumentException naming the setting at fault ("Benchmark batch 4: ...")
     * @throws dev.quanta.QuantaException when the model cannot run
     */
    public static void check(Model model, Options o) {
        int[] shape = plan(model, o, Runtime.getRuntime().maxMemory());
        try (Interpreter it = new Interpreter(model)) {
            it.resizeInput(0, shape);
            it.allocateTensors();
        }
    }

    /**
     * Warms up, then times {@code o.runs()} inferences.
     *
     * @throws IllegalArgumentException and {@link dev.quanta.QuantaException} as {@link #check} does
     */
    public static Result run(Model model, Options o) {
        int[] shape = plan(model, o, Runtime.getRuntime().maxMemory());
        int batch = shape.length > 0 ? shape[0] : 1;
        Object input = randomInput(model.inputs().get(0), shape);
        List<Interpreter> interpreters = new ArrayList<>();
        try {
            for (int p = 0; p < o.parallel(); p++) {
                Interpreter it =
                        new Interpreter(model, Interpreter.Options.defaults().withNumThreads(o.threads()));
                interpreters.add(it);
                it.resizeInput(0, shape);
                it.allocateTensors(); // prepared here, so that no timed run (warmup 0) includes the preparation
            }
            for (Interpreter it : interpreters) {
                for (int w = 0; w < o.warmup(); w++) {
                    it.run(input, null);
                }
            }
            long[] latencies = new long[o.runs()];
            long live = liveHeap();
            long allocatedPerRun = -1;
            long start = System.nanoTime();
            if (interpreters.size() == 1) {
                Interpreter it = interpreters.get(0);
                long allocated0 = allocatedBytes();
                for (int r = 0; r < o.runs(); r++) {
                    long t0 = System.nanoTime();
                    it.run(input, null);
                    latencies[r] = System.nanoTime() - t0;
                }
                long allocated = allocatedBytes() - allocated0;
                allocatedPerRun = allocated0 < 0 || o.runs() == 0 ? -1 : allocated / o.runs();
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
            return new Result(
                    o.runs(),
                    batch,
                    o.threads(),
                    interpreters.size(),
                    pct(sorted, 50),
                    pct(sorted, 90),
                    pct(sorted, 99),
                    mean,
                    o.runs() * (double) batch / wall,
                    live,
                    allocatedPerRun,
                    ops);
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

    /**
     * The input shape {@code o} gives {@code model}, after refusing what cannot run (see {@link #check}) with
     * {@code heapBytes} of heap.
     */
    static int[] plan(Model model, Options o, long heapBytes) {
        if (model.inputs().size() != 1) {
            throw new dev.quanta.QuantaException("model '" + model.name() + "' has "
                    + model.inputs().size() + " inputs; the benchmark feeds models with one input");
        }
        String setting = o.inputShape() != null
                ? "Benchmark inputShape " + Arrays.toString(o.inputShape())
                : "Benchmark batch " + o.batch();
        int[] shape = inputShape(model, o);
        try (Interpreter it = new Interpreter(model)) {
            it.resizeInput(0, shape);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": " + e.getMessage(), e);
        }
        long latencyBytes = 16L * o.runs(); // the latencies and their sorted copy
        if (latencyBytes > heapBytes / 2) {
            throw new IllegalArgumentException("Benchmark runs " + o.runs() + " need " + mib(latencyBytes)
                    + " MiB of heap for their latencies, more than half the " + mib(heapBytes) + " MiB heap");
        }
        // the random input and each interpreter's copy of it
        long inputBytes =
                Interpreter.elementCount(shape) * model.inputs().get(0).dtype().byteSize() * (1L + o.parallel());
        if (inputBytes > heapBytes / 2) {
            throw new IllegalArgumentException(setting + " with Benchmark parallel " + o.parallel() + " needs "
                    + mib(inputBytes) + " MiB of heap for its inputs, more than half the " + mib(heapBytes)
                    + " MiB heap");
        }
        return shape;
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private static int[] inputShape(Model model, Options o) {
        if (o.inputShape() != null) {
            return o.inputShape();
        }
        int[] d = model.inputs().get(0).shape().dims();
        for (int i = 0; i < d.length; i++) {
            if (d[i] < 0) {
                d[i] = 1;
            }
        }
        if (d.length > 0) {
            d[0] = o.batch();
        }
        return d;
    }

    /** Seeded random values: uniform [0, 1) for float inputs, the whole integer range otherwise. */
    static Object randomInput(Tensor input, int[] shape) {
        int n = Math.toIntExact(Interpreter.elementCount(shape));
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
            default -> {}
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

    /** Heap in use after a full collection. */
    private static long liveHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Bytes this thread has allocated so far, or -1 where the JVM does not count them. */
    private static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()
                && t.isThreadAllocatedMemoryEnabled()) {
            return t.getCurrentThreadAllocatedBytes();
        }
        return -1;
    }
}
