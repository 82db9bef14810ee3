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
            case SLICE -> slice(x, (OpAttributes.Slice) attrs);
            case SQUEEZE -> squeeze(x, ((OpAttributes.Squeeze) attrs).axes());
            case EXPAND_DIMS -> expandDims(x, ((OpAttributes.ExpandDims) attrs).axis());
            case TILE -> tile(x, ((OpAttributes.Tile) attrs).multiples());
            case BROADCAST_TO -> broadcastTo(x, ((OpAttributes.BroadcastTo) attrs).shape());
            case DEPTH_TO_SPACE -> depthToSpace(x, ((OpAttributes.BlockSize) attrs).blockSize());
            case SPACE_TO_DEPTH -> spaceToDepth(x, ((OpAttributes.BlockSize) attrs).blockSize());
            case REVERSE_V2 -> {
                for (int axis : ((OpAttributes.Reverse) attrs).axes()) {
                    axis(axis, x.rank(), x, type);
                }
                yield x;
            }
            case MIRROR_PAD -> {
                OpAttributes.MirrorPad a = (OpAttributes.MirrorPad) attrs;
                yield pad(x, a.paddings(), a.symmetric() ? 0 : 1, type);
            }
            case PADV2 -> {
                if (inputs.size() > 1 && inputs.get(1).shape().elementCount() != 1) {
                    throw new IllegalArgumentException(
                            "PADV2 constant_values " + inputs.get(1).shape() + " must hold one value");
                }
                yield pad(x, ((OpAttributes.Pad) attrs).paddings(), -1, type);
            }
            case SPACE_TO_BATCH_ND -> spaceBatch(x, (OpAttributes.SpaceBatch) attrs, true);
            case BATCH_TO_SPACE_ND -> spaceBatch(x, (OpAttributes.SpaceBatch) attrs, false);
            case SHAPE -> Shape.of(x.rank());
            case FILL -> {
                for (int d : ((OpAttributes.Fill) attrs).dims()) {
                    if (d < 0) {
                        throw new IllegalArgumentException("FILL dims "
                                + Arrays.toString(((OpAttributes.Fill) attrs).dims()) + " must not be negative");
                    }
                }
                if (!x.isDynamic() && x.elementCount() != 1) {
                    throw new IllegalArgumentException("FILL value " + x + " must hold one value");
                }
                yield Shape.of(((OpAttributes.Fill) attrs).dims());
            }
            case ZEROS_LIKE -> x;
            case RANGE -> Shape.of(rangeLength(inputs));
            default -> throw new IllegalStateException(type.name());
        };
    }

    /**
     * RANGE's element count from its constant scalar inputs start, limit, delta (one type: int32, int64 or float32),
     * as TFLite's kernel computes it: delta ≠ 0 and of the sign of limit − start (or start = limit, no elements);
     * (|limit − start| + |delta| − 1) / |delta| for integers, ⌈|(limit − start) / delta|⌉ in float for floats.
     */
    public static int rangeLength(List<Tensor> inputs) {
        if (inputs.size() != 3) {
            throw new IllegalArgumentException("RANGE takes start, limit and delta, got " + inputs.size() + " inputs");
        }
        DType t = inputs.get(0).dtype();
        for (Tensor in : inputs) {
            if (in.dtype() != t || (t != DType.INT32 && t != DType.INT64 && t != DType.FLOAT32)) {
                throw new IllegalArgumentException(
                        "RANGE start, limit and delta must all be int32, int64 or float32, got "
                                + inputs.get(0).dtype() + ", " + inputs.get(1).dtype() + " and "
                                + inputs.get(2).dtype());
            }
            if (in.shape().rank() != 0) {
                throw new IllegalArgumentException("RANGE input " + in.name() + " " + in.shape() + " must be a scalar");
            }
            if (!in.isConstant()) {
                throw new IllegalArgumentException("RANGE input " + in.name()
                        + " is computed: Quanta needs constant start, limit and delta (its shapes are fixed at load)");
            }
        }
        if (t == DType.FLOAT32) {
            float start = inputs.get(0).data().floats()[0];
            float limit = inputs.get(1).data().floats()[0];
            float delta = inputs.get(2).data().floats()[0];
            checkRangeSigns(start > limit, start < limit, delta, delta == 0f, delta < 0f, start, limit);
            double n = Math.ceil(Math.abs((limit - start) / delta)); // float quotient, as std::ceil(float)
            if (!(n <= Integer.MAX_VALUE)) {
                throw new IllegalArgumentException(
                        "RANGE from " + start + " to " + limit + " by " + delta + " has too many elements");
            }
            return (int) n;
        }
        long start = integer(inputs.get(0));
        long limit = integer(inputs.get(1));
        long delta = integer(inputs.get(2));
        checkRangeSigns(start > limit, start < limit, delta, delta == 0, delta < 0, start, limit);
        long n = (Math.abs(limit - start) + Math.abs(delta) - 1) / Math.abs(delta);
        if (n > Integer.MAX_VALUE || n < 0) {
            throw new IllegalArgumentException(
                    "RANGE from " + start + " to " + limit + " by " + delta + " has too many elements");
        }
        return (int) n;
    }

    private static void checkRangeSigns(
            boolean down, boolean up, Object delta, boolean zero, boolean negative, Object start, Object limit) {
        if (zero || (down && !negative) || (up && negative)) {
            throw new IllegalArgumentException("RANGE from " + start + " to " + limit + " by " + delta
                    + ": delta must be non-zero and point from start to limit");
        }
    }

    /** The value of a constant int32 or int64 scalar. */
    private static long integer(Tensor t) {
        return t.dtype() == DType.INT32
                ? t.data().ints()[0]
                : ((long[]) t.data().toArray())[0];
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

    private static int[] fixed(Shape x, OpType type) {
        if (x.isDynamic()) {
            throw new IllegalArgumentException(type + " needs the input's dimensions, but " + x + " has a dynamic one");
        }
        return x.dims();
    }

    private static Shape slice(Shape x, OpAttributes.Slice a) {
        if (a.begin().length != x.rank() || a.size().length != x.rank()) {
            throw new IllegalArgumentException("SLICE begin " + Arrays.toString(a.begin()) + " and size "
                    + Arrays.toString(a.size()) + " do not fit input " + x);
        }
        int[] d = new int[x.rank()];
        for (int i = 0; i < d.length; i++) {
            int b = a.begin()[i];
            int s = a.size()[i];
            if (x.dim(i) == Shape.DYNAMIC) {
                if (b != 0 || s != -1) {
                    throw new IllegalArgumentException("SLICE cannot cut the dynamic axis " + i + " of " + x);
                }
                d[i] = Shape.DYNAMIC;
                continue;
            }
            int size = s == -1 ? x.dim(i) - b : s;
            if (b < 0 || size < 0 || (long) b + size > x.dim(i)) {
                throw new IllegalArgumentException(
                        "SLICE begin " + b + " size " + s + " is outside axis " + i + " of " + x);
            }
            d[i] = size;
        }
        return Shape.of(d);
    }

    private static Shape squeeze(Shape x, int[] axes) {
        boolean[] drop = new boolean[x.rank()];
        if (axes.length == 0) {
            for (int i = 0; i < drop.length; i++) {
                drop[i] = x.dim(i) == 1;
            }
        }
        for (int axis : axes) {
            int a = axis(axis, x.rank(), x, OpType.SQUEEZE);
            if (x.dim(a) != 1) {
                throw new IllegalArgumentException("SQUEEZE axis " + axis + " of " + x + " is not of size 1");
            }
            drop[a] = true;
        }
        int[] d = new int[x.rank()];
        int k = 0;
        for (int i = 0; i < drop.length; i++) {
            if (!drop[i]) {
                d[k++] = x.dim(i);
            }
        }
        return Shape.of(Arrays.copyOf(d, k));
    }

    private static Shape expandDims(Shape x, int axis) {
        int a = axis(axis, x.rank() + 1, x, OpType.EXPAND_DIMS);
        int[] d = new int[x.rank() + 1];
        for (int i = 0, k = 0; i < d.length; i++) {
            d[i] = i == a ? 1 : x.dim(k++);
        }
        return Shape.of(d);
    }

    private static Shape tile(Shape x, int[] multiples) {
        if (multiples.length != x.rank()) {
            throw new IllegalArgumentException("TILE multiples " + Arrays.toString(multiples) + " do not fit " + x);
        }
        int[] d = x.dims();
        for (int i = 0; i < d.length; i++) {
            if (multiples[i] < 0 || d[i] == Shape.DYNAMIC && multiples[i] != 1) {
                throw new IllegalArgumentException("TILE multiples " + Arrays.toString(multiples) + " do not fit " + x);
            }
            d[i] = d[i] == Shape.DYNAMIC ? d[i] : Math.multiplyExact(d[i], multiples[i]);
        }
        return Shape.of(d);
    }

    /** BROADCAST_TO; a target entry of -1 keeps the input's dimension there (a dynamic batch). */
    private static Shape broadcastTo(Shape x, int[] shape) {
        if (shape.length < x.rank()) {
            throw new IllegalArgumentException("BROADCAST_TO " + Arrays.toString(shape) + " has fewer axes than " + x);
        }
        int[] d = shape.clone();
        for (int i = 0; i < shape.length; i++) {
            int xi = i - (shape.length - x.rank());
            int xd = xi >= 0 ? x.dim(xi) : 1;
            if (shape[i] == -1 && xi >= 0) {
                d[i] = xd; // the input's own (batch) dimension, dynamic or not
            } else if (shape[i] < 0 || xd != 1 && xd != shape[i]) {
                throw new IllegalArgumentException("cannot broadcast " + x + " to " + Arrays.toString(shape));
            }
        }
        return Shape.of(d);
    }

    private static Shape depthToSpace(Shape x, int b) {
        if (x.rank() != 4 || b < 1 || x.dim(3) % (b * b) != 0 || x.dim(1) < 0 || x.dim(2) < 0) {
            throw new IllegalArgumentException("DEPTH_TO_SPACE with block " + b + " does not fit input " + x);
        }
        return Shape.of(x.dim(0), x.dim(1) * b, x.dim(2) * b, x.dim(3) / (b * b));
    }

    private static Shape spaceToDepth(Shape x, int b) {
        if (x.rank() != 4 || b < 1 || x.dim(1) % b != 0 || x.dim(2) % b != 0 || x.dim(1) < 0 || x.dim(2) < 0) {
            throw new IllegalArgumentException("SPACE_TO_DEPTH with block " + b + " does not fit input " + x);
        }
        return Shape.of(x.dim(0), x.dim(1) / b, x.dim(2) / b, x.dim(3) * b * b);
    }

    /**
     * PADV2 and MIRROR_PAD: each axis grows by its before and after amounts, at most {@code dim − edge} each for
     * a mirror pad (edge 1 for REFLECT, 0 for SYMMETRIC), any for a constant pad ({@code edge} −1).
     */
    private static Shape pad(Shape x, int[][] paddings, int edge, OpType type) {
        if (paddings.length != x.rank()) {
            throw new IllegalArgumentException(type + " paddings for " + paddings.length + " axes do not fit " + x);
        }
        int[] d = x.dims();
        for (int i = 0; i < d.length; i++) {
            int before = paddings[i][0];
            int after = paddings[i][1];
            if (before < 0 || after < 0) {
                throw new IllegalArgumentException(
                        type + " padding " + before + ", " + after + " of axis " + i + " is negative");
            }
            if (d[i] == Shape.DYNAMIC) {
                if (before != 0 || after != 0) {
                    throw new IllegalArgumentException(type + " cannot pad the dynamic axis " + i + " of " + x);
                }
                continue;
            }
            if (edge >= 0 && (before > d[i] - edge || after > d[i] - edge)) {
                throw new IllegalArgumentException(type + " padding " + before + ", " + after + " of axis " + i
                        + " is more than " + (d[i] - edge) + " for " + x);
            }
            d[i] += before + after;
        }
        return Shape.of(d);
    }

    private static Shape spaceBatch(Shape x, OpAttributes.SpaceBatch a, boolean toBatch) {
        OpType type = toBatch ? OpType.SPACE_TO_BATCH_ND : OpType.BATCH_TO_SPACE_ND;
        int[] xs = x.dims();
        if (Shape.of(x.sampleDims()).isDynamic()) {
            fixed(x, type);
        }
        int m = a.blockShape().length;
        if (m < 1 || xs.length < m + 1 || a.amounts().length != m) {
            throw new IllegalArgumentException(
                    type + " block shape " + Arrays.toString(a.blockShape()) + " does not fit input " + x);
        }
        int[] d = xs.clone();
        long blocks = 1;
        for (int i = 0; i < m; i++) {
            int b = a.blockShape()[i];
            int before = a.amounts()[i][0];
            int after = a.amounts()[i][1];
            if (b < 1 || before < 0 || after < 0) {
                throw new IllegalArgumentException(type + " block " + b + " or amounts " + before + ", " + after
                        + " of spatial axis " + i + " are not valid");
            }
            blocks *= b;
            if (toBatch) {
                long padded = (long) xs[i + 1] + before + after;
                if (padded % b != 0) {
                    throw new IllegalArgumentException("SPACE_TO_BATCH_ND: axis " + (i + 1) + " of " + x + " padded to "
                            + padded + " is not a multiple of the block " + b);
                }
                d[i + 1] = (int) (padded / b);
            } else {
                long cropped = (long) xs[i + 1] * b - before - after;
                if (cropped < 0) {
                    throw new IllegalArgumentException("BATCH_TO_SPACE_ND crops " + before + ", " + after
                            + " are more than axis " + (i + 1) + " of " + x + " times the block " + b);
                }
                d[i + 1] = (int) cropped;
            }
        }
        if (xs[0] == Shape.DYNAMIC) {
            if (blocks != 1) {
                throw new IllegalArgumentException(type + " needs the batch of " + x + " to move blocks into it");
            }
        } else if (toBatch) {
            d[0] = Math.toIntExact(xs[0] * blocks);
        } else if (xs[0] % blocks != 0) {
            throw new IllegalArgumentException(
                    "BATCH_TO_SPACE_ND batch " + xs[0] + " is not a multiple of the " + blocks + " blocks");
        } else {
            d[0] = (int) (xs[0] / blocks);
        }
        return Shape.of(d);
    }
}
