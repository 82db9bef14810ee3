package dev.quanta.keras;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Keras activations as IR ops: the layers Activation, ReLU, LeakyReLU, Softmax, ELU and PReLU, and the
 * {@code activation} of Dense, Conv2D, DepthwiseConv2D and the pooling layers, fused into their op (relu, relu6) or
 * as a separate op of the same layer (sigmoid, tanh, softmax, leaky_relu, and those TFLite has a builtin for:
 * hard_swish / hard_silu → HARD_SWISH, gelu → GELU (exact form), elu → ELU; swish / silu → LOGISTIC and MUL).
 * selu, softplus and hard_sigmoid have no TFLite builtin and stay unsupported.
 */
final class ActivationLayers {
    private ActivationLayers() {}

    /** Activations emitted as a separate op after the layer's main op. */
    private static final Set<String> SEPARATE = Set.of(
            "sigmoid", "tanh", "softmax", "leaky_relu", "hard_swish", "hard_silu", "gelu", "elu", "swish", "silu");

    private static final String SUPPORTED =
            "supported: linear, relu, relu6, sigmoid, tanh, softmax, hard_swish, hard_silu, gelu, elu, swish, silu";

    /** The activation to fuse into the main op: NONE, RELU or RELU6; others get a separate op. */
    static Activation fused(KerasLayer l) {
        String act = l.activation();
        return switch (act) {
            case "relu" -> Activation.RELU;
            case "relu6" -> Activation.RELU6;
            case "linear" -> Activation.NONE;
            default -> {
                if (SEPARATE.contains(act)) {
                    yield Activation.NONE;
                }
                throw l.unsupported("activation", SUPPORTED);
            }
        };
    }

    /** Emits the layer's main op, followed by a separate activation op when the activation cannot be fused. */
    static Tensor withActivation(LayerEmitter e, KerasLayer l, OpType type, OpAttributes attrs, List<Tensor> inputs) {
        String act = l.has("activation") ? l.activation() : "linear";
        Tensor[] in = inputs.toArray(Tensor[]::new);
        if (act.equals("linear") || act.equals("relu") || act.equals("relu6")) {
            return e.last(l, type, attrs, in);
        }
        if (!SEPARATE.contains(act)) {
            throw l.unsupported("activation", SUPPORTED);
        }
        Tensor t = e.inner(l, type.name().toLowerCase(Locale.ROOT), type, attrs, in);
        return activationOp(e, l, act, t, e.unique(l.name() + "/" + act), l.name(), false);
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
            case "hard_swish", "hard_silu" ->
                e.emit(l, OpType.HARD_SWISH, opName, outName, OpAttributes.None.INSTANCE, x);
            case "gelu" -> e.emit(l, OpType.GELU, opName, outName, new OpAttributes.Gelu(false), x);
            case "elu" -> e.emit(l, OpType.ELU, opName, outName, OpAttributes.None.INSTANCE, x);
            case "swish", "silu" -> {
                // x · sigmoid(x), as the TFLite converter writes it
                Tensor s = e.inner(l, "sigmoid", OpType.LOGISTIC, OpAttributes.None.INSTANCE, x);
                yield e.emit(l, OpType.MUL, opName, outName, new OpAttributes.Arithmetic(Activation.NONE), x, s);
            }
            default -> throw l.unsupported("activation", SUPPORTED + (standalone ? ", leaky_relu" : ""));
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

    /** Keras {@code ELU}: TFLite's ELU has α = 1, the only {@code alpha} supported. */
    static Tensor elu(LayerEmitter e, KerasLayer l, Tensor x) {
        double alpha = l.number("alpha", 1.0);
        if (alpha != 1.0) {
            throw l.unsupported("alpha", "only 1.0 is supported (TFLite's ELU)");
        }
        return e.last(l, OpType.ELU, OpAttributes.None.INSTANCE, x);
    }

    /**
     * Keras {@code PReLU}: the slopes {@code alpha} have the input's shape without the batch axis, with size 1 along
     * each of {@code shared_axes} (1-based, as Keras counts them); PRELU broadcasts them over the input.
     */
    static Tensor prelu(LayerEmitter e, KerasLayer l, Tensor x) {
        int[] dims = x.shape().dims();
        if (dims.length < 2) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no axes besides the batch");
        }
        int[] alphaShape = Arrays.copyOfRange(dims, 1, dims.length);
        JsonNode shared = l.get("shared_axes");
        if (shared != null && !shared.isNull()) {
            for (JsonNode a : shared.isArray() ? shared : List.of(shared)) {
                int axis = a.asInt();
                if (!a.isIntegralNumber() || axis < 1 || axis > alphaShape.length) {
                    throw l.unsupported("shared_axes", "axes must be in 1.." + alphaShape.length + ", got " + a);
                }
                alphaShape[axis - 1] = 1;
            }
        }
        for (int d : alphaShape) {
            if (d < 1) {
                throw l.error("input '" + x.name() + "' " + x.shape() + " has an unknown size off the batch axis");
            }
        }
        List<KerasWeight> w = e.fetch(l, LayerWeights.spec("alpha", alphaShape));
        Tensor alpha = e.constant(
                l, "alpha", dev.quanta.ir.Shape.of(alphaShape), w.get(0).values());
        return e.last(l, OpType.PRELU, OpAttributes.None.INSTANCE, x, alpha);
    }
}
