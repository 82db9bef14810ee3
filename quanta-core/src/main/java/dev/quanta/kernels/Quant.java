package dev.quanta.kernels;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;

/**
 * Helpers shared by the integer kernels: per-tensor parameters, type ranges, fused-activation clamps in the
 * quantized domain, and reading quantized arrays as centred ints.
 *
 * <pre>
 * TFLite (CalculateActivationRangeQuantized):  q(f) = zp + round(f / s)        ties away from zero
 * XNNPACK (xnn_qs8_quantize):                  q(f) = rint(f / s + zp)          ties to even, float add first
 * RELU: [max(qmin, q(0)), qmax]   RELU6: [max(qmin, q(0)), min(qmax, q(6))]   RELU_N1_TO_1: [q(−1), q(1)] clamped
 * </pre>
 */
public final class Quant {
    private Quant() {}

    static boolean isQuantizedType(DType t) {
        return t == DType.INT8 || t == DType.UINT8 || t == DType.INT16;
    }

    public static int qmin(DType t) {
        return switch (t) {
            case INT8 -> -128;
            case UINT8 -> 0;
            case INT16 -> -32768;
            case INT32 -> Integer.MIN_VALUE;
            default -> throw new IllegalArgumentException("not an integer type: " + t);
        };
    }

    public static int qmax(DType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            case INT16 -> 32767;
            case INT32 -> Integer.MAX_VALUE;
            default -> throw new IllegalArgumentException("not an integer type: " + t);
        };
    }

    /** The per-tensor parameters of {@code t}; fails naming the op when they are missing or per-axis. */
    static QuantParams perTensor(Op op, Tensor t) {
        QuantParams q = t.quant();
        if (q == null) {
            throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " needs quantization parameters"
                    + " on " + t.dtype() + " tensor '" + t.name() + "', it has none");
        }
        if (!q.isPerTensor()) {
            // a per-axis set with identical entries is per-tensor in effect
            float[] s = q.scales();
            long[] z = q.zeroPoints();
            for (int i = 1; i < s.length; i++) {
                if (s[i] != s[0] || z[i] != z[0]) {
                    throw new UnsupportedOperationException(op.describe() + ": " + op.type()
                            + " needs per-tensor quantization on tensor '" + t.name() + "', it has " + q);
                }
            }
        }
        return q;
    }

    public static float scale(Op op, Tensor t) {
        return perTensor(op, t).scales()[0];
    }

    public static int zeroPoint(Op op, Tensor t) {
        return (int) perTensor(op, t).zeroPoints()[0];
    }

    /** The clamp {lo, hi} of a fused activation on an output with scale {@code s} and zero point {@code zp}. */
    public static int[] activationRange(Activation act, DType type, float s, int zp, boolean xnnpack) {
        int lo = qmin(type);
        int hi = qmax(type);
        switch (act) {
            case NONE -> {}
            case RELU -> lo = Math.max(lo, quantize(0f, s, zp, type, xnnpack));
            case RELU6 -> {
                lo = Math.max(lo, quantize(0f, s, zp, type, xnnpack));
                hi = Math.min(hi, quantize(6f, s, zp, type, xnnpack));
            }
            case RELU_N1_TO_1 -> {
                lo = Math.max(lo, quantize(-1f, s, zp, type, xnnpack));
                hi = Math.min(hi, quantize(1f, s, zp, type, xnnpack));
            }
        }
        return new int[] {lo, hi};
    }

    private static int quantize(float f, float s, int zp, DType type, boolean xnnpack) {
        if (xnnpack) {
            float v = f / s + (float) zp;
            v = Math.min(Math.max(v, (float) qmin(type)), (float) qmax(type));
            return (int) Math.rint(v);
        }
        long r = (long) FixedPoint.roundHalfAwayFromZero(f / s);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, zp + r));
    }

    /**
     * Writes {@code x[i] − zp} as ints into {@code dst} for i in [from, to): INT8 and UINT8 {@code byte[]}
     * ({@code & 0xFF} for UINT8), INT16 {@code short[]}.
     */
    static void centre(Object src, DType type, int zp, int[] dst, int from, int to) {
        switch (type) {
            case INT8 -> {
                byte[] x = (byte[]) src;
                for (int i = from; i < to; i++) {
                    dst[i] = x[i] - zp;
                }
            }
            case UINT8 -> {
                byte[] x = (byte[]) src;
                for (int i = from; i < to; i++) {
                    dst[i] = (x[i] & 0xFF) - zp;
                }
            }
            case INT16 -> {
                short[] x = (short[]) src;
                for (int i = from; i < to; i++) {
                    dst[i] = x[i] - zp;
                }
            }
            default -> throw new IllegalStateException("not a quantized activation type: " + type);
        }
    }

    /** Element {@code i} of a quantized array as an int (UINT8 unsigned). */
    public static int get(Object src, DType type, int i) {
        return switch (type) {
            case INT8 -> ((byte[]) src)[i];
            case UINT8 -> ((byte[]) src)[i] & 0xFF;
            case INT16 -> ((short[]) src)[i];
            case INT32 -> ((int[]) src)[i];
            default -> throw new IllegalStateException("not an integer type: " + type);
        };
    }

    /** Stores an in-range value into a quantized array (byte[] for INT8/UINT8, short[] for INT16). */
    public static void set(Object dst, DType type, int i, int v) {
        switch (type) {
            case INT8, UINT8 -> ((byte[]) dst)[i] = (byte) v;
            case INT16 -> ((short[]) dst)[i] = (short) v;
            case INT32 -> ((int[]) dst)[i] = v;
            default -> throw new IllegalStateException("not an integer type: " + type);
        }
    }

    /** Integer constant data (INT8/UINT8/INT16/INT32/INT64) as a long array. */
    static long[] longs(Object array, DType type) {
        int n = Buffers.length(array);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (type) {
                case INT8 -> ((byte[]) array)[i];
                case UINT8 -> ((byte[]) array)[i] & 0xFF;
                case INT16 -> ((short[]) array)[i];
                case INT32 -> ((int[]) array)[i];
                case INT64 -> ((long[]) array)[i];
                default -> throw new IllegalArgumentException("not an integer type: " + type);
            };
        }
        return v;
    }

    static String types(Op op) {
        StringBuilder sb = new StringBuilder();
        for (Tensor t : op.inputs()) {
            sb.append(sb.isEmpty() ? "" : ", ").append(t.dtype());
        }
        sb.append(" -> ");
        for (int i = 0; i < op.outputs().size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(op.output(i).dtype());
        }
        return sb.toString();
    }

    static UnsupportedOperationException unsupported(Op op, String missing) {
        return new UnsupportedOperationException(
                op.describe() + ": no integer kernel for " + op.type() + " with " + types(op) + ": " + missing);
    }
}
