package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;

/**
 * Feeds float samples to a model with integer inputs: {@code q = clamp(round(x / scale) + zeroPoint)} (rounding
 * half away from zero) with the input tensor's parameters, as a user of integer I/O does.
 */
public final class InputQuantizer {
    private InputQuantizer() {}

    /** {@code x} in the input tensor's Java array type ({@code byte[]} for INT8/UINT8, {@code short[]} for INT16). */
    public static Object quantize(float[] x, Tensor input) {
        QuantParams p = input.quant();
        if (p == null) {
            throw new IllegalArgumentException(
                    "input " + input.name() + " is " + input.dtype() + " without quantization parameters");
        }
        float scale = p.scale();
        long zp = p.zeroPoint();
        DType type = input.dtype();
        long lo = qmin(type);
        long hi = qmax(type);
        if (type == DType.INT16) {
            short[] out = new short[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = (short) clamp(QuantMath.round((double) x[i] / scale) + zp, lo, hi);
            }
            return out;
        }
        byte[] out = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (byte) clamp(QuantMath.round((double) x[i] / scale) + zp, lo, hi);
        }
        return out;
    }

    /** Real values of an integer output array: {@code scale × (q − zeroPoint)}. */
    public static float[] dequantize(Object q, Tensor output) {
        QuantParams p = output.quant();
        float[] out;
        switch (output.dtype()) {
            case FLOAT32 -> out = ((float[]) q).clone();
            case INT8 -> {
                byte[] b = (byte[]) q;
                out = new float[b.length];
                for (int i = 0; i < b.length; i++) {
                    out[i] = p.scale() * (b[i] - p.zeroPoint());
                }
            }
            case UINT8 -> {
                byte[] b = (byte[]) q;
                out = new float[b.length];
                for (int i = 0; i < b.length; i++) {
                    out[i] = p.scale() * ((b[i] & 0xFF) - p.zeroPoint());
                }
            }
            case INT16 -> {
                short[] s = (short[]) q;
                out = new float[s.length];
                for (int i = 0; i < s.length; i++) {
                    out[i] = p.scale() * (s[i] - p.zeroPoint());
                }
            }
            default -> throw new IllegalArgumentException("output " + output.name() + " is " + output.dtype());
        }
        return out;
    }

    /** The smallest level of an integer input type: 0 for UINT8, -128 for INT8, -32768 for INT16. */
    public static long qmin(DType type) {
        return type == DType.UINT8 ? 0 : type == DType.INT8 ? -128 : -32768;
    }

    /** The largest level of an integer input type: 255 for UINT8, 127 for INT8, 32767 for INT16. */
    public static long qmax(DType type) {
        return type == DType.UINT8 ? 255 : type == DType.INT8 ? 127 : 32767;
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
