package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * Single-op models of the resampling and reduction ops and their comparison with the official runtime: the model is
 * written by Quanta's writer, read back by its reader, run by Quanta's interpreter on one path and by TFLite on the
 * same path (inputs and outputs as raw little-endian bytes, so every element type goes through).
 */
final class ResampleReduceOracleSupport {
    final Random random;
    private int counter;

    ResampleReduceOracleSupport(long seed) {
        this.random = new Random(seed);
    }

    /** What one comparison found. */
    record Outcome(boolean delegated, int samples, int exactSamples, double maxDiff, double range) {}

    Tensor tensor(String name, DType type, QuantParams q, int... dims) {
        return new Tensor(name + "_" + (counter++), Shape.of(dims), type, null, q, false);
    }

    QuantParams params(DType type) {
        return switch (type) {
            case INT8 -> QuantParams.perTensor(logUniform(0.01f, 0.2f), random.nextInt(256) - 128);
            case UINT8 -> QuantParams.perTensor(logUniform(0.01f, 0.2f), random.nextInt(256));
            case INT16 -> QuantParams.perTensor(logUniform(0.0001f, 0.002f), 0);
            default -> null;
        };
    }

    float logUniform(float lo, float hi) {
        return (float) Math.exp(Math.log(lo) + random.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    /** A single-op model: {@code out} computed from {@code x} by {@code type}, output shape inferred. */
    static Model model(OpType type, OpAttributes attrs, Tensor x, DType outType, QuantParams outQuant, String name) {
        Shape s = ShapeInference.infer(type, attrs, List.of(x));
        Tensor y = new Tensor(name + "_out", s, outType, null, outQuant, false);
        Op op = new Op(y.name(), type, List.of(x), List.of(y), attrs, new Origin(y.name(), type.name()));
        return new Model(name, List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
    }

    /** Random little-endian bytes for {@code t}: integers over their range (or ±{@code intSpread}), floats ±3σ. */
    byte[] randomBytes(Tensor t, int intSpread, float floatScale) {
        int n = Math.toIntExact(t.shape().elementCount());
        ByteBuffer b = ByteBuffer.allocate(n * t.dtype().byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case FLOAT32 -> b.putFloat((float) (random.nextGaussian() * floatScale));
                case INT8, UINT8 ->
                    b.put((byte) (intSpread > 0 ? random.nextInt(2 * intSpread + 1) - intSpread : random.nextInt(256)));
                case BOOL -> b.put((byte) random.nextInt(2));
                case INT16 ->
                    b.putShort((short)
                            (intSpread > 0 ? random.nextInt(2 * intSpread + 1) - intSpread : random.nextInt(65536)));
                case INT32 ->
                    b.putInt(intSpread > 0 ? random.nextInt(2 * intSpread + 1) - intSpread : random.nextInt());
                case INT64 ->
                    b.putLong(intSpread > 0 ? random.nextInt(2 * intSpread + 1) - intSpread : random.nextLong());
                default -> throw new IllegalArgumentException(t.dtype().name());
            }
        }
        return b.array();
    }

    /** The interpreter array of {@code type} holding {@code bytes}. */
    static Object decode(byte[] bytes, DType type) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int n = bytes.length / type.byteSize();
        Object a = Buffers.allocate(type, n);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case FLOAT32 -> ((float[]) a)[i] = b.getFloat();
                case INT8, UINT8, BOOL -> ((byte[]) a)[i] = b.get();
                case INT16 -> ((short[]) a)[i] = b.getShort();
                case INT32 -> ((int[]) a)[i] = b.getInt();
                case INT64 -> ((long[]) a)[i] = b.getLong();
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        return a;
    }

    /**
     * Runs {@code m} in TFLite ({@code path}) and in Quanta (the same path) on {@code samples} random inputs.
     *
     * @throws IllegalStateException when TFLite refuses the model
     */
    Outcome compare(Model m, QuantizedPath path, int samples, int intSpread, float floatScale) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(m);
        Model read = TfliteReader.read(bytes, Path.of(m.name() + ".tflite"));
        Tensor in = m.inputs().get(0);
        if (in.shape().isDynamic()) {
            in = in.withShape(in.shape().withBatch(1)); // the file holds batch 1 for TFLite
        }
        Tensor out = m.outputs().get(0);
        int exact = 0;
        double maxDiff = 0;
        double range = 0;
        boolean delegated;
        try (NativeTflite oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
                Interpreter quanta =
                        new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
            delegated = oracle.delegated();
            quanta.resizeInput(0, in.shape().dims());
            for (int s = 0; s < samples; s++) {
                byte[] x = randomBytes(in, intSpread, floatScale);
                oracle.setInputArray(0, x);
                oracle.invoke();
                Object want = decode(oracle.tensorBytes(oracle.outputIndex()), out.dtype());
                Object got = Buffers.allocate(out.dtype(), Buffers.length(want));
                quanta.runForMultipleInputsOutputs(new Object[] {decode(x, in.dtype())}, new Object[] {got});
                double d = 0;
                for (int i = 0; i < Buffers.length(want); i++) {
                    double a = Elements.getDouble(got, out.dtype(), i);
                    double b = Elements.getDouble(want, out.dtype(), i);
                    range = Math.max(range, Math.abs(b));
                    if (Double.compare(a, b) != 0) {
                        d = Math.max(d, Math.abs(a - b));
                    }
                }
                exact += d == 0 ? 1 : 0;
                maxDiff = Math.max(maxDiff, d);
            }
        }
        return new Outcome(delegated, samples, exact, maxDiff, range);
    }

    /**
     * The largest difference between Quanta's outputs on the two paths over {@code samples} random inputs (the
     * acceptance asks integer outputs to be within one step of the other path).
     */
    double crossPathDiff(Model m, int samples) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(m);
        Model read = TfliteReader.read(bytes, Path.of(m.name() + ".tflite"));
        Tensor in = m.inputs().get(0);
        Tensor out = m.outputs().get(0);
        int n = Math.toIntExact(out.shape().elementCount());
        double d = 0;
        try (Interpreter a =
                        new Interpreter(read, Interpreter.Options.defaults().withKernelPath(QuantizedPath.XNNPACK));
                Interpreter b =
                        new Interpreter(read, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN))) {
            a.resizeInput(0, in.shape().dims());
            b.resizeInput(0, in.shape().dims());
            for (int s = 0; s < samples; s++) {
                Object x = decode(randomBytes(in, 0, 3f), in.dtype());
                Object ya = Buffers.allocate(out.dtype(), n);
                Object yb = Buffers.allocate(out.dtype(), n);
                a.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {ya});
                b.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {yb});
                for (int i = 0; i < n; i++) {
                    d = Math.max(
                            d,
                            Math.abs(Elements.getDouble(ya, out.dtype(), i) - Elements.getDouble(yb, out.dtype(), i)));
                }
            }
        }
        return d;
    }

    /** Asserts bit-exact integer outputs, or float outputs within 1e-5 of their range. */
    static void assertMatches(String name, QuantizedPath path, DType outType, Outcome o) {
        String what = name + " on " + path + (o.delegated() ? " (delegated)" : "") + ": " + o;
        if (outType == DType.FLOAT32) {
            assertThat(o.maxDiff()).as(what).isLessThanOrEqualTo(1e-5 * Math.max(1.0, o.range()));
        } else {
            assertThat(o.exactSamples()).as(what).isEqualTo(o.samples());
        }
    }
}
