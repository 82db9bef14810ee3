package dev.quanta.ir;

import dev.quanta.QuantaException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a {@link Model} op by op, inferring each output shape. Importers use it; errors name the source layer.
 */
public final class ModelBuilder {
    private final String name;
    private final List<Tensor> inputs = new ArrayList<>();
    private final List<Tensor> outputs = new ArrayList<>();
    private final List<Op> ops = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    public ModelBuilder(String name) {
        this.name = name;
    }

    /** Declares a float32 graph input. */
    public Tensor input(String tensorName, Shape shape) {
        return input(new Tensor(unique(tensorName), shape, DType.FLOAT32, null, null, false));
    }

    /** Declares a graph input. */
    public Tensor input(Tensor t) {
        inputs.add(t);
        return t;
    }

    /** A trainable float32 constant. */
    public Tensor constant(String tensorName, Shape shape, float[] values) {
        return new Tensor(unique(tensorName), shape, DType.FLOAT32, TensorData.ofFloats(values), null, true);
    }

    /** A float32 constant the source does not train (moving statistics). */
    public Tensor nonTrainableConstant(String tensorName, Shape shape, float[] values) {
        return new Tensor(unique(tensorName), shape, DType.FLOAT32, TensorData.ofFloats(values), null, false);
    }

    /**
     * Adds an op with one float32 output named {@code opName}, whose shape is inferred.
     *
     * @throws QuantaException naming the origin layer when the inputs do not fit the op
     */
    public Tensor add(OpType type, String opName, Origin origin, OpAttributes attrs, Tensor... opInputs) {
        List<Tensor> in = Arrays.asList(opInputs);
        Shape out;
        try {
            out = ShapeInference.infer(type, attrs, in);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new QuantaException(
                    "layer '" + origin.layerName() + "' (" + origin.layerClass() + "): " + e.getMessage());
        }
        Tensor output = Tensor.activation(unique(opName), out);
        ops.add(new Op(output.name(), type, in, List.of(output), attrs, origin));
        return output;
    }

    /** Adds a fully formed op (its outputs already made). */
    public Op add(Op op) {
        ops.add(op);
        return op;
    }

    /** Marks {@code t} as a graph output. */
    public ModelBuilder output(Tensor t) {
        outputs.add(t);
        return this;
    }

    /** A name not used yet: {@code base}, else {@code base_1}, {@code base_2}… */
    public String unique(String base) {
        String candidate = base;
        for (int i = 1; !names.add(candidate); i++) {
            candidate = base + "_" + i;
        }
        return candidate;
    }

    public Model build(ModelMetadata metadata) {
        return new Model(name, inputs, outputs, ops, metadata);
    }
}
