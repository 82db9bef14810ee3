package dev.quanta.quantize;

/**
 * One line of a conversion report: how a layer's op was converted.
 *
 * @param outputParams the output tensor's parameters ({@code scale=… zp=…}), or the reason it stays float
 * @param weightParams a summary of the weight scales, or null for ops without weights
 */
public record LayerReport(
        String layer,
        String op,
        String inputType,
        String outputType,
        String outputParams,
        String weightParams,
        boolean leftInFloat,
        String reason) {}
