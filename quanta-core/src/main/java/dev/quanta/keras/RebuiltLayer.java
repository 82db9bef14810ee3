package dev.quanta.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.ir.Shape;
import java.util.List;

/**
 * One Keras layer that {@link KerasH5Writer} writes, rebuilt from one or two IR ops by {@link KerasLayerRebuilder}.
 *
 * @param name the layer name (the HDF5 group name of its weights)
 * @param className the Keras class, e.g. {@code Conv2D}
 * @param config the layer's {@code config} object in {@code model_config}
 * @param weights the weights in Keras layout, in the order Keras lists them; empty for layers without weights
 * @param inputShape the shape the layer reads (its {@code build_config})
 */
record RebuiltLayer(String name, String className, ObjectNode config, List<Weight> weights, Shape inputShape) {

    /**
     * One weight in Keras layout.
     *
     * @param key {@code kernel}, {@code recurrent_kernel}, {@code bias} or {@code depthwise_kernel}
     * @param shape the Keras shape
     * @param values the elements in row-major order
     */
    record Weight(String key, int[] shape, float[] values) {}
}
