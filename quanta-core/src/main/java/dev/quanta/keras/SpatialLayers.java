package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The Keras layers on channels_last images ([batch, height, width, channels]): Conv2D, DepthwiseConv2D,
 * SeparableConv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D and
 * Cropping2D.
 */
final class SpatialLayers {
    private SpatialLayers() {}

    /** CONV_2D with the kernel moved from Keras' [kh, kw, in, out] to the IR's [out, kh, kw, in]. */
    static Tensor conv2d(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int filters = l.positive("filters");
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        Padding padding = l.padding();
        if (l.integer("groups", 1) != 1) {
            throw l.unsupported("groups", "only 1 is supported");
        }
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        int cin = x.shape().dim(3);
        List<KerasWeight> w =
                e.fetch(l, spec("kernel", k[0], k[1], cin, filters), useBias ? spec("bias", filters) : null);
        // Keras [kh, kw, in, out] -> IR [out, kh, kw, in]
        float[] src = w.get(0).values();
        float[] dst = new float[src.length];
        int spatial = k[0] * k[1];
        for (int p = 0; p < spatial; p++) {
            for (int c = 0; c < cin; c++) {
                int from = (p * cin + c) * filters;
                for (int o = 0; o < filters; o++) {
                    dst[(o * spatial + p) * cin + c] = src[from + o];
                }
            }
        }
        List<Tensor> inputs =
                new ArrayList<>(List.of(x, e.constant(l, "kernel", Shape.of(filters, k[0], k[1], cin), dst)));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(filters), w.get(1).values()));
        }
        return ActivationLayers.withActivation(
                e, l, OpType.CONV_2D, new OpAttributes.Conv2D(padding, s[0], s[1], d[0], d[1], fused), inputs);
    }

    /** DEPTHWISE_CONV_2D; Keras' [kh, kw, in, multiplier] kernel needs no reordering. */
    static Tensor depthwise(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        Padding padding = l.padding();
        int mult = l.has("depth_multiplier") ? l.positive("depth_multiplier") : 1;
        if (l.integer("groups", 1) != 1) {
            throw l.unsupported("groups", "only 1 is supported");
        }
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        int cin = x.shape().dim(3);
        List<KerasWeight> w = e.fetch(
                l,
                spec("depthwise_kernel", k[0], k[1], cin, mult).alias("kernel"),
                useBias ? spec("bias", cin * mult) : null);
        // Keras [kh, kw, in, mult] has the same element order as IR [1, kh, kw, in*mult] (channel c*mult+m).
        List<Tensor> inputs = new ArrayList<>(List.of(
                x,
                e.constant(
                        l,
                        "depthwise_kernel",
                        Shape.of(1, k[0], k[1], cin * mult),
                        w.get(0).values())));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(cin * mult), w.get(1).values()));
        }
        return ActivationLayers.withActivation(
                e,
                l,
                OpType.DEPTHWISE_CONV_2D,
                new OpAttributes.DepthwiseConv2D(padding, s[0], s[1], d[0], d[1], mult, fused),
                inputs);
    }

    /** MAX_POOL_2D or AVERAGE_POOL_2D ({@code type}); strides default to the pool size. */
    static Tensor pool(LayerEmitter e, KerasLayer l, OpType type, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int[] size = l.pair("pool_size", new int[] {2, 2});
        int[] s = l.pair("strides", size);
        Padding padding = l.padding();
        Activation fused = ActivationLayers.fused(l);
        return ActivationLayers.withActivation(
                e, l, type, new OpAttributes.Pool2D(padding, size[0], size[1], s[0], s[1], fused), List.of(x));
    }

    /** MEAN over height and width. */
    static Tensor globalAverage(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        boolean keep = l.bool("keepdims", false);
        return e.last(l, OpType.MEAN, new OpAttributes.Mean(new int[] {1, 2}, keep), x);
    }

    /** REDUCE_MAX over height and width (keepdims as the layer's config says). */
    static Tensor globalMax(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        return e.last(l, OpType.REDUCE_MAX, new OpAttributes.Reduce(new int[] {1, 2}, l.bool("keepdims", false)), x);
    }

    /** PAD of height and width: {@code padding} is an int, [h, w] or [[top, bottom], [left, right]]. */
    static Tensor zeroPadding(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        JsonNode p = l.get("padding");
        int[][] hw;
        if (p == null) {
            hw = new int[][] {{1, 1}, {1, 1}};
        } else if (p.isIntegralNumber()) {
            hw = new int[][] {{p.asInt(), p.asInt()}, {p.asInt(), p.asInt()}};
        } else if (p.isArray()
                && p.size() == 2
                && p.get(0).isIntegralNumber()
                && p.get(1).isIntegralNumber()) {
            hw = new int[][] {
                {p.get(0).asInt(), p.get(0).asInt()},
                {p.get(1).asInt(), p.get(1).asInt()}
            };
        } else if (p.isArray() && p.size() == 2 && isIntPair(p.get(0)) && isIntPair(p.get(1))) {
            hw = new int[][] {
                {p.get(0).get(0).asInt(), p.get(0).get(1).asInt()},
                {p.get(1).get(0).asInt(), p.get(1).get(1).asInt()}
            };
        } else {
            throw l.unsupported("padding", "expected an int, [h, w] or [[top, bottom], [left, right]]");
        }
        for (int[] pair : hw) {
            if (pair[0] < 0 || pair[1] < 0) {
                throw l.unsupported("padding", "amounts must not be negative");
            }
        }
        int[][] paddings = {{0, 0}, hw[0], hw[1], {0, 0}};
        return e.last(l, OpType.PAD, new OpAttributes.Pad(paddings), x);
    }

    /**
     * SeparableConv2D as the TFLite converter lowers it: DEPTHWISE_CONV_2D with the layer's strides, dilation and
     * depth multiplier, no bias, then a 1×1 CONV_2D with the pointwise kernel ([1, 1, in·mult, out] → IR
     * [out, 1, 1, in·mult]), the bias and the activation.
     */
    static Tensor separable(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int filters = l.positive("filters");
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        Padding padding = l.padding();
        int mult = l.has("depth_multiplier") ? l.positive("depth_multiplier") : 1;
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        int cin = x.shape().dim(3);
        int mid = cin * mult;
        List<KerasWeight> w = e.fetch(
                l,
                spec("depthwise_kernel", k[0], k[1], cin, mult),
                spec("pointwise_kernel", 1, 1, mid, filters),
                useBias ? spec("bias", filters) : null);
        Tensor dw = e.inner(
                l,
                "depthwise",
                OpType.DEPTHWISE_CONV_2D,
                new OpAttributes.DepthwiseConv2D(padding, s[0], s[1], d[0], d[1], mult, Activation.NONE),
                x,
                e.constant(
                        l,
                        "depthwise_kernel",
                        Shape.of(1, k[0], k[1], mid),
                        w.get(0).values()));
        float[] src = w.get(1).values(); // [1, 1, mid, out]
        float[] dst = new float[src.length]; // [out, 1, 1, mid]
        for (int c = 0; c < mid; c++) {
            for (int o = 0; o < filters; o++) {
                dst[o * mid + c] = src[c * filters + o];
            }
        }
        List<Tensor> inputs =
                new ArrayList<>(List.of(dw, e.constant(l, "pointwise_kernel", Shape.of(filters, 1, 1, mid), dst)));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(filters), w.get(2).values()));
        }
        return ActivationLayers.withActivation(
                e, l, OpType.CONV_2D, new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, fused), inputs);
    }

    /** STRIDED_SLICE of height and width: {@code cropping} is an int, [h, w] or [[top, bottom], [left, right]]. */
    static Tensor cropping(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        JsonNode c = l.get("cropping");
        int[][] hw;
        if (c != null && c.isArray() && c.size() == 2 && isIntPair(c.get(0)) && isIntPair(c.get(1))) {
            hw = new int[][] {
                {c.get(0).get(0).asInt(), c.get(0).get(1).asInt()},
                {c.get(1).get(0).asInt(), c.get(1).get(1).asInt()}
            };
        } else if (c != null && c.isArray() && c.size() == 2) {
            int[] h = c.get(0).isIntegralNumber()
                    ? new int[] {c.get(0).asInt(), c.get(0).asInt()}
                    : null;
            int[] w = c.get(1).isIntegralNumber()
                    ? new int[] {c.get(1).asInt(), c.get(1).asInt()}
                    : null;
            if (h == null || w == null) {
                throw l.unsupported("cropping", "expected an int, [h, w] or [[top, bottom], [left, right]]");
            }
            hw = new int[][] {h, w};
        } else {
            int[] both = TemporalLayers.beforeAfter(l, "cropping", 0);
            if (both[0] != both[1]) {
                throw l.unsupported("cropping", "expected an int, [h, w] or [[top, bottom], [left, right]]");
            }
            hw = new int[][] {both, both};
        }
        for (int[] pair : hw) {
            if (pair[0] < 0 || pair[1] < 0) {
                throw l.unsupported("cropping", "amounts must not be negative");
            }
        }
        return crop(e, l, x, new int[][] {{0, 0}, hw[0], hw[1], {0, 0}});
    }

    /**
     * STRIDED_SLICE keeping {@code [cut[i][0], dim_i − cut[i][1])} of every axis but the batch (kept whole through
     * the begin and end masks); every cut axis must have a known size that the cuts leave at least one of.
     */
    static Tensor crop(LayerEmitter e, KerasLayer l, Tensor x, int[][] cut) {
        int rank = x.shape().rank();
        int[] begin = new int[rank];
        int[] end = new int[rank];
        int[] strides = new int[rank];
        for (int i = 0; i < rank; i++) {
            strides[i] = 1;
            if (i == 0) {
                continue;
            }
            int dim = x.shape().dim(i);
            if (dim < 0 && (cut[i][0] != 0 || cut[i][1] != 0)) {
                throw l.error(
                        "cannot crop axis " + i + " of '" + x.name() + "' " + x.shape() + ": its size is unknown");
            }
            if (cut[i][0] + cut[i][1] >= dim && dim >= 0) {
                throw l.error("cropping " + cut[i][0] + " + " + cut[i][1] + " leaves nothing of axis " + i + " of '"
                        + x.name() + "' " + x.shape());
            }
            begin[i] = cut[i][0];
            end[i] = dim - cut[i][1];
        }
        return e.last(l, OpType.STRIDED_SLICE, new OpAttributes.StridedSlice(begin, end, strides, 1, 1, 0, false), x);
    }

    private static boolean isIntPair(JsonNode n) {
        return n.isArray()
                && n.size() == 2
                && n.get(0).isIntegralNumber()
                && n.get(1).isIntegralNumber();
    }
}
