package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.List;
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
     * Resize (opset 10+) and Upsample (before 10). Of the two spatial axes of a 4-D input → RESIZE_NEAREST_NEIGHBOR /
     * RESIZE_BILINEAR where TFLite's index arithmetic is ONNX's: linear with half_pixel (pytorch_half_pixel when
     * the output is larger than 1), align_corners or asymmetric; nearest with asymmetric + floor (TFLite's plain
     * mode), tf_half_pixel_for_nn + floor or half_pixel + round_prefer_ceil (TFLite's half-pixel centres: index
     * ⌊(i + ½)·in/out⌋), half_pixel + round_prefer_floor when (i + ½)·in/out is never an integer (the two roundings
     * agree), align_corners + round_prefer_ceil; the output size must be in × scale exactly (ONNX divides by the
     * scale, TFLite by out/in). Everything else ({@link #resizeByTaps}): any axes, scales or sizes (with
     * keep_aspect_ratio_policy), every coordinate_transformation_mode and nearest_mode, cubic, antialias,
     * exclude_outside and tf_crop_and_resize.
     */
    private static void resize(OnnxNode n, OnnxContext ctx) {
        boolean upsample = n.opType().equals("Upsample");
        Resizing rz = new Resizing();
        if (upsample) {
            n.allowAttributes("mode", "scales");
            rz.mode = n.getString("mode", "nearest");
            rz.coord = "asymmetric";
            rz.nearest = "floor";
            if (n.opset() < 9) {
                n.requireInputs(1, 1);
                rz.scales = n.getFloats("scales");
            } else {
                n.requireInputs(2, 2);
                rz.scales = ctx.constantFloats(n.input(1), "scales");
            }
        } else if (n.opset() < 11) {
            n.requireInputs(2, 2);
            n.allowAttributes("mode");
            rz.mode = n.getString("mode", "nearest");
            rz.coord = "asymmetric";
            rz.nearest = "floor";
            rz.scales = ctx.constantFloats(n.input(1), "scales");
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
                    "axes",
                    "keep_aspect_ratio_policy");
            rz.mode = n.getString("mode", "nearest");
            rz.coord = n.getString("coordinate_transformation_mode", "half_pixel");
            rz.nearest = n.getString("nearest_mode", "round_prefer_floor");
            rz.antialias = n.getInt("antialias", 0) != 0;
            rz.excludeOutside = n.getInt("exclude_outside", 0) != 0;
            rz.cubicA = n.getFloat("cubic_coeff_a", -0.75f);
            rz.extrapolation = n.getFloat("extrapolation_value", 0f);
            rz.policy = n.getString("keep_aspect_ratio_policy", "stretch");
            if (n.hasInput(3)) {
                rz.sizes = ctx.constantLongs(n.input(3), "sizes");
            } else if (n.hasInput(2)) {
                rz.scales = ctx.constantFloats(n.input(2), "scales");
            }
            if (rz.coord.equals("tf_crop_and_resize")) {
                if (!n.hasInput(1)) {
                    throw n.bad("tf_crop_and_resize needs roi");
                }
                rz.roi = ctx.constantFloats(n.input(1), "roi");
            }
        }
        if (!List.of("nearest", "linear", "bilinear", "cubic").contains(rz.mode)) {
            throw n.unsupported("mode '" + rz.mode + "' is not supported");
        }
        if (!List.of("stretch", "not_larger", "not_smaller").contains(rz.policy)) {
            throw n.bad("keep_aspect_ratio_policy '" + rz.policy + "' is not one of stretch, not_larger, not_smaller");
        }
        OnnxElementwiseOps.requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        int[] xd = ctx.onnxShape(n.input(0)).dims();
        int rank = xd.length;
        int[] axes = n.getIntsExact("axes");
        if (axes == null) {
            axes = new int[rank];
            for (int i = 0; i < rank; i++) {
                axes[i] = i;
            }
        }
        for (int i = 0; i < axes.length; i++) {
            axes[i] = axes[i] < 0 ? axes[i] + rank : axes[i];
            if (axes[i] < 0 || axes[i] >= rank) {
                throw n.bad("axis " + axes[i] + " is out of range for rank " + rank);
            }
        }
        // per ONNX axis: the scale the coordinates use and the output size
        double[] scale = new double[rank];
        int[] out = xd.clone();
        java.util.Arrays.fill(scale, 1.0);
        if (rz.sizes != null) {
            if (rz.sizes.length != axes.length) {
                throw n.bad("sizes has " + rz.sizes.length + " values for " + axes.length + " axes");
            }
            double keep = rz.policy.equals("not_larger") ? Double.MAX_VALUE : 0;
            for (int i = 0; i < axes.length; i++) {
                requireKnown(n, xd, axes[i]);
                if (rz.sizes[i] < 1 || rz.sizes[i] > Integer.MAX_VALUE) {
                    throw n.bad("sizes holds " + rz.sizes[i]);
                }
                double si = (double) rz.sizes[i] / xd[axes[i]];
                scale[axes[i]] = si;
                out[axes[i]] = (int) rz.sizes[i];
                keep = rz.policy.equals("not_larger") ? Math.min(keep, si) : Math.max(keep, si);
            }
            if (!rz.policy.equals("stretch")) {
                for (int a : axes) {
                    scale[a] = keep;
                    out[a] = (int) (keep * xd[a] + 0.5); // rounded half up
                }
            }
        } else {
            if (rz.scales == null || rz.scales.length != axes.length) {
                throw n.bad("needs scales or sizes for its " + axes.length + " axes");
            }
            for (int i = 0; i < axes.length; i++) {
                if (!(rz.scales[i] > 0) || Float.isInfinite(rz.scales[i])) {
                    throw n.bad("scale " + rz.scales[i]);
                }
                scale[axes[i]] = rz.scales[i];
                if (rz.scales[i] != 1f) {
                    requireKnown(n, xd, axes[i]);
                }
                out[axes[i]] =
                        xd[axes[i]] < 0 ? xd[axes[i]] : (int) Math.min(Integer.MAX_VALUE, xd[axes[i]] * scale[axes[i]]);
            }
        }
        long total = 1;
        for (int i = 0; i < rank; i++) {
            if (xd[i] >= 0 && out[i] < 1) {
                throw n.bad("output size " + java.util.Arrays.toString(out));
            }
            total *= Math.max(out[i], 1);
            if (total > Shape.MAX_ELEMENTS) {
                throw n.unsupported("an output of " + java.util.Arrays.toString(out) + " is too large");
            }
        }
        OpType fast = rz.sizes != null && !rz.policy.equals("stretch") ? null : tfliteResize(rz, xd, out, scale);
        if (fast != null) {
            boolean align = rz.coord.equals("align_corners");
            boolean half = !align && !rz.coord.equals("asymmetric");
            Tensor x = ctx.channelsLast(n.input(0));
            ctx.define(
                    n.output(0),
                    ctx.emit(n.output(0), fast, new OpAttributes.Resize(out[2], out[3], align, half), DType.FLOAT32, x),
                    OnnxLayout.CHANNELS_LAST);
            return;
        }
        if (!List.of(
                        "half_pixel",
                        "half_pixel_symmetric",
                        "pytorch_half_pixel",
                        "align_corners",
                        "asymmetric",
                        "tf_half_pixel_for_nn",
                        "tf_crop_and_resize")
                .contains(rz.coord)) {
            throw n.bad("coordinate_transformation_mode '" + rz.coord + "' is not valid");
        }
        if (rz.mode.equals("nearest")
                && !List.of("round_prefer_floor", "round_prefer_ceil", "floor", "ceil")
                        .contains(rz.nearest)) {
            throw n.bad("nearest_mode '" + rz.nearest + "' is not valid");
        }
        if (rz.roi != null && rz.roi.length != 2 * axes.length && rz.roi.length != 2 * rank) {
            throw n.bad("roi has " + rz.roi.length + " values for " + axes.length + " axes");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        Tensor y = v.tensor();
        for (int i = 0; i < axes.length; i++) {
            int a = axes[i];
            double roiStart = 0;
            double roiEnd = 1;
            if (rz.roi != null) {
                boolean full = rz.roi.length == 2 * rank;
                int k = full ? a : i;
                roiStart = rz.roi[k];
                roiEnd = rz.roi[k + rz.roi.length / 2];
            }
            if (out[a] == xd[a] && scale[a] == 1.0 && rz.roi == null) {
                continue; // every coordinate maps onto itself
            }
            Taps t = taps(ctx, rz, scale[a], xd[a], out[a], roiStart, roiEnd);
            y = resizeByTaps(ctx, y, ctx.axis(n.input(0), a), t, n.output(0) + "_axis" + a);
        }
        if (y == v.tensor()) {
            y = ctx.emit(n.output(0), OpType.IDENTITY, OpAttributes.None.INSTANCE, DType.FLOAT32, y);
        }
        ctx.define(n.output(0), y, v.layout());
    }

    /** A Resize node's settings. */
    private static final class Resizing {
        String mode;
        String coord;
        String nearest;
        float[] scales;
        long[] sizes;
        float[] roi;
        boolean antialias;
        boolean excludeOutside;
        float cubicA = -0.75f;
        float extrapolation;
        String policy = "stretch";
    }

    private static void requireKnown(OnnxNode n, int[] xd, int axis) {
        if (xd[axis] < 1) {
            throw n.unsupported("resizing axis " + axis + " of unknown size is not supported");
        }
    }

    /**
     * The TFLite resize op that computes this Resize exactly (see {@link #resize}), or null: 4-D, only H and W
     * resized, out = in × scale exactly.
     */
    private static OpType tfliteResize(Resizing rz, int[] xd, int[] out, double[] scale) {
        if (xd.length != 4 || rz.antialias || rz.excludeOutside || out[0] != xd[0] || out[1] != xd[1]) {
            return null;
        }
        if (scale[0] != 1.0 || scale[1] != 1.0) {
            return null;
        }
        for (int a = 2; a < 4; a++) {
            if (xd[a] < 1 || (rz.sizes == null && xd[a] * scale[a] != out[a])) {
                return null;
            }
        }
        switch (rz.mode) {
            case "linear", "bilinear" -> {
                return switch (rz.coord) {
                    case "half_pixel", "asymmetric" -> OpType.RESIZE_BILINEAR;
                    case "pytorch_half_pixel" -> out[2] > 1 && out[3] > 1 ? OpType.RESIZE_BILINEAR : null;
                    case "align_corners" -> out[2] > 1 && out[3] > 1 ? OpType.RESIZE_BILINEAR : null;
                    default -> null;
                };
            }
            case "nearest" -> {
                switch (rz.coord + "/" + rz.nearest) {
                    case "asymmetric/floor", "tf_half_pixel_for_nn/floor", "half_pixel/round_prefer_ceil" -> {
                        return OpType.RESIZE_NEAREST_NEIGHBOR;
                    }
                    case "align_corners/round_prefer_ceil" -> {
                        return out[2] > 1 && out[3] > 1 ? OpType.RESIZE_NEAREST_NEIGHBOR : null;
                    }
                    case "half_pixel/round_prefer_floor" -> {
                        for (int a = 2; a < 4; a++) {
                            for (long i = 0; i < out[a]; i++) {
                                if (((2 * i + 1) * xd[a]) % (2L * out[a]) == 0) {
                                    return null; // a sample exactly half-way: the roundings differ
                                }
                            }
                        }
                        return OpType.RESIZE_NEAREST_NEIGHBOR;
                    }
                    default -> {
                        return null;
                    }
                }
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * One axis of a resize as taps: output position o is Σ_k weight[k][o] · x[index[k][o]] + constant[o] (constant:
     * tf_crop_and_resize's extrapolation value where o falls outside the input, else null).
     */
    private record Taps(int[][] index, float[][] weight, float[] constant) {}

    /**
     * ONNX's sampling along one axis of {@code in} values onto {@code out}: each output position o maps to x, by the
     * coordinate_transformation_mode (s the scale):
     *
     * <pre>
     *   half_pixel x = (o + ½)/s − ½          pytorch_half_pixel: the same, −½ when s·in = 1
     *   half_pixel_symmetric x = c·(1 − out/(s·in)) + (o + ½)/s − ½   (c = in/2)
     *   align_corners x = o·(in − 1)/(s·in − 1)   asymmetric x = o/s   tf_half_pixel_for_nn x = (o + ½)/s
     *   tf_crop_and_resize x = r0·(in − 1) + o·(r1 − r0)·(in − 1)/(s·in − 1)   (outside [0, in − 1]: extrapolation)
     * </pre>
     *
     * (align_corners and tf_crop_and_resize divide by s·in − 1 as ONNX's reference does; ONNX Runtime divides by
     * out − 1, which differs when in·s is not whole.) With L = ⌊x⌋ (x − 1 when x is whole) and r = x − L ∈ (0, 1], the
     * taps L + 1 − n/2 … L + n/2 (indices clamped to the edge) take: nearest, the tap L + 1 when x is whole or rounds up (r &gt; ½, r ≥ ½ with round_prefer_ceil,
     * ceil), else L; linear 1 − r and r; cubic (coefficient A) the Keys kernel at distances 1 + r, r, 1 − r, 2 − r.
     * With antialias and s &lt; 1 the kernel is stretched by 1/s (linear: max(0, 1 − |(i − r)·s|), cubic the Keys
     * kernel at (i − r)·s, over i = ⌊−w/s⌋ + 1 … of width w = 1 or 2) and normalised to sum 1. exclude_outside zeroes
     * the taps outside [0, in) and renormalises.
     */
    private static Taps taps(OnnxContext ctx, Resizing rz, double s, int in, int out, double roiStart, double roiEnd) {
        boolean nearest = rz.mode.equals("nearest");
        boolean cubic = rz.mode.equals("cubic");
        boolean aa = rz.antialias && !nearest && s < 1.0;
        int half = cubic ? 2 : 1; // kernel radius
        int start = aa ? (int) Math.max(-Shape.MAX_ELEMENTS, Math.floor(-half / s) + 1) : 1 - half; // first tap from L
        long taps = nearest ? 1 : 2 * (1 - (long) start);
        ctx.reserveComputed(taps * out * 8 + 4L * out, taps + " taps of " + out + " positions");
        int count = (int) taps;
        int[][] index = new int[count][out];
        float[][] weight = new float[count][out];
        float[] constant = null;
        double width = s * in;
        for (int o = 0; o < out; o++) {
            double x = switch (rz.coord) {
                case "align_corners" -> width == 1 ? 0 : o * (in - 1) / (width - 1);
                case "asymmetric" -> o / s;
                case "tf_half_pixel_for_nn" -> (o + 0.5) / s;
                case "pytorch_half_pixel" -> width == 1 ? -0.5 : (o + 0.5) / s - 0.5;
                case "half_pixel_symmetric" -> in / 2.0 * (1 - out / width) + (o + 0.5) / s - 0.5;
                case "tf_crop_and_resize" ->
                    (width == 1 ? (roiEnd - roiStart) * (in - 1) / 2 : o * (roiEnd - roiStart) * (in - 1) / (width - 1))
                            + roiStart * (in - 1);
                default -> (o + 0.5) / s - 0.5;
            };
            if (rz.coord.equals("tf_crop_and_resize") && (x < 0 || x > in - 1)) {
                if (constant == null) {
                    constant = new float[out];
                }
                constant[o] = rz.extrapolation;
                continue; // every tap's weight stays 0
            }
            boolean whole = x == Math.floor(x);
            long l = whole ? (long) x - 1 : (long) Math.floor(x);
            double r = x - l;
            if (nearest) {
                boolean up = whole
                        || switch (rz.nearest) {
                            case "round_prefer_ceil" -> r >= 0.5;
                            case "floor" -> false;
                            case "ceil" -> true;
                            default -> r > 0.5;
                        };
                index[0][o] = clamp(up ? l + 1 : l, in);
                weight[0][o] = 1f;
                continue;
            }
            double[] c = new double[count];
            double sum = 0;
            for (int k = 0; k < count; k++) {
                double d = aa ? (start + k - r) * s : start + k - r; // signed distance from x
                c[k] = cubic ? keys(Math.abs(d), rz.cubicA) : Math.max(0, 1 - Math.abs(d));
                sum += c[k];
            }
            if (aa) {
                for (int k = 0; k < count; k++) {
                    c[k] /= sum;
                }
            }
            if (rz.excludeOutside) {
                sum = 0;
                for (int k = 0; k < count; k++) {
                    long i = l + start + k;
                    if (i < 0 || i >= in) {
                        c[k] = 0;
                    }
                    sum += c[k];
                }
                for (int k = 0; k < count; k++) {
                    c[k] /= sum;
                }
            }
            for (int k = 0; k < count; k++) {
                index[k][o] = clamp(l + start + k, in);
                weight[k][o] = (float) c[k];
            }
        }
        return new Taps(index, weight, constant);
    }

    /** Keys' cubic convolution kernel with coefficient A at distance d ≥ 0. */
    private static double keys(double d, double a) {
        if (d <= 1) {
            return ((a + 2) * d - (a + 3)) * d * d + 1;
        }
        if (d < 2) {
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        }
        return 0;
    }

    private static int clamp(long i, int in) {
        return (int) Math.max(0, Math.min(in - 1, i));
    }

    /**
     * {@code x} resized along IR axis {@code axis} by taps: per tap a GATHER of the tap's indices along the axis, times
     * its weights (shaped [out, 1, …] to broadcast along the axis; left out when all are 1), the terms ADDed, plus the
     * constant term. Taps whose weights are all 0 are left out.
     */
    private static Tensor resizeByTaps(OnnxContext ctx, Tensor x, int axis, Taps t, String base) {
        int rank = x.shape().rank();
        int out = t.index()[0].length;
        int[] wdims = new int[rank - axis];
        java.util.Arrays.fill(wdims, 1);
        wdims[0] = out;
        OpAttributes mul = new OpAttributes.Arithmetic(Activation.NONE);
        OpAttributes add = new OpAttributes.Add(Activation.NONE);
        Tensor acc = null;
        for (int k = 0; k < t.index().length; k++) {
            boolean zero = true;
            boolean one = true;
            for (float w : t.weight()[k]) {
                zero &= w == 0f;
                one &= w == 1f;
            }
            if (zero && !(acc == null && k == t.index().length - 1)) {
                continue;
            }
            Tensor g = ctx.emit(
                    base + "_gather" + k,
                    OpType.GATHER,
                    new OpAttributes.Gather(axis, 0),
                    DType.FLOAT32,
                    x,
                    ctx.constant(base + "_index" + k, Shape.of(out), DType.INT32, TensorData.ofInts(t.index()[k])));
            Tensor term = one
                    ? g
                    : ctx.emit(
                            base + "_weighted" + k,
                            OpType.MUL,
                            mul,
                            DType.FLOAT32,
                            g,
                            ctx.constant(base + "_weight" + k, Shape.of(wdims), t.weight()[k]));
            acc = acc == null ? term : ctx.emit(base + "_sum" + k, OpType.ADD, add, DType.FLOAT32, acc, term);
        }
        if (t.constant() != null) {
            acc = ctx.emit(
                    base + "_extrapolated",
                    OpType.ADD,
                    add,
                    DType.FLOAT32,
                    acc,
                    ctx.constant(base + "_extrapolation", Shape.of(wdims), t.constant()));
        }
        return acc;
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
