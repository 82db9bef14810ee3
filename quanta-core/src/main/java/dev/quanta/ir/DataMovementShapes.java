package dev.quanta.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Output shapes of the shape and data movement ops of issue 11 (SPLIT, SPLIT_V, UNPACK, PACK, GATHER, GATHER_ND),
 * for {@link ShapeInference}. A {@link Shape#DYNAMIC} dimension flows through where it is only copied; an op that
 * needs its size (a split along it) refuses it. Throws {@link IllegalArgumentException} with a one-line reason.
 */
public final class DataMovementShapes {
    private DataMovementShapes() {}

    /** True for the ops with one output per part: SPLIT, SPLIT_V and UNPACK. */
    public static boolean isMultiOutput(OpType type) {
        return type == OpType.SPLIT || type == OpType.SPLIT_V || type == OpType.UNPACK;
    }

    /** The output shape of a single-output op of this family. */
    public static Shape infer(OpType type, OpAttributes attrs, List<Tensor> inputs) {
        Shape x = inputs.get(0).shape();
        return switch (type) {
            case PACK -> pack(inputs, ((OpAttributes.Pack) attrs).axis());
            case GATHER -> gather(x, inputs.get(1).shape(), (OpAttributes.Gather) attrs);
            case GATHER_ND -> gatherNd(x, inputs.get(1).shape());
            default -> throw new IllegalStateException(type.name());
        };
    }

    /** The output shapes of SPLIT, SPLIT_V and UNPACK. */
    public static List<Shape> inferAll(OpType type, OpAttributes attrs, List<Tensor> inputs) {
        Shape x = inputs.get(0).shape();
        return switch (type) {
            case SPLIT -> {
                OpAttributes.Split a = (OpAttributes.Split) attrs;
                int axis = axis(a.axis(), x.rank(), x, type);
                int dim = fixedDim(x, axis, type);
                if (a.numSplits() < 1 || dim % a.numSplits() != 0) {
                    throw new IllegalArgumentException("SPLIT cannot cut axis " + a.axis() + " of " + x + " into "
                            + a.numSplits() + " equal parts");
                }
                int[] sizes = new int[a.numSplits()];
                Arrays.fill(sizes, dim / a.numSplits());
                yield parts(x, axis, sizes, false);
            }
            case SPLIT_V -> {
                OpAttributes.SplitV a = (OpAttributes.SplitV) attrs;
                int axis = axis(a.axis(), x.rank(), x, type);
                yield parts(x, axis, splitSizes(a.sizes(), fixedDim(x, axis, type), x), false);
            }
            case UNPACK -> {
                OpAttributes.Unpack a = (OpAttributes.Unpack) attrs;
                int axis = axis(a.axis(), x.rank(), x, type);
                int dim = fixedDim(x, axis, type);
                if (a.num() != dim) {
                    throw new IllegalArgumentException("UNPACK of " + dim + " slices along axis " + a.axis() + " of "
                            + x + " gives num " + a.num());
                }
                int[] sizes = new int[dim];
                Arrays.fill(sizes, 1);
                yield parts(x, axis, sizes, true);
            }
            default -> throw new IllegalStateException(type.name());
        };
    }

    /**
     * SPLIT_V's part sizes: {@code sizes} with its -1 entry (at most one) replaced by what the others leave of
     * {@code dim}; every size at least 0 and the sum {@code dim}.
     */
    public static int[] splitSizes(int[] sizes, int dim, Shape x) {
        int[] out = sizes.clone();
        int unknown = -1;
        long known = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == -1 && unknown < 0) {
                unknown = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException("SPLIT_V size_splits " + Arrays.toString(sizes) + " are not valid");
            } else {
                known += out[i];
            }
        }
        if (unknown >= 0 && known <= dim) {
            out[unknown] = (int) (dim - known);
        } else if (unknown >= 0 || known != dim) {
            throw new IllegalArgumentException("SPLIT_V size_splits " + Arrays.toString(sizes) + " do not add up to "
                    + dim + " (input " + x + ")");
        }
        return out;
    }

    /** The axis in [0, rank), from one that may count from the end. */
    private static int axis(int axis, int rank, Shape x, OpType type) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(type + " axis " + axis + " does not fit input " + x);
        }
        return a;
    }

    private static int fixedDim(Shape x, int axis, OpType type) {
        if (x.dim(axis) == Shape.DYNAMIC) {
            throw new IllegalArgumentException(type + " cannot cut the dynamic axis " + axis + " of " + x);
        }
        return x.dim(axis);
    }

    private static List<Shape> parts(Shape x, int axis, int[] sizes, boolean dropAxis) {
        List<Shape> out = new ArrayList<>(sizes.length);
        for (int size : sizes) {
            int[] d = x.dims();
            if (dropAxis) {
                int[] r = new int[d.length - 1];
                System.arraycopy(d, 0, r, 0, axis);
                System.arraycopy(d, axis + 1, r, axis, d.length - axis - 1);
                d = r;
            } else {
                d[axis] = size;
            }
            out.add(Shape.of(d));
        }
        return out;
    }

    private static Shape pack(List<Tensor> inputs, int axis) {
        Shape first = inputs.get(0).shape();
        int rank = first.rank() + 1;
        int a = axis(axis, rank, first, OpType.PACK);
        for (Tensor t : inputs) {
            if (!t.shape().equals(first)) {
                throw new IllegalArgumentException("PACK inputs " + first + " and " + t.shape() + " differ in shape");
            }
        }
        int[] d = new int[rank];
        for (int i = 0, k = 0; i < rank; i++) {
            d[i] = i == a ? inputs.size() : first.dim(k++);
        }
        return Shape.of(d);
    }

    private static Shape gather(Shape params, Shape indices, OpAttributes.Gather a) {
        int axis = axis(a.axis(), params.rank(), params, OpType.GATHER);
        int batchDims = a.batchDims() < 0 ? a.batchDims() + indices.rank() : a.batchDims();
        if (batchDims < 0 || batchDims > indices.rank() || batchDims > axis) {
            throw new IllegalArgumentException("GATHER batch_dims " + a.batchDims() + " does not fit params " + params
                    + ", indices " + indices + " and axis " + a.axis());
        }
        for (int i = 0; i < batchDims; i++) {
            if (params.dim(i) != indices.dim(i)) {
                throw new IllegalArgumentException(
                        "GATHER batch axis " + i + " of params " + params + " and indices " + indices + " differ");
            }
        }
        int[] d = new int[params.rank() - 1 + indices.rank() - batchDims];
        int k = 0;
        for (int i = 0; i < axis; i++) {
            d[k++] = params.dim(i);
        }
        for (int i = batchDims; i < indices.rank(); i++) {
            d[k++] = indices.dim(i);
        }
        for (int i = axis + 1; i < params.rank(); i++) {
            d[k++] = params.dim(i);
        }
        return Shape.of(d);
    }

    private static Shape gatherNd(Shape params, Shape indices) {
        if (indices.rank() < 1 || params.rank() < 1) {
            throw new IllegalArgumentException("GATHER_ND needs params and indices of rank 1 or more, got params "
                    + params + " and indices " + indices);
        }
        int depth = indices.dim(-1);
        if (depth == Shape.DYNAMIC || depth < 1 || depth > params.rank()) {
            throw new IllegalArgumentException(
                    "GATHER_ND index depth " + depth + " (indices " + indices + ") does not fit params " + params);
        }
        int[] d = new int[indices.rank() - 1 + params.rank() - depth];
        int k = 0;
        for (int i = 0; i < indices.rank() - 1; i++) {
            d[k++] = indices.dim(i);
        }
        for (int i = depth; i < params.rank(); i++) {
            d[k++] = params.dim(i);
        }
        return Shape.of(d);
    }
}
