package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * ONNX pooling on channels-last values: MaxPool and AveragePool (1-D and 2-D) → MAX_POOL_2D / AVERAGE_POOL_2D,
 * GlobalAveragePool → MEAN and GlobalMaxPool → REDUCE_MAX over the spatial axes (kept as size 1).
 *
 * <p>Pads: TensorFlow SAME pads run SAME (max ignores the pads; average divides by the real elements, as ONNX's
 * count_include_pad = 0); other pads run as an explicit pad then VALID: with −∞ for MaxPool, with zeros for
 * AveragePool with count_include_pad = 1 (else refused). ceil_mode grows the pads after each axis (MaxPool only).
 */
final class OnnxSpatialOps {
    private OnnxSpatialOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("MaxPool", (n, ctx) -> pool(n, ctx, true));
        t.put("AveragePool", (n, ctx) -> pool(n, ctx, false));
        t.put("GlobalAveragePool", (n, ctx) -> global(n, ctx, OpType.MEAN));
        t.put("GlobalMaxPool", (n, ctx) -> global(n, ctx, OpType.REDUCE_MAX));
        t.put("LRN", OnnxSpatialOps::lrn);
        t.put("Resize", OnnxSpatialOps::resize);
        t.put("Upsample", OnnxSpatialOps::resize);
    }

    private static void pool(OnnxNode n, OnnxContext ctx, boolean max) {
        n.requireInputs(1, 1);
        if (max) {
            n.allowAttributes("auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides");
            if (n.hasOutput(1)) {
                throw n.unsupported("the Indices output is not supported");
            }
        } else {
            n.allowAttributes(
                    "auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides");
        }
        int rank = ctx.rank(n.input(0));
        if (rank != 3 && rank != 4) {
            throw n.unsupported("input of rank " + rank + " is not supported (only 1-D and 2-D pooling)");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        int[] kernel = n.getIntsExact("kernel_shape");
        if (kernel == null) {
            throw n.bad("kernel_shape is required");
        }
        int[] xd = ctx.onnxShape(n.input(0)).dims();
        int[] spatial = java.util.Arrays.copyOfRange(xd, 2, xd.length);
        OnnxWindow win = OnnxWindow.of(n, spatial, kernel);
        for (int d : win.dilations()) {
            if (d != 1) {
                throw n.unsupported("dilations above 1 are not supported");
            }
        }
        String base = n.output(0);
        Tensor x = OnnxWindow.toImage(ctx, ctx.channelsLast(n.input(0)), base);
        int[] in = {x.shape().dim(1), x.shape().dim(2)};
        boolean ceil = n.getInt("ceil_mode", 0) != 0;
        if (ceil) {
            int[] extra = new int[2];
            for (int i = 0; i < 2; i++) {
                int floorOut = win.outputSize(i, in[i], false);
                int ceilOut = win.outputSize(i, in[i], true);
                // ONNX drops a last window that would start in the end padding
                if (ceilOut > floorOut && (ceilOut - 1) * win.strides()[i] >= in[i] + win.before()[i]) {
                    ceilOut--;
                }
                extra[i] = (ceilOut - floorOut) * win.strides()[i];
            }
            if (extra[0] != 0 || extra[1] != 0) {
                if (!max) {
                    throw n.unsupported("ceil_mode 1 that adds windows is not supported for AveragePool");
                }
                win = win.withExtraAfter(extra);
            }
        }
        boolean countPad = n.getInt("count_include_pad", 0) != 0;
        Padding padding;
        if (win.isValid()) {
            padding = Padding.VALID;
        } else if (win.isSame(in) && !countPad) {
            padding = Padding.SAME;
        } else if (max) {
            x = win.padInput(ctx, x, base, Float.NEGATIVE_INFINITY);
            padding = Padding.VALID;
        } else if (countPad) {
            x = win.padInput(ctx, x, base, 0f);
            padding = Padding.VALID;
        } else {
            averageOverRealElements(n, ctx, win, x, in, base);
            return;
        }
        int[] k = win.kernel();
        int[] s = win.strides();
        if (padding == Padding.VALID && (x.shape().dim(1) < k[0] || x.shape().dim(2) < k[1])) {
            throw n.bad("kernel " + k[0] + "x" + k[1] + " is larger than the padded input");
        }
        Tensor y = ctx.emit(
                base + (win.oneD() ? "_2d_out" : ""),
                max ? OpType.MAX_POOL_2D : OpType.AVERAGE_POOL_2D,
                new OpAttributes.Pool2D(padding, k[0], k[1], s[0], s[1], Activation.NONE),
                DType.FLOAT32,
                x);
        ctx.define(base, win.fromImage(ctx, y, base), OnnxLayout.CHANNELS_LAST);
    }

    /**
     * AveragePool with count_include_pad 0 and pads TensorFlow's SAME does not make: the mean over the real elements
     * of each window is AVERAGE_POOL of the zero-padded input (sum / k) divided by the real fraction of the window,
     * a constant [1, oh, ow, 1] of count / k known at import time.
     */
    private static void averageOverRealElements(
            OnnxNode n, OnnxContext ctx, OnnxWindow win, Tensor x, int[] in, String base) {
        int[] k = win.kernel();
        int[] s = win.strides();
        Tensor padded = win.padInput(ctx, x, base, 0f);
        int oh = win.outputSize(0, in[0], false);
        int ow = win.outputSize(1, in[1], false);
        float[] fraction = new float[oh * ow];
        for (int y = 0; y < oh; y++) {
            int y0 = y * s[0] - win.before()[0];
            int rows = Math.min(y0 + k[0], in[0]) - Math.max(y0, 0);
            for (int xo = 0; xo < ow; xo++) {
                int x0 = xo * s[1] - win.before()[1];
                int cols = Math.min(x0 + k[1], in[1]) - Math.max(x0, 0);
                fraction[y * ow + xo] = (float) (rows * cols) / (k[0] * k[1]);
            }
        }
        Tensor pooled = ctx.emit(
                base + "_sum",
                OpType.AVERAGE_POOL_2D,
                new OpAttributes.Pool2D(Padding.VALID, k[0], k[1], s[0], s[1], Activation.NONE),
                DType.FLOAT32,
                padded);
        Tensor y = ctx.emit(
                base + (win.oneD() ? "_2d_out" : ""),
                OpType.DIV,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                pooled,
                ctx.constant(base + "_real_fraction", dev.quanta.ir.Shape.of(1, oh, ow, 1), fraction));
        ctx.define(base, win.fromImage(ctx, y, base), OnnxLayout.CHANNELS_LAST);
    }

    /**
     * LRN across channels: y = x / (bias + α/size · Σ x²)^β, the sum over the channels c − ⌊(size−1)/2⌋ …
     * c + ⌈(size−1)/2⌉; the windowed sum (times α/size, plus bias) is a 1×1 CONV_2D of x² with a banded weight
     * matrix, then POW and DIV.
     */
    private static void lrn(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("alpha", "beta", "bias", "size");
        float alpha = n.getFloat("alpha", 1e-4f);
        float beta = n.getFloat("beta", 0.75f);
        float bias = n.getFloat("bias", 1f);
        int size = n.getIntExact("size", 0);
        if (size < 1) {
            throw n.bad("size must be positive");
        }
        if (ctx.rank(n.input(0)) != 4) {
            throw n.unsupported("input of rank " + ctx.rank(n.input(0)) + " is not supported (only 4)");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        Tensor x = ctx.channelsLast(n.input(0));
        int c = x.shape().dim(3);
        if (c > 4096) {
            throw n.unsupported(c + " channels are not supported (at most 4096: the window is a C x C matrix)");
        }
        int lo = (size - 1) / 2;
        int hi = size - 1 - lo;
        float[] w = new float[c * c];
        for (int o = 0; o < c; o++) {
            for (int i = Math.max(0, o - lo); i <= Math.min(c - 1, o + hi); i++) {
                w[o * c + i] = alpha / size;
            }
        }
        float[] b = new float[c];
        java.util.Arrays.fill(b, bias);
        String base = n.output(0);
        OpAttributes.Arithmetic none = new OpAttributes.Arithmetic(Activation.NONE);
        Tensor sq = ctx.emit(base + "_square", OpType.MUL, none, DType.FLOAT32, x, x);
        Tensor sum = ctx.emit(
                base + "_window",
                OpType.CONV_2D,
                new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE),
                DType.FLOAT32,
                sq,
                ctx.constant(base + "_band", dev.quanta.ir.Shape.of(c, 1, 1, c), w),
                ctx.constant(base + "_bias", dev.quanta.ir.Shape.of(c), b));
        Tensor pow = ctx.emit(
                base + "_pow",
                OpType.POW,
                OpAttributes.None.INSTANCE,
                DType.FLOAT32,
                sum,
                ctx.constant(base + "_beta", dev.quanta.ir.Shape.of(), new float[] {beta}));
        ctx.define(base, ctx.emit(base, OpType.DIV, none, DType.FLOAT32, x, pow), OnnxLayout.CHANNELS_LAST);
    }

    /**
     * Resize (opset 10+) and Upsample (before 10) of the two spatial axes of a 4-D input → RESIZE_NEAREST_NEIGHBOR /
     * RESIZE_BILINEAR where TFLite's index arithmetic is ONNX's: linear with half_pixel (pytorch_half_pixel when
     * the output is larger than 1), align_corners or asymmetric; nearest with asymmetric + floor (TFLite's plain
     * mode), tf_half_pixel_for_nn + floor or half_pixel + round_prefer_ceil (TFLite's half-pixel centres: index
     * ⌊(i + ½)·in/out⌋), half_pixel + round_prefer_floor when (i + ½)·in/out is never an integer (the two roundings
     * agree), align_corners + round_prefer_ceil. The output size must be in × scale exactly (ONNX divides by the
     * scale, TFLite by out/in).
     */
    private static void resize(OnnxNode n, OnnxContext ctx) {
        boolean upsample = n.opType().equals("Upsample");
        String mode;
        String coord;
        String nearest;
        float[] scales = null;
        long[] sizes = null;
        if (upsample) {
            n.allowAttributes("mode", "scales");
            mode = n.getString("mode", "nearest");
            coord = "asymmetric";
            nearest = "floor";
            if (n.opset() < 9) {
                n.requireInputs(1, 1);
                scales = n.getFloats("scales");
            } else {
                n.requireInputs(2, 2);
                scales = ctx.constantFloats(n.input(1), "scales");
            }
        } else if (n.opset() < 11) {
            n.requireInputs(2, 2);
            n.allowAttributes("mode");
            mode = n.getString("mode", "nearest");
            coord = "asymmetric";
            nearest = "floor";
            scales = ctx.constantFloats(n.input(1), "scales");
        } else {
            n.requireInputs(1, 4);
            n.allowAttributes(
                    "mode",
                    "coordinate_transformation_mode",
                    "nearest_mode",
                    "cubic_coeff_a",
                    "exclude_outside",
                    "extrapolation_value",
                    "antialias",
                    "keep_aspect_ratio_policy");
            mode = n.getString("mode", "nearest");
            coord = n.getString("coordinate_transformation_mode", "half_pixel");
            nearest = n.getString("nearest_mode", "round_prefer_floor");
            if (n.getInt("antialias", 0) != 0 || n.getInt("exclude_outside", 0) != 0) {
                throw n.unsupported("antialias and exclude_outside are not supported");
            }
            if (n.hasInput(3)) {
                sizes = ctx.constantLongs(n.input(3), "sizes");
            } else if (n.hasInput(2)) {
                scales = ctx.constantFloats(n.input(2), "scales");
            }
            if (n.has("keep_aspect_ratio_policy")
                    && sizes != null
                    && !n.getString("keep_aspect_ratio_policy", "stretch").equals("stretch")) {
                throw n.unsupported("keep_aspect_ratio_policy other than stretch is not supported");
            }
        }
        if (ctx.rank(n.input(0)) != 4) {
            throw n.unsupported("input of rank " + ctx.rank(n.input(0)) + " is not supported (only 4-D NCHW)");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        int[] xd = ctx.onnxShape(n.input(0)).dims();
        int[] out = new int[4];
        if (sizes != null) {
            if (sizes.length != 4) {
                throw n.unsupported("sizes for " + sizes.length + " axes are not supported (only all 4)");
            }
            for (int i = 0; i < 4; i++) {
                out[i] = (int) sizes[i];
            }
        } else {
            if (scales == null || scales.length != 4) {
                throw n.unsupported("scales for other than the 4 axes are not supported");
            }
            for (int i = 0; i < 4; i++) {
                double o = Math.floor(xd[i] * (double) scales[i]);
                if (o != xd[i] * (double) scales[i]) {
                    throw n.unsupported("a scale that does not give a whole output size is not supported");
                }
                out[i] = (int) o;
            }
        }
        if (out[0] != xd[0] || out[1] != xd[1]) {
            throw n.unsupported("resizing the batch or channel axis is not supported");
        }
        if (out[2] < 1 || out[3] < 1) {
            throw n.bad("output size " + java.util.Arrays.toString(out));
        }
        boolean align = false;
        boolean half = false;
        OpType type;
        switch (mode) {
            case "linear", "bilinear" -> {
                type = OpType.RESIZE_BILINEAR;
                switch (coord) {
                    case "half_pixel" -> half = true;
                    case "pytorch_half_pixel" -> {
                        if (out[2] == 1 || out[3] == 1) {
                            throw n.unsupported("pytorch_half_pixel to a size of 1 is not supported");
                        }
                        half = true;
                    }
                    case "align_corners" -> align = true;
                    case "asymmetric" -> {}
                    default -> throw n.unsupported("coordinate_transformation_mode '" + coord + "' is not supported");
                }
            }
            case "nearest" -> {
                type = OpType.RESIZE_NEAREST_NEIGHBOR;
                String key = coord + "/" + nearest;
                switch (key) {
                    case "asymmetric/floor" -> {}
                    case "tf_half_pixel_for_nn/floor", "half_pixel/round_prefer_ceil" -> half = true;
                    case "align_corners/round_prefer_ceil" -> align = true;
                    case "half_pixel/round_prefer_floor" -> {
                        for (int a = 2; a < 4; a++) {
                            for (long i = 0; i < out[a]; i++) {
                                if (((2 * i + 1) * xd[a]) % (2L * out[a]) == 0) {
                                    throw n.unsupported("half_pixel with round_prefer_floor where a sample falls "
                                            + "exactly half-way is not supported");
                                }
                            }
                        }
                        half = true;
                    }
                    default ->
                        throw n.unsupported("nearest with coordinate_transformation_mode '" + coord
                                + "' and nearest_mode '" + nearest + "' is not supported");
                }
            }
            default -> throw n.unsupported("mode '" + mode + "' is not supported");
        }
        if (align && (out[2] == 1 || out[3] == 1)) {
            throw n.unsupported("align_corners to a size of 1 is not supported");
        }
        Tensor x = ctx.channelsLast(n.input(0));
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), type, new OpAttributes.Resize(out[2], out[3], align, half), DType.FLOAT32, x),
                OnnxLayout.CHANNELS_LAST);
    }

    private static void global(OnnxNode n, OnnxContext ctx, OpType type) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        int rank = ctx.rank(n.input(0));
        if (rank < 3) {
            throw n.bad("input of rank " + rank);
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        Tensor x = ctx.channelsLast(n.input(0));
        int[] axes = new int[rank - 2];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        OpAttributes a = type == OpType.MEAN ? new OpAttributes.Mean(axes, true) : new OpAttributes.Reduce(axes, true);
        ctx.define(n.output(0), ctx.emit(n.output(0), type, a, DType.FLOAT32, x), OnnxLayout.CHANNELS_LAST);
    }
}
