package dev.quanta.kernels.reduce;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;
import dev.quanta.kernels.arithmetic.Quant;

/**
 * Integer MEAN over a set of axes, input and output with their own parameters, as TFLite's built-in kernel
 * computes it. Two cases, as TFLite distinguishes them:
 *
 * <pre>
 * 4-D input, axes {1, 2}, keep_dims, int8 or uint8 (optimized Mean, "global average pooling"):
 *   n = H·W,   t = zp_x · s_x / s_y (float),   bias = zp_y − trunc(t ± 0.5)   (away from zero)
 *   (m, e) = QuantizeMultiplier(float(s_x / (n · s_y)))
 *   y = clamp(MBQM(Σ x, m, e) + bias, qmin, qmax)                 Σ over raw values, zero point included
 *
 * otherwise (reference QuantizedMeanOrSum):
 *   (m, e) = QuantizeMultiplier(s_x / s_y),   k = min(⌊log2 n⌋, 32, 31 + e)
 *   m' = ⌊m · 2^k / n⌋,   e' = e − k
 *   y = clamp(MBQM(Σ x − zp_x · n, m', e') + zp_y, qmin, qmax)
 * </pre>
 *
 * MBQM is the double-rounding {@link FixedPoint#multiplyByQuantizedMultiplier} on int32 sums, for int16 inputs too
 * (TFLite's int16 MEAN takes the second form for every axis set, keep_dims or not).
 *
 * <p>XNNPACK (int8 and uint8, any axes): {@code scale = (s_x / s_y) · (1 / n)} in float, and
 * {@code y = clamp(rint(float(Σ x − n · zp_x) · scale) + zp_y, qmin, qmax)} (bit-exact on 20,480 of 20,480 measured
 * outputs). When the input and output parameters are identical, XNNPACK's result follows
 * {@code y = round(float(Σ x − n · zp_x) · scale + zp_y)} (ties away from zero) on all but about 0.06% of outputs,
 * which sit on exact ties of the mean; the arithmetic behind those was not identified.
 */
final class MeanInt implements Kernel {
    private final Object x;
    private final Object y;
    private final DType type;
    private final int[] xShape;
    private final int[] outStrides;
    private final long[] sums;
    private final int[] index;
    private final boolean gap;
    private final int count;
    private final int multiplier;
    private final int shift;
    private final int bias;
    private final int inZeroPoint;
    private final int outZeroPoint;
    private final int qmin;
    private final int qmax;
    private final boolean xnnpack;
    private final boolean rawMean;
    private final float xnnpackScale;

    MeanInt(
            Object x,
            int[] xShape,
            Object y,
            DType type,
            int[] axes,
            boolean keepDims,
            float sx,
            int zx,
            float sy,
            int zy,
            boolean xnnpackPath) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.xShape = xShape.clone();
        int rank = xShape.length;
        boolean[] reduced = new boolean[rank];
        long n = 1;
        for (int a : axes) {
            int ax = a < 0 ? a + rank : a;
            if (!reduced[ax]) {
                reduced[ax] = true;
                n *= xShape[ax];
            }
        }
        this.count = Math.toIntExact(n);
        this.outStrides = new int[rank];
        int stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!reduced[i]) {
                outStrides[i] = stride;
                stride *= xShape[i];
            }
        }
        this.sums = new long[Buffers.length(y)];
        this.index = new int[rank];
        this.inZeroPoint = zx;
        this.outZeroPoint = zy;
        this.qmin = Quant.qmin(type);
        this.qmax = Quant.qmax(type);
        boolean sameParams = sx == sy && zx == zy;
        this.xnnpack = xnnpackPath && type != DType.INT16 && !sameParams;
        this.xnnpackScale = (sx / sy) * (1.0f / (float) n);
        this.rawMean = xnnpackPath && sameParams && type != DType.INT16;
        this.gap = (type == DType.INT8 || type == DType.UINT8)
                && !rawMean
                && keepDims
                && rank == 4
                && axes.length == 2
                && reduced[1]
                && reduced[2];
        if (gap) {
            float t = (float) zx * sx / sy;
            t = t > 0 ? t + 0.5f : t - 0.5f;
            this.bias = zy - (int) t;
            float real = sx / ((float) count * sy);
            FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(real);
            this.multiplier = q.multiplier();
            this.shift = q.shift();
        } else {
            this.bias = 0;
            FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier((double) sx / (double) sy);
            int k = 63 - Long.numberOfLeadingZeros(n);
            k = Math.min(k, 32);
            k = Math.min(k, 31 + q.shift());
            this.multiplier = (int) (((long) q.multiplier() << k) / n);
            this.shift = q.shift() - k;
        }
    }

    @Override
    public void run(Parallel parallel) {
        java.util.Arrays.fill(sums, 0L);
        int rank = xShape.length;
        java.util.Arrays.fill(index, 0);
        int n = Buffers.length(x);
        int out = 0;
        for (int i = 0; i < n; i++) {
            sums[out] += Quant.get(x, type, i);
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                out += outStrides[d];
                if (index[d] < xShape[d]) {
                    break;
                }
                out -= outStrides[d] * xShape[d];
                index[d] = 0;
            }
        }
        for (int j = 0; j < sums.length; j++) {
            int v;
            if (rawMean) {
                float mean = (float) (sums[j] - (long) inZeroPoint * count) * xnnpackScale + (float) outZeroPoint;
                v = (int) FixedPoint.roundHalfAwayFromZero(mean);
            } else if (xnnpack) {
                v = FixedPoint.requantizeFp32(
                        (int) (sums[j] - (long) inZeroPoint * count), xnnpackScale, outZeroPoint, qmin, qmax);
            } else if (gap) {
                v = FixedPoint.multiplyByQuantizedMultiplier((int) sums[j], multiplier, shift) + bias;
            } else {
                v = FixedPoint.multiplyByQuantizedMultiplier(
                                (int) (sums[j] - (long) inZeroPoint * count), multiplier, shift)
                        + outZeroPoint;
            }
            Quant.set(y, type, j, v < qmin ? qmin : (v > qmax ? qmax : v));
        }
    }
}
