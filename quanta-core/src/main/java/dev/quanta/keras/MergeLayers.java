package dev.quanta.keras;

import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.List;

/**
 * The Keras merge layers that combine several inputs element-wise with broadcasting: Multiply, Maximum, Minimum,
 * Average and Subtract (Add and Concatenate are in {@link CoreLayers}).
 */
final class MergeLayers {
    private MergeLayers() {}

    /** A left-to-right chain of {@code type} over the inputs, the last op named after the layer. */
    static Tensor chain(LayerEmitter e, KerasLayer l, OpType type, List<Tensor> in) {
        if (in.size() < 2) {
            throw l.error("expects at least 2 inputs but is connected to " + in.size());
        }
        OpAttributes attrs =
                type == OpType.MUL ? new OpAttributes.Arithmetic(Activation.NONE) : OpAttributes.None.INSTANCE;
        String suffix = type.name().toLowerCase(java.util.Locale.ROOT);
        Tensor acc = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            acc = i == in.size() - 1
                    ? e.last(l, type, attrs, acc, in.get(i))
                    : e.inner(l, suffix, type, attrs, acc, in.get(i));
        }
        return acc;
    }

    /** Average of n inputs: y = (x_1 + … + x_n) · (1/n), a chain of ADDs then a MUL by the constant 1/n. */
    static Tensor average(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        if (in.size() < 2) {
            throw l.error("expects at least 2 inputs but is connected to " + in.size());
        }
        OpAttributes.Add add = new OpAttributes.Add(Activation.NONE);
        Tensor acc = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            acc = e.inner(l, "add", OpType.ADD, add, acc, in.get(i));
        }
        Tensor scale = e.nonTrainableConstant(l, "reciprocal_count", Shape.of(1), new float[] {1f / in.size()});
        return e.last(l, OpType.MUL, new OpAttributes.Arithmetic(Activation.NONE), acc, scale);
    }

    /** Keras Subtract: y = a − b for exactly two inputs, one SUB. */
    static Tensor subtract(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        if (in.size() != 2) {
            throw l.error("expects exactly 2 inputs but is connected to " + in.size());
        }
        return e.last(l, OpType.SUB, new OpAttributes.Arithmetic(Activation.NONE), in.get(0), in.get(1));
    }
}
