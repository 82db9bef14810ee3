package dev.quanta.summary;

import java.util.List;

/**
 * One row of a model summary: a source layer with its output shape, its parameter counts and the layers that
 * feed it.
 */
public record LayerRow(
        String name,
        String type,
        String outputShape,
        long params,
        long trainableParams,
        long paramBytes,
        List<String> connectedTo) {
    public LayerRow {
        connectedTo = List.copyOf(connectedTo);
    }
}
