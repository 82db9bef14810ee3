package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

/**
 * Runs a single-op model written by Quanta's writer in TFLite 2.21 (one path) and, read back by Quanta's reader, in
 * Quanta's interpreter on the same path, and compares the outputs (raw bytes for integer and BOOL outputs, a
 * tolerance for float ones).
 */
final class ElementwiseOracle {
    private ElementwiseOracle() {}

    /** The outcome of one run: which side refused (message), or the largest difference and whether TFLite delegated. */
    record Outcome(
            String tfliteError, String quantaError, double maxDiff, boolean delegated, int elements, String detail) {
        Outcome(String tfliteError, String quantaError, double maxDiff, boolean delegated, int elements) {
            this(tfliteError, quantaError, maxDiff, delegated, elements, "");
        }

        boolean bothRefuse() {
            return tfliteError != null && quantaError != null;
        }

        boolean agree(double tolerance) {
            return tfliteError == null && quantaError == null && maxDiff <= tolerance;
        }
    }

    static Outcome run(Model m, QuantizedPath path, Object[] inputs) {
        byte[] bytes = TfliteWriter.toBytes(m);
        NativeTflite oracle;
        try {
            oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
        } catch (RuntimeException e) {
            return new Outcome(String.valueOf(e.getMessage()), quantaError(bytes, m, path, inputs), 0, false, 0);
        }
        Tensor out = m.outputs().get(0);
        int n = Math.toIntExact(out.shape().elementCount());
        byte[] want;
        boolean delegated;
        try (oracle) {
            for (int i = 0; i < inputs.length; i++) {
                oracle.setInputArray(i, raw(inputs[i]));
            }
            try {
                oracle.invoke();
            } catch (RuntimeException e) {
                return new Outcome(
                        "invoke: " + e.getMessage(), quantaError(bytes, m, path, inputs), 0, oracle.delegated(), n);
            }
            want = (byte[]) oracle.outputArray(0, new byte[n * width(out.dtype())]);
            delegated = oracle.delegated();
        }
        Object got;
        try {
            got = runQuanta(bytes, m, path, inputs);
        } catch (RuntimeException e) {
            return new Outcome(null, e.toString(), 0, delegated, n);
        }
        double d = diff(raw(got), want, out.dtype());
        String detail = d > 0 && want.length <= 64
                ? "got " + java.util.Arrays.toString(raw(got)) + " want " + java.util.Arrays.toString(want)
                : "";
        return new Outcome(null, null, d, delegated, n, detail);
    }

    private static String quantaError(byte[] bytes, Model m, QuantizedPath path, Object[] inputs) {
        try {
            runQuanta(bytes, m, path, inputs);
            return null;
        } catch (RuntimeException e) {
            return e.toString();
        }
    }

    static Object runQuanta(byte[] bytes, Model m, QuantizedPath path, Object[] inputs) {
        Model read = TfliteReader.read(bytes, Path.of("elementwise.tflite"));
        try (Interpreter quanta =
                new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
            for (int i = 0; i < read.inputs().size(); i++) {
                quanta.resizeInput(i, m.inputs().get(i).shape().dims());
            }
            Tensor out = m.outputs().get(0);
            Object got =
                    Buffers.allocate(out.dtype(), Math.toIntExact(out.shape().elementCount()));
            quanta.runForMultipleInputsOutputs(inputs, new Object[] {got});
            return got;
        }
    }

    static int width(DType t) {
        return switch (t) {
            case INT8, UINT8, BOOL -> 1;
            case INT16, FLOAT16 -> 2;
            case INT32, UINT32, FLOAT32 -> 4;
            case INT64, UINT64 -> 8;
        };
    }

    /** Little-endian bytes of an interpreter array. */
    static byte[] raw(Object a) {
        if (a instanceof byte[] b) {
            return b;
        }
        int n = Buffers.length(a);
        ByteBuffer bb;
        switch (a) {
            case short[] s -> {
                bb = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
                bb.asShortBuffer().put(s);
            }
            case int[] v -> {
                bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
                bb.asIntBuffer().put(v);
            }
            case long[] v -> {
                bb = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
                bb.asLongBuffer().put(v);
            }
            case float[] f -> {
                bb = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
                bb.asFloatBuffer().put(f);
            }
            default -> throw new IllegalArgumentException(a.getClass().getName());
        }
        return bb.array();
    }

    /**
     * The largest difference: for floats relative to the largest magnitude of the expected output (NaN equal to
     * NaN, infinities equal when equal), for integers and BOOL the largest difference of stored values.
     */
    static double diff(byte[] got, byte[] want, DType t) {
        ByteBuffer g = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer w = ByteBuffer.wrap(want).order(ByteOrder.LITTLE_ENDIAN);
        int w8 = width(t);
        int n = want.length / w8;
        double d = 0;
        if (t == DType.FLOAT32) {
            double range = 0;
            for (int i = 0; i < n; i++) {
                float v = w.getFloat(4 * i);
                if (Float.isFinite(v)) {
                    range = Math.max(range, Math.abs(v));
                }
            }
            for (int i = 0; i < n; i++) {
                float a = g.getFloat(4 * i);
                float b = w.getFloat(4 * i);
                if (Float.compare(a, b) == 0 || a == b) {
                    continue;
                }
                if (!Float.isFinite(a) || !Float.isFinite(b)) {
                    return Double.POSITIVE_INFINITY;
                }
                d = Math.max(d, Math.abs(a - b) / Math.max(range, 1e-30));
            }
            return d;
        }
        for (int i = 0; i < n; i++) {
            long a;
            long b;
            switch (t) {
                case INT8, BOOL -> {
                    a = got[i];
                    b = want[i];
                }
                case UINT8 -> {
                    a = got[i] & 0xFF;
                    b = want[i] & 0xFF;
                }
                case INT16 -> {
                    a = g.getShort(2 * i);
                    b = w.getShort(2 * i);
                }
                case INT32 -> {
                    a = g.getInt(4 * i);
                    b = w.getInt(4 * i);
                }
                default -> {
                    a = g.getLong(8 * i);
                    b = w.getLong(8 * i);
                }
            }
            d = Math.max(d, Math.abs((double) a - (double) b));
        }
        return d;
    }
}
