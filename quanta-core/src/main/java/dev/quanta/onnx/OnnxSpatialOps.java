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
            throw n.unsupported("pads other than SAME with count_include_pad 0 are not supported");
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
