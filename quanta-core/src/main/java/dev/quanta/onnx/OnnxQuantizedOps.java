package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * ONNX's quantized operators, run as written: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv, and the com.microsoft contrib ops QLinearAdd and QLinearMul.
 * QDQ patterns that map onto Quanta's integer ops are folded before translation by {@link OnnxQdqFolding}.
 *
 * <pre>
 * QuantizeLinear:    y = saturate(round(x / s) + zp)          float32 division, round half to even
 * DequantizeLinear:  y = (float(x) − float(zp)) · s
 * Integer ops:       acc = Σ (x − zp_x)·(w − zp_w) [+ bias]   in float32, exact while every partial sum is below
 *                                                            2^24 (checked from the weights, else refused)
 * QLinear ops:       y = saturate(round(acc · (s_x·s_w / s_y)) + zp_y)
 * </pre>
 *
 * Per-axis scales and zero points (1-D, along {@code axis}) broadcast along that axis. A QuantizeLinear whose scale
 * and zero point are per-tensor constants gives its int8/uint8/int16 output those {@link QuantParams}, so integer
 * kernels can read it.
 */
public final class OnnxQuantizedOps {
    private OnnxQuantizedOps() {}

    /** Largest integer up to which every float32 integer is exact. */
    private static final double EXACT_FLOAT_INTEGERS = 1 << 24;

    static void register(Map<String, OnnxTranslator> t) {
        t.put("QuantizeLinear", OnnxQuantizedOps::quantizeLinear);
        t.put("DequantizeLinear", OnnxQuantizedOps::dequantizeLinear);
        t.put("DynamicQuantizeLinear", OnnxQuantizedOps::dynamicQuantizeLinear);
        t.put("MatMulInteger", (n, ctx) -> matMul(n, ctx, false));
        t.put("QLinearMatMul", (n, ctx) -> matMul(n, ctx, true));
        t.put("ConvInteger", (n, ctx) -> conv(n, ctx, false));
        t.put("QLinearConv", (n, ctx) -> conv(n, ctx, true));
        t.put("QLinearAdd", (n, ctx) -> qlinearBinary(n, ctx, OpType.ADD));
        t.put("QLinearMul", (n, ctx) -> qlinearBinary(n, ctx, OpType.MUL));
        OnnxQdqFolding.register(t);
    }

    // ---- QuantizeLinear / DequantizeLinear ----

    private static void quantizeLinear(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes("axis", "saturate", "block_size", "output_dtype");
        refuseBlocks(n);
        DType out = quantizedType(n, ctx, n.hasInput(2) ? n.input(2) : null);
        String x = n.input(0);
        OnnxElementwiseOps.requireType(n, ctx.value(x).tensor(), DType.FLOAT32);
        long axis = n.getInt("axis", 1);
        String base = n.output(0);
        if (ctx.isConstant(x) && ctx.isConstant(n.input(1)) && (!n.hasInput(2) || ctx.isConstant(n.input(2)))) {
            ctx.define(base, quantizeConstant(n, ctx, x, n.input(1), n.hasInput(2) ? n.input(2) : null, axis, out));
            return;
        }
        ctx.define(
                base,
                quantize(n, ctx, x, n.input(1), n.hasInput(2) ? n.input(2) : null, axis, out, base),
                ctx.value(x).layout());
    }

    private static void dequantizeLinear(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes("axis", "block_size", "output_dtype");
        refuseBlocks(n);
        long outType = n.getInt("output_dtype", 0);
        if (outType != 0 && outType != 1) {
            throw n.unsupported("output_dtype " + OnnxTensors.typeName((int) outType) + " is not supported (float32)");
        }
        String x = n.input(0);
        OnnxElementwiseOps.requireType(n, ctx.value(x).tensor(), DType.INT8, DType.UINT8, DType.INT16, DType.INT32);
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(1)).tensor(), DType.FLOAT32);
        String zp = n.hasInput(2) ? n.input(2) : null;
        if (zp != null && ctx.dtype(zp) != ctx.dtype(x)) {
            throw n.bad("zero point is " + ctx.dtype(zp) + ", x is " + ctx.dtype(x));
        }
        long axis = n.getInt("axis", 1);
        String base = n.output(0);
        if (ctx.isConstant(x) && ctx.isConstant(n.input(1)) && (zp == null || ctx.isConstant(zp))) {
            ctx.define(base, dequantizeConstant(n, ctx, x, n.input(1), zp, axis));
            return;
        }
        ctx.define(
                base,
                dequantize(n, ctx, x, n.input(1), zp, axis, base),
                ctx.value(x).layout());
    }

    /** block_size (opset 21) other than 0 is blocked quantization, which Quanta does not run. */
    private static void refuseBlocks(OnnxNode n) {
        if (n.getInt("block_size", 0) != 0) {
            throw n.unsupported("block_size " + n.getInt("block_size", 0) + " (blocked quantization) is not supported");
        }
    }

    /** The output type of a QuantizeLinear: the zero point's, else output_dtype, else uint8. */
    private static DType quantizedType(OnnxNode n, OnnxContext ctx, String zp) {
        DType out;
        long attr = n.getInt("output_dtype", 0);
        if (zp != null) {
            out = ctx.dtype(zp);
            if (attr != 0 && OnnxTensors.irType((int) attr) != out) {
                throw n.bad(
                        "output_dtype " + OnnxTensors.typeName((int) attr) + " differs from the zero point's " + out);
            }
        } else if (attr != 0) {
            out = OnnxTensors.irType((int) attr);
            if (out == null) {
                throw n.unsupported("output_dtype " + OnnxTensors.typeName((int) attr) + " is not supported");
            }
        } else {
            out = DType.UINT8;
        }
        if (out != DType.INT8 && out != DType.UINT8 && out != DType.INT16) {
            throw n.unsupported("quantized type " + out + " is not supported (int8, uint8, int16)");
        }
        return out;
    }

    /**
     * IR ops of y = saturate(round(x / s) + zp) on value {@code x} in its own layout; the output carries per-tensor
     * {@link QuantParams} when s and zp are constants with one value each.
     */
    static Tensor quantize(
            OnnxNode n, OnnxContext ctx, String x, String scale, String zp, long axis, DType out, String base) {
        Tensor xt = ctx.value(x).tensor();
        Tensor q = ctx.emit(
                base + "_scaled",
                OpType.DIV,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                xt,
                param(n, ctx, scale, x, axis, base + "_scale"));
        q = ctx.emit(base + "_rounded", OpType.ROUND, OpAttributes.None.INSTANCE, DType.FLOAT32, q);
        if (zp != null && !isZero(ctx, zp)) {
            q = ctx.emit(
                    base + "_shifted",
                    OpType.ADD,
                    new OpAttributes.Add(Activation.NONE),
                    DType.FLOAT32,
                    q,
                    param(n, ctx, zp, x, axis, base + "_zero_point"));
        }
        q = saturate(ctx, q, out, base);
        return emitWithParams(
                ctx, base, OpType.CAST, OpAttributes.None.INSTANCE, out, perTensorParams(ctx, scale, zp), q);
    }

    /** MAXIMUM with qmin, MINIMUM with qmax of {@code type} (float32). */
    static Tensor saturate(OnnxContext ctx, Tensor q, DType type, String base) {
        q = ctx.emit(
                base + "_low",
                OpType.MAXIMUM,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                q,
                ctx.constant(base + "_qmin", Shape.of(), new float[] {qmin(type)}));
        return ctx.emit(
                base + "_saturated",
                OpType.MINIMUM,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                q,
                ctx.constant(base + "_qmax", Shape.of(), new float[] {qmax(type)}));
    }

    /** IR ops of y = (float(x) − float(zp)) · s on value {@code x} in its own layout. */
    static Tensor dequantize(OnnxNode n, OnnxContext ctx, String x, String scale, String zp, long axis, String base) {
        Tensor y = toFloat(ctx, ctx.value(x).tensor(), base + "_float");
        if (zp != null && !isZero(ctx, zp)) {
            y = ctx.emit(
                    base + "_centred",
                    OpType.SUB,
                    new OpAttributes.Arithmetic(Activation.NONE),
                    DType.FLOAT32,
                    y,
                    param(n, ctx, zp, x, axis, base + "_zero_point"));
        }
        return ctx.emit(
                base,
                OpType.MUL,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                y,
                param(n, ctx, scale, x, axis, base + "_scale"));
    }

    private static Tensor quantizeConstant(
            OnnxNode n, OnnxContext ctx, String x, String scale, String zp, long axis, DType out) {
        float[] v = ctx.constantFloats(x, "x");
        int[] dims = ctx.onnxShape(x).dims();
        float[] s = ctx.constantFloats(scale, "scale");
        long[] z = zp == null ? new long[s.length] : ctx.constantLongs(zp, "zero point");
        int[] index = channelIndex(n, dims, axis, s.length, z.length);
        long[] q = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = index == null ? 0 : index[i];
            q[i] = quantizeValue(v[i], s[c], z[c], out);
        }
        QuantParams params = index == null
                ? QuantParams.perTensor(s[0], z[0])
                : QuantParams.perAxis(s, z, (int) (axis < 0 ? axis + dims.length : axis));
        return new Tensor(ctx.unique(n.output(0)), Shape.of(dims), out, integerData(out, q), params, false);
    }

    /** saturate(round_half_even(v / s) + zp) with the float32 quotient. */
    static long quantizeValue(float v, float s, long zp, DType type) {
        float quotient = v / s;
        if (Float.isNaN(quotient)) {
            return Math.max(qmin(type), Math.min(qmax(type), zp));
        }
        double q = Math.rint(quotient) + zp;
        return (long) Math.max(qmin(type), Math.min(qmax(type), q));
    }

    private static Tensor dequantizeConstant(
            OnnxNode n, OnnxContext ctx, String x, String scale, String zp, long axis) {
        long[] v = ctx.constantLongs(x, "x");
        int[] dims = ctx.onnxShape(x).dims();
        float[] s = ctx.constantFloats(scale, "scale");
        long[] z = zp == null ? new long[s.length] : ctx.constantLongs(zp, "zero point");
        int[] index = channelIndex(n, dims, axis, s.length, z.length);
        float[] y = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            int c = index == null ? 0 : index[i];
            y[i] = ((float) v[i] - (float) z[c]) * s[c];
        }
        return ctx.constant(n.output(0), Shape.of(dims), y);
    }

    /**
     * For per-axis parameters (more than one value) the index along {@code axis} of every element of a tensor of
     * {@code dims} (ONNX order); null for per-tensor parameters.
     */
    private static int[] channelIndex(OnnxNode n, int[] dims, long axis, int scales, int zeroPoints) {
        if (scales != zeroPoints) {
            throw n.bad("scale has " + scales + " values, zero point " + zeroPoints);
        }
        if (scales == 1) {
            return null;
        }
        long a = axis < 0 ? axis + dims.length : axis;
        if (a < 0 || a >= dims.length || dims[(int) a] != scales) {
            throw n.bad(scales + " scales do not fit axis " + axis + " of shape " + Arrays.toString(dims));
        }
        int inner = 1;
        for (int i = (int) a + 1; i < dims.length; i++) {
            inner *= dims[i];
        }
        int count = 1;
        for (int d : dims) {
            count *= d;
        }
        int[] index = new int[count];
        for (int i = 0; i < count; i++) {
            index[i] = (i / inner) % scales;
        }
        return index;
    }

    // ---- DynamicQuantizeLinear ----

    /**
     * DynamicQuantizeLinear (uint8): lo = min(0, min x), hi = max(0, max x), s = (hi − lo) / 255,
     * zp = round(saturate(−lo / s)), y = saturate(round(x / s) + zp).
     */
    private static void dynamicQuantizeLinear(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        String x = n.input(0);
        Tensor xt = ctx.value(x).tensor();
        OnnxElementwiseOps.requireType(n, xt, DType.FLOAT32);
        String base = n.output(0);
        int rank = xt.shape().rank();
        int[] all = new int[rank];
        for (int i = 0; i < rank; i++) {
            all[i] = i;
        }
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        Tensor zero = ctx.constant(base + "_zero", Shape.of(), new float[] {0f});
        Tensor hi = ctx.emit(base + "_max", OpType.REDUCE_MAX, new OpAttributes.Reduce(all, false), DType.FLOAT32, xt);
        Tensor lo = ctx.emit(base + "_min", OpType.REDUCE_MIN, new OpAttributes.Reduce(all, false), DType.FLOAT32, xt);
        hi = ctx.emit(base + "_hi", OpType.MAXIMUM, none, DType.FLOAT32, hi, zero);
        lo = ctx.emit(base + "_lo", OpType.MINIMUM, none, DType.FLOAT32, lo, zero);
        Tensor range = ctx.emit(base + "_range", OpType.SUB, none, DType.FLOAT32, hi, lo);
        Tensor scale = ctx.emit(
                base + "_y_scale",
                OpType.DIV,
                none,
                DType.FLOAT32,
                range,
                ctx.constant(base + "_levels", Shape.of(), new float[] {255f}));
        Tensor zp = ctx.emit(base + "_lo_scaled", OpType.DIV, none, DType.FLOAT32, lo, scale);
        zp = ctx.emit(base + "_zp_real", OpType.SUB, none, DType.FLOAT32, zero, zp);
        zp = saturate(ctx, zp, DType.UINT8, base + "_zp");
        zp = ctx.emit(base + "_zp_rounded", OpType.ROUND, OpAttributes.None.INSTANCE, DType.FLOAT32, zp);
        Tensor y = ctx.emit(base + "_scaled", OpType.DIV, none, DType.FLOAT32, xt, scale);
        y = ctx.emit(base + "_rounded", OpType.ROUND, OpAttributes.None.INSTANCE, DType.FLOAT32, y);
        y = ctx.emit(base + "_shifted", OpType.ADD, new OpAttributes.Add(Activation.NONE), DType.FLOAT32, y, zp);
        y = saturate(ctx, y, DType.UINT8, base);
        ctx.define(
                base,
                ctx.emit(base, OpType.CAST, OpAttributes.None.INSTANCE, DType.UINT8, y),
                ctx.value(x).layout());
        if (n.hasOutput(1)) {
            ctx.define(n.output(1), scale);
        }
        if (n.hasOutput(2)) {
            ctx.define(n.output(2), ctx.emit(n.output(2), OpType.CAST, OpAttributes.None.INSTANCE, DType.UINT8, zp));
        }
    }

    // ---- MatMulInteger / QLinearMatMul ----

    /**
     * MatMulInteger (int32 output) and QLinearMatMul: BATCH_MATMUL of the centred operands in float32, exact while
     * the accumulations stay below 2^24.
     */
    private static void matMul(OnnxNode n, OnnxContext ctx, boolean qlinear) {
        if (qlinear) {
            n.requireInputs(8, 8);
        } else {
            n.requireInputs(2, 4);
        }
        n.allowAttributes();
        String a = n.input(0);
        String b = n.input(qlinear ? 3 : 1);
        String aZp = n.hasInput(qlinear ? 2 : 2) ? n.input(2) : null;
        String bZp = n.hasInput(qlinear ? 5 : 3) ? n.input(qlinear ? 5 : 3) : null;
        for (String v : new String[] {a, b}) {
            OnnxElementwiseOps.requireType(n, ctx.value(v).tensor(), DType.INT8, DType.UINT8);
        }
        Shape as = ctx.onnxShape(a);
        Shape bs = ctx.onnxShape(b);
        if (as.rank() < 2 || bs.rank() < 2) {
            throw n.unsupported("1-D operands are not supported");
        }
        String base = n.output(0);
        Tensor af = centred(n, ctx, ctx.onnx(a), aZp, as.rank() - 2, base + "_a");
        Tensor bf = centred(n, ctx, ctx.onnx(b), bZp, bs.rank() - 1, base + "_b");
        int k = as.dim(as.rank() - 1);
        requireExact(n, bf, k, 0, bs.rank() - 1);
        Tensor acc = ctx.emit(
                base + "_acc", OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(false, false), DType.FLOAT32, af, bf);
        if (!qlinear) {
            ctx.define(base, ctx.emit(base, OpType.CAST, OpAttributes.None.INSTANCE, DType.INT32, acc));
            return;
        }
        Tensor m = multiplier(n, ctx, n.input(1), n.input(4), n.input(6), base);
        ctx.define(base, requantize(n, ctx, acc, m, n.input(6), n.input(7), base));
    }

    /**
     * float(v) − zp in float32. A 1-D zero point of more than one value lies along {@code axis} of {@code v}; a
     * constant v gives a constant.
     */
    private static Tensor centred(OnnxNode n, OnnxContext ctx, Tensor v, String zp, int axis, String base) {
        int[] dims = v.shape().dims();
        if (v.isConstant() && (zp == null || ctx.isConstant(zp))) {
            long[] q = OnnxTensors.longs(v.data());
            long[] z = zp == null ? new long[] {0} : ctx.constantLongs(zp, "zero point");
            int[] index = channelIndex(n, dims, axis, z.length, z.length);
            float[] f = new float[q.length];
            for (int i = 0; i < q.length; i++) {
                f[i] = q[i] - z[index == null ? 0 : index[i]];
            }
            return ctx.constant(base + "_centred", v.shape(), f);
        }
        Tensor f = toFloat(ctx, v, base + "_float");
        if (zp == null || isZero(ctx, zp)) {
            return f;
        }
        Tensor z = toFloat(ctx, ctx.onnx(zp), base + "_zero_point");
        if (z.shape().elementCount() > 1) {
            int[] shape = new int[dims.length];
            Arrays.fill(shape, 1);
            shape[axis] = (int) z.shape().elementCount();
            z = ctx.reshape(z, shape, base + "_zero_point_axis");
        }
        return ctx.emit(
                base + "_centred", OpType.SUB, new OpAttributes.Arithmetic(Activation.NONE), DType.FLOAT32, f, z);
    }

    /**
     * Refuses accumulations float32 may not hold exactly: {@code k} products of at most 255·255 unless the centred
     * constant weights {@code w} bound every output: 255 · Σ_k |w| + |bias| &lt; 2^24 along {@code outAxis}.
     */
    private static void requireExact(OnnxNode n, Tensor w, int k, double bias, int outAxis) {
        if ((double) k * 255 * 255 + bias < EXACT_FLOAT_INTEGERS) {
            return;
        }
        if (w.isConstant()) {
            float[] v = w.data().floats();
            int[] dims = w.shape().dims();
            int inner = 1;
            for (int i = outAxis + 1; i < dims.length; i++) {
                inner *= dims[i];
            }
            int channels = dims[outAxis];
            double[] sums = new double[channels];
            for (int i = 0; i < v.length; i++) {
                sums[(i / inner) % channels] += Math.abs(v[i]);
            }
            double worst = 0;
            for (double s : sums) {
                worst = Math.max(worst, s);
            }
            if (255 * worst + bias < EXACT_FLOAT_INTEGERS) {
                return;
            }
        }
        throw n.unsupported("accumulations of " + k + " products may exceed 2^24, beyond what Quanta's float32"
                + " evaluation of this op holds exactly");
    }

    /** m = (s_x · s_w) / s_y in float32 (constant when the scales are). */
    private static Tensor multiplier(OnnxNode n, OnnxContext ctx, String sx, String sw, String sy, String base) {
        for (String s : new String[] {sx, sw, sy}) {
            OnnxElementwiseOps.requireType(n, ctx.value(s).tensor(), DType.FLOAT32);
        }
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        if (ctx.isConstant(sx) && ctx.isConstant(sw) && ctx.isConstant(sy)) {
            float x = ctx.constantFloats(sx, "x scale")[0];
            float y = ctx.constantFloats(sy, "y scale")[0];
            float[] w = ctx.constantFloats(sw, "w scale");
            float[] m = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                m[i] = (x * w[i]) / y;
            }
            return ctx.constant(base + "_multiplier", Shape.of(m.length), m);
        }
        Tensor xw = ctx.emit(base + "_sxsw", OpType.MUL, none, DType.FLOAT32, ctx.onnx(sx), ctx.onnx(sw));
        return ctx.emit(base + "_multiplier", OpType.DIV, none, DType.FLOAT32, xw, ctx.onnx(sy));
    }

    /**
     * saturate(round(acc · m) + zp_y) of the type of {@code yZp} (acc in ONNX order, m along its last axis); the
     * output carries y's per-tensor parameters when they are constants, so that data movement after it (a layout
     * TRANSPOSE) runs on the integers.
     */
    private static Tensor requantize(
            OnnxNode n, OnnxContext ctx, Tensor acc, Tensor m, String yScale, String yZp, String base) {
        DType out = ctx.dtype(yZp);
        if (out != DType.INT8 && out != DType.UINT8) {
            throw n.unsupported("output type " + out + " is not supported (int8, uint8)");
        }
        Tensor y = ctx.emit(
                base + "_real", OpType.MUL, new OpAttributes.Arithmetic(Activation.NONE), DType.FLOAT32, acc, m);
        y = ctx.emit(base + "_rounded", OpType.ROUND, OpAttributes.None.INSTANCE, DType.FLOAT32, y);
        if (!isZero(ctx, yZp)) {
            y = ctx.emit(
                    base + "_shifted",
                    OpType.ADD,
                    new OpAttributes.Add(Activation.NONE),
                    DType.FLOAT32,
                    y,
                    toFloat(ctx, ctx.onnx(yZp), base + "_zero_point"));
        }
        y = saturate(ctx, y, out, base);
        return emitWithParams(
                ctx, base, OpType.CAST, OpAttributes.None.INSTANCE, out, perTensorParams(ctx, yScale, yZp), y);
    }

    // ---- ConvInteger / QLinearConv ----

    /**
     * ConvInteger (int32 output) and QLinearConv: ONNX's Conv (as Quanta imports it) of the centred input and the
     * centred constant weights in float32, then for QLinearConv the per-channel requantization.
     */
    private static void conv(OnnxNode n, OnnxContext ctx, boolean qlinear) {
        if (qlinear) {
            n.requireInputs(8, 9);
        } else {
            n.requireInputs(2, 4);
        }
        n.allowAttributes("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        String x = n.input(0);
        String w = n.input(qlinear ? 3 : 1);
        String xZp = qlinear ? n.input(2) : n.input(2);
        String wZp = qlinear ? n.input(5) : n.input(3);
        OnnxElementwiseOps.requireType(n, ctx.value(x).tensor(), DType.INT8, DType.UINT8);
        OnnxElementwiseOps.requireType(n, ctx.value(w).tensor(), DType.INT8, DType.UINT8);
        String base = n.output(0);
        Tensor wc = centred(n, ctx, ctx.onnx(w), wZp.isEmpty() ? null : wZp, 0, base + "_w");
        if (!wc.isConstant()) {
            throw n.unsupported("weights must be a constant (an initializer or computed from constants)");
        }
        float[] bias = null;
        double biasBound = 0;
        if (qlinear && n.hasInput(8)) {
            long[] b = ctx.constantLongs(n.input(8), "bias");
            bias = new float[b.length];
            for (int i = 0; i < b.length; i++) {
                bias[i] = b[i];
                biasBound = Math.max(biasBound, Math.abs((double) b[i]));
            }
        }
        int[] wd = wc.shape().dims();
        requireExact(n, wc, (int) (wc.shape().elementCount() / wd[0]), biasBound, 0);
        String xName = base + "/centred_input";
        String wName = base + "/centred_weights";
        ctx.define(
                xName,
                centredValue(n, ctx, x, xZp.isEmpty() ? null : xZp, base + "_x"),
                ctx.value(x).layout());
        ctx.define(wName, wc);
        NodeProto.Builder proto = NodeProto.newBuilder()
                .setName(n.name())
                .setOpType("Conv")
                .addInput(xName)
                .addInput(wName)
                .addOutput(base + "/accumulator");
        if (bias != null) {
            String bName = base + "/bias";
            ctx.define(bName, ctx.constant(bName, Shape.of(bias.length), bias));
            proto.addInput(bName);
        }
        for (String attr : new String[] {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}) {
            AttributeProto a = n.attribute(attr);
            if (a != null) {
                proto.addAttribute(a);
            }
        }
        OnnxNode convNode = new OnnxNode(proto.build(), n.file(), n.opset());
        ctx.setNode(convNode);
        try {
            OnnxOps.translator("Conv").translate(convNode, ctx);
        } finally {
            ctx.setNode(n);
        }
        OnnxContext.Value acc = ctx.value(base + "/accumulator");
        if (!qlinear) {
            // int32 values are cast in ONNX order: the IR moves no int32 tensor between layouts
            Tensor onnxAcc = ctx.onnx(base + "/accumulator");
            ctx.define(base, ctx.emit(base, OpType.CAST, OpAttributes.None.INSTANCE, DType.INT32, onnxAcc));
            return;
        }
        Tensor m = multiplier(n, ctx, n.input(1), n.input(4), n.input(6), base);
        if (m.shape().elementCount() > 1) {
            int[] shape = new int[acc.tensor().shape().rank()];
            Arrays.fill(shape, 1);
            shape[ctx.axis(base + "/accumulator", 1)] = (int) m.shape().elementCount();
            m = ctx.reshape(m, shape, base + "_multiplier_axis");
        }
        ctx.define(base, requantize(n, ctx, acc.tensor(), m, n.input(6), n.input(7), base), acc.layout());
    }

    /** float(x) − zp of value {@code x} in its own layout (zp per tensor). */
    private static Tensor centredValue(OnnxNode n, OnnxContext ctx, String x, String zp, String base) {
        Tensor f = toFloat(ctx, ctx.value(x).tensor(), base + "_float");
        if (zp == null || isZero(ctx, zp)) {
            return f;
        }
        if (ctx.onnxShape(zp).elementCount() != 1) {
            throw n.unsupported("a per-channel input zero point is not supported");
        }
        return ctx.emit(
                base + "_centred",
                OpType.SUB,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                f,
                toFloat(ctx, ctx.onnx(zp), base + "_zero_point"));
    }

    // ---- com.microsoft QLinearAdd / QLinearMul ----

    /**
     * QLinearAdd / QLinearMul (com.microsoft): C = quantize(dequantize(A) ∘ dequantize(B)) with C's scale and zero
     * point, all per tensor.
     */
    private static void qlinearBinary(OnnxNode n, OnnxContext ctx, OpType type) {
        n.requireInputs(7, 8);
        n.allowAttributes();
        String base = n.output(0);
        OnnxContext.Value av = ctx.value(n.input(0));
        OnnxContext.Value bv = ctx.value(n.input(3));
        boolean channelsLast =
                av.channelsLast() && (bv.channelsLast() || bv.tensor().shape().rank() <= 1);
        Tensor a = channelsLast
                ? dequantize(n, ctx, n.input(0), n.input(1), n.input(2), -1, base + "_a")
                : dequantizeOnnx(n, ctx, n.input(0), n.input(1), n.input(2), base + "_a");
        Tensor b = channelsLast && bv.channelsLast()
                ? dequantize(n, ctx, n.input(3), n.input(4), n.input(5), -1, base + "_b")
                : dequantizeOnnx(n, ctx, n.input(3), n.input(4), n.input(5), base + "_b");
        OpAttributes attrs = type == OpType.ADD
                ? new OpAttributes.Add(Activation.NONE)
                : new OpAttributes.Arithmetic(Activation.NONE);
        Tensor c = ctx.emit(base + "_real", type, attrs, DType.FLOAT32, a, b);
        String cName = base + "/real";
        ctx.define(cName, c, channelsLast ? OnnxLayout.CHANNELS_LAST : OnnxLayout.ONNX);
        String zp = n.hasInput(7) ? n.input(7) : null;
        DType out = zp != null ? ctx.dtype(zp) : DType.UINT8;
        if (out != DType.INT8 && out != DType.UINT8) {
            throw n.unsupported("output type " + out + " is not supported (int8, uint8)");
        }
        ctx.define(
                base,
                quantize(n, ctx, cName, n.input(6), zp, 1, out, base),
                ctx.value(cName).layout());
    }

    private static Tensor dequantizeOnnx(OnnxNode n, OnnxContext ctx, String x, String s, String zp, String base) {
        String name = base + "/onnx";
        ctx.define(name, ctx.onnx(x));
        return dequantize(n, ctx, name, s, zp.isEmpty() ? null : zp, 1, base);
    }

    // ---- helpers ----

    /**
     * Scale or zero point {@code p} as float32, shaped to broadcast over value {@code x}: one value as it is, a 1-D
     * tensor along {@code axis} of x (in x's layout).
     */
    private static Tensor param(OnnxNode n, OnnxContext ctx, String p, String x, long axis, String base) {
        Tensor t = toFloat(ctx, ctx.onnx(p), base);
        long count = t.shape().elementCount();
        if (count == 1) {
            return t.shape().rank() == 0 ? t : ctx.reshape(t, new int[0], base + "_scalar");
        }
        if (t.shape().rank() != 1) {
            throw n.unsupported("parameters of shape " + t.shape() + " (blocked quantization) are not supported");
        }
        int rank = ctx.rank(x);
        int irAxis = ctx.axis(x, axis);
        int[] dims = ctx.value(x).tensor().shape().dims();
        if (dims[irAxis] != count && dims[irAxis] >= 0) {
            throw n.bad(count + " per-axis parameters for axis " + axis + " of size " + dims[irAxis]);
        }
        int[] shape = new int[rank];
        Arrays.fill(shape, 1);
        shape[irAxis] = (int) count;
        return ctx.reshape(t, shape, base + "_axis");
    }

    /** {@code t} as float32: itself, converted constant data, or a CAST. */
    static Tensor toFloat(OnnxContext ctx, Tensor t, String base) {
        if (t.dtype() == DType.FLOAT32) {
            return t;
        }
        if (t.isConstant()) {
            return ctx.constant(base, t.shape(), OnnxTensors.floats(t.data()));
        }
        return ctx.emit(base, OpType.CAST, OpAttributes.None.INSTANCE, DType.FLOAT32, t);
    }

    /** True when value {@code name} is a constant of zeros. */
    static boolean isZero(OnnxContext ctx, String name) {
        if (!ctx.isConstant(name)) {
            return false;
        }
        for (long v : OnnxTensors.longs(ctx.onnx(name).data())) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /** Per-tensor parameters of constant one-value scale and zero point, else null. */
    static QuantParams perTensorParams(OnnxContext ctx, String scale, String zp) {
        if (!ctx.isConstant(scale) || zp != null && !ctx.isConstant(zp)) {
            return null;
        }
        float[] s = OnnxTensors.floats(ctx.onnx(scale).data());
        long[] z = zp == null ? new long[] {0} : OnnxTensors.longs(ctx.onnx(zp).data());
        return s.length == 1 && z.length == 1 ? QuantParams.perTensor(s[0], z[0]) : null;
    }

    /** {@link OnnxContext#emit}, the output carrying {@code params}. */
    static Tensor emitWithParams(
            OnnxContext ctx,
            String name,
            OpType type,
            OpAttributes attrs,
            DType outType,
            QuantParams params,
            Tensor... inputs) {
        Tensor t = ctx.emit(name, type, attrs, outType, inputs);
        if (params == null) {
            return t;
        }
        List<Op> ops = ctx.ops();
        Op op = ops.get(ops.size() - 1);
        Tensor withParams = new Tensor(t.name(), t.shape(), t.dtype(), null, params, false);
        ops.set(ops.size() - 1, new Op(op.name(), op.type(), op.inputs(), List.of(withParams), attrs, op.origin()));
        return withParams;
    }

    static int qmin(DType t) {
        return switch (t) {
            case INT8 -> -128;
            case UINT8 -> 0;
            case INT16 -> -32768;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    static int qmax(DType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            case INT16 -> 32767;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    /** Integer tensor data of {@code type} from values already in its range. */
    static TensorData integerData(DType type, long[] v) {
        return switch (type) {
            case INT8, UINT8 -> {
                byte[] b = new byte[v.length];
                for (int i = 0; i < v.length; i++) {
                    b[i] = (byte) v[i];
                }
                yield TensorData.ofBytes(type, b);
            }
            case INT16 -> {
                short[] s = new short[v.length];
                for (int i = 0; i < v.length; i++) {
                    s[i] = (short) v[i];
                }
                yield OnnxTensors.fromArray(type, s);
            }
            case INT32 -> {
                int[] s = new int[v.length];
                for (int i = 0; i < v.length; i++) {
                    s[i] = (int) v[i];
                }
                yield OnnxTensors.fromArray(type, s);
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }
}
