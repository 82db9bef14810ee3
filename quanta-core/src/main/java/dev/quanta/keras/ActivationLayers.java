package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.Locale;

/**
 * Keras activations as IR ops: the layers Activation, ReLU, LeakyReLU and Softmax, and the {@code activation} of
 * Dense, Conv2D, DepthwiseConv2D and the pooling layers, fused into their op (relu, relu6) or as a separate op of
 * the same layer (sigmoid, tanh, softmax, leaky_relu).
 */
final class ActivationLayers {
    private ActivationLayers() {}

    /** The activation to fuse into the main op: NONE, RELU or RELU6; others get a separate op. */
    static Activation fused(KerasLayer l) {
        return switch (l.activation()) {
            case "relu" -> Activation.RELU;
            case "relu6" -> Activation.RELU6;
            case "linear", "sigmoid", "tanh", "softmax", "leaky_relu" -> Activation.NONE;
            default -> throw l.unsupported("activation", "supported: linear, relu, relu6, sigmoid, tanh, softmax");
        };
    }

    /** Emits the layer's main op, followed by a separate activation op when the activation cannot be fused. */
    static Tensor withActivation(LayerEmitter e, KerasLayer l, OpType type, OpAttributes attrs, List<Tensor> inputs) {
        String act = l.has("activation") ? l.activation() : "linear";
        Tensor[] in = inputs.toArray(Tensor[]::new);
        switch (act) {
            case "linear", "relu", "relu6" -> {
                return e.last(l, type, attrs, in);
            }
            case "sigmoid", "tanh", "softmax", "leaky_relu" -> {
                Tensor t = e.inner(l, type.name().toLowerCase(Locale.ROOT), type, attrs, in);
                return activationOp(e, l, act, t, e.unique(l.name() + "/" + act), l.name(), false);
            }
            default -> throw l.unsupported("activation", "supported: linear, relu, relu6, sigmoid, tanh, softmax");
        }
    }

    /** Keras {@code Activation}: one element-wise op for {@code act}, the layer's {@link KerasLayer#activation()}. */
    static Tensor activation(LayerEmitter e, KerasLayer l, String act, Tensor x) {
        return activationOp(e, l, act, x, l.name(), l.name(), true);
    }

    /** One element-wise activation op. */
    private static Tensor activationOp(
            LayerEmitter e, KerasLayer l, String act, Tensor x, String opName, String outName, boolean standalone) {
        return switch (act) {
            case "linear" -> e.emit(l, OpType.IDENTITY, opName, outName, OpAttributes.None.INSTANCE, x);
            case "relu" -> e.emit(l, OpType.RELU, opName, outName, OpAttributes.None.INSTANCE, x);
            case "relu6" -> e.emit(l, OpType.RELU6, opName, outName, OpAttributes.None.INSTANCE, x);
            case "sigmoid" -> e.emit(l, OpType.LOGISTIC, opName, outName, OpAttributes.None.INSTANCE, x);
            case "tanh" -> e.emit(l, OpType.TANH, opName, outName, OpAttributes.None.INSTANCE, x);
            case "softmax" -> e.emit(l, OpType.SOFTMAX, opName, outName, new OpAttributes.Softmax(1f), x);
            case "leaky_relu" -> e.emit(l, OpType.LEAKY_RELU, opName, outName, new OpAttributes.LeakyRelu(0.2f), x);
            default ->
                throw l.unsupported(
                        "activation",
                        "supported: linear, relu, relu6, sigmoid, tanh, softmax" + (standalone ? ", leaky_relu" : ""));
        };
    }

    /** Keras {@code ReLU}: RELU, RELU6 (max_value 6) or LEAKY_RELU (negative_slope without max_value). */
    static Tensor relu(LayerEmitter e, KerasLayer l, Tensor x) {
        double threshold = l.number("threshold", 0);
        if (threshold != 0) {
            throw l.unsupported("threshold", "only 0 is supported");
        }
        double slope = l.number("negative_slope", 0);
        JsonNode max = l.get("max_value");
        if (max != null && !max.isNumber()) {
            throw l.unsupported("max_value", "must be a number or null");
        }
        if (slope != 0) {
            if (max != null) {
                throw l.unsupported("max_value", "a capped leaky ReLU is not supported");
            }
            return e.last(l, OpType.LEAKY_RELU, new OpAttributes.LeakyRelu((float) slope), x);
        }
        if (max == null) {
            return e.last(l, OpType.RELU, OpAttributes.None.INSTANCE, x);
        }
        if (max.asDouble() == 6.0) {
            return e.last(l, OpType.RELU6, OpAttributes.None.INSTANCE, x);
        }
        throw l.unsupported("max_value", "only 6 or null is supported");
    }

    /** Keras {@code LeakyReLU} (its slope is {@code negative_slope} in Keras 3, {@code alpha} before). */
    static Tensor leakyRelu(LayerEmitter e, KerasLayer l, Tensor x) {
        double slope = l.has("negative_slope") ? l.number("negative_slope", 0.3) : l.number("alpha", 0.3);
        return e.last(l, OpType.LEAKY_RELU, new OpAttributes.LeakyRelu((float) slope), x);
    }

    /** Keras {@code Softmax} over the last axis. */
    static Tensor softmax(LayerEmitter e, KerasLayer l, Tensor x) {
        JsonNode axisNode = l.get("axis");
        if (axisNode != null) {
            if (axisNode.isArray() && axisNode.size() != 1) {
                throw l.unsupported("axis", "only the last axis is supported");
            }
            int axis = l.integer("axis", -1);
            if (axis != -1 && axis != x.shape().rank() - 1) {
                throw l.unsupported("axis", "only the last axis is supported");
            }
        }
        return e.last(l, OpType.SOFTMAX, new OpAttributes.Softmax(1f), x);
    }
}
