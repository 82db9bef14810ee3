package dev.quanta.ir;

import java.util.Arrays;

/**
 * A tensor shape. A dimension of {@link #DYNAMIC} (-1) is unknown until run time; in practice only the batch
 * dimension (index 0) is dynamic. Immutable.
 */
public final class Shape {
    /** The value of an unknown dimension. */
    public static final int DYNAMIC = -1;

    /**
     * The most elements one tensor may hold anywhere in Quanta (2^28: 1 GiB of float32): the interpreter's
     * buffers, a kernel's scratch copies, a tensor an importer decodes.
     */
    public static final long MAX_ELEMENTS = 1L << 28;

    private final int[] dims;

    private Shape(int[] dims) {
        this.dims = dims;
    }

    /** A shape with the given dimensions ({@link #DYNAMIC} allowed). */
    public static Shape of(int... dims) {
        for (int d : dims) {
            if (d < DYNAMIC) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
        }
        return new Shape(dims.clone());
    }

    /** A shape with a dynamic batch dimension followed by {@code sampleDims}. */
    public static Shape batched(int... sampleDims) {
        int[] d = new int[sampleDims.length + 1];
        d[0] = DYNAMIC;
        System.arraycopy(sampleDims, 0, d, 1, sampleDims.length);
        return of(d);
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int i) {
        return dims[i < 0 ? dims.length + i : i];
    }

    /** A copy of the dimensions. */
    public int[] dims() {
        return dims.clone();
    }

    /** True when some dimension is {@link #DYNAMIC}. */
    public boolean isDynamic() {
        for (int d : dims) {
            if (d == DYNAMIC) {
                return true;
            }
        }
        return false;
    }

    /** This shape with dimension 0 replaced by {@code batch}. */
    public Shape withBatch(int batch) {
        if (dims.length == 0) {
            return this;
        }
        int[] d = dims.clone();
        d[0] = batch;
        return new Shape(d);
    }

    /** The dimensions after the batch dimension. */
    public int[] sampleDims() {
        return dims.length == 0 ? new int[0] : Arrays.copyOfRange(dims, 1, dims.length);
    }

    /** Product of all dimensions; fails when a dimension is dynamic. */
    public long elementCount() {
        long n = 1;
        for (int d : dims) {
            if (d == DYNAMIC) {
                throw new IllegalStateException("shape " + this + " has a dynamic dimension");
            }
            n *= d;
        }
        return n;
    }

    /** Product of the dimensions after the batch dimension. */
    public int sampleElementCount() {
        long n = 1;
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] == DYNAMIC) {
                throw new IllegalStateException("shape " + this + " has a dynamic non-batch dimension");
            }
            n *= dims[i];
        }
        return Math.toIntExact(n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape s && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    /** Keras style: {@code (None, 28, 28)}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(dims[i] == DYNAMIC ? "None" : Integer.toString(dims[i]));
        }
        if (dims.length == 1) {
            sb.append(',');
        }
        return sb.append(')').toString();
    }
}
