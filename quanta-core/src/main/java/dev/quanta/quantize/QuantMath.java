package dev.quanta.quantize;

import dev.quanta.ir.QuantParams;

/**
 * How Quanta chooses quantization parameters, following TFLite's post-training quantizer.
 *
 * <pre>
 * real = scale × (q − zeroPoint)
 *
 * asymmetric (activations), integer range [qmin, qmax]:
 *   rmin' = min(rmin, 0), rmax' = max(rmax, 0)          zero must be exactly representable
 *   scale = (rmax' − rmin') / (qmax − qmin)
 *   zeroPoint = clamp(round(qmin − rmin' / scale), qmin, qmax)
 *
 * symmetric (weights, int16 activations), zero point 0:
 *   scale = max(|rmin|, |rmax|) / qmax                   int8 weights use [−127, 127]
 *   q = clamp(round(r / scale), −qmax, qmax)
 *
 * bias: scale = inputScale × weightScale[c], zero point 0, q = round(b / scale) in int32 (int64 for 16x8)
 *
 * guards on weight scales (as TFLite's converter has them):
 *   weightScale[c] = max(max|w[c]|, 5·10⁻⁷) / 127        a (near-)zero channel gets the minimum scale 3.94·10⁻⁹
 *   if |round(b[c] / (inputScale × weightScale[c]))| > 2³⁰ (int32 bias):
 *     weightScale[c] = the smallest scale with |round(b[c] / (inputScale × weightScale[c]))| ≤ 2³⁰
 * </pre>
 *
 * An activation range of zero width gets scale 1 (all values quantize to the zero point), as TFLite does.
 */
public final class QuantMath {
    private QuantMath() {}

    /** Asymmetric per-tensor parameters for the range [rmin, rmax] on [qmin, qmax]. */
    public static QuantParams asymmetric(double rmin, double rmax, int qmin, int qmax) {
        double lo = Math.min(rmin, 0);
        double hi = Math.max(rmax, 0);
        if (!(hi > lo)) {
            return QuantParams.perTensor(1f, 0L > qmin ? 0L : qmin);
        }
        float scale = (float) ((hi - lo) / (qmax - qmin));
        double zpFromMin = qmin - lo / scale;
        long zp = zpFromMin < qmin ? qmin : zpFromMin > qmax ? qmax : Math.round(zpFromMin);
        return QuantParams.perTensor(scale, zp);
    }

    /** Symmetric per-tensor parameters (zero point 0) for a largest magnitude {@code absMax} on [−qmax, qmax]. */
    public static QuantParams symmetric(double absMax, int qmax) {
        return QuantParams.perTensor(symmetricScale(absMax, qmax), 0);
    }

    /** {@code absMax / qmax}, or 1 for an all-zero range. */
    public static float symmetricScale(double absMax, int qmax) {
        return absMax > 0 ? (float) (absMax / qmax) : 1f;
    }

    /**
     * The smallest largest-magnitude a weight scale is computed from: {@code 5·10⁻⁷}. TFLite's converter widens a
     * range narrower than {@code 10⁻⁶} to at least {@code [−5·10⁻⁷, 5·10⁻⁷]}, so that channels whose weights are
     * (almost) zero, such as those of dead BatchNorm channels folded into a convolution, do not get scales like
     * {@code 10⁻³³} that no int32 bias and no requantization multiplier can follow.
     */
    public static final double MIN_WEIGHT_ABS_MAX = 5e-7;

    /**
     * The largest magnitude of a quantized int32 bias: {@code 2³⁰}, half the int32 range, which leaves the other half
     * to the accumulated products (TFLite's converter keeps biases within {@code INT32_MAX / 2} the same way).
     */
    public static final long MAX_INT32_BIAS = 1L << 30;

    /** A symmetric weight scale: {@code max(absMax, MIN_WEIGHT_ABS_MAX) / qmax}, never 0 or subnormal. */
    public static float weightScale(double absMax, int qmax) {
        return (float) (Math.max(absMax, MIN_WEIGHT_ABS_MAX) / qmax);
    }

    /** {@code round(|b| / (inputScale · weightScale))}, the bias scale being the float product as stored. */
    public static double quantizedBiasMagnitude(double absBias, float inputScale, float weightScale) {
        return Math.abs(round(absBias / (inputScale * weightScale)));
    }

    /**
     * The weight scale, at least {@code weightScale}, that keeps a bias of magnitude {@code absBias} within
     * {@link #MAX_INT32_BIAS} once quantized at {@code inputScale · weightScale}: {@code weightScale} itself when
     * it does, else the smallest float {@code s} with {@code round(|b| / (inputScale · s)) ≤ 2³⁰}, about
     * {@code |b| / (inputScale · 2³⁰)}.
     */
    public static float biasFittingWeightScale(double absBias, float inputScale, float weightScale) {
        if (!Double.isFinite(absBias) || quantizedBiasMagnitude(absBias, inputScale, weightScale) <= MAX_INT32_BIAS) {
            return weightScale;
        }
        float s = Math.max(weightScale, (float) (absBias / ((double) inputScale * MAX_INT32_BIAS)));
        while (quantizedBiasMagnitude(absBias, inputScale, s) > MAX_INT32_BIAS) {
            s = Math.nextUp(s);
        }
        return s;
    }

    /** Rounds half away from zero, as TFLite's {@code TfLiteRound}. */
    public static long round(double v) {
        return (long) (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));
    }

    /** Quantizes one value: {@code clamp(round(r / scale) + zp, qmin, qmax)}. */
    public static long quantize(float r, float scale, long zp, long qmin, long qmax) {
        long q = round((double) r / scale) + zp;
        return Math.max(qmin, Math.min(qmax, q));
    }
}
