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
 * </pre>
 *
 * A range of zero width gets scale 1 (all values quantize to the zero point), as TFLite does.
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
