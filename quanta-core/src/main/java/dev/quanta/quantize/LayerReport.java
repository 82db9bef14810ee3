package dev.quanta.quantize;

import dev.quanta.ir.Op;
import java.util.List;

/**
 * One line of a conversion report: how a layer's op was converted.
 *
 * @param outputParams the output tensor's parameters ({@code scale=… zp=…}), or the reason it stays float
 * @param weightParams a summary of the weight scales, or null for ops without weights
 * @param scaleAdjustments the weight scales the converter had to change (too small, or too small for the bias),
 *     one per channel; empty for most layers
 */
public record LayerReport(
        String layer,
        String op,
        String inputType,
        String outputType,
        String outputParams,
        String weightParams,
        boolean leftInFloat,
        String reason,
        List<ScaleAdjustment> scaleAdjustments) {
    public LayerReport {
        scaleAdjustments = List.copyOf(scaleAdjustments);
    }

    /** A row without scale adjustments. */
    public LayerReport(
            String layer,
            String op,
            String inputType,
            String outputType,
            String outputParams,
            String weightParams,
            boolean leftInFloat,
            String reason) {
        this(layer, op, inputType, outputType, outputParams, weightParams, leftInFloat, reason, List.of());
    }

    /** The row of {@code op}, converted as described (no reason to give). */
    static LayerReport converted(Op op, String inputType, String outputType, String outputParams, String weightParams) {
        return new LayerReport(
                op.origin().layerName(),
                op.type().name(),
                inputType,
                outputType,
                outputParams,
                weightParams,
                false,
                null);
    }

    /** The row of {@code op} left computing in float32, and why. */
    static LayerReport leftInFloat(Op op, String reason) {
        return new LayerReport(
                op.origin().layerName(), op.type().name(), "float32", "float32", "float", null, true, reason);
    }

    /** This row listing {@code adjustments}. */
    LayerReport withScaleAdjustments(List<ScaleAdjustment> adjustments) {
        return new LayerReport(
                layer, op, inputType, outputType, outputParams, weightParams, leftInFloat, reason, adjustments);
    }
}
