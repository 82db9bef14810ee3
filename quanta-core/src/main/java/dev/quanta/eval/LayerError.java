package dev.quanta.eval;

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
 * @param scale the candidate tensor's scale, NaN when it is not quantized
 */
public record LayerError(
        String tensor, String layer, String op, long count, double sqnrDb, double rmse, double scale, double maxAbs) {

    /** RMSE in units of the quantization step; NaN for float tensors. */
    public double rmseOverScale() {
        return rmse / scale;
    }
}
