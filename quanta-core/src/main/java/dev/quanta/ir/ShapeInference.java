package dev.quanta.ir;

import java.util.Arrays;
import java.util.List;

/**
 * Output shapes of each {@link OpType} from its input shapes. A {@link Shape#DYNAMIC} batch flows through.
 * Throws {@link IllegalArgumentException} with a one-line reason when the inputs do not fit the op.
 */
public final class ShapeInference {
    private ShapeInference() {}

    /** The output shape of {@code type} applied to {@code inputs} (constants included) with {@code attrs}. */
    public static Shape infer(OpType type, OpAttributes attrs, List<Tensor> inputs) {
        Shape x = inputs.get(0).shape();
        return switch (type) {
            case FULLY_CONNECTED -> fullyConnected(x, inputs.get(1).shape(), inputs.size() > 2 ? inputs.get(2) : null);
            case CONV_2D -> conv2d(x, inputs.get(1).shape(), (OpAttributes.Conv2D) attrs);
            case DEPTHWISE_CONV_2D -> depthwise(x, inputs.get(1).shape(), (OpAttributes.DepthwiseConv2D) attrs);
            case MAX_POOL_2D, AVERAGE_POOL_2D -> pool(x, (OpAttributes.Pool2D) attrs);
            case MEAN -> mean(x, (OpAttributes.Mean) attrs);
            case RESHAPE -> reshape(x, ((OpAttributes.Reshape) attrs).newShape());
            case BATCH_NORM -> batchNorm(x, inputs, (OpAttributes.BatchNorm) attrs);
            case RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, IDENTITY, QUANTIZE, DEQUANTIZE -> x;
            case ADD -> broadcast(x, inputs.get(1).shape());
            case CONCATENATION -> concat(inputs, ((OpAttributes.Concatenation) attrs).axis());
            case PAD -> pad(x, ((OpAttributes.Pad) attrs).paddings());
            case TRANSPOSE -> transpose(x, ((OpAttributes.Transpose) attrs).perm());
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> lstm(x, inputs, (OpAttributes.Lstm) attrs);
        };
    }

    private static void requireRank(Shape s, int rank, String what) {
        if (s.rank() != rank) {
            throw new IllegalArgumentException(what + " must have rank " + rank + " but has shape " + s);
        }
    }

    private static Shape fullyConnected(Shape x, Shape w, Tensor bias) {
        requireRank(w, 2, "weights");
        if (x.rank() < 1 || x.dim(-1) != w.dim(1)) {
            throw new IllegalArgumentException("input " + x + " has " + (x.rank() == 0 ? 0 : x.dim(-1))
                    + " features but the weights expect " + w.dim(1));
        }
        if (bias != null && bias.shape().elementCount() != w.dim(0)) {
            throw new IllegalArgumentException("bias has " + bias.shape().elementCount()
                    + " elements but the layer has " + w.dim(0) + " units");
        }
        int[] d = x.dims();
        d[d.length - 1] = w.dim(0);
        return Shape.of(d);
    }

    private static Shape conv2d(Shape x, Shape w, OpAttributes.Conv2D a) {
        requireRank(x, 4, "input");
        requireRank(w, 4, "weights");
        if (x.dim(3) != w.dim(3)) {
            throw new IllegalArgumentException("input " + x + " has " + x.dim(3)
                    + " channels but the kernel expects " + w.dim(3));
        }
        int oh = a.padding().outputSize(x.dim(1), w.dim(1), a.strideH(), a.dilationH());
        int ow = a.padding().outputSize(x.dim(2), w.dim(2), a.strideW(), a.dilationW());
        return checkedSpatial(x.dim(0), oh, ow, w.dim(0), x);
    }

    private static Shape depthwise(Shape x, Shape w, OpAttributes.DepthwiseConv2D a) {
        requireRank(x, 4, "input");
        requireRank(w, 4, "weights");
        if ((long) x.dim(3) * a.depthMultiplier() != w.dim(3)) {
            throw new IllegalArgumentException("input " + x + " with depth multiplier " + a.depthMultiplier()
                    + " needs " + (long) x.dim(3) * a.depthMultiplier() + " kernel channels but has " + w.dim(3));
        }
        int oh = a.padding().outputSize(x.dim(1), w.dim(1), a.strideH(), a.dilationH());
        int ow = a.padding().outputSize(x.dim(2), w.dim(2), a.strideW(), a.dilationW());
        return checkedSpatial(x.dim(0), oh, ow, w.dim(3), x);
    }

    private static Shape pool(Shape x, OpAttributes.Pool2D a) {
        requireRank(x, 4, "input");
        int oh = a.padding().outputSize(x.dim(1), a.filterH(), a.strideH(), 1);
        int ow = a.padding().outputSize(x.dim(2), a.filterW(), a.strideW(), 1);
        return checkedSpatial(x.dim(0), oh, ow, x.dim(3), x);
    }

    private static Shape checkedSpatial(int n, int oh, int ow, int c, Shape x) {
        if (oh <= 0 || ow <= 0) {
            throw new IllegalArgumentException("input " + x + " is too small for the kernel: output would be "
                    + oh + "x" + ow);
        }
        return Shape.of(n, oh, ow, c);
    }

    private static Shape mean(Shape x, OpAttributes.Mean a) {
        int rank = x.rank();
        boolean[] reduced = new boolean[rank];
        for (int axis : a.axes()) {
            int ax = axis < 0 ? axis + rank : axis;
            if (ax <= 0 || ax >= rank) {
                throw new IllegalArgumentException("cannot reduce axis " + axis + " of " + x);
            }
            reduced[ax] = true;
        }
        int[] d = x.dims();
        int[] out = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            if (!reduced[i]) {
                out[k++] = d[i];
            } else if (a.keepDims()) {
                out[k++] = 1;
            }
        }
        return Shape.of(Arrays.copyOf(out, k));
    }

    /**
     * RESHAPE. With a dynamic batch the target's first entry must be -1 (the batch); one more -1 elsewhere is
     * inferred from the per-sample element count.
     */
    private static Shape reshape(Shape x, int[] target) {
        int[] out = target.clone();
        boolean dynamic = x.isDynamic();
        if (dynamic && (target.length == 0 || target[0] != -1)) {
            throw new IllegalArgumentException("reshape target " + Arrays.toString(target)
                    + " must keep the dynamic batch of " + x + " as its first dimension");
        }
        long total = dynamic ? x.sampleElementCount() : x.elementCount();
        int first = dynamic ? 1 : 0;
        int unknown = -1;
        long known = 1;
        for (int i = first; i < target.length; i++) {
            if (target[i] == -1) {
                if (unknown >= 0) {
                    throw new IllegalArgumentException("reshape target " + Arrays.toString(target)
                            + " has more than one unknown dimension");
                }
                unknown = i;
            } else {
                known *= target[i];
            }
        }
        if (unknown >= 0) {
            if (known == 0 || total % known != 0) {
                throw new IllegalArgumentException("cannot reshape " + x + " to " + Arrays.toString(target));
            }
            out[unknown] = Math.toIntExact(total / known);
        } else if (known != total) {
            throw new IllegalArgumentException("cannot reshape " + x + " (" + total + " elements"
                    + (dynamic ? " per sample" : "") + ") to " + Arrays.toString(target));
        }
        return Shape.of(out);
    }

    private static Shape batchNorm(Shape x, List<Tensor> inputs, OpAttributes.BatchNorm a) {
        int axis = a.axis() < 0 ? a.axis() + x.rank() : a.axis();
        if (axis <= 0 || axis >= x.rank()) {
            throw new IllegalArgumentException("batch normalization axis " + a.axis() + " does not fit input " + x);
        }
        int channels = x.dim(axis);
        for (int i = 1; i < inputs.size(); i++) {
            long n = inputs.get(i).shape().elementCount();
            if (n != channels) {
                throw new IllegalArgumentException("parameter " + inputs.get(i).name() + " has " + n
                        + " elements but the input has " + channels + " channels");
            }
        }
        return x;
    }

    /** NumPy broadcasting; a dynamic dimension matches any size. */
    public static Shape broadcast(Shape a, Shape b) {
        int rank = Math.max(a.rank(), b.rank());
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.rank() ? 1 : a.dim(i - (rank - a.rank()));
            int db = i < rank - b.rank() ? 1 : b.dim(i - (rank - b.rank()));
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else if (da == Shape.DYNAMIC || db == Shape.DYNAMIC) {
                out[i] = Shape.DYNAMIC;
            } else {
                throw new IllegalArgumentException("shapes " + a + " and " + b + " do not broadcast");
            }
        }
        return Shape.of(out);
    }

    private static Shape concat(List<Tensor> inputs, int axis) {
        Shape first = inputs.get(0).shape();
        int ax = axis < 0 ? axis + first.rank() : axis;
        if (ax <= 0 || ax >= first.rank()) {
            throw new IllegalArgumentException("concatenation axis " + axis + " does not fit " + first);
        }
        int[] out = first.dims();
        for (int k = 1; k < inputs.size(); k++) {
            Shape s = inputs.get(k).shape();
            if (s.rank() != first.rank()) {
                throw new IllegalArgumentException("cannot concatenate " + first + " and " + s);
            }
            for (int i = 1; i < s.rank(); i++) {
                if (i != ax && s.dim(i) != first.dim(i)) {
                    throw new IllegalArgumentException("cannot concatenate " + first + " and " + s
                            + " along axis " + axis);
                }
            }
            out[ax] += s.dim(ax);
        }
        return Shape.of(out);
    }

    private static Shape transpose(Shape x, int[] perm) {
        if (perm.length != x.rank()) {
            throw new IllegalArgumentException("permutation " + java.util.Arrays.toString(perm) + " does not fit " + x);
        }
        boolean[] seen = new boolean[perm.length];
        int[] d = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            int p = perm[i] < 0 ? perm[i] + perm.length : perm[i];
            if (p < 0 || p >= perm.length || seen[p]) {
                throw new IllegalArgumentException("permutation " + java.util.Arrays.toString(perm) + " is not valid");
            }
            seen[p] = true;
            d[i] = x.dim(p);
        }
        return Shape.of(d);
    }

    /**
     * LSTM output: [batch, time, units] (or [time, batch, units] when time-major), units = the output size of the
     * recurrent-to-output weights' first dimension (or of the projection weights when present).
     */
    private static Shape lstm(Shape x, List<Tensor> inputs, OpAttributes.Lstm a) {
        requireRank(x, 3, "LSTM input");
        // the recurrent-to-output weights [cells, output] give the output size: the 9th TFLite input
        int units = -1;
        boolean[] present = a.presentInputs();
        int k = 0;
        for (int i = 0; i < present.length && k < inputs.size(); i++) {
            if (!present[i]) {
                continue;
            }
            if (i == 8) {
                units = inputs.get(k).shape().dim(1);
            }
            if (i == 16) {
                units = inputs.get(k).shape().dim(0);
            }
            k++;
        }
        if (units < 0) {
            throw new IllegalArgumentException("LSTM has no recurrent-to-output weights");
        }
        return Shape.of(x.dim(0), x.dim(1), units);
    }

    private static Shape pad(Shape x, int[][] paddings) {
        if (paddings.length != x.rank()) {
            throw new IllegalArgumentException("paddings for " + paddings.length + " axes do not fit input " + x);
        }
        int[] d = x.dims();
        for (int i = 0; i < d.length; i++) {
            if (d[i] != Shape.DYNAMIC) {
                d[i] += paddings[i][0] + paddings[i][1];
            } else if (paddings[i][0] != 0 || paddings[i][1] != 0) {
                throw new IllegalArgumentException("cannot pad the dynamic batch axis");
            }
        }
        return Shape.of(d);
    }
}
