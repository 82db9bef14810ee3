package dev.quanta.ir;

import java.util.List;
import java.util.Objects;

/**
 * One operation of the graph. Inputs and outputs are {@link Tensor}s (by identity); attributes are typed per
 * {@link OpType}; {@code origin} names the source layer for reports and errors.
 */
public record Op(
        String name, OpType type, List<Tensor> inputs, List<Tensor> outputs, OpAttributes attributes, Origin origin) {
    public Op {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        Objects.requireNonNull(attributes, "attributes");
        Objects.requireNonNull(origin, "origin");
    }

    /** An op of one input and one output without attributes, such as QUANTIZE and DEQUANTIZE. */
    public static Op unary(String name, OpType type, Tensor input, Tensor output, Origin origin) {
        return new Op(name, type, List.of(input), List.of(output), OpAttributes.None.INSTANCE, origin);
    }

    public Tensor input(int i) {
        return inputs.get(i);
    }

    public Tensor output(int i) {
        return outputs.get(i);
    }

    /** The attributes, cast to the record kind this op type takes. */
    public <A extends OpAttributes> A attrs(Class<A> kind) {
        return kind.cast(attributes);
    }

    /** {@code layer 'conv2d_1' (Conv2D)}: how errors and reports name the op. */
    public String describe() {
        return "layer '" + origin.layerName() + "' (" + origin.layerClass() + ")";
    }
}
