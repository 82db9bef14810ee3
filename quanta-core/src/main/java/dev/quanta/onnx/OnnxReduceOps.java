package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * ONNX reductions and normalizations: ReduceMean/Sum/Max/Min/Prod (MEAN, SUM, REDUCE_*), ArgMax/ArgMin, Softmax and
 * LogSoftmax, LayerNormalization.
 *
 * <ul>
 *   <li>Softmax before opset 13 flattens the input to 2-D at {@code axis} and normalizes the inner part; from 13 it
 *       normalizes along {@code axis} (the IR softmax runs along the last axis: other axes are transposed there
 *       and back).
 *   <li>LayerNormalization: y = (x − μ)/√(σ² + ε)·scale + B over the axes from {@code axis} on, μ and σ² the mean
 *       and (biased) variance there.
 * </ul>
 */
final class OnnxReduceOps {
    private OnnxReduceOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("ReduceMean", (n, ctx) -> reduce(n, ctx, OpType.MEAN, 18));
        t.put("ReduceSum", (n, ctx) -> reduce(n, ctx, OpType.SUM, 13));
        t.put("ReduceMax", (n, ctx) -> reduce(n, ctx, OpType.REDUCE_MAX, 18));
        t.put("ReduceMin", (n, ctx) -> reduce(n, ctx, OpType.REDUCE_MIN, 18));
        t.put("ReduceProd", (n, ctx) -> reduce(n, ctx, OpType.REDUCE_PROD, 18));
        t.put("ReduceSumSquare", (n, ctx) -> composite(n, ctx, OpType.MUL, OpType.SUM, null));
        t.put("ReduceL2", (n, ctx) -> composite(n, ctx, OpType.MUL, OpType.SUM, OpType.SQRT));
        t.put("ReduceL1", (n, ctx) -> composite(n, ctx, OpType.ABS, OpType.SUM, null));
        t.put("ReduceLogSum", (n, ctx) -> composite(n, ctx, null, OpType.SUM, OpType.LOG));
        t.put("ReduceLogSumExp", (n, ctx) -> composite(n, ctx, OpType.EXP, OpType.SUM, OpType.LOG));
        t.put("InstanceNormalization", OnnxReduceOps::instanceNorm);
        t.put("GroupNormalization", OnnxReduceOps::groupNorm);
        t.put("LpNormalization", OnnxReduceOps::lpNorm);
        t.put("ArgMax", (n, ctx) -> argMinMax(n, ctx, OpType.ARG_MAX));
        t.put("ArgMin", (n, ctx) -> argMinMax(n, ctx, OpType.ARG_MIN));
        t.put("Softmax", (n, ctx) -> softmax(n, ctx, OpType.SOFTMAX));
        t.put("LogSoftmax", (n, ctx) -> softmax(n, ctx, OpType.LOG_SOFTMAX));
        t.put("LayerNormalization", OnnxReduceOps::layerNorm);
    }

    /**
     * A reduction built of an element-wise op before (x·x for MUL, |x|, eˣ), a SUM, and one after (√, ln):
     * ReduceSumSquare Σx², ReduceL2 √Σx², ReduceL1 Σ|x|, ReduceLogSum ln Σx, ReduceLogSumExp ln Σeˣ.
     */
    private static void composite(OnnxNode n, OnnxContext ctx, OpType before, OpType sum, OpType after) {
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        String out = n.output(0);
        String inner = out + "_elementwise";
        String reduced = after == null ? out : out + "_sum";
        OnnxNode.Rewired pre = null;
        if (before != null) {
            Tensor x = v.tensor();
            Tensor y = before == OpType.MUL
                    ? ctx.emit(inner, OpType.MUL, new OpAttributes.Arithmetic(Activation.NONE), DType.FLOAT32, x, x)
                    : ctx.emit(inner, before, OpAttributes.None.INSTANCE, DType.FLOAT32, x);
            ctx.define(inner, y, v.layout());
            pre = new OnnxNode.Rewired(0, inner);
        }
        OnnxNode r = n.rewired(pre, reduced);
        reduce(r, ctx, sum, 18);
        if (after != null) {
            OnnxContext.Value s = ctx.value(reduced);
            ctx.define(out, ctx.emit(out, after, OpAttributes.None.INSTANCE, DType.FLOAT32, s.tensor()), s.layout());
        }
    }

    /** InstanceNormalization: y = scale·(x − μ)/√(σ² + ε) + B per sample and channel, μ and σ² over the spatial axes. */
    private static void instanceNorm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 3);
        n.allowAttributes("epsilon");
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int r = v.tensor().shape().rank();
        if (r < 3) {
            throw n.bad("input of rank " + r);
        }
        Tensor x = ctx.channelsLast(n.input(0));
        int c = x.shape().dim(r - 1);
        float[] scale = ctx.constantFloats(n.input(1), "scale");
        float[] bias = ctx.constantFloats(n.input(2), "B");
        if (scale.length != c || bias.length != c) {
            throw n.bad("scale and B must have " + c + " values");
        }
        int[] axes = new int[r - 2];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        String out = n.output(0);
        float eps = n.getFloat("epsilon", 1e-5f);
        scaleAndShift(ctx, out, normalize(ctx, x, axes, eps, out).y(), scale, bias);
    }

    /** Defines {@code out} = x·scale + bias, per channel of the channels-last {@code x}. */
    private static void scaleAndShift(OnnxContext ctx, String out, Tensor x, float[] scale, float[] bias) {
        int c = scale.length;
        Tensor scaled = ctx.emit(
                out + "_scaled",
                OpType.MUL,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                x,
                ctx.constant(out + "_scale", Shape.of(c), scale));
        ctx.define(
                out,
                ctx.emit(
                        out,
                        OpType.ADD,
                        new OpAttributes.Add(Activation.NONE),
                        DType.FLOAT32,
                        scaled,
                        ctx.constant(out + "_B", Shape.of(c), bias)),
                OnnxLayout.CHANNELS_LAST);
    }

    /**
     * GroupNormalization: the C channels in G groups of C/G; y = scale·(x − μ)/√(σ² + ε) + B with μ and σ² per sample
     * and group over its channels and the spatial axes. Channels-last [N, S…, C] is reshaped to [N, ΠS, G, C/G],
     * normalized over axes 1 and 3, and reshaped back; scale and B are per channel (opset 21) or per group (18).
     */
    private static void groupNorm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 3);
        n.allowAttributes("epsilon", "num_groups", "stash_type");
        if (n.getInt("stash_type", 1) != 1) {
            throw n.unsupported("stash_type " + n.getInt("stash_type", 1) + " is not supported (only float)");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int r = v.tensor().shape().rank();
        if (r < 3) {
            throw n.bad("input of rank " + r);
        }
        Tensor x = ctx.channelsLast(n.input(0));
        int[] d = x.shape().dims();
        int c = d[r - 1];
        int g = n.getIntExact("num_groups", 0);
        long spatial = 1;
        for (int i = 1; i < r - 1; i++) {
            if (d[i] < 1) {
                throw n.unsupported("a spatial axis of unknown size is not supported");
            }
            spatial *= d[i];
        }
        if (g < 1 || c < 1 || c % g != 0) {
            throw n.bad("num_groups " + g + " does not divide " + c + " channels");
        }
        float[] scale = ctx.constantFloats(n.input(1), "scale");
        float[] bias = ctx.constantFloats(n.input(2), "bias");
        if (scale.length != bias.length || (scale.length != c && scale.length != g)) {
            throw n.bad("scale and bias must have " + c + " (or " + g + ") values");
        }
        if (scale.length != c) { // per group: each channel takes its group's value
            float[] sc = new float[c];
            float[] bc = new float[c];
            for (int i = 0; i < c; i++) {
                sc[i] = scale[i / (c / g)];
                bc[i] = bias[i / (c / g)];
            }
            scale = sc;
            bias = bc;
        }
        String out = n.output(0);
        Tensor grouped = ctx.emit(
                out + "_grouped",
                OpType.RESHAPE,
                new OpAttributes.Reshape(new int[] {d[0] < 0 ? -1 : d[0], (int) spatial, g, c / g}),
                DType.FLOAT32,
                x);
        Tensor norm = normalize(ctx, grouped, new int[] {1, 3}, n.getFloat("epsilon", 1e-5f), out)
                .y();
        Tensor back = ctx.emit(out + "_ungrouped", OpType.RESHAPE, new OpAttributes.Reshape(d), DType.FLOAT32, norm);
        scaleAndShift(ctx, out, back, scale, bias);
    }

    /** LpNormalization along {@code axis}: y = x / Σ|x| (p = 1) or x / √(Σx²) (p = 2, the default); 0 where the norm is. */
    private static void lpNorm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("axis", "p");
        long p = n.getInt("p", 2);
        if (p != 1 && p != 2) {
            throw n.bad("p " + p + " is not 1 or 2");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int a = ctx.axis(n.input(0), n.getInt("axis", -1));
        String out = n.output(0);
        Tensor x = v.tensor();
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        Tensor terms = p == 1
                ? ctx.emit(out + "_abs", OpType.ABS, OpAttributes.None.INSTANCE, DType.FLOAT32, x)
                : ctx.emit(out + "_squared", OpType.MUL, none, DType.FLOAT32, x, x);
        Tensor norm =
                ctx.emit(out + "_sum", OpType.SUM, new OpAttributes.Reduce(new int[] {a}, true), DType.FLOAT32, terms);
        if (p == 2) {
            norm = ctx.emit(out + "_norm", OpType.SQRT, OpAttributes.None.INSTANCE, DType.FLOAT32, norm);
        }
        // a zero norm divides by 1 instead (ONNX's reference gives 0 there, not NaN)
        Tensor zero = ctx.emit(
                out + "_zero_norm",
                OpType.EQUAL,
                OpAttributes.None.INSTANCE,
                DType.BOOL,
                norm,
                ctx.constant(out + "_zero", Shape.of(), new float[] {0f}));
        norm = ctx.emit(
                out + "_divisor",
                OpType.SELECT_V2,
                OpAttributes.None.INSTANCE,
                DType.FLOAT32,
                zero,
                ctx.constant(out + "_one", Shape.of(), new float[] {1f}),
                norm);
        ctx.define(out, ctx.emit(out, OpType.DIV, none, DType.FLOAT32, x, norm), v.layout());
    }

    private static void reduce(OnnxNode n, OnnxContext ctx, OpType type, int axesInputFrom) {
        boolean axesInput = n.opset() >= axesInputFrom;
        n.requireInputs(1, axesInput ? 2 : 1);
        if (axesInput) {
            n.allowAttributes("keepdims", "noop_with_empty_axes");
        } else {
            n.allowAttributes("keepdims", "axes");
        }
        long[] axes = axesInput ? (n.hasInput(1) ? ctx.constantLongs(n.input(1), "axes") : null) : n.getInts("axes");
        boolean keep = n.getInt("keepdims", 1) != 0;
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int r = v.tensor().shape().rank();
        if (axes == null || axes.length == 0) {
            if (n.getInt("noop_with_empty_axes", 0) != 0) {
                ctx.define(n.output(0), v.tensor(), v.layout());
                return;
            }
            axes = new long[r];
            for (int i = 0; i < r; i++) {
                axes[i] = i;
            }
        }
        boolean channelsLast = v.channelsLast() && keep;
        Tensor x = channelsLast ? v.tensor() : ctx.onnx(n.input(0));
        int[] ir = new int[axes.length];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < axes.length; i++) {
            long a = axes[i] < 0 ? axes[i] + r : axes[i];
            if (a < 0 || a >= r || seen[(int) a]) {
                throw n.bad("axes are out of range or repeated");
            }
            seen[(int) a] = true;
            ir[i] = channelsLast ? OnnxLayout.channelsLastAxis((int) a, r) : (int) a;
        }
        java.util.Arrays.sort(ir);
        OpAttributes attrs = type == OpType.MEAN ? new OpAttributes.Mean(ir, keep) : new OpAttributes.Reduce(ir, keep);
        Tensor y = ctx.emit(n.output(0), type, attrs, DType.FLOAT32, x);
        ctx.define(n.output(0), y, channelsLast ? OnnxLayout.CHANNELS_LAST : OnnxLayout.ONNX);
    }

    private static void argMinMax(OnnxNode n, OnnxContext ctx, OpType type) {
        n.requireInputs(1, 1);
        n.allowAttributes("axis", "keepdims", "select_last_index");
        boolean last = n.getInt("select_last_index", 0) != 0;
        Tensor x = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, x, DType.FLOAT32, DType.INT32);
        int r = x.shape().rank();
        long axis = n.getInt("axis", 0);
        int a = (int) (axis < 0 ? axis + r : axis);
        if (a < 0 || a >= r) {
            throw n.bad("axis " + axis + " is out of range for rank " + r);
        }
        boolean keep = n.getInt("keepdims", 1) != 0;
        String out = n.output(0);
        int size = x.shape().dim(a);
        if (last && size < 1) {
            throw n.unsupported("select_last_index 1 over an axis of unknown size is not supported");
        }
        if (last && size > 1) {
            // the last extreme of x is the first of x reversed along the axis: index (size − 1) − i
            Tensor reversed = ctx.emit(
                    out + "_reversed", OpType.REVERSE_V2, new OpAttributes.Reverse(new int[] {a}), x.dtype(), x);
            Tensor first =
                    ctx.emit(out + "_reversed_index", type, new OpAttributes.ArgMinMax(a), DType.INT64, reversed);
            Tensor y = ctx.emit(
                    keep ? out + "_reduced" : out,
                    OpType.SUB,
                    new OpAttributes.Arithmetic(dev.quanta.ir.Activation.NONE),
                    DType.INT64,
                    ctx.constant(out + "_last", dev.quanta.ir.Shape.of(), DType.INT64, OnnxTensors.ofLongs(new long[] {
                        size - 1
                    })),
                    first);
            defineArg(ctx, x, a, keep, out, y);
            return;
        }
        Tensor y = ctx.emit(keep ? out + "_reduced" : out, type, new OpAttributes.ArgMinMax(a), DType.INT64, x);
        defineArg(ctx, x, a, keep, out, y);
    }

    /** Binds an arg-min/max result, with the reduced axis kept as 1 when {@code keep}. */
    private static void defineArg(OnnxContext ctx, Tensor x, int a, boolean keep, String out, Tensor y) {
        if (keep) {
            int[] d = x.shape().dims();
            d[a] = 1;
            y = ctx.reshape(y, d, out);
        }
        ctx.define(out, y);
    }

    private static void softmax(OnnxNode n, OnnxContext ctx, OpType type) {
        n.requireInputs(1, 1);
        n.allowAttributes("axis");
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int r = v.tensor().shape().rank();
        String out = n.output(0);
        OpAttributes attrs = type == OpType.SOFTMAX ? new OpAttributes.Softmax(1f) : OpAttributes.None.INSTANCE;
        if (r == 0) {
            throw n.unsupported("a scalar input is not supported");
        }
        if (n.opset() < 13) {
            long axis = n.getInt("axis", 1);
            int a = (int) (axis < 0 ? axis + r : axis);
            if (a < 0 || a > r) {
                throw n.bad("axis " + axis + " is out of range for rank " + r);
            }
            Tensor x = ctx.onnx(n.input(0));
            int[] d = x.shape().dims();
            if (a == r - 1) {
                ctx.define(out, ctx.emit(out, type, attrs, DType.FLOAT32, x));
                return;
            }
            if (x.shape().isDynamic()) {
                throw n.unsupported("softmax over several axes of a dynamic-batch input is not supported");
            }
            long inner = 1;
            for (int i = a; i < r; i++) {
                inner *= d[i];
            }
            long outer = x.shape().elementCount() / Math.max(1, inner);
            Tensor flat = ctx.reshape(x, new int[] {(int) outer, (int) inner}, out + "_2d");
            Tensor y = ctx.emit(out + "_2d_out", type, attrs, DType.FLOAT32, flat);
            ctx.define(out, ctx.reshape(y, d, out));
            return;
        }
        int ia = ctx.axis(n.input(0), n.getInt("axis", -1));
        Tensor x = v.tensor();
        if (ia == r - 1) {
            ctx.define(out, ctx.emit(out, type, attrs, DType.FLOAT32, x), v.layout());
            return;
        }
        int[] perm = new int[r];
        for (int i = 0; i < r; i++) {
            perm[i] = i;
        }
        perm[ia] = r - 1;
        perm[r - 1] = ia;
        Tensor moved = ctx.transpose(x, perm, out + "_axis_last");
        Tensor y = ctx.emit(out + "_moved", type, attrs, DType.FLOAT32, moved);
        ctx.define(out, ctx.transpose(y, perm, out), v.layout());
    }

    private static void layerNorm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes("axis", "epsilon", "stash_type");
        Tensor x = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, x, DType.FLOAT32);
        int r = x.shape().rank();
        long axis = n.getInt("axis", -1);
        int a = (int) (axis < 0 ? axis + r : axis);
        if (a < 0 || a >= r) {
            throw n.bad("axis " + axis + " is out of range for rank " + r);
        }
        float eps = n.getFloat("epsilon", 1e-5f);
        int[] axes = new int[r - a];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = a + i;
        }
        String out = n.output(0);
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        Normalized normalized = normalize(ctx, x, axes, eps, out);
        Tensor mean = normalized.mean();
        Tensor inv = normalized.invStdDev();
        Tensor norm = normalized.y();
        Tensor y = ctx.emit(
                n.hasInput(2) ? out + "_scaled" : out, OpType.MUL, none, DType.FLOAT32, norm, ctx.onnx(n.input(1)));
        if (n.hasInput(2)) {
            y = ctx.emit(
                    out, OpType.ADD, new OpAttributes.Add(Activation.NONE), DType.FLOAT32, y, ctx.onnx(n.input(2)));
        }
        ctx.define(out, y);
        if (n.hasOutput(1)) {
            ctx.define(n.output(1), mean);
        }
        if (n.hasOutput(2)) {
            ctx.define(n.output(2), inv);
        }
    }

    /** μ, 1/√(σ² + ε) and (x − μ)/√(σ² + ε) over {@code axes}, as IR ops named after {@code out}. */
    private record Normalized(Tensor mean, Tensor invStdDev, Tensor y) {}

    private static Normalized normalize(OnnxContext ctx, Tensor x, int[] axes, float eps, String out) {
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        Tensor mean = ctx.emit(out + "_mean", OpType.MEAN, new OpAttributes.Mean(axes, true), DType.FLOAT32, x);
        Tensor centred = ctx.emit(out + "_centred", OpType.SUB, none, DType.FLOAT32, x, mean);
        Tensor sq = ctx.emit(out + "_squared", OpType.MUL, none, DType.FLOAT32, centred, centred);
        Tensor var = ctx.emit(out + "_variance", OpType.MEAN, new OpAttributes.Mean(axes, true), DType.FLOAT32, sq);
        Tensor varEps = ctx.emit(
                out + "_variance_eps",
                OpType.ADD,
                new OpAttributes.Add(Activation.NONE),
                DType.FLOAT32,
                var,
                ctx.constant(out + "_epsilon", Shape.of(), new float[] {eps}));
        Tensor inv = ctx.emit(out + "_rsqrt", OpType.RSQRT, OpAttributes.None.INSTANCE, DType.FLOAT32, varEps);
        Tensor norm = ctx.emit(out + "_normalized", OpType.MUL, none, DType.FLOAT32, centred, inv);
        return new Normalized(mean, inv, norm);
    }
}
