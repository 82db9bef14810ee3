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
            case CAST -> x;
            case STRIDED_SLICE ->
                stridedSlice(x, (OpAttributes.StridedSlice) attrs).shape();
            case MUL, DIV, MINIMUM, MAXIMUM -> broadcast(x, inputs.get(1).shape());

            // -- elementwise and activations (issue 11) --
            case SUB,
                    SQUARED_DIFFERENCE,
                    FLOOR_DIV,
                    FLOOR_MOD,
                    POW,
                    LESS,
                    LESS_EQUAL,
                    GREATER,
                    GREATER_EQUAL,
                    EQUAL,
                    NOT_EQUAL,
                    LOGICAL_AND,
                    LOGICAL_OR -> broadcast(x, inputs.get(1).shape());
            case SQRT, RSQRT, ABS, NEG, EXP, LOG, FLOOR, CEIL, ROUND, LOGICAL_NOT -> x;
            case SELECT ->
                ElementwiseShapes.select(x, inputs.get(1).shape(), inputs.get(2).shape());
            case SELECT_V2 ->
                broadcast(broadcast(x, inputs.get(1).shape()), inputs.get(2).shape());

            // -- activations (issue 11) --
            case HARD_SWISH, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1, LOG_SOFTMAX -> x;
            case PRELU -> broadcast(x, inputs.get(1).shape());

            // -- shape and data movement (issue 11) --
            case SPLIT, SPLIT_V, UNPACK ->
                DataMovementShapes.inferAll(type, attrs, inputs).get(0);
            case PACK,
                    GATHER,
                    GATHER_ND,
                    SLICE,
                    SQUEEZE,
                    EXPAND_DIMS,
                    TILE,
                    BROADCAST_TO,
                    DEPTH_TO_SPACE,
                    SPACE_TO_DEPTH,
                    REVERSE_V2,
                    MIRROR_PAD,
                    PADV2,
                    SPACE_TO_BATCH_ND,
                    BATCH_TO_SPACE_ND,
                    SHAPE,
                    FILL,
                    ZEROS_LIKE,
                    RANGE -> DataMovementShapes.infer(type, attrs, inputs);

            // -- resampling and reductions (issue 11) --
            case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR ->
                ResampleReduceShapes.resize(x, (OpAttributes.Resize) attrs, type == OpType.RESIZE_BILINEAR);
            case ARG_MAX, ARG_MIN -> ResampleReduceShapes.argMinMax(x, (OpAttributes.ArgMinMax) attrs);
            case SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD ->
                ResampleReduceShapes.reduce(x, (OpAttributes.Reduce) attrs);
            case L2_NORMALIZATION -> ResampleReduceShapes.l2Normalization(x);

            // -- linear (issue 11) --
            case TRANSPOSE_CONV -> LinearShapes.transposeConv(x, inputs, (OpAttributes.TransposeConv) attrs);
            case BATCH_MATMUL -> LinearShapes.batchMatMul(x, inputs.get(1).shape(), (OpAttributes.BatchMatMul) attrs);

            // -- sequence (issue 11) --
            case UNIDIRECTIONAL_SEQUENCE_RNN -> sequenceRnn(x, inputs);
            case BIDIRECTIONAL_SEQUENCE_LSTM ->
                bidirectionalLstm(x, inputs, (OpAttributes.BidirectionalLstm) attrs)
                        .get(0);

            // -- detection (issue 11) --
            case DETECTION_POSTPROCESS -> inferAll(type, attrs, inputs).get(0);
            default -> inferAll(type, attrs, inputs).get(0);
        };
    }

    /**
     * The shapes of every output of {@code type}; one for all ops but SIGNAL_FFT_AUTO_SCALE (the scaled signal and
     * the scalar shift), SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION (the signal and the noise estimate),
     * DETECTION_POSTPROCESS (boxes, classes, scores and count, see {@link DetectionShapes}) and SPLIT, SPLIT_V and
     * UNPACK (one per part).
     */
    public static List<Shape> inferAll(OpType type, OpAttributes attrs, List<Tensor> inputs) {
        if (type == OpType.DETECTION_POSTPROCESS) {
            return DetectionShapes.infer((OpAttributes.DetectionPostProcess) attrs, inputs);
        }
        if (DataMovementShapes.isMultiOutput(type)) {
            return DataMovementShapes.inferAll(type, attrs, inputs);
        }
        if (type == OpType.BIDIRECTIONAL_SEQUENCE_LSTM) {
            return bidirectionalLstm(inputs.get(0).shape(), inputs, (OpAttributes.BidirectionalLstm) attrs);
        }
        if (!type.isSignal()) {
            return List.of(infer(type, attrs, inputs));
        }
        Shape x = inputs.get(0).shape();
        return switch (type) {
            case SIGNAL_WINDOW -> {
                Shape w = inputs.get(1).shape();
                requireRank(w, 1, "window");
                if (x.rank() < 1 || w.dim(0) < 1 || x.dim(-1) % w.dim(0) != 0) {
                    throw new IllegalArgumentException(
                            "input " + x + " is not a whole number of windows of " + w.dim(0));
                }
                yield List.of(x);
            }
            case SIGNAL_FFT_AUTO_SCALE -> {
                requireRank(x, 1, "input");
                yield List.of(x, Shape.of());
            }
            case SIGNAL_RFFT -> {
                int n = ((OpAttributes.SignalRfft) attrs).fftLength();
                if (x.rank() < 1 || x.dim(-1) > n) {
                    throw new IllegalArgumentException("input " + x + " is longer than the FFT length " + n);
                }
                int[] d = x.dims();
                d[d.length - 1] = n + 2;
                yield List.of(Shape.of(d));
            }
            case SIGNAL_ENERGY -> {
                requireRank(x, 1, "spectrum");
                OpAttributes.SignalEnergy a = (OpAttributes.SignalEnergy) attrs;
                int bins = x.dim(0) / 2;
                if (x.dim(0) % 2 != 0 || a.startIndex() < 0 || a.endIndex() > bins || a.startIndex() > a.endIndex()) {
                    throw new IllegalArgumentException("bins [" + a.startIndex() + ", " + a.endIndex()
                            + ") do not fit a spectrum of " + x.dim(0) + " values");
                }
                yield List.of(Shape.of(bins));
            }
            case SIGNAL_FILTER_BANK -> {
                requireRank(x, 1, "input");
                yield List.of(Shape.of(((OpAttributes.SignalFilterBank) attrs).numChannels()));
            }
            case SIGNAL_FILTER_BANK_SQUARE_ROOT, SIGNAL_FILTER_BANK_LOG, SIGNAL_PCAN -> {
                requireRank(x, 1, "input");
                yield List.of(x);
            }
            case SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION -> {
                requireRank(x, 1, "input");
                int channels = ((OpAttributes.SignalSpectralSubtraction) attrs).numChannels();
                if (x.dim(0) != channels) {
                    throw new IllegalArgumentException("input " + x + " does not have the " + channels + " channels");
                }
                yield List.of(x, x);
            }
            default -> throw new IllegalStateException(type.name());
        };
    }

    /** The slice of each axis: start, stride and count, and the output shape (shrunk axes dropped). */
    public record SliceGeometry(int[] start, int[] stride, int[] count, Shape shape) {}

    /**
     * TFLite's STRIDED_SLICE geometry: negative begin/end count from the end, then clamp to [0, dim] (or [-1,
     * dim − 1] for negative strides); masked begin/end take the full range; a shrunk axis keeps one element.
     */
    public static SliceGeometry stridedSlice(Shape x, OpAttributes.StridedSlice a) {
        int rank = x.rank();
        if (a.begin().length != rank || a.end().length != rank || a.strides().length != rank) {
            throw new IllegalArgumentException("begin/end/strides of lengths " + a.begin().length + "/" + a.end().length
                    + "/" + a.strides().length + " do not fit input " + x);
        }
        int[] start = new int[rank];
        int[] stride = new int[rank];
        int[] count = new int[rank];
        int[] out = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) {
            int dim = x.dim(i);
            int st = a.strides()[i];
            if (dim == Shape.DYNAMIC) {
                // a dynamic axis (the batch) can only be taken whole
                if ((a.beginMask() >> i & 1) == 0
                        || (a.endMask() >> i & 1) == 0
                        || st != 1
                        || (a.shrinkAxisMask() >> i & 1) != 0) {
                    throw new IllegalArgumentException("cannot slice the dynamic axis " + i + " of " + x);
                }
                start[i] = 0;
                stride[i] = 1;
                count[i] = Shape.DYNAMIC;
                out[k++] = Shape.DYNAMIC;
                continue;
            }
            if (st == 0) {
                throw new IllegalArgumentException("stride of axis " + i + " is 0");
            }
            boolean shrink = (a.shrinkAxisMask() >> i & 1) != 0;
            long b = a.begin()[i];
            long e = a.offset() ? b + a.end()[i] : a.end()[i];
            if (shrink) {
                b = b < 0 ? b + dim : b;
                if (b < 0 || b >= dim) {
                    throw new IllegalArgumentException(
                            "index " + a.begin()[i] + " of shrunk axis " + i + " is out of range for " + x);
                }
                start[i] = (int) b;
                stride[i] = 1;
                count[i] = 1;
                continue;
            }
            long lo = st > 0 ? 0 : -1;
            long hi = st > 0 ? dim : dim - 1;
            if ((a.beginMask() >> i & 1) != 0) {
                b = st > 0 ? lo : hi;
            } else {
                b = Math.max(lo, Math.min(hi, b < 0 ? b + dim : b));
            }
            if ((a.endMask() >> i & 1) != 0) {
                e = st > 0 ? hi : lo;
            } else {
                e = Math.max(lo, Math.min(hi, e < 0 ? e + dim : e));
            }
            long n = st > 0 ? (e - b + st - 1) / st : (b - e - st - 1) / -st;
            start[i] = (int) b;
            stride[i] = st;
            count[i] = (int) Math.max(0, n);
            out[k++] = count[i];
        }
        return new SliceGeometry(start, stride, count, Shape.of(Arrays.copyOf(out, k)));
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
            throw new IllegalArgumentException(
                    "bias has " + bias.shape().elementCount() + " elements but the layer has " + w.dim(0) + " units");
        }
        int[] d = x.dims();
        d[d.length - 1] = w.dim(0);
        return Shape.of(d);
    }

    private static Shape conv2d(Shape x, Shape w, OpAttributes.Conv2D a) {
        requireRank(x, 4, "input");
        requireRank(w, 4, "weights");
        if (x.dim(3) != w.dim(3)) {
            throw new IllegalArgumentException(
                    "input " + x + " has " + x.dim(3) + " channels but the kernel expects " + w.dim(3));
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
            throw new IllegalArgumentException(
                    "input " + x + " is too small for the kernel: output would be " + oh + "x" + ow);
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
                    throw new IllegalArgumentException(
                            "reshape target " + Arrays.toString(target) + " has more than one unknown dimension");
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
        if (ax < 0 || ax >= first.rank() || (ax == 0 && first.isDynamic())) {
            throw new IllegalArgumentException("concatenation axis " + axis + " does not fit " + first);
        }
        int[] out = first.dims();
        for (int k = 1; k < inputs.size(); k++) {
            Shape s = inputs.get(k).shape();
            if (s.rank() != first.rank() || (ax == 0 && s.isDynamic())) {
                throw new IllegalArgumentException("cannot concatenate " + first + " and " + s);
            }
            for (int i = 0; i < s.rank(); i++) {
                boolean batch = i == 0 && (s.dim(0) == Shape.DYNAMIC || first.dim(0) == Shape.DYNAMIC);
                if (i != ax && !batch && s.dim(i) != first.dim(i)) {
                    throw new IllegalArgumentException(
                            "cannot concatenate " + first + " and " + s + " along axis " + axis);
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

    /** RNN output: the input's [batch, time] (or [time, batch]) and units = the input weights' first dimension. */
    private static Shape sequenceRnn(Shape x, List<Tensor> inputs) {
        requireRank(x, 3, "RNN input");
        return Shape.of(x.dim(0), x.dim(1), inputs.get(1).shape().dim(0));
    }

    /**
     * Bidirectional LSTM outputs: [d0, d1, fw + bw] merged, else [d0, d1, fw] and [d0, d1, bw]; each direction's
     * size is its recurrent-to-output weights' second dimension, or its projection weights' first.
     */
    private static List<Shape> bidirectionalLstm(Shape x, List<Tensor> inputs, OpAttributes.BidirectionalLstm a) {
        requireRank(x, 3, "bidirectional LSTM input");
        int[] units = new int[2];
        for (int d = 0; d < 2; d++) {
            int off = 17 * d;
            int proj = a.position(16 + off);
            int rec = a.position(8 + off);
            if (rec < 0) {
                throw new IllegalArgumentException("bidirectional LSTM has no recurrent-to-output weights");
            }
            units[d] = proj >= 0
                    ? inputs.get(proj).shape().dim(0)
                    : inputs.get(rec).shape().dim(1);
        }
        if (a.mergeOutputs()) {
            return List.of(Shape.of(x.dim(0), x.dim(1), units[0] + units[1]));
        }
        return List.of(Shape.of(x.dim(0), x.dim(1), units[0]), Shape.of(x.dim(0), x.dim(1), units[1]));
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
