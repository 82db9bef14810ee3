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
 * MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D and ZeroPadding2D.
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

    private static boolean isIntPair(JsonNode n) {
        return n.isArray()
                && n.size() == 2
                && n.get(0).isIntegralNumber()
                && n.get(1).isIntegralNumber();
    }
}
