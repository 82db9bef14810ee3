package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX shape and data-movement ops: Constant, Shape, ConstantOfShape, Identity, Dropout, Cast, Reshape, Flatten,
 * Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Gather, Pad, Expand, Tile. Layout-sensitive ones (Reshape,
 * Flatten, Squeeze, Unsqueeze, Gather, Expand, Tile) work in ONNX order; Transpose composes its permutation with a
 * channels-last input's; axis-carrying ones (Concat, Split, Slice, Pad) keep the input's layout and remap their
 * axes.
 */
final class OnnxShapeOps {
    private OnnxShapeOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("Constant", OnnxShapeOps::constant);
        t.put("Shape", OnnxShapeOps::shape);
        t.put("Size", OnnxShapeOps::size);
        t.put("ConstantOfShape", OnnxShapeOps::constantOfShape);
        t.put("Identity", OnnxShapeOps::identity);
        t.put("Dropout", OnnxShapeOps::dropout);
        t.put("Cast", OnnxShapeOps::cast);
        t.put("CastLike", OnnxShapeOps::cast);
        t.put("Reshape", OnnxShapeOps::reshape);
        t.put("Flatten", OnnxShapeOps::flatten);
        t.put("Transpose", OnnxShapeOps::transpose);
        t.put("Squeeze", OnnxShapeOps::squeeze);
        t.put("Unsqueeze", OnnxShapeOps::unsqueeze);
        t.put("Concat", OnnxShapeOps::concat);
        t.put("Split", OnnxShapeOps::split);
        t.put("Slice", OnnxShapeOps::slice);
        t.put("Gather", OnnxShapeOps::gather);
        t.put("Pad", OnnxShapeOps::pad);
        t.put("Expand", OnnxShapeOps::expand);
        t.put("Tile", OnnxShapeOps::tile);
        t.put("Range", OnnxShapeOps::range);
        t.put("HannWindow", (n, ctx) -> window(n, ctx, new double[] {0.5, 0.5}));
        t.put("HammingWindow", (n, ctx) -> window(n, ctx, new double[] {25.0 / 46, 21.0 / 46}));
        t.put("BlackmanWindow", (n, ctx) -> window(n, ctx, new double[] {0.42, 0.5, 0.08}));
        t.put("DepthToSpace", (n, ctx) -> blocks(n, ctx, OpType.DEPTH_TO_SPACE));
        t.put("SpaceToDepth", (n, ctx) -> blocks(n, ctx, OpType.SPACE_TO_DEPTH));
    }

    private static void constant(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(0, 0);
        n.allowAttributes("value", "value_float", "value_floats", "value_int", "value_ints");
        String out = n.output(0);
        TensorProto t = n.getTensor("value");
        if (t != null) {
            OnnxTensors.Decoded d = OnnxTensors.decode(t, n.file(), null);
            ctx.define(out, ctx.constant(out, d.shape(), d.dtype(), d.data()));
        } else if (n.has("value_float")) {
            ctx.define(out, ctx.constant(out, Shape.of(), new float[] {n.getFloat("value_float", 0f)}));
        } else if (n.has("value_floats")) {
            float[] v = n.getFloats("value_floats");
            ctx.define(out, ctx.constant(out, Shape.of(v.length), v));
        } else if (n.has("value_int")) {
            ctx.define(out, ctx.constant(out, Shape.of(), DType.INT64, OnnxTensors.ofLongs(new long[] {
                n.getInt("value_int", 0)
            })));
        } else if (n.has("value_ints")) {
            long[] v = n.getInts("value_ints");
            ctx.define(out, ctx.constant(out, Shape.of(v.length), DType.INT64, OnnxTensors.ofLongs(v)));
        } else {
            throw n.unsupported("a Constant without a value, value_float(s) or value_int(s) is not supported");
        }
    }

    /** The static ONNX-order dims of a value (a dynamic batch is refused). */
    static int[] staticDims(OnnxNode n, OnnxContext ctx, String name) {
        Shape s = ctx.onnxShape(name);
        if (s.isDynamic()) {
            throw n.unsupported("needs the static shape of '" + name + "', which has a dynamic batch " + s);
        }
        return s.dims();
    }

    private static void shape(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("start", "end");
        int[] d = staticDims(n, ctx, n.input(0));
        int r = d.length;
        int start = clampAxis(n.getInt("start", 0), r);
        int end = clampAxis(n.getInt("end", r), r);
        long[] v = new long[Math.max(0, end - start)];
        for (int i = 0; i < v.length; i++) {
            v[i] = d[start + i];
        }
        ctx.define(n.output(0), ctx.constant(n.output(0), Shape.of(v.length), DType.INT64, OnnxTensors.ofLongs(v)));
    }

    private static int clampAxis(long a, int r) {
        long x = a < 0 ? a + r : a;
        return (int) Math.max(0, Math.min(r, x));
    }

    private static void size(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        long count = 1;
        for (int d : staticDims(n, ctx, n.input(0))) {
            count *= d;
        }
        ctx.define(n.output(0), ctx.constant(n.output(0), Shape.of(), DType.INT64, OnnxTensors.ofLongs(new long[] {count
        })));
    }

    private static void constantOfShape(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("value");
        long[] dims = ctx.constantLongs(n.input(0), "shape");
        int[] d = new int[dims.length];
        for (int i = 0; i < d.length; i++) {
            if (dims[i] < 0 || dims[i] > Integer.MAX_VALUE) {
                throw n.bad("shape holds " + dims[i]);
            }
            d[i] = (int) dims[i];
        }
        long count = OnnxTensors.elementCount(d, n.output(0), n.file());
        DType dtype = DType.FLOAT32;
        byte[] one = new byte[4];
        TensorProto t = n.getTensor("value");
        if (t != null) {
            OnnxTensors.Decoded v = OnnxTensors.decode(t, n.file(), null);
            if (v.data().elementCount() != 1) {
                throw n.bad("value must hold one element");
            }
            dtype = v.dtype();
            one = v.data().bytes();
        }
        if (count == 0) {
            throw n.unsupported("empty tensors are not supported");
        }
        long bytes = count * one.length;
        if (bytes > Integer.MAX_VALUE - 8) {
            throw n.bad("shape " + java.util.Arrays.toString(d) + " of " + dtype + " needs " + bytes
                    + " bytes, more than one array holds");
        }
        ctx.reserveComputed(bytes, "a fill of " + java.util.Arrays.toString(d) + " " + dtype);
        byte[] all = new byte[(int) bytes];
        for (int i = 0; i < count; i++) {
            System.arraycopy(one, 0, all, i * one.length, one.length);
        }
        ctx.define(n.output(0), ctx.constant(n.output(0), Shape.of(d), dtype, TensorData.ofBytes(dtype, all)));
    }

    private static void identity(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        OnnxContext.Value v = ctx.value(n.input(0));
        ctx.define(n.output(0), v.tensor(), v.layout());
    }

    private static void dropout(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 3);
        n.allowAttributes("ratio", "seed", "is_test");
        if (n.hasInput(2)) {
            long[] training = ctx.constantLongs(n.input(2), "training_mode");
            if (training.length != 1 || training[0] != 0) {
                throw n.unsupported("training_mode true is not supported");
            }
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        ctx.define(n.output(0), v.tensor(), v.layout());
        if (n.hasOutput(1)) {
            // at inference the mask keeps every element
            Shape s = v.tensor().shape();
            if (s.isDynamic()) {
                throw n.unsupported("the mask output of a dynamic-batch input is not supported");
            }
            byte[] ones = new byte[(int) OnnxTensors.elementCount(s.dims(), n.output(1), n.file())];
            java.util.Arrays.fill(ones, (byte) 1);
            ctx.define(
                    n.output(1),
                    ctx.constant(n.output(1), s, DType.BOOL, TensorData.ofBytes(DType.BOOL, ones)),
                    v.layout());
        }
    }

    private static void cast(OnnxNode n, OnnxContext ctx) {
        DType target;
        int to;
        if (n.opType().equals("CastLike")) {
            n.requireInputs(2, 2);
            n.allowAttributes("saturate");
            target = ctx.dtype(n.input(1));
            to = OnnxTensors.onnxType(target);
        } else {
            n.requireInputs(1, 1);
            n.allowAttributes("to", "saturate");
            to = n.getIntExact("to", 0);
            target = OnnxTensors.irType(to);
        }
        if (target == null || target == DType.FLOAT16) {
            throw n.unsupported("cast to " + OnnxTensors.typeName(to) + " is not supported");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        Tensor x = v.tensor();
        if (x.dtype() == DType.FLOAT16) {
            throw n.unsupported("cast from FLOAT16 is not supported");
        }
        if (x.dtype() == target) {
            ctx.define(n.output(0), x, v.layout());
            return;
        }
        if (target == DType.BOOL || x.dtype() == DType.BOOL) {
            throw n.unsupported("cast between " + x.dtype() + " and " + target + " is not supported");
        }
        if (x.isConstant()) {
            ctx.define(
                    n.output(0), ctx.constant(n.output(0), x.shape(), target, castData(x.data(), target)), v.layout());
            return;
        }
        ctx.define(n.output(0), ctx.emit(n.output(0), OpType.CAST, OpAttributes.None.INSTANCE, target, x), v.layout());
    }

    /** Constant data converted as C++'s static_cast (floats truncate toward zero, integers wrap). */
    static TensorData castData(TensorData d, DType target) {
        int n = d.elementCount();
        boolean fromFloat = d.dtype() == DType.FLOAT32;
        float[] f = fromFloat ? d.floats() : null;
        long[] l = fromFloat ? null : OnnxTensors.longs(d);
        java.nio.ByteBuffer b =
                java.nio.ByteBuffer.allocate(n * target.byteSize()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            long iv = fromFloat ? (long) f[i] : l[i];
            switch (target) {
                case FLOAT32 -> b.putFloat(fromFloat ? f[i] : (float) l[i]);
                case INT64 -> b.putLong(iv);
                case INT32 -> b.putInt((int) iv);
                case INT16 -> b.putShort((short) iv);
                case INT8, UINT8 -> b.put((byte) iv);
                default -> throw new IllegalArgumentException("cast to " + target);
            }
        }
        return TensorData.ofBytes(target, b.array());
    }

    /** Dims for a RESHAPE: a dynamic batch of the input stays -1. */
    private static Tensor reshapeTo(OnnxContext ctx, Tensor x, int[] dims, String name) {
        return ctx.reshape(x, dims, name);
    }

    private static void reshape(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes("allowzero");
        long[] target = ctx.constantLongs(n.input(1), "shape");
        boolean allowZero = n.getInt("allowzero", 0) != 0;
        Tensor x = ctx.onnx(n.input(0));
        int[] in = x.shape().dims();
        int[] out = new int[target.length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < target.length; i++) {
            long t = target[i];
            if (t == 0 && !allowZero) {
                if (i >= in.length) {
                    throw n.bad("shape copies dimension " + i + " the input does not have");
                }
                out[i] = in[i];
            } else if (t == -1) {
                if (inferred >= 0) {
                    throw n.bad("shape has more than one -1");
                }
                inferred = i;
                continue;
            } else if (t < 0 || t > Integer.MAX_VALUE) {
                throw n.bad("shape holds " + t);
            } else {
                out[i] = (int) t;
            }
            if (out[i] == Shape.DYNAMIC) {
                continue;
            }
            known *= out[i];
        }
        boolean dynamic = x.shape().isDynamic();
        if (dynamic
                && inferred < 0
                && out.length > 0
                && out[0] == 1
                && known == x.shape().sampleElementCount()) {
            // the file's batch of 1 kept as the first axis ([1, 256] of a [1, 16, 4, 4]): per-sample, batch-preserving
            out[0] = Shape.DYNAMIC;
        }
        if (dynamic && inferred < 0 && out.length > 0 && out[0] == Shape.DYNAMIC) {
            long rest = 1;
            for (int i = 1; i < out.length; i++) {
                rest *= out[i];
            }
            if (rest != x.shape().sampleElementCount()) {
                throw n.bad("cannot reshape " + x.shape() + " to " + Arrays.toString(target));
            }
        }
        if (dynamic && !(out.length > 0 && (out[0] == Shape.DYNAMIC || inferred == 0))) {
            throw n.unsupported("reshape of a dynamic batch to " + Arrays.toString(target) + " is not supported");
        }
        if (inferred >= 0) {
            if (dynamic && inferred != 0) {
                long sample = x.shape().sampleElementCount();
                if (known == 0 || sample % known != 0) {
                    throw n.bad("cannot reshape " + x.shape() + " to " + Arrays.toString(target));
                }
                out[inferred] = (int) (sample / known);
            } else if (dynamic) {
                out[inferred] = -1;
            } else {
                long total = x.shape().elementCount();
                if (known == 0 || total % known != 0) {
                    throw n.bad("cannot reshape " + x.shape() + " to " + Arrays.toString(target));
                }
                out[inferred] = (int) (total / known);
            }
        } else if (!dynamic && known != x.shape().elementCount()) {
            throw n.bad("cannot reshape " + x.shape() + " to " + Arrays.toString(target));
        }
        for (int d : out) {
            if (d == 0) {
                throw n.unsupported("empty tensors are not supported");
            }
        }
        if (dynamic) {
            int dyn = 0;
            for (int d : out) {
                dyn += d == -1 ? 1 : 0;
            }
            if (dyn > 1) {
                throw n.unsupported("reshape of a dynamic batch to " + Arrays.toString(target) + " is not supported");
            }
        }
        ctx.define(n.output(0), reshapeTo(ctx, x, out, n.output(0)));
    }

    private static void flatten(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("axis");
        Tensor x = ctx.onnx(n.input(0));
        int r = x.shape().rank();
        long axis = n.getInt("axis", 1);
        if (axis < 0) {
            axis += r;
        }
        if (axis < 0 || axis > r) {
            throw n.bad("axis " + n.getInt("axis", 1) + " is out of range for rank " + r);
        }
        int[] d = x.shape().dims();
        long outer = 1;
        long inner = 1;
        boolean dynOuter = false;
        for (int i = 0; i < r; i++) {
            if (d[i] == Shape.DYNAMIC) {
                if (i >= axis) {
                    throw n.unsupported("flattening a dynamic batch into the inner axis is not supported");
                }
                dynOuter = true;
                continue;
            }
            if (i < axis) {
                outer *= d[i];
            } else {
                inner *= d[i];
            }
        }
        int[] out = {dynOuter ? -1 : (int) outer, (int) inner};
        if (dynOuter && outer != 1) {
            throw n.unsupported("flattening a dynamic batch with other axes is not supported");
        }
        ctx.define(n.output(0), reshapeTo(ctx, x, out, n.output(0)));
    }

    private static void transpose(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("perm");
        OnnxContext.Value v = ctx.value(n.input(0));
        int r = v.tensor().shape().rank();
        int[] perm = n.getIntsExact("perm");
        if (perm == null) {
            perm = new int[r];
            for (int i = 0; i < r; i++) {
                perm[i] = r - 1 - i;
            }
        }
        if (perm.length != r) {
            throw n.bad("perm has " + perm.length + " axes for rank " + r);
        }
        boolean[] seen = new boolean[r];
        for (int p : perm) {
            if (p < 0 || p >= r || seen[p]) {
                throw n.bad("perm " + Arrays.toString(perm) + " is not a permutation");
            }
            seen[p] = true;
        }
        int[] irPerm = perm;
        if (v.channelsLast()) {
            // y axis i = ONNX x axis perm[i] = IR axis toOnnx[perm[i]]
            int[] back = OnnxLayout.toOnnx(r);
            irPerm = new int[r];
            for (int i = 0; i < r; i++) {
                irPerm[i] = back[perm[i]];
            }
        }
        ctx.define(n.output(0), ctx.transpose(v.tensor(), irPerm, n.output(0)));
    }

    /** Axes from the attribute (before {@code inputFrom}) or the optional second input. */
    private static long[] axes(OnnxNode n, OnnxContext ctx, int inputFrom) {
        if (n.opset() < inputFrom) {
            return n.getInts("axes");
        }
        return n.hasInput(1) ? ctx.constantLongs(n.input(1), "axes") : null;
    }

    private static void squeeze(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, n.opset() < 13 ? 1 : 2);
        n.allowAttributes(n.opset() < 13 ? new String[] {"axes"} : new String[0]);
        Tensor x = ctx.onnx(n.input(0));
        int[] d = x.shape().dims();
        int r = d.length;
        long[] axes = axes(n, ctx, 13);
        boolean[] drop = new boolean[r];
        if (axes == null || axes.length == 0) {
            for (int i = 0; i < r; i++) {
                drop[i] = d[i] == 1;
            }
        } else {
            for (long a : axes) {
                int ax = (int) (a < 0 ? a + r : a);
                if (ax < 0 || ax >= r || d[ax] != 1) {
                    throw n.bad("cannot squeeze axis " + a + " of " + x.shape());
                }
                drop[ax] = true;
            }
        }
        int[] out = new int[r];
        int k = 0;
        for (int i = 0; i < r; i++) {
            if (!drop[i]) {
                out[k++] = d[i];
            }
        }
        ctx.define(n.output(0), reshapeTo(ctx, x, Arrays.copyOf(out, k), n.output(0)));
    }

    private static void unsqueeze(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(n.opset() < 13 ? 1 : 2, n.opset() < 13 ? 1 : 2);
        n.allowAttributes(n.opset() < 13 ? new String[] {"axes"} : new String[0]);
        Tensor x = ctx.onnx(n.input(0));
        int[] d = x.shape().dims();
        long[] axes = axes(n, ctx, 13);
        if (axes == null) {
            throw n.bad("axes are required");
        }
        int r = d.length + axes.length;
        boolean[] added = new boolean[r];
        for (long a : axes) {
            int ax = (int) (a < 0 ? a + r : a);
            if (ax < 0 || ax >= r || added[ax]) {
                throw n.bad("axes " + Arrays.toString(axes) + " are out of range or repeated");
            }
            added[ax] = true;
        }
        int[] out = new int[r];
        int k = 0;
        for (int i = 0; i < r; i++) {
            out[i] = added[i] ? 1 : d[k++];
        }
        ctx.define(n.output(0), reshapeTo(ctx, x, out, n.output(0)));
    }

    private static void concat(OnnxNode n, OnnxContext ctx) {
        n.allowAttributes("axis");
        List<String> ins = n.presentInputs();
        if (ins.isEmpty()) {
            throw n.bad("needs at least one input");
        }
        if (!n.has("axis")) {
            throw n.bad("axis is required");
        }
        int rank = ctx.rank(ins.get(0));
        boolean channelsLast = false;
        for (String s : ins) {
            if (ctx.rank(s) != rank) {
                throw n.bad("inputs of different ranks");
            }
            channelsLast |= ctx.value(s).channelsLast();
        }
        long axis = n.getInt("axis", 0);
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw n.bad("axis " + axis + " is out of range for rank " + rank);
        }
        Tensor[] ts = new Tensor[ins.size()];
        DType t = null;
        for (int i = 0; i < ts.length; i++) {
            ts[i] = channelsLast ? ctx.channelsLast(ins.get(i)) : ctx.onnx(ins.get(i));
            if (t != null && ts[i].dtype() != t) {
                throw n.bad("inputs of different types");
            }
            t = ts[i].dtype();
        }
        int irAxis = channelsLast ? OnnxLayout.channelsLastAxis((int) a, rank) : (int) a;
        if (ts.length == 1) {
            ctx.define(n.output(0), ts[0], channelsLast ? OnnxLayout.CHANNELS_LAST : OnnxLayout.ONNX);
            return;
        }
        ctx.define(
                n.output(0),
                ctx.emit(
                        n.output(0),
                        OpType.CONCATENATION,
                        new OpAttributes.Concatenation(irAxis, Activation.NONE),
                        t,
                        ts),
                channelsLast ? OnnxLayout.CHANNELS_LAST : OnnxLayout.ONNX);
    }

    private static void split(OnnxNode n, OnnxContext ctx) {
        n.allowAttributes("axis", "split", "num_outputs");
        OnnxContext.Value v = ctx.value(n.input(0));
        int axis = ctx.axis(n.input(0), n.getInt("axis", 0));
        int dim = v.tensor().shape().dim(axis);
        if (dim < 0) {
            throw n.unsupported("splitting a dynamic axis is not supported");
        }
        long[] sizes =
                n.opset() < 13 ? n.getInts("split") : (n.hasInput(1) ? ctx.constantLongs(n.input(1), "split") : null);
        int parts = n.outputCount();
        List<Tensor> outs;
        if (sizes == null) {
            if (n.has("num_outputs") && n.getInt("num_outputs", 0) != parts) {
                throw n.bad("num_outputs differs from the outputs");
            }
            int each = (dim + parts - 1) / parts;
            if (dim % parts == 0) {
                outs = ctx.emitAll(
                        n.output(0),
                        OpType.SPLIT,
                        new OpAttributes.Split(axis, parts),
                        v.tensor().dtype(),
                        v.tensor());
            } else {
                int[] s = new int[parts];
                Arrays.fill(s, each);
                s[parts - 1] = dim - each * (parts - 1);
                if (s[parts - 1] <= 0) {
                    throw n.unsupported("uneven split into empty parts is not supported");
                }
                outs = ctx.emitAll(
                        n.output(0),
                        OpType.SPLIT_V,
                        new OpAttributes.SplitV(axis, s),
                        v.tensor().dtype(),
                        v.tensor());
            }
        } else {
            if (sizes.length != parts) {
                throw n.bad("split has " + sizes.length + " sizes for " + parts + " outputs");
            }
            int[] s = new int[parts];
            long total = 0;
            for (int i = 0; i < parts; i++) {
                if (sizes[i] <= 0) {
                    throw n.unsupported("empty parts are not supported");
                }
                s[i] = (int) sizes[i];
                total += sizes[i];
            }
            if (total != dim) {
                throw n.bad("split sizes add up to " + total + ", not " + dim);
            }
            outs = ctx.emitAll(
                    n.output(0),
                    OpType.SPLIT_V,
                    new OpAttributes.SplitV(axis, s),
                    v.tensor().dtype(),
                    v.tensor());
        }
        for (int i = 0; i < parts; i++) {
            if (n.hasOutput(i)) {
                ctx.define(n.output(i), outs.get(i), v.layout());
            }
        }
    }

    private static void slice(OnnxNode n, OnnxContext ctx) {
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (n.opset() < 10) {
            n.requireInputs(1, 1);
            n.allowAttributes("starts", "ends", "axes");
            starts = n.getInts("starts");
            ends = n.getInts("ends");
            axes = n.getInts("axes");
        } else {
            n.requireInputs(3, 5);
            n.allowAttributes();
            starts = ctx.constantLongs(n.input(1), "starts");
            ends = ctx.constantLongs(n.input(2), "ends");
            axes = n.hasInput(3) ? ctx.constantLongs(n.input(3), "axes") : null;
            steps = n.hasInput(4) ? ctx.constantLongs(n.input(4), "steps") : null;
        }
        if (starts == null || ends == null || starts.length != ends.length) {
            throw n.bad("starts and ends must have one value per sliced axis");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        int[] d = ctx.onnxShape(n.input(0)).dims();
        int r = d.length;
        int[] begin = new int[r];
        int[] end = new int[r];
        int[] stride = new int[r];
        int endMask = 0;
        Arrays.fill(stride, 1);
        for (int i = 0; i < r; i++) {
            end[i] = d[i];
        }
        int beginMask = 0;
        boolean[] done = new boolean[r];
        for (int k = 0; k < starts.length; k++) {
            long ax = axes == null ? k : axes[k];
            int a = (int) (ax < 0 ? ax + r : ax);
            if (a < 0 || a >= r || done[a]) {
                throw n.bad("axes are out of range or repeated");
            }
            done[a] = true;
            long step = steps == null ? 1 : steps[k];
            if (step == 0) {
                throw n.bad("step 0");
            }
            int dim = d[a];
            if (dim < 0) {
                throw n.unsupported("slicing the dynamic batch axis is not supported");
            }
            long s = starts[k] < 0 ? starts[k] + dim : starts[k];
            long e = ends[k] < 0 ? ends[k] + dim : ends[k];
            long count;
            if (step > 0) {
                s = Math.max(0, Math.min(dim, s));
                e = Math.max(0, Math.min(dim, e));
                count = e > s ? (e - s + step - 1) / step : 0;
            } else {
                s = Math.max(-1, Math.min(dim - 1, s));
                e = Math.max(-1, Math.min(dim - 1, e));
                count = s > e ? (s - e - step - 1) / -step : 0;
            }
            if (count == 0) {
                throw n.unsupported("empty slices are not supported");
            }
            if (step > Integer.MAX_VALUE || step < Integer.MIN_VALUE) {
                throw n.bad("step " + step + " is out of range");
            }
            int ia = v.channelsLast() ? OnnxLayout.channelsLastAxis(a, r) : a;
            begin[ia] = (int) s;
            stride[ia] = (int) step;
            if (e < 0) {
                end[ia] = 0;
                endMask |= 1 << ia;
            } else {
                end[ia] = (int) e;
            }
        }
        if (v.channelsLast()) {
            int[] p = OnnxLayout.toChannelsLast(r);
            for (int i = 0; i < r; i++) {
                if (!done[p[i]]) {
                    end[i] = d[p[i]];
                }
            }
        }
        for (int i = 0; i < r; i++) {
            if (end[i] < 0) {
                end[i] = 0;
                beginMask |= 1 << i;
                endMask |= 1 << i;
            }
        }
        ctx.define(
                n.output(0),
                ctx.emit(
                        n.output(0),
                        OpType.STRIDED_SLICE,
                        new OpAttributes.StridedSlice(begin, end, stride, beginMask, endMask, 0, false),
                        v.tensor().dtype(),
                        v.tensor()),
                v.layout());
    }

    private static void gather(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes("axis");
        Tensor data = ctx.onnx(n.input(0));
        int r = data.shape().rank();
        long axis = n.getInt("axis", 0);
        int a = (int) (axis < 0 ? axis + r : axis);
        if (a < 0 || a >= r) {
            throw n.bad("axis " + axis + " is out of range for rank " + r);
        }
        int dim = data.shape().dim(a);
        Tensor idx = ctx.onnx(n.input(1));
        if (idx.dtype() != DType.INT64 && idx.dtype() != DType.INT32) {
            throw n.bad("indices must be int32 or int64");
        }
        if (!idx.isConstant()) {
            throw n.unsupported("indices must be constant (negative indices are resolved at import time)");
        }
        long[] iv = OnnxTensors.longs(idx.data());
        int[] fixed = new int[iv.length];
        for (int i = 0; i < iv.length; i++) {
            long x = iv[i] < 0 ? iv[i] + dim : iv[i];
            if (dim < 0 || x < 0 || x >= dim) {
                throw n.bad("index " + iv[i] + " is out of range for axis of size " + dim);
            }
            fixed[i] = (int) x;
        }
        Tensor indices = ctx.constant(n.output(0) + "_indices", idx.shape(), DType.INT32, TensorData.ofInts(fixed));
        if (data.isConstant()) {
            ctx.define(n.output(0), gatherConstant(ctx, n.output(0), data, a, indices));
            return;
        }
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), OpType.GATHER, new OpAttributes.Gather(a, 0), data.dtype(), data, indices));
    }

    /** GATHER of constant data at import time. */
    private static Tensor gatherConstant(OnnxContext ctx, String name, Tensor data, int axis, Tensor indices) {
        int[] d = data.shape().dims();
        int[] idx = indices.data().ints();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= d[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < d.length; i++) {
            inner *= d[i];
        }
        int size = data.dtype().byteSize();
        byte[] src = data.data().bytes();
        byte[] dst = new byte[outer * idx.length * inner * size];
        int o = 0;
        for (int p = 0; p < outer; p++) {
            for (int j : idx) {
                System.arraycopy(src, ((p * d[axis] + j) * inner) * size, dst, o, inner * size);
                o += inner * size;
            }
        }
        int[] is = indices.shape().dims();
        int[] out = new int[d.length - 1 + is.length];
        System.arraycopy(d, 0, out, 0, axis);
        System.arraycopy(is, 0, out, axis, is.length);
        System.arraycopy(d, axis + 1, out, axis + is.length, d.length - axis - 1);
        return ctx.constant(name, Shape.of(out), data.dtype(), TensorData.ofBytes(data.dtype(), dst));
    }

    private static void pad(OnnxNode n, OnnxContext ctx) {
        String mode;
        long[] pads;
        float value = 0f;
        long[] axes = null;
        if (n.opset() < 11) {
            n.requireInputs(1, 1);
            n.allowAttributes("mode", "pads", "value", "paddings");
            pads = n.has("pads") ? n.getInts("pads") : n.getInts("paddings");
            value = n.getFloat("value", 0f);
        } else {
            n.requireInputs(2, 4);
            n.allowAttributes("mode");
            pads = ctx.constantLongs(n.input(1), "pads");
            if (n.hasInput(2)) {
                float[] c = ctx.constantFloats(n.input(2), "constant_value");
                if (c.length != 1) {
                    throw n.bad("constant_value must be a scalar");
                }
                value = c[0];
            }
            if (n.hasInput(3)) {
                axes = ctx.constantLongs(n.input(3), "axes");
            }
        }
        mode = n.getString("mode", "constant");
        OnnxContext.Value v = ctx.value(n.input(0));
        Tensor x = v.tensor();
        int r = x.shape().rank();
        if (axes == null) {
            axes = new long[r];
            for (int i = 0; i < r; i++) {
                axes[i] = i;
            }
        }
        if (pads == null || pads.length != 2 * axes.length) {
            throw n.bad("pads must hold 2 values per padded axis");
        }
        int[][] p = new int[r][2];
        for (int k = 0; k < axes.length; k++) {
            int ia = ctx.axis(n.input(0), axes[k]);
            if (pads[k] < 0 || pads[k + axes.length] < 0) {
                throw n.unsupported("negative pads (cropping) are not supported");
            }
            p[ia][0] = (int) pads[k];
            p[ia][1] = (int) pads[k + axes.length];
        }
        Tensor y = switch (mode) {
            case "constant" -> {
                if (value == 0f) {
                    yield ctx.emit(n.output(0), OpType.PAD, new OpAttributes.Pad(p), x.dtype(), x);
                }
                if (x.dtype() != DType.FLOAT32) {
                    throw n.unsupported("a non-zero constant_value on " + x.dtype() + " is not supported");
                }
                yield ctx.emit(
                        n.output(0),
                        OpType.PADV2,
                        new OpAttributes.Pad(p),
                        x.dtype(),
                        x,
                        ctx.constant(n.output(0) + "_value", Shape.of(), new float[] {value}));
            }
            case "reflect" -> {
                for (int i = 0; i < r; i++) {
                    if (p[i][0] >= x.shape().dim(i) || p[i][1] >= x.shape().dim(i)) {
                        throw n.unsupported("reflect pads as large as the axis are not supported");
                    }
                }
                yield ctx.emit(n.output(0), OpType.MIRROR_PAD, new OpAttributes.MirrorPad(p, false), x.dtype(), x);
            }
            default -> throw n.unsupported("mode '" + mode + "' is not supported");
        };
        ctx.define(n.output(0), y, v.layout());
    }

    private static void expand(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes();
        Tensor x = ctx.onnx(n.input(0));
        long[] shape = ctx.constantLongs(n.input(1), "shape");
        int[] d = staticDims(n, ctx, n.input(0));
        int r = Math.max(d.length, shape.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int a = i - (r - d.length);
            int b = i - (r - shape.length);
            long da = a >= 0 ? d[a] : 1;
            long db = b >= 0 ? shape[b] : 1;
            if (da != db && da != 1 && db != 1) {
                throw n.bad("cannot broadcast " + Arrays.toString(d) + " to " + Arrays.toString(shape));
            }
            out[i] = (int) Math.max(da, db);
            if (da == 0 || db == 0) {
                throw n.unsupported("empty tensors are not supported");
            }
        }
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), OpType.BROADCAST_TO, new OpAttributes.BroadcastTo(out), x.dtype(), x));
    }

    /**
     * DepthToSpace (mode DCR, the default: output channel c of block (i, j) is input channel (i·b + j)·C + c, as
     * TFLite's NHWC DEPTH_TO_SPACE) and SpaceToDepth, on the channels-last value.
     */
    private static void blocks(OnnxNode n, OnnxContext ctx, OpType type) {
        n.requireInputs(1, 1);
        n.allowAttributes("blocksize", "mode");
        if (!n.getString("mode", "DCR").equals("DCR")) {
            throw n.unsupported("mode '" + n.getString("mode", "DCR") + "' is not supported (only DCR)");
        }
        if (ctx.rank(n.input(0)) != 4) {
            throw n.bad("input must have rank 4");
        }
        int b = n.getIntExact("blocksize", 0);
        if (b < 1) {
            throw n.bad("blocksize must be positive");
        }
        Tensor x = ctx.channelsLast(n.input(0));
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), type, new OpAttributes.BlockSize(b), x.dtype(), x),
                OnnxLayout.CHANNELS_LAST);
    }

    /**
     * Range of constant scalars: start + i·delta for i = 0 … max(⌈(limit − start)/delta⌉, 0) − 1, of start's type
     * (float32, int32 or int64), as a constant.
     */
    private static void range(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 3);
        n.allowAttributes();
        DType type = ctx.dtype(n.input(0));
        if (type != DType.FLOAT32 && type != DType.INT32 && type != DType.INT64) {
            throw n.unsupported("type " + type + " is not supported");
        }
        String[] what = {"start", "limit", "delta"};
        double[] v = new double[3];
        long[] l = new long[3];
        for (int i = 0; i < 3; i++) {
            if (ctx.dtype(n.input(i)) != type) {
                throw n.bad(what[i] + " is " + ctx.dtype(n.input(i)) + ", start is " + type);
            }
            if (type == DType.FLOAT32) {
                float[] f = ctx.constantFloats(n.input(i), what[i]);
                if (f.length != 1 || !Float.isFinite(f[0])) {
                    throw n.bad(what[i] + " must be one finite value");
                }
                v[i] = f[0];
            } else {
                long[] x = ctx.constantLongs(n.input(i), what[i]);
                if (x.length != 1) {
                    throw n.bad(what[i] + " must be one value");
                }
                l[i] = x[0];
                v[i] = x[0];
            }
        }
        if (v[2] == 0) {
            throw n.bad("delta is 0");
        }
        double count = Math.max(Math.ceil((v[1] - v[0]) / v[2]), 0);
        if (count == 0) {
            throw n.unsupported("empty tensors are not supported");
        }
        if (count > Shape.MAX_ELEMENTS) {
            throw n.unsupported("a range of " + (long) count + " elements is too large");
        }
        int c = (int) count;
        ctx.reserveComputed((long) c * type.byteSize(), "the range");
        TensorData data;
        if (type == DType.FLOAT32) {
            float[] out = new float[c];
            for (int i = 0; i < c; i++) {
                out[i] = (float) (v[0] + i * v[2]);
            }
            data = TensorData.ofFloats(out);
        } else {
            long[] out = new long[c];
            for (int i = 0; i < c; i++) {
                out[i] = l[0] + i * l[2];
            }
            data = type == DType.INT64 ? OnnxTensors.ofLongs(out) : TensorData.ofInts(toInts(out));
        }
        ctx.define(n.output(0), ctx.constant(n.output(0), Shape.of(c), type, data));
    }

    private static int[] toInts(long[] v) {
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            r[i] = (int) v[i];
        }
        return r;
    }

    /**
     * HannWindow, HammingWindow, BlackmanWindow of a constant size N as a float32 constant: w[i] = Σ_k (−1)^k · a_k ·
     * cos(2πk·i/M) with M = N (periodic, the default) or N − 1 (symmetric); a = (½, ½), (25/46, 21/46), (0.42, 0.5,
     * 0.08).
     */
    private static void window(OnnxNode n, OnnxContext ctx, double[] a) {
        n.requireInputs(1, 1);
        n.allowAttributes("periodic", "output_datatype");
        if (n.getInt("output_datatype", 1) != 1) {
            throw n.unsupported("output_datatype " + n.getInt("output_datatype", 1) + " is not supported (only float)");
        }
        long[] size = ctx.constantLongs(n.input(0), "size");
        if (size.length != 1 || size[0] < 1 || size[0] > Shape.MAX_ELEMENTS) {
            throw n.unsupported("size " + Arrays.toString(size) + " is not supported");
        }
        int count = (int) size[0];
        ctx.reserveComputed(4L * count, "the window");
        double m = n.getInt("periodic", 1) != 0 ? count : count - 1;
        float[] w = new float[count];
        for (int i = 0; i < count; i++) {
            double sum = 0;
            for (int k = 0; k < a.length; k++) {
                sum += (k % 2 == 0 ? 1 : -1) * a[k] * Math.cos(2 * Math.PI * k * i / m);
            }
            w[i] = (float) sum;
        }
        ctx.define(n.output(0), ctx.constant(n.output(0), Shape.of(count), w));
    }

    private static void tile(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes();
        Tensor x = ctx.onnx(n.input(0));
        long[] reps = ctx.constantLongs(n.input(1), "repeats");
        if (reps.length != x.shape().rank()) {
            throw n.bad("repeats has " + reps.length + " values for rank "
                    + x.shape().rank());
        }
        int[] m = new int[reps.length];
        for (int i = 0; i < m.length; i++) {
            if (reps[i] < 1 || reps[i] > Integer.MAX_VALUE) {
                throw n.unsupported("repeats of " + reps[i] + " are not supported");
            }
            m[i] = (int) reps[i];
        }
        ctx.define(n.output(0), ctx.emit(n.output(0), OpType.TILE, new OpAttributes.Tile(m), x.dtype(), x));
    }
}
