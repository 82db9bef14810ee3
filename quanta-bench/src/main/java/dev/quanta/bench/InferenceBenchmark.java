package dev.quanta.bench;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * One inference of a fixture {@code .tflite} (batch 1, seeded random input), in Quanta's interpreter, in the official
 * TFLite runtime on either of its paths, or in ONNX Runtime on the model's ONNX form ({@link OnnxRuntimeModels}), with
 * the same number of threads. Every side copies the input in and the output out on every call, so the measured work
 * is the same.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class InferenceBenchmark {
    /** Path under the fixtures root. */
    @Param({"mlperf-tiny/ic/pretrainedResnet_quant.tflite"})
    public String model;

    /** {@code quanta}, {@code tflite-xnnpack}, {@code tflite-builtin} or {@code onnxruntime}. */
    @Param({"quanta", "tflite-xnnpack", "tflite-builtin", "onnxruntime"})
    public String runtime;

    @Param({"1"})
    public int threads;

    private Interpreter quanta;
    private TfliteOracle tflite;
    private Object input;
    private Object output;
    // -- ONNX Runtime (issue 12) --
    private ai.onnxruntime.OrtSession ort;
    private java.util.Map<String, ai.onnxruntime.OnnxTensor> ortFeed;

    /** The fixtures root: $QUANTA_FIXTURES, else ../shared/fixtures from the working directory. */
    static Path fixtures() {
        String env = System.getenv("QUANTA_FIXTURES");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of("..", "shared", "fixtures");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("no fixtures at " + root.toAbsolutePath()
                    + "; set QUANTA_FIXTURES or run from the repository root");
        }
        return root;
    }

    @Setup(Level.Trial)
    public void setUp() {
        Path file = fixtures().resolve(model);
        Model m = ModelFiles.load(file);
        Tensor in = m.inputs().get(0);
        Tensor out = m.outputs().get(0);
        DType inType = in.dtype();
        int n = Math.toIntExact(
                dev.quanta.ir.Shape.of(concrete(in.shape().dims())).elementCount());
        input = Buffers.allocate(inType, n);
        SplittableRandom r = new SplittableRandom(42);
        switch (input) {
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
            default -> throw new IllegalArgumentException("input type " + inType + " is not benchmarked");
        }
        switch (runtime) {
            case "quanta" -> {
                quanta = new Interpreter(m, Interpreter.Options.defaults().withNumThreads(threads));
                output = Buffers.allocate(out.dtype(), quanta.getOutputTensor(0).numElements());
            }
            case "tflite-xnnpack", "tflite-builtin" -> {
                tflite = TfliteOracle.open(
                        file,
                        runtime.equals("tflite-xnnpack") ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN,
                        threads);
                output = Buffers.allocate(out.dtype(), tflite.outputLength(0)); // only its array type is used
            }
            case "onnxruntime" -> {
                try {
                    ort = OnnxRuntimeModels.session(OnnxRuntimeModels.onnx(file, m), threads);
                    ortFeed = java.util.Map.of(
                            ort.getInputNames().iterator().next(),
                            OnnxRuntimeModels.tensor(
                                    input, OnnxRuntimeModels.inputShape(ort), OnnxRuntimeModels.inputType(ort)));
                } catch (ai.onnxruntime.OrtException e) {
                    throw new IllegalStateException("ONNX Runtime refuses " + file + ": " + e.getMessage(), e);
                }
                output = Buffers.allocate(
                        out.dtype(), Math.toIntExact(out.shape().withBatch(1).elementCount()));
            }
            default -> throw new IllegalArgumentException("unknown runtime " + runtime);
        }
    }

    private static int[] concrete(int[] dims) {
        for (int i = 0; i < dims.length; i++) {
            dims[i] = Math.max(1, dims[i]);
        }
        return dims;
    }

    @Benchmark
    public Object infer() throws ai.onnxruntime.OrtException {
        if (quanta != null) {
            quanta.run(input, output);
            return output;
        }
        if (ort != null) {
            try (ai.onnxruntime.OrtSession.Result r = ort.run(ortFeed)) {
                ai.onnxruntime.OnnxTensor y = (ai.onnxruntime.OnnxTensor) r.get(0);
                switch (output) {
                    case float[] f -> y.getFloatBuffer().get(f);
                    case byte[] b -> y.getByteBuffer().get(b);
                    default -> throw new IllegalStateException("output type " + output.getClass());
                }
            }
            return output;
        }
        tflite.setInput(0, input);
        tflite.invoke();
        return tflite.outputLike(0, output);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (quanta != null) {
            quanta.close();
        }
        if (tflite != null) {
            tflite.close();
        }
        if (ort != null) {
            try {
                ortFeed.values().iterator().next().close();
                ort.close();
            } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
