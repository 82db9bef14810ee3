package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Benchmark;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A runtime that {@code quanta benchmark --engine} measures on one model: Quanta's interpreter ({@code quanta}) or ONNX
 * Runtime ({@code onnxruntime}, an optional dependency loaded only when asked).
 */
interface BenchmarkEngine extends AutoCloseable {
    /** The engine names {@code --engine} takes. */
    List<String> NAMES = List.of("quanta", "onnxruntime");

    /** The class whose absence from the classpath means ONNX Runtime is not there. */
    String ONNX_RUNTIME_CLASS = "ai.onnxruntime.OrtEnvironment";

    /** The engine's name as {@code --engine} spells it. */
    String name();

    /** The input shape this engine feeds for {@code o} (batch or {@code --input-shape} applied). */
    int[] inputShape();

    /**
     * Warms up, then times {@code o.runs()} inferences of {@link #input}; {@code o.threads()} is the engine's
     * threads inside one inference (ONNX Runtime's intra-op threads).
     */
    Benchmark.Result run(Benchmark.Options o);

    /** The real values of the first output for {@code input} (of {@link #inputShape}), for the engines' agreement. */
    float[] output(Object input);

    @Override
    void close();

    /**
     * Opens engine {@code name} on {@code model} (read from {@code file}) for the shapes of {@code o}, after checking
     * that it can run it (one inference).
     *
     * @throws QuantaException one line naming the file, the engine or the setting at fault
     */
    static BenchmarkEngine open(String name, Path file, Model model, Benchmark.Options o) {
        return switch (name) {
            case "quanta" -> new QuantaEngine(file, model, o);
            case "onnxruntime" -> {
                requireOnClasspath(ONNX_RUNTIME_CLASS);
                yield new OnnxRuntimeEngine(file, model, o); // loaded here only: ai.onnxruntime is optional
            }
            default ->
                throw new QuantaException(
                        "--engine: unknown engine '" + name + "' (engines: " + String.join(", ", NAMES) + ")");
        };
    }

    /** Refuses, in one line, an engine whose library class {@code className} is not on the classpath. */
    static void requireOnClasspath(String className) {
        try {
            Class.forName(className, false, BenchmarkEngine.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new QuantaException(
                    "onnxruntime engine needs com.microsoft.onnxruntime:onnxruntime on the classpath (" + className
                            + " not found)");
        }
    }

    /**
     * The shape fed for {@code declared} (a model's input shape, {@code -1} for a dynamic dimension): {@code
     * --input-shape} when given, else the declared shape with dynamic dimensions 1 and the first one the batch.
     */
    static int[] plannedShape(int[] declared, Benchmark.Options o) {
        if (o.inputShape() != null) {
            return o.inputShape().clone();
        }
        int[] d = declared.clone();
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

    /** The product of {@code dims}, or {@link Long#MAX_VALUE} when it overflows a long. */
    static long elementCount(int[] dims) {
        long n = 1;
        for (int d : dims) {
            if (d < 0) {
                return Long.MAX_VALUE;
            }
            try {
                n = Math.multiplyExact(n, (long) d);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /**
     * Seeded random input of {@code n} elements, the same for every engine: uniform [0, 1) for a {@code float[]}, the
     * whole integer range for a {@code byte[]}.
     */
    static Object randomInput(dev.quanta.ir.DType dtype, int n) {
        SplittableRandom r = new SplittableRandom(42);
        return switch (dtype) {
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) r.nextDouble();
                }
                yield f;
            }
            case INT8, UINT8 -> {
                byte[] b = new byte[n];
                r.nextBytes(b);
                yield b;
            }
            default ->
                throw new QuantaException(
                        "benchmark: the engines' agreement check feeds float32, int8 or uint8 inputs, not " + dtype);
        };
    }
}
