package dev.quanta.bench;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Simd;
import dev.quanta.runtime.Interpreter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * One run of a single-layer model ({@link KernelLayers}) in Quanta's interpreter, 1 thread, with the fast kernels
 * on or off ({@code simd}: the value of QUANTA_SIMD for the fork, set before any kernel class reads it).
 *
 * <p>JMH's score is the whole call, copying the input in and the output out. The kernel alone is timed with the
 * interpreter's per-op profiling; when the system property {@value #KERNEL_TIMES} names a file, each trial appends
 * a line {@code layer TAB simd TAB µs}, the median over the measurement iterations of the kernel's mean time
 * ({@link KernelTable} reads it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class KernelThroughput {
    /** System property: the file the kernel-only times are appended to. */
    static final String KERNEL_TIMES = "quanta.bench.kernelTimes";

    /** A key of {@link KernelLayers#LAYERS} (all of them by default, in its order). */
    @Param({
        "f32-conv3x3-16-32x32",
        "f32-conv3x3-64-8x8",
        "f32-conv1x1-32-24x24",
        "f32-dw3x3-48x48x32",
        "f32-fc-256-64",
        "f32-add-32x32x16",
        "f32-maxpool2x2-32x32x16",
        "i8-conv3x3-16-32x32",
        "i8-conv3x3-64-8x8",
        "i8-conv1x1-32-24x24",
        "i8-dw3x3-48x48x32",
        "i8-fc-256-64",
        "i8-add-32x32x16",
        "i8-maxpool2x2-32x32x16",
        "i8-avgpool2x2-32x32x16"
    })
    public String layer;

    /** QUANTA_SIMD for this fork: {@code on}, {@code off}, {@code 128}, {@code 256} or {@code 512}. */
    @Param({"on", "off"})
    public String simd;

    private Interpreter interpreter;
    private Object[] inputs;
    private Object[] outputs;
    private final List<Double> kernelMicros = new ArrayList<>();

    /**
     * Sets QUANTA_SIMD for this JVM (as {@code -Dquanta.simd}) and checks that it took: the kernels read it once,
     * so this works in a fresh fork only.
     */
    static void applySimd(String simd) {
        System.setProperty("quanta.simd", simd);
        boolean off = simd.trim().equalsIgnoreCase("off");
        if (Simd.enabled() == off) {
            throw new IllegalStateException("quanta.simd=" + simd + " did not take (kernels: " + Simd.describe()
                    + "); run with at least 1 fork and --add-modules jdk.incubator.vector");
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        applySimd(simd);
        Model m = KernelLayers.get(layer).model().get();
        interpreter = new Interpreter(m, Interpreter.Options.defaults().withNumThreads(1));
        SplittableRandom r = new SplittableRandom(42);
        inputs = new Object[m.inputs().size()];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = m.inputs().get(i);
            inputs[i] = random(r, t, interpreter.getInputTensor(i).numElements());
        }
        outputs = new Object[] {
            Buffers.allocate(
                    m.outputs().get(0).dtype(), interpreter.getOutputTensor(0).numElements())
        };
    }

    private static Object random(SplittableRandom r, Tensor t, int n) {
        Object a = Buffers.allocate(t.dtype(), n);
        switch (a) {
            case float[] f -> {
                for (int i = 0; i < n; i++) {
                    f[i] = (float) (r.nextDouble() * 2 - 1);
                }
            }
            case byte[] b -> r.nextBytes(b);
            default -> throw new IllegalArgumentException("input type " + t.dtype() + " is not benchmarked");
        }
        return a;
    }

    /** Switching profiling on clears the timings: each iteration's kernel mean is its own. */
    @Setup(Level.Iteration)
    public void startIteration() {
        interpreter.setProfiling(true);
    }

    @TearDown(Level.Iteration)
    public void endIteration(IterationParams iteration) {
        if (iteration.getType() == IterationType.MEASUREMENT) {
            var timings = interpreter.opTimings();
            if (timings.size() != 1) {
                throw new IllegalStateException("expected one kernel, got " + timings);
            }
            kernelMicros.add(timings.get(0).meanMicros());
        }
    }

    @Benchmark
    public Object run() {
        interpreter.runForMultipleInputsOutputs(inputs, outputs);
        return outputs[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        interpreter.close();
        String file = System.getProperty(KERNEL_TIMES);
        if (file == null || kernelMicros.isEmpty()) {
            return;
        }
        double[] v =
                kernelMicros.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        try {
            Files.writeString(
                    Path.of(file),
                    String.format(Locale.ROOT, "%s\t%s\t%.4f%n", layer, simd, median),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
