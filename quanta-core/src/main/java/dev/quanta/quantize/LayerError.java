package dev.quanta.quantize;

/**
 * How far one tensor of a quantized (or otherwise converted) model is from the same tensor of the reference model,
 * over the compared samples.
 *
 * <pre>
 * SQNR = 10·log10( Σ f² / Σ (f − q)² ) dB      f: reference values, q: the candidate's real values
 * RMSE = √( Σ (f − q)² / n ),   RMSE/scale with the candidate tensor's quantization scale
 * </pre>
 *
 * A healthy int8 layer has RMSE/scale near 1/√12 ≈ 0.289, the error of rounding alone (TFLite's debugger reads it
 * the same way).
 *
 * Saturation is the share of the candidate's values clipped at the ends of its quantized range: the quantized value
 * is the type's lowest (highest) level and the reference value lies more than half a step below (above) the real
 * value of that level. A value the range holds, such as a ReLU's zero at a zero point equal to the lowest level, or
 * ReLU6's cap of 6 at the highest, is not clipped.
 *
 * <pre>
 * clipped:    q = qmin and f &lt; scale·(qmin − zp) − scale/2
 *         or q = qmax and f &gt; scale·(qmax − zp) + scale/2
 * saturation = #clipped / n
 * </pre>
 *
 * @param scale the candidate tensor's scale, NaN when it is not quantized
 * @param saturation share of the values clipped at the quantized range, NaN when the tensor is not quantized per
 *     tensor
 */
public record LayerError(
        String tensor,
        String layer,
        String op,
        long count,
        double sqnrDb,
        double rmse,
        double scale,
        double maxAbs,
        double saturation) {

    /** A layer error without a saturation share (NaN), as for a float tensor. */
    public LayerError(
            String tensor,
            String layer,
            String op,
            long count,
            double sqnrDb,
            double rmse,
            double scale,
            double maxAbs) {
        this(tensor, layer, op, count, sqnrDb, rmse, scale, maxAbs, Double.NaN);
    }

    /** RMSE in units of the quantization step; NaN for float tensors. */
    public double rmseOverScale() {
        return rmse / scale;
    }
}
