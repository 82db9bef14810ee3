package dev.quanta.kernels.reduce;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Elements;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.FixedPoint;

/**
 * SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD over a set of axes, elements visited in row-major order of the input
 * (TFLite's reference order), in one of these arithmetics:
 *
 * <pre>
 * FLOAT:    float accumulator from 0 (SUM), 1 (PROD), −FLT_MAX (MAX), FLT_MAX (MIN)
 * RAW:      integers, and quantized REDUCE_MAX/REDUCE_MIN (whose output has the input's parameters): the exact result
 *           stored with the type's wrap-around (TFLite reduces in the element type)
 * SUM_RESCALE (quantized SUM on the built-in path, TFLite's QuantizedMeanOrSum with compute_sum; same parameters
 *           too):
 *           r = s_x / s_y (float),  b = −zp_x · r · n (float),  y = clamp(round(Σx · r + b) + zp_y)   (ties away)
 * SUM_XNNPACK (int8/uint8 SUM delegated to XNNPACK, any parameters):
 *           y = clamp(rint(float(Σx − n·zp_x) · (s_x / s_y)) + zp_y)   (ties to even)
 * PROD_QUANTIZED (int8/int16, TFLite's QuantizedReduceProd):  (m, e) = QuantizeMultiplier(s_x / s_y^(1/n))
 *           p = x₀ − zp_x,  p = MBQM(p · (x_i − zp_x), m, e) for the next elements (64-bit product),
 *           y = clamp(MBQM(p, m, e) + zp_y)
 * </pre>
 */
final class Reduction implements Kernel {
    /** The reduction. */
    enum Kind {
        SUM,
        MAX,
        MIN,
        PROD
    }

    /** The arithmetic (see the class comment). */
    enum Mode {
        FLOAT,
        RAW,
        SUM_RESCALE,
        SUM_XNNPACK,
        PROD_QUANTIZED
    }

    private final Object x;
    private final Object y;
    private final DType type;
    private final Kind kind;
    private final Mode mode;
    private final int count;
    private final int zx;
    private final int zy;
    private final float rescale;
    private final float bias;
    private final int multiplier;
    private final int shift;
    private final int qmin;
    private final int qmax;
    /** The output element each input element (row-major) reduces into. */
    private final int[] outIndex;
    /** The accumulators of one run, allocated once: int64 for the plain and SUM forms, int32 for quantized PROD. */
    private final long[] longAcc;

    private final int[] intAcc;
    private final boolean[] started;

    Reduction(
            Object x,
            int[] xShape,
            Object y,
            DType type,
            boolean[] reduced,
            Kind kind,
            Mode mode,
            float sx,
            int zx,
            float sy,
            int zy) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.kind = kind;
        this.mode = mode;
        int rank = xShape.length;
        int[] outStrides = new int[rank];
        int stride = 1;
        long n = 1;
        for (int i = rank - 1; i >= 0; i--) {
            if (!reduced[i]) {
                outStrides[i] = stride;
                stride *= xShape[i];
            } else {
                n *= xShape[i];
            }
        }
        this.count = Math.toIntExact(n);
        int outLength = dev.quanta.kernels.Buffers.length(y);
        boolean integers = mode == Mode.RAW || mode == Mode.SUM_RESCALE || mode == Mode.SUM_XNNPACK;
        this.longAcc = integers ? new long[outLength] : null;
        this.intAcc = mode == Mode.PROD_QUANTIZED ? new int[outLength] : null;
        this.started = mode == Mode.PROD_QUANTIZED ? new boolean[outLength] : null;
        this.outIndex = new int[dev.quanta.kernels.Buffers.length(x)];
        int[] idx = new int[rank];
        int out = 0;
        for (int i = 0; i < outIndex.length; i++) {
            outIndex[i] = out;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d]++;
                out += outStrides[d];
                if (idx[d] < xShape[d]) {
                    break;
                }
                out -= outStrides[d] * xShape[d];
                idx[d] = 0;
            }
        }
        this.zx = zx;
        this.zy = zy;
        this.rescale = sx / sy;
        this.bias = -zx * rescale * (float) count;
        if (mode == Mode.PROD_QUANTIZED && count > 0) {
            double scaling = (double) sx / Math.pow((double) sy, 1.0 / count);
            FixedPoint.Multiplier q = FixedPoint.quantizeMultiplier(scaling);
            this.multiplier = q.multiplier();
            this.shift = q.shift();
        } else {
            this.multiplier = 0;
            this.shift = 0;
        }
        this.qmin = type == DType.INT16 ? -32768 : type == DType.UINT8 ? 0 : -128;
        this.qmax = type == DType.INT16 ? 32767 : type == DType.UINT8 ? 255 : 127;
    }

    @Override
    public void run(Parallel parallel) {
        int outLength = dev.quanta.kernels.Buffers.length(y);
        switch (mode) {
            case FLOAT -> runFloat(outIndex, outLength);
            case RAW, SUM_RESCALE, SUM_XNNPACK -> runIntegers(outIndex, outLength);
            case PROD_QUANTIZED -> runQuantizedProd(outIndex, outLength);
        }
    }

    private void runFloat(int[] outIndex, int outLength) {
        float[] xf = (float[]) x;
        float[] yf = (float[]) y;
        float init = switch (kind) {
            case SUM -> 0f;
            case PROD -> 1f;
            case MAX -> -Float.MAX_VALUE;
            case MIN -> Float.MAX_VALUE;
        };
        java.util.Arrays.fill(yf, 0, outLength, init);
        for (int i = 0; i < xf.length; i++) {
            int j = outIndex[i];
            float v = xf[i];
            switch (kind) {
                case SUM -> yf[j] += v;
                case PROD -> yf[j] *= v;
                case MAX -> yf[j] = v > yf[j] ? v : yf[j];
                case MIN -> yf[j] = v < yf[j] ? v : yf[j];
            }
        }
    }

    private void runIntegers(int[] outIndex, int outLength) {
        long[] acc = longAcc;
        long init = switch (kind) {
            case SUM -> 0L;
            case PROD -> 1L;
            case MAX -> Long.MIN_VALUE;
            case MIN -> Long.MAX_VALUE;
        };
        java.util.Arrays.fill(acc, init);
        for (int i = 0; i < outIndex.length; i++) {
            int j = outIndex[i];
            long v = Elements.getLong(x, type, i);
            switch (kind) {
                case SUM -> acc[j] += v;
                case PROD -> acc[j] *= v;
                case MAX -> acc[j] = Math.max(acc[j], v);
                case MIN -> acc[j] = Math.min(acc[j], v);
            }
        }
        for (int j = 0; j < outLength; j++) {
            if (mode == Mode.SUM_RESCALE) {
                float r = (float) (int) acc[j] * rescale + bias;
                int v = (int) FixedPoint.roundHalfAwayFromZero(r) + zy;
                Elements.setLong(y, type, j, Math.max(qmin, Math.min(qmax, v)));
            } else if (mode == Mode.SUM_XNNPACK) {
                int centred = (int) (acc[j] - (long) zx * count);
                Elements.setLong(y, type, j, FixedPoint.requantizeFp32(centred, rescale, zy, qmin, qmax));
            } else if (outIndex.length == 0 && (kind == Kind.MAX || kind == Kind.MIN)) {
                Elements.setLong(y, type, j, 0);
            } else {
                Elements.setLong(y, type, j, acc[j]);
            }
        }
    }

    private void runQuantizedProd(int[] outIndex, int outLength) {
        int[] acc = intAcc;
        java.util.Arrays.fill(started, false);
        for (int i = 0; i < outIndex.length; i++) {
            int j = outIndex[i];
            int v = (int) Elements.getLong(x, type, i) - zx;
            if (!started[j]) {
                acc[j] = v;
                started[j] = true;
            } else {
                acc[j] = FixedPoint.multiplyByQuantizedMultiplier((long) acc[j] * v, multiplier, shift);
            }
        }
        for (int j = 0; j < outLength; j++) {
            int v = FixedPoint.multiplyByQuantizedMultiplier((long) acc[j], multiplier, shift) + zy;
            Elements.setLong(y, type, j, Math.max(qmin, Math.min(qmax, v)));
        }
    }
}
