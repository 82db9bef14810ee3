package dev.quanta.cli;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.runtime.Benchmark;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code --engine onnxruntime}: ONNX Runtime (all graph optimizations, QDQ fusion included) on the model's ONNX form:
 * an {@code .onnx} file as it is; any other model (.tflite, Keras) as Quanta's ONNX export of it ({@link OnnxWriter},
 * int8 activations written as uint8, ONNX Runtime's U8S8 format that it fuses into integer kernels on x86-64).
 * {@code threads} is the session's intra-op thread count; {@code parallel} sessions' worth of requests run
 * concurrently on one session (ONNX Runtime's sessions are thread-safe). Only this class refers to {@code
 * ai.onnxruntime}, and it is loaded only when the engine is asked for.
 */
final class OnnxRuntimeEngine implements BenchmarkEngine {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final Path file;
    private final byte[] onnx;
    private final String inputName;
    private final OnnxJavaType inputType;
    private final int[] shape;
    private final Tensor output;

    /** Reads or exports the ONNX form of {@code model} and runs it once in ONNX Runtime with the shape of {@code o}. */
    OnnxRuntimeEngine(Path file, Model model, Benchmark.Options o) {
        this.file = file;
        this.output = model.outputs().get(0);
        try {
            this.onnx = model.metadata().sourceFormat() == SourceFormat.ONNX
                    ? Files.readAllBytes(file)
                    : OnnxWriter.toBytes(model, OnnxWriter.Options.defaults().withUint8Activations(true));
        } catch (java.io.IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
        } catch (QuantaException e) {
            throw new QuantaException(file + ": onnxruntime engine runs the model's ONNX export: " + e.getMessage(), e);
        }
        try (OrtSession s = session(1)) {
            if (s.getNumInputs() != 1) {
                throw QuantaException.inFile(
                        file, "has " + s.getNumInputs() + " inputs; the benchmark feeds models with one input");
            }
            Map.Entry<String, NodeInfo> in =
                    s.getInputInfo().entrySet().iterator().next();
            this.inputName = in.getKey();
            if (!(in.getValue().getInfo() instanceof TensorInfo t)) {
                throw QuantaException.inFile(file, "input '" + inputName + "' is not a tensor");
            }
            this.inputType = t.type;
            if (inputType != OnnxJavaType.FLOAT && inputType != OnnxJavaType.INT8 && inputType != OnnxJavaType.UINT8) {
                throw QuantaException.inFile(
                        file,
                        "input '" + inputName + "' is " + inputType + "; the onnxruntime engine feeds float, "
                                + "int8 or uint8");
            }
            int[] declared = Arrays.stream(t.getShape())
                    .mapToInt(d -> (int) Math.max(-1, d))
                    .toArray();
            this.shape = BenchmarkEngine.plannedShape(declared, o);
            long n = BenchmarkEngine.elementCount(shape);
            if (shape.length != declared.length || n > dev.quanta.runtime.Interpreter.MAX_TENSOR_ELEMENTS) {
                throw QuantaException.inFile(
                        file,
                        "input shape " + Arrays.toString(shape) + " does not fit ONNX input '" + inputName + "' "
                                + Arrays.toString(t.getShape()));
            }
            runOnce(s, randomInput()); // refuses here, before any table line, what ONNX Runtime cannot run
        } catch (OrtException e) {
            throw refusal(e);
        }
    }

    @Override
    public String name() {
        return "onnxruntime";
    }

    @Override
    public int[] inputShape() {
        return shape.clone();
    }

    @Override
    public Benchmark.Result run(Benchmark.Options o) {
        int batch = shape.length > 0 ? shape[0] : 1;
        try (OrtSession s = session(o.threads());
                OnnxTensor in = tensor(randomInput())) {
            Map<String, OnnxTensor> feed = Map.of(inputName, in);
            for (int w = 0; w < o.warmup(); w++) {
                s.run(feed).close();
            }
            long[] latencies = new long[o.runs()];
            long start = System.nanoTime();
            if (o.parallel() == 1) {
                for (int r = 0; r < o.runs(); r++) {
                    long t0 = System.nanoTime();
                    s.run(feed).close();
                    latencies[r] = System.nanoTime() - t0;
                }
            } else {
                serve(s, feed, o.parallel(), latencies);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            long[] sorted = latencies.clone();
            Arrays.sort(sorted);
            double mean = Arrays.stream(latencies).average().orElse(0) / 1e3;
            // native memory: neither the Java heap nor the Java allocation counters see it (-1: not measured)
            return new Benchmark.Result(
                    o.runs(),
                    batch,
                    o.threads(),
                    o.parallel(),
                    percentile(sorted, 50),
                    percentile(sorted, 90),
                    percentile(sorted, 99),
                    mean,
                    o.runs() * (double) batch / wall,
                    -1,
                    -1,
                    List.of());
        } catch (OrtException e) {
            throw refusal(e);
        }
    }

    @Override
    public float[] output(Object input) {
        try (OrtSession s = session(1)) {
            return runOnce(s, input);
        } catch (OrtException e) {
            throw refusal(e);
        }
    }

    @Override
    public void close() {}

    /** {@code parallel} threads take the next request on the shared session until every latency is measured. */
    private static void serve(OrtSession s, Map<String, OnnxTensor> feed, int parallel, long[] latencies) {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int p = 0; p < parallel; p++) {
                futures.add(pool.submit(() -> {
                    for (int r = next.getAndIncrement(); r < latencies.length; r = next.getAndIncrement()) {
                        long t0 = System.nanoTime();
                        s.run(feed).close();
                        latencies[r] = System.nanoTime() - t0;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("benchmark interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof OrtException ort) {
                throw new QuantaException("onnxruntime engine: " + firstLine(ort.getMessage()), ort);
            }
            throw new IllegalStateException("benchmark failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private OrtSession session(int threads) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return env.createSession(onnx, options);
        }
    }

    private Object randomInput() {
        DType d = inputType == OnnxJavaType.FLOAT ? DType.FLOAT32 : DType.INT8;
        return BenchmarkEngine.randomInput(d, Math.toIntExact(BenchmarkEngine.elementCount(shape)));
    }

    private OnnxTensor tensor(Object input) throws OrtException {
        long[] dims = Arrays.stream(shape).asLongStream().toArray();
        if (input instanceof float[] f) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(f), dims);
        }
        byte[] b = (byte[]) input;
        ByteBuffer buf = ByteBuffer.allocateDirect(b.length).order(ByteOrder.nativeOrder());
        buf.put(b).flip();
        return OnnxTensor.createTensor(env, buf, dims, inputType);
    }

    /**
     * The real values of the first output: float as it is; int8 or uint8 dequantized with the Quanta output tensor's
     * parameters ({@code real = scale × (q − zp)}), the same file's.
     */
    private float[] runOnce(OrtSession s, Object input) throws OrtException {
        try (OnnxTensor in = tensor(input);
                OrtSession.Result r = s.run(Map.of(inputName, in))) {
            OnnxTensor y = (OnnxTensor) r.get(0);
            OnnxJavaType type = y.getInfo().type;
            if (type == OnnxJavaType.FLOAT) {
                FloatBuffer fb = y.getFloatBuffer();
                float[] v = new float[fb.remaining()];
                fb.get(v);
                return v;
            }
            if (type != OnnxJavaType.INT8 && type != OnnxJavaType.UINT8) {
                throw QuantaException.inFile(
                        file, "output is " + type + "; the onnxruntime engine reads float, int8 or uint8 outputs");
            }
            ByteBuffer bb = y.getByteBuffer();
            QuantParams q = output.quant();
            float scale = q == null || !q.isPerTensor() ? 1f : q.scale();
            long zp = q == null || !q.isPerTensor() ? 0 : q.zeroPoint();
            float[] v = new float[bb.remaining()];
            for (int i = 0; i < v.length; i++) {
                byte b = bb.get();
                v[i] = scale * ((type == OnnxJavaType.UINT8 ? b & 0xFF : b) - zp);
            }
            return v;
        }
    }

    private QuantaException refusal(OrtException e) {
        return QuantaException.inFile(file, "ONNX Runtime refuses the model: " + firstLine(e.getMessage()), e);
    }

    /** ONNX Runtime's message on one line (its lines joined by spaces). */
    private static String firstLine(String s) {
        return s == null ? "(no message)" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static double percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))] / 1e3;
    }
}
