package dev.quanta.ir;

/**
 * Where an op came from in the source model: the user's layer name and class (Keras {@code dense_1},
 * {@code Dense}). Several ops may share one origin (a Dense layer with a softmax activation becomes two ops).
 *
 * @param layerName the source layer's name
 * @param layerClass the source layer's class
 * @param params the layer's own parameter count as its framework counts it (Keras: the elements of its weights),
 *     or -1 when not recorded: then a summary counts the elements of the constants its ops read
 * @param trainableParams how many of {@code params} are trainable (-1 when not recorded)
 */
public record Origin(String layerName, String layerClass, long params, long trainableParams) {

    /** An origin without a recorded parameter count. */
    public Origin(String layerName, String layerClass) {
        this(layerName, layerClass, -1, -1);
    }

    /** Whether the source recorded the layer's parameter count. */
    public boolean hasParams() {
        return params >= 0;
    }
}
