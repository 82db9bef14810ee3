package dev.quanta.quantize;

import java.util.List;
import java.util.Locale;

/**
 * A weight scale that the plain rule ({@code max|w| / 127}, or the asymmetric range / 255) would have set and that
 * the converter changed, as TFLite's converter does:
 *
 * <ul>
 *   <li>{@link Cause#MINIMUM_SCALE}: the weights are all (almost) zero, {@code max|w| < 5·10⁻⁷}, as in a dead
 *       BatchNorm channel folded into a convolution; the scale is computed from {@code 5·10⁻⁷} instead
 *       ({@link QuantMath#MIN_WEIGHT_ABS_MAX});
 *   <li>{@link Cause#BIAS_RANGE}: at the input scale times the weight scale the bias would quantize beyond
 *       {@code ±2³⁰} ({@link QuantMath#MAX_INT32_BIAS}); the weight scale is enlarged until it does not.
 * </ul>
 *
 * @param layer the layer of the weights
 * @param channel the output channel, or −1 for weights with one scale
 * @param originalScale the scale of the plain rule (0 for all-zero weights)
 * @param newScale the scale written
 * @param causes why, in the order applied
 * @param detail the numbers behind the causes, for the report
 */
public record ScaleAdjustment(
        String layer, int channel, float originalScale, float newScale, List<Cause> causes, String detail) {
    public ScaleAdjustment {
        causes = List.copyOf(causes);
    }

    /** Why a weight scale was changed. */
    public enum Cause {
        MINIMUM_SCALE,
        BIAS_RANGE
    }

    /** One line: layer, channel, scales and why. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s %s: scale %.3g -> %.3g (%s)",
                layer,
                channel < 0 ? "(all channels)" : "channel " + channel,
                originalScale,
                newScale,
                detail);
    }
}
