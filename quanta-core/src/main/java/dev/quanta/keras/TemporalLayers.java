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
import java.util.Locale;

/**
 * The Keras layers on sequences ([batch, steps, channels], channels_last): Conv1D, MaxPooling1D, AveragePooling1D,
 * GlobalAveragePooling1D, GlobalMaxPooling1D, ZeroPadding1D and Cropping1D. As the TFLite converter does, a 1-D window op runs as its
 * 2-D form on a height of 1: RESHAPE to [batch, 1, steps, channels], the 2-D op with a 1 × k window, RESHAPE back.
 */
final class TemporalLayers {
    private TemporalLayers() {}

    /**
     * CONV_2D over [batch, 1, steps, in] with the kernel moved from Keras' [k, in, out] to the IR's [out, 1, k, in];
     * {@code causal} padding pads (k − 1)·dilation steps in front, then convolves VALID.
     */
    static Tensor conv1d(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        l.requireChannelsLast();
        int filters = l.positive("filters");
        int k = l.positive("kernel_size");
        int s = positive(l, "strides", 1);
        int d = positive(l, "dilation_rate", 1);
        if (s > 1 && d > 1) {
            throw l.unsupported(
                    "strides", "strides and dilation_rate above 1 together are not supported (as in Keras)");
        }
        if (l.integer("groups", 1) != 1) {
            throw l.unsupported("groups", "only 1 is supported");
        }
        String pad = l.string("padding", "valid").toLowerCase(Locale.ROOT);
        Padding padding = switch (pad) {
            case "valid", "causal" -> Padding.VALID;
            case "same" -> Padding.SAME;
            default -> throw l.unsupported("padding", "supported: valid, same, causal");
        };
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        int cin = x.shape().dim(2);
        List<KerasWeight> w = e.fetch(l, spec("kernel", k, cin, filters), useBias ? spec("bias", filters) : null);
        float[] src = w.get(0).values(); // [k, in, out]
        float[] dst = new float[src.length]; // [out, 1, k, in]
        for (int t = 0; t < k; t++) {
            for (int c = 0; c < cin; c++) {
                for (int o = 0; o < filters; o++) {
                    dst[(o * k + t) * cin + c] = src[(t * cin + c) * filters + o];
                }
            }
        }
        Tensor in = x;
        if (pad.equals("causal")) {
            int[][] paddings = {{0, 0}, {(k - 1) * d, 0}, {0, 0}};
            in = e.inner(l, "causal_pad", OpType.PAD, new OpAttributes.Pad(paddings), in);
        }
        Tensor image = toImage(e, l, in);
        List<Tensor> inputs =
                new ArrayList<>(List.of(image, e.constant(l, "kernel", Shape.of(filters, 1, k, cin), dst)));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(filters), w.get(1).values()));
        }
        Tensor y = e.inner(
                l,
                "conv2d",
                OpType.CONV_2D,
                new OpAttributes.Conv2D(padding, 1, s, 1, d, fused),
                inputs.toArray(Tensor[]::new));
        Shape ys = y.shape();
        // the RESHAPE back is the layer's op; an activation that cannot be fused follows it
        return ActivationLayers.withActivation(
                e, l, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {-1, ys.dim(2), ys.dim(3)}), List.of(y));
    }

    /** MAX_POOL_2D or AVERAGE_POOL_2D ({@code type}) with a 1 × pool_size window; strides default to pool_size. */
    static Tensor pool(LayerEmitter e, KerasLayer l, OpType type, Tensor x) {
        l.requireInputRank(x, 3);
        l.requireChannelsLast();
        int size = positive(l, "pool_size", 2);
        int s = positive(l, "strides", size);
        Padding padding = l.padding();
        Tensor y = e.inner(
                l,
                type == OpType.MAX_POOL_2D ? "max_pool" : "average_pool",
                type,
                new OpAttributes.Pool2D(padding, 1, size, 1, s, Activation.NONE),
                toImage(e, l, x));
        return fromImage(e, l, y);
    }

    /** MEAN over the steps. */
    static Tensor globalAverage(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        l.requireChannelsLast();
        return e.last(l, OpType.MEAN, new OpAttributes.Mean(new int[] {1}, l.bool("keepdims", false)), x);
    }

    /** REDUCE_MAX over the steps (keepdims as the layer's config says). */
    static Tensor globalMax(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        l.requireChannelsLast();
        return e.last(l, OpType.REDUCE_MAX, new OpAttributes.Reduce(new int[] {1}, l.bool("keepdims", false)), x);
    }

    /** PAD of the steps: {@code padding} is an int or [before, after]. */
    static Tensor zeroPadding(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        int[] p = beforeAfter(l, "padding", 1);
        return e.last(l, OpType.PAD, new OpAttributes.Pad(new int[][] {{0, 0}, p, {0, 0}}), x);
    }

    /** STRIDED_SLICE of the steps: {@code cropping} is an int or [before, after]. */
    static Tensor cropping(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 3);
        int[] c = beforeAfter(l, "cropping", 1);
        return SpatialLayers.crop(e, l, x, new int[][] {{0, 0}, c, {0, 0}});
    }

    /** An int {@code a} (meaning [a, a]) or a pair [before, after] of non-negative integers. */
    static int[] beforeAfter(KerasLayer l, String key, int def) {
        JsonNode v = l.get(key);
        if (v == null) {
            return new int[] {def, def};
        }
        int[] p;
        if (v.isIntegralNumber()) {
            p = new int[] {v.asInt(), v.asInt()};
        } else if (v.isArray()
                && v.size() == 2
                && v.get(0).isIntegralNumber()
                && v.get(1).isIntegralNumber()) {
            p = new int[] {v.get(0).asInt(), v.get(1).asInt()};
        } else {
            throw l.unsupported(key, "expected an int or [before, after]");
        }
        if (p[0] < 0 || p[1] < 0) {
            throw l.unsupported(key, "amounts must not be negative");
        }
        return p;
    }

    private static int positive(KerasLayer l, String key, int def) {
        int v = l.integer(key, def);
        if (v <= 0) {
            throw l.unsupported(key, "must be positive");
        }
        return v;
    }

    /** RESHAPE [batch, steps, channels] → [batch, 1, steps, channels]. */
    private static Tensor toImage(LayerEmitter e, KerasLayer l, Tensor x) {
        Shape s = x.shape();
        return e.inner(l, "expand", OpType.RESHAPE, new OpAttributes.Reshape(new int[] {-1, 1, s.dim(1), s.dim(2)}), x);
    }

    /** RESHAPE [batch, 1, steps, channels] → [batch, steps, channels], named after the layer. */
    private static Tensor fromImage(LayerEmitter e, KerasLayer l, Tensor y) {
        Shape s = y.shape();
        return e.last(l, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {-1, s.dim(2), s.dim(3)}), y);
    }
}
