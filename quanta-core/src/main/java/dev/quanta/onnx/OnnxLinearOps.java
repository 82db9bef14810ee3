package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ONNX Conv, Gemm, MatMul and BatchNormalization.
 *
 * <ul>
 *   <li>Conv on channels-last input: weights OIHW → the IR's OHWI (CONV_2D); group = Cin with Cout a multiple →
 *       DEPTHWISE_CONV_2D with weights [1, kh, kw, Cout]; other groups → one CONV_2D per group on a SPLIT of the
 *       channels, then CONCATENATION. Pads that are TensorFlow's SAME run SAME, none VALID, others as an explicit
 *       PAD then VALID. Conv1D runs as 2-D with height 1.
 *   <li>Gemm: Y = α·A'·B' + β·C (A' = Aᵀ with transA, B' = Bᵀ with transB); a constant B becomes FULLY_CONNECTED with
 *       weights α·B' transposed to [N, K] and bias β·C when C is a vector.
 *   <li>MatMul with a constant 2-D right side → FULLY_CONNECTED (weights Bᵀ); of two activations → BATCH_MATMUL.
 *   <li>BatchNormalization (inference) → BATCH_NORM along the channel axis in the input's layout.
 * </ul>
 */
final class OnnxLinearOps {
    private OnnxLinearOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("Conv", OnnxLinearOps::conv);
        t.put("Gemm", OnnxLinearOps::gemm);
        t.put("MatMul", OnnxLinearOps::matMul);
        t.put("BatchNormalization", OnnxLinearOps::batchNorm);
        t.put("ConvTranspose", OnnxLinearOps::convTranspose);
    }

    private static void conv(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        int rank = ctx.rank(n.input(0));
        if (rank != 3 && rank != 4) {
            throw n.unsupported("input of rank " + rank + " is not supported (only Conv1D and Conv2D)");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        float[] w = ctx.constantFloats(n.input(1), "weights");
        int[] wd = ctx.onnxShape(n.input(1)).dims();
        if (wd.length != rank) {
            throw n.bad("weights of rank " + wd.length + " for an input of rank " + rank);
        }
        int[] xd = ctx.onnxShape(n.input(0)).dims();
        int group = n.getIntExact("group", 1);
        int cin = xd[1];
        int cout = wd[0];
        if (group < 1 || cin % group != 0 || cout % group != 0 || wd[1] != cin / group) {
            throw n.bad("weights " + java.util.Arrays.toString(wd) + " do not fit " + cin + " input channels in "
                    + group + " groups");
        }
        int[] kernel = java.util.Arrays.copyOfRange(wd, 2, wd.length);
        int[] ks = n.getIntsExact("kernel_shape");
        if (ks != null && !java.util.Arrays.equals(ks, kernel)) {
            throw n.bad("kernel_shape " + java.util.Arrays.toString(ks) + " differs from the weights' "
                    + java.util.Arrays.toString(kernel));
        }
        int[] spatial = java.util.Arrays.copyOfRange(xd, 2, xd.length);
        OnnxWindow win = OnnxWindow.of(n, spatial, kernel);
        float[] bias = n.hasInput(2) ? ctx.constantFloats(n.input(2), "bias") : null;
        if (bias != null && bias.length != cout) {
            throw n.bad("bias has " + bias.length + " values for " + cout + " output channels");
        }
        String base = n.output(0);
        Tensor x = OnnxWindow.toImage(ctx, ctx.channelsLast(n.input(0)), base);
        int[] in = {x.shape().dim(1), x.shape().dim(2)};
        Padding padding;
        if (win.isValid()) {
            padding = Padding.VALID;
        } else if (win.isSame(in)) {
            padding = Padding.SAME;
        } else {
            x = win.padInput(ctx, x, base, 0f);
            padding = Padding.VALID;
        }
        int kh = win.kernel()[0];
        int kw = win.kernel()[1];
        int cing = cin / group;
        Tensor y;
        if (group == 1) {
            y = conv2d(ctx, base, x, w, cout, kh, kw, cin, 0, cout, bias, padding, win);
        } else if (cing == 1) {
            // depthwise: W [C·m, 1, kh, kw] → [1, kh, kw, C·m]
            float[] dw = new float[w.length];
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < kh * kw; i++) {
                    dw[i * cout + o] = w[o * kh * kw + i];
                }
            }
            List<Tensor> ins =
                    new ArrayList<>(List.of(x, ctx.constant(base + "_weights", Shape.of(1, kh, kw, cout), dw)));
            ins.add(ctx.constant(base + "_bias", Shape.of(cout), bias != null ? bias : new float[cout]));
            y = ctx.emit(
                    base + (win.oneD() ? "_2d_out" : ""),
                    OpType.DEPTHWISE_CONV_2D,
                    win.depthwiseConv2D(padding, cout / cin, Activation.NONE),
                    DType.FLOAT32,
                    ins.toArray(Tensor[]::new));
        } else {
            List<Tensor> parts =
                    ctx.emitAll(base + "_group", OpType.SPLIT, new OpAttributes.Split(3, group), DType.FLOAT32, x);
            List<Tensor> outs = new ArrayList<>();
            int coutg = cout / group;
            for (int g = 0; g < group; g++) {
                float[] wg =
                        java.util.Arrays.copyOfRange(w, g * coutg * cing * kh * kw, (g + 1) * coutg * cing * kh * kw);
                outs.add(conv2d(
                        ctx,
                        base + "_g" + g,
                        parts.get(g),
                        wg,
                        coutg,
                        kh,
                        kw,
                        cing,
                        g * coutg,
                        coutg,
                        bias,
                        padding,
                        win));
            }
            y = ctx.emit(
                    base + (win.oneD() ? "_2d_out" : ""),
                    OpType.CONCATENATION,
                    new OpAttributes.Concatenation(3, Activation.NONE),
                    DType.FLOAT32,
                    outs.toArray(Tensor[]::new));
        }
        ctx.define(base, win.fromImage(ctx, y, base), OnnxLayout.CHANNELS_LAST);
    }

    /** CONV_2D with ONNX weights [cout, cin, kh, kw] moved to [cout, kh, kw, cin], bias from {@code biasFrom}. */
    private static Tensor conv2d(
            OnnxContext ctx,
            String name,
            Tensor x,
            float[] w,
            int cout,
            int kh,
            int kw,
            int cin,
            int biasFrom,
            int biasCount,
            float[] bias,
            Padding padding,
            OnnxWindow win) {
        float[] ohwi = new float[w.length];
        for (int o = 0; o < cout; o++) {
            for (int c = 0; c < cin; c++) {
                for (int i = 0; i < kh * kw; i++) {
                    ohwi[(o * kh * kw + i) * cin + c] = w[(o * cin + c) * kh * kw + i];
                }
            }
        }
        float[] b = bias == null
                ? new float[biasCount]
                : java.util.Arrays.copyOfRange(bias, biasFrom, biasFrom + biasCount);
        return ctx.emit(
                name + (win.oneD() ? "_2d_out" : ""),
                OpType.CONV_2D,
                win.conv2D(padding, Activation.NONE),
                DType.FLOAT32,
                x,
                ctx.constant(name + "_weights", Shape.of(cout, kh, kw, cin), ohwi),
                ctx.constant(name + "_bias", Shape.of(cout), b));
    }

    /**
     * ConvTranspose (1-D as 2-D of height 1, 2-D; any group, dilations, output_padding, output_shape, auto_pad) as
     * TRANSPOSE_CONV with VALID padding onto an output of at least the full size s·(in − 1) + k' (k' = d·(k − 1) + 1,
     * the kernel dilated with zeros), weights [Cin, Cout/g, kh, kw] → per group [Cout/g, kh', kw', Cin/g] on a SPLIT of
     * the channels then CONCATENATION, and a STRIDED_SLICE that keeps ONNX's window [pads_begin, pads_begin + out)
     * of it, where out = s·(in − 1) + output_padding + k' − pads_begin − pads_end (past the full size, by less than
     * the stride: bias only).
     * With output_shape (or auto_pad SAME_*, target in·s) the pads come from total = max(0, s·(in − 1) +
     * output_padding + k' − target): SAME_UPPER begins with ⌊total/2⌋, otherwise with total − ⌊total/2⌋.
     */
    private static void convTranspose(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes(
                "auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides");
        int rank = ctx.rank(n.input(0));
        if (rank != 3 && rank != 4) {
            throw n.unsupported("input of rank " + rank + " is not supported (only 1-D and 2-D)");
        }
        int sp = rank - 2;
        String autoPad = n.getString("auto_pad", "NOTSET");
        if (!List.of("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER").contains(autoPad)) {
            throw n.bad("auto_pad '" + autoPad + "' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        float[] w = ctx.constantFloats(n.input(1), "weights");
        int[] wd = ctx.onnxShape(n.input(1)).dims();
        int[] xd = ctx.onnxShape(n.input(0)).dims();
        int group = n.getIntExact("group", 1);
        if (wd.length != rank || group < 1 || wd[0] != xd[1] || xd[1] % group != 0 || wd[1] < 1) {
            throw n.bad("weights " + java.util.Arrays.toString(wd) + " do not fit " + xd[1] + " input channels in "
                    + group + " groups");
        }
        int cin = wd[0];
        int coutg = wd[1];
        int cout = coutg * group;
        int cing = cin / group;
        int[] kernel = java.util.Arrays.copyOfRange(wd, 2, rank);
        int[] ks = n.getIntsExact("kernel_shape");
        if (ks != null && !java.util.Arrays.equals(ks, kernel)) {
            throw n.bad("kernel_shape differs from the weights");
        }
        int[] strides = orDefault(n, "strides", sp, 1);
        int[] dil = orDefault(n, "dilations", sp, 1);
        int[] outPad = orDefault(n, "output_padding", sp, 0);
        int[] pads = n.getIntsExact("pads");
        if (pads == null || !autoPad.equals("NOTSET")) {
            pads = new int[2 * sp];
        }
        int[] outShape = n.getIntsExact("output_shape");
        if (outShape != null && outShape.length == rank) {
            outShape = java.util.Arrays.copyOfRange(outShape, 2, rank); // [N, C, spatial…] as some exporters wrote it
        }
        if (pads.length != 2 * sp || (outShape != null && outShape.length != sp)) {
            throw n.bad("pads or output_shape do not fit " + sp + " spatial axes");
        }
        // as 2-D (h, w): a 1-D op has height 1
        int[] k = new int[2];
        int[] s = new int[2];
        int[] d = new int[2];
        int[] in = new int[2];
        int[] begin = new int[2];
        int[] out = new int[2];
        int[] full = new int[2];
        int[] irOut = new int[2];
        for (int j = 0; j < 2; j++) {
            int i = j - (2 - sp); // ONNX spatial axis, or -1 for the added height
            k[j] = i < 0 ? 1 : kernel[i];
            s[j] = i < 0 ? 1 : strides[i];
            d[j] = i < 0 ? 1 : dil[i];
            in[j] = i < 0 ? 1 : xd[2 + i];
            int op = i < 0 ? 0 : outPad[i];
            if (k[j] < 1 || s[j] < 1 || d[j] < 1 || op < 0 || op >= Math.max(s[j], d[j]) || in[j] < 1) {
                throw n.bad("kernel, strides, dilations or output_padding out of range");
            }
            int keff = d[j] * (k[j] - 1) + 1;
            full[j] = s[j] * (in[j] - 1) + keff;
            if (i >= 0 && (outShape != null || autoPad.startsWith("SAME"))) {
                out[j] = outShape != null ? outShape[i] : in[j] * s[j];
                int total = Math.max(0, full[j] + op - out[j]);
                begin[j] = autoPad.equals("SAME_UPPER") ? total / 2 : total - total / 2;
            } else {
                int pb = i < 0 ? 0 : pads[i];
                int pe = i < 0 ? 0 : pads[i + sp];
                if (pb < 0 || pe < 0) {
                    throw n.bad("negative pads");
                }
                begin[j] = pb;
                out[j] = full[j] + op - pb - pe;
            }
            if (out[j] < 1) {
                throw n.bad("output size " + out[j]);
            }
            irOut[j] = Math.max(full[j], begin[j] + out[j]);
            if (irOut[j] - full[j] >= s[j]) {
                throw n.unsupported("an output " + (irOut[j] - full[j]) + " past the full size " + full[j] + " (stride "
                        + s[j] + ") is not supported");
            }
        }
        if ((long) irOut[0] * irOut[1] * cout > Shape.MAX_ELEMENTS) {
            throw n.unsupported("an output of " + irOut[0] + "x" + irOut[1] + "x" + cout + " per image is too large");
        }
        long khl = (long) d[0] * (k[0] - 1) + 1;
        long kwl = (long) d[1] * (k[1] - 1) + 1;
        if (khl * kwl * coutg * cin > Shape.MAX_ELEMENTS) {
            throw n.unsupported("a dilated kernel of " + khl + "x" + kwl + " is too large");
        }
        ctx.reserveComputed(khl * kwl * coutg * cin * 4, "the dilated weights");
        int kh = (int) khl;
        int kw = (int) kwl;
        float[] bias = n.hasInput(2) ? ctx.constantFloats(n.input(2), "bias") : new float[cout];
        if (bias.length != cout) {
            throw n.bad("bias has " + bias.length + " values for " + cout + " output channels");
        }
        String base = n.output(0);
        Tensor x = OnnxWindow.toImage(ctx, ctx.channelsLast(n.input(0)), base);
        List<Tensor> parts = group == 1
                ? List.of(x)
                : ctx.emitAll(base + "_group", OpType.SPLIT, new OpAttributes.Split(3, group), DType.FLOAT32, x);
        boolean crop = irOut[0] != out[0] || irOut[1] != out[1];
        boolean reshapeBack = sp == 1;
        List<Tensor> outs = new ArrayList<>();
        for (int g = 0; g < group; g++) {
            // [cing, coutg, k0, k1] of group g → [coutg, kh, kw, cing], taps spread by the dilations
            float[] wt = new float[coutg * kh * kw * cing];
            for (int i = 0; i < cing; i++) {
                for (int o = 0; o < coutg; o++) {
                    for (int a = 0; a < k[0]; a++) {
                        for (int b = 0; b < k[1]; b++) {
                            float v = w[(((g * cing + i) * coutg + o) * k[0] + a) * k[1] + b];
                            wt[((o * kh + a * d[0]) * kw + b * d[1]) * cing + i] = v;
                        }
                    }
                }
            }
            String name = group == 1 ? base : base + "_g" + g;
            outs.add(ctx.emit(
                    crop || reshapeBack || group > 1 ? name + "_full" : name,
                    OpType.TRANSPOSE_CONV,
                    new OpAttributes.TransposeConv(Padding.VALID, s[0], s[1], irOut[0], irOut[1], Activation.NONE),
                    DType.FLOAT32,
                    parts.get(g),
                    ctx.constant(name + "_weights", Shape.of(coutg, kh, kw, cing), wt),
                    ctx.constant(
                            name + "_bias",
                            Shape.of(coutg),
                            java.util.Arrays.copyOfRange(bias, g * coutg, (g + 1) * coutg))));
        }
        Tensor y = group == 1
                ? outs.get(0)
                : ctx.emit(
                        crop || reshapeBack ? base + "_concat" : base,
                        OpType.CONCATENATION,
                        new OpAttributes.Concatenation(3, Activation.NONE),
                        DType.FLOAT32,
                        outs.toArray(Tensor[]::new));
        if (crop) {
            int[] yd = y.shape().dims();
            int[] b = {0, begin[0], begin[1], 0};
            int[] e = {yd[0] < 0 ? 0 : yd[0], begin[0] + out[0], begin[1] + out[1], cout};
            y = ctx.emit(
                    reshapeBack ? base + "_cropped" : base,
                    OpType.STRIDED_SLICE,
                    new OpAttributes.StridedSlice(
                            b, e, new int[] {1, 1, 1, 1}, yd[0] < 0 ? 1 : 0, yd[0] < 0 ? 1 : 0, 0, false),
                    DType.FLOAT32,
                    y);
        }
        if (reshapeBack) {
            int[] yd = y.shape().dims();
            y = ctx.emit(base, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {yd[0], yd[2], yd[3]}), y.dtype(), y);
        }
        ctx.define(base, y, OnnxLayout.CHANNELS_LAST);
    }

    /** An ints attribute of {@code count} values, or {@code count} times {@code value} when absent. */
    private static int[] orDefault(OnnxNode n, String attr, int count, int value) {
        int[] v = n.getIntsExact(attr);
        if (v == null) {
            v = new int[count];
            java.util.Arrays.fill(v, value);
        }
        if (v.length != count) {
            throw n.bad("attribute '" + attr + "' has " + v.length + " values for " + count + " spatial axes");
        }
        return v;
    }

    private static void gemm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 3);
        n.allowAttributes("alpha", "beta", "transA", "transB", "broadcast");
        float alpha = n.getFloat("alpha", 1f);
        float beta = n.getFloat("beta", 1f);
        boolean transA = n.getInt("transA", 0) != 0;
        boolean transB = n.getInt("transB", 0) != 0;
        Tensor a = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, a, DType.FLOAT32);
        if (a.shape().rank() != 2 || ctx.rank(n.input(1)) != 2) {
            throw n.bad("A and B must be matrices");
        }
        String base = n.output(0);
        if (transA) {
            a = ctx.transpose(a, new int[] {1, 0}, base + "_a");
        }
        if (!ctx.isConstant(n.input(1))) {
            Tensor b = ctx.onnx(n.input(1));
            Tensor y = ctx.emit(
                    base + "_ab",
                    OpType.BATCH_MATMUL,
                    new OpAttributes.BatchMatMul(false, transB),
                    DType.FLOAT32,
                    a,
                    b);
            if (alpha != 1f) {
                y = ctx.emit(
                        base + "_alpha",
                        OpType.MUL,
                        new OpAttributes.Arithmetic(Activation.NONE),
                        DType.FLOAT32,
                        y,
                        ctx.constant(base + "_alpha_value", Shape.of(), new float[] {alpha}));
            }
            ctx.define(base, addC(n, ctx, y, beta, base));
            return;
        }
        float[] b = ctx.constantFloats(n.input(1), "B");
        int[] bd = ctx.onnxShape(n.input(1)).dims();
        int k = transB ? bd[1] : bd[0];
        int outs = transB ? bd[0] : bd[1];
        float[] w = new float[b.length]; // [N, K]
        for (int o = 0; o < outs; o++) {
            for (int i = 0; i < k; i++) {
                w[o * k + i] = alpha * (transB ? b[o * k + i] : b[i * outs + o]);
            }
        }
        Tensor wt = ctx.constant(base + "_weights", Shape.of(outs, k), w);
        float[] bias = null;
        if (n.hasInput(2) && ctx.isConstant(n.input(2))) {
            Shape cs = ctx.onnxShape(n.input(2));
            float[] c = ctx.constantFloats(n.input(2), "C");
            boolean vector = cs.rank() == 0 || cs.rank() == 1 || (cs.rank() == 2 && cs.dim(0) == 1);
            if (vector && (c.length == outs || c.length == 1)) {
                bias = new float[outs];
                for (int o = 0; o < outs; o++) {
                    bias[o] = beta * c[c.length == 1 ? 0 : o];
                }
            }
        }
        if (bias != null || !n.hasInput(2)) {
            ctx.define(
                    base,
                    ctx.emit(
                            base,
                            OpType.FULLY_CONNECTED,
                            new OpAttributes.FullyConnected(Activation.NONE),
                            DType.FLOAT32,
                            a,
                            wt,
                            ctx.constant(base + "_bias", Shape.of(outs), bias != null ? bias : new float[outs])));
            return;
        }
        Tensor y = ctx.emit(
                base + "_ab",
                OpType.FULLY_CONNECTED,
                new OpAttributes.FullyConnected(Activation.NONE),
                DType.FLOAT32,
                a,
                wt);
        ctx.define(base, addC(n, ctx, y, beta, base));
    }

    /** y + β·C (C absent: y). */
    private static Tensor addC(OnnxNode n, OnnxContext ctx, Tensor y, float beta, String base) {
        if (!n.hasInput(2) || beta == 0f) {
            return y;
        }
        Tensor c = ctx.onnx(n.input(2));
        if (beta != 1f) {
            c = ctx.emit(
                    base + "_beta",
                    OpType.MUL,
                    new OpAttributes.Arithmetic(Activation.NONE),
                    DType.FLOAT32,
                    c,
                    ctx.constant(base + "_beta_value", Shape.of(), new float[] {beta}));
        }
        return ctx.emit(base, OpType.ADD, new OpAttributes.Add(Activation.NONE), DType.FLOAT32, y, c);
    }

    private static void matMul(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes();
        Tensor a = ctx.onnx(n.input(0));
        OnnxElementwiseOps.requireType(n, a, DType.FLOAT32);
        String base = n.output(0);
        Shape bs = ctx.onnxShape(n.input(1));
        if (a.shape().rank() < 2 || bs.rank() < 2) {
            throw n.unsupported("1-D operands are not supported");
        }
        if (ctx.isConstant(n.input(1)) && bs.rank() == 2) {
            float[] b = ctx.constantFloats(n.input(1), "B");
            int k = bs.dim(0);
            int outs = bs.dim(1);
            float[] w = new float[b.length];
            for (int o = 0; o < outs; o++) {
                for (int i = 0; i < k; i++) {
                    w[o * k + i] = b[i * outs + o];
                }
            }
            ctx.define(
                    base,
                    ctx.emit(
                            base,
                            OpType.FULLY_CONNECTED,
                            new OpAttributes.FullyConnected(Activation.NONE),
                            DType.FLOAT32,
                            a,
                            ctx.constant(base + "_weights", Shape.of(outs, k), w)));
            return;
        }
        Tensor b = ctx.onnx(n.input(1));
        if (a.shape().rank() > 5 || b.shape().rank() > 5) {
            throw n.unsupported("operands of rank above 5 are not supported");
        }
        ctx.define(
                base,
                ctx.emit(base, OpType.BATCH_MATMUL, new OpAttributes.BatchMatMul(false, false), DType.FLOAT32, a, b));
    }

    private static void batchNorm(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(5, 5);
        n.allowAttributes("epsilon", "momentum", "spatial", "training_mode", "is_test");
        if (n.getInt("training_mode", 0) != 0) {
            throw n.unsupported("training_mode 1 is not supported (inference only)");
        }
        if (n.getInt("spatial", 1) != 1) {
            throw n.unsupported("spatial 0 is not supported");
        }
        for (int i = 1; i < n.outputCount(); i++) {
            if (n.hasOutput(i)) {
                throw n.unsupported("the training outputs (running mean and variance) are not supported");
            }
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        OnnxElementwiseOps.requireType(n, v.tensor(), DType.FLOAT32);
        int rank = v.tensor().shape().rank();
        if (rank < 2) {
            throw n.bad("input of rank " + rank);
        }
        int c = ctx.onnxShape(n.input(0)).dim(1);
        Tensor[] ins = new Tensor[5];
        ins[0] = v.tensor();
        String[] what = {"", "scale", "B", "mean", "var"};
        for (int i = 1; i < 5; i++) {
            float[] vals = ctx.constantFloats(n.input(i), what[i]);
            if (vals.length != c) {
                throw n.bad(what[i] + " has " + vals.length + " values for " + c + " channels");
            }
            ins[i] = ctx.constant(n.output(0) + "_" + what[i], Shape.of(c), vals);
        }
        int axis = ctx.axis(n.input(0), 1);
        float eps = n.getFloat("epsilon", 1e-5f);
        ctx.define(
                n.output(0),
                ctx.emit(
                        n.output(0),
                        OpType.BATCH_NORM,
                        new OpAttributes.BatchNorm(eps, axis, true, true),
                        DType.FLOAT32,
                        ins),
                v.layout());
    }
}
