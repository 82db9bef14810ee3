package dev.quanta.kernels.shape;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Quantized concatenation along one axis. An input whose parameters equal the output's is copied; another is
 * requantized as TFLite's {@code ConcatenationWithScaling} does (the uint8 kernel; TFLite's int8 and int16 kernels
 * and XNNPACK accept only equal parameters, where this is a copy too):
 *
 * <pre>
 * r = s_in / s_y (float, as s_in · (1 / s_y)),   b = −zp_in · r
 * y = clamp(round(x · r + b) + zp_y, lo, hi)            round = std::round, float arithmetic
 * </pre>
 *
 * then the fused activation's clamp {@code [lo, hi]} (the full type range when there is none). TFLite's int16
 * kernel copies the stored values even when an input's parameters differ from the output's (it does not
 * requantize, measured on the oracle); Quanta does the same so as to stay bit-exact.
 */
final class ConcatenationInt implements Kernel {
    private final Object[] inputs;
    private final int[] blocks;
    private final boolean[] copy;
    private final float[] scales;
    private final float[] biases;
    private final Object y;
    private final DType type;
    private final int outer;
    private final int zy;
    private final int lo;
    private final int hi;
    private final boolean clampAll;

    ConcatenationInt(
            Object[] inputs,
            int[][] shapes,
            float[] inScales,
            int[] inZeroPoints,
            int axis,
            Object y,
            DType type,
            float sy,
            int zy,
            int lo,
            int hi) {
        this.inputs = inputs;
        this.y = y;
        this.type = type;
        this.zy = zy;
        this.lo = lo;
        this.hi = hi;
        this.clampAll = lo > Quant.qmin(type) || hi < Quant.qmax(type);
        int o = 1;
        for (int i = 0; i < axis; i++) {
            o *= shapes[0][i];
        }
        this.outer = o;
        int n = inputs.length;
        this.blocks = new int[n];
        this.copy = new boolean[n];
        this.scales = new float[n];
        this.biases = new float[n];
        float inverse = 1.f / sy;
        for (int k = 0; k < n; k++) {
            int b = 1;
            for (int i = axis; i < shapes[k].length; i++) {
                b *= shapes[k][i];
            }
            blocks[k] = b;
            // TFLite's int16 kernel copies the stored values whatever their parameters (measured); so does this one.
            copy[k] = type == DType.INT16 || inScales[k] == sy && inZeroPoints[k] == zy;
            scales[k] = inScales[k] * inverse;
            biases[k] = -inZeroPoints[k] * scales[k];
        }
    }

    @Override
    public void run(Parallel parallel) {
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < inputs.length; k++) {
                int b = blocks[k];
                if (copy[k]) {
                    System.arraycopy(inputs[k], o * b, y, pos, b);
                } else {
                    for (int j = 0; j < b; j++) {
                        float v = Quant.get(inputs[k], type, o * b + j) * scales[k] + biases[k];
                        int q = (int) FixedPoint.roundHalfAwayFromZero(v) + zy;
                        Quant.set(y, type, pos + j, FixedPoint.clamp(q, Quant.qmin(type), Quant.qmax(type)));
                    }
                }
                pos += b;
            }
        }
        if (clampAll) {
            int n = Buffers.length(y);
            for (int i = 0; i < n; i++) {
                Quant.set(y, type, i, FixedPoint.clamp(Quant.get(y, type, i), lo, hi));
            }
        }
    }
}
