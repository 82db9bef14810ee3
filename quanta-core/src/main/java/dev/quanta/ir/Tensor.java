package dev.quanta.ir;

import java.util.Objects;

/**
 * A value in the graph: a name, a shape (batch may be {@link Shape#DYNAMIC}), an element type, constant data for
 * weights, and optional quantization parameters. Tensors are compared by identity.
 *
 * @param trainable for constants: whether the source framework trains it (Keras' moving mean and variance are
 *     not); ignored for activations
 */
public record Tensor(String name, Shape shape, DType dtype, TensorData data, QuantParams quant, boolean trainable) {
    public Tensor {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        if (data != null && !shape.isDynamic() && shape.elementCount() != data.elementCount()) {
            throw new IllegalArgumentException("tensor " + name + ": shape " + shape + " holds " + shape.elementCount()
                    + " elements but data has " + data.elementCount());
        }
    }

    /** A float32 activation (no data). */
    public static Tensor activation(String name, Shape shape) {
        return new Tensor(name, shape, DType.FLOAT32, null, null, false);
    }

    /** A trainable float32 constant. */
    public static Tensor constant(String name, Shape shape, float[] values) {
        return new Tensor(name, shape, DType.FLOAT32, TensorData.ofFloats(values), null, true);
    }

    /** A float32 constant the source framework does not train. */
    public static Tensor nonTrainableConstant(String name, Shape shape, float[] values) {
        return new Tensor(name, shape, DType.FLOAT32, TensorData.ofFloats(values), null, false);
    }

    public boolean isConstant() {
        return data != null;
    }

    /** This tensor with another shape (same name, type and data). */
    public Tensor withShape(Shape newShape) {
        return new Tensor(name, newShape, dtype, data, quant, trainable);
    }

    /** Identity semantics: two tensors are equal only when they are the same object. */
    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return name + dtype.lowerName() + shape;
    }
}
