package dev.quanta.runtime;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.kernels.Buffers;
import java.util.Arrays;

/** What a caller needs to know of an interpreter input or output: name, concrete shape, type, quantization. */
public record TensorInfo(String name, int[] shape, DType dtype, QuantParams quantParams) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    /** Number of elements. */
    public int numElements() {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** A zeroed array of this tensor's Java type and size, to pass to {@link Interpreter#run}. */
    public Object newArray() {
        return Buffers.allocate(dtype, numElements());
    }

    @Override
    public String toString() {
        return name + " " + dtype.lowerName() + Arrays.toString(shape);
    }
}
