package dev.quanta.keras;

import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import java.util.List;

/**
 * What the layer translations ({@link CoreLayers}, {@link SpatialLayers}, {@link ActivationLayers},
 * {@link LstmLayer}) add to the model being built: ops with inferred output shapes and the layer as their origin
 * (a layer's last op and its output tensor take the layer's name, inner ones {@code <layer>/<suffix>}; the origin
 * records the layer's Keras parameter counts, see {@link LayerWeights#origin}), constants
 * named {@code <layer>/<weight>}, and the layers' weights from the file.
 *
 * @param builder the model being built
 * @param modelTrainable false when the whole model is frozen: then no constant is trainable
 * @param weights the layers' weights
 */
record LayerEmitter(ModelBuilder builder, boolean modelTrainable, LayerWeights weights) {

    /** The layer's last op: op and output tensor are named after the layer. */
    Tensor last(KerasLayer l, OpType type, OpAttributes attrs, Tensor... in) {
        return emit(l, type, l.name(), l.name(), attrs, in);
    }

    /** An inner op of a layer, named {@code <layer>/<suffix>} (made unique). */
    Tensor inner(KerasLayer l, String suffix, OpType type, OpAttributes attrs, Tensor... in) {
        String name = builder.unique(l.name() + "/" + suffix);
        return emit(l, type, name, name, attrs, in);
    }

    /** An op named {@code opName} whose output is named {@code outName}. */
    Tensor emit(KerasLayer l, OpType type, String opName, String outName, OpAttributes attrs, Tensor... in) {
        List<Tensor> inputs = List.of(in);
        Shape out;
        try {
            out = ShapeInference.infer(type, attrs, inputs);
        } catch (IllegalArgumentException | IllegalStateException | ArithmeticException e) {
            throw l.error(e.getMessage());
        }
        Tensor t = Tensor.activation(outName, out);
        builder.add(new Op(opName, type, inputs, List.of(t), attrs, weights.origin(l)));
        return t;
    }

    /** {@code base}, or when taken a free variant of it. */
    String unique(String base) {
        return builder.unique(base);
    }

    /** Constant {@code <layer>/<what>}, trainable unless the layer or the model is not. */
    Tensor constant(KerasLayer l, String what, Shape shape, float[] values) {
        String name = l.name() + "/" + what;
        boolean trainable = modelTrainable && l.bool("trainable", true);
        return trainable ? builder.constant(name, shape, values) : builder.nonTrainableConstant(name, shape, values);
    }

    /** Constant {@code <layer>/<what>} that is never trainable (a moving statistic). */
    Tensor nonTrainableConstant(KerasLayer l, String what, Shape shape, float[] values) {
        return builder.nonTrainableConstant(l.name() + "/" + what, shape, values);
    }

    /** The layer's weights; see {@link LayerWeights#fetch}. */
    List<KerasWeight> fetch(KerasLayer l, LayerWeights.Spec... specs) {
        return weights.fetch(l, specs);
    }
}
