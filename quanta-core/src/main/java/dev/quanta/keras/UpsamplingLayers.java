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

/** The Keras layers that enlarge channels_last images: UpSampling2D and Conv2DTranspose. */
final class UpsamplingLayers {
    private UpsamplingLayers() {}

    /**
     * UpSampling2D to (H·size_h) × (W·size_w): {@code nearest} as RESIZE_NEAREST_NEIGHBOR, {@code bilinear} as
     * RESIZE_BILINEAR, both with half-pixel centres and without aligned corners, as Keras' {@code tf.image.resize}
     * in TensorFlow 2 (and the TFLite converter) does.
     */
    static Tensor upSampling2d(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int[] size = l.pair("size", new int[] {2, 2});
        String interpolation = l.string("interpolation", "nearest").toLowerCase(Locale.ROOT);
        OpType type = switch (interpolation) {
            case "nearest" -> OpType.RESIZE_NEAREST_NEIGHBOR;
            case "bilinear" -> OpType.RESIZE_BILINEAR;
            default -> throw l.unsupported("interpolation", "supported: nearest, bilinear");
        };
        int h = x.shape().dim(1);
        int w = x.shape().dim(2);
        if (h <= 0 || w <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known height and width");
        }
        return e.last(l, type, new OpAttributes.Resize(h * size[0], w * size[1], false, true), x);
    }

    /**
     * Conv2DTranspose as TRANSPOSE_CONV: Keras' kernel [kh, kw, out, in] becomes the IR's [out, kh, kw, in]; the
     * output size is Keras' {@code deconv_output_length}: without output_padding H·s (same) or H·s + max(k − s, 0)
     * (valid), with it (H − 1)·s + k − 2·pad + output_padding (pad ⌊k/2⌋ for same, 0 for valid), which must be a
     * size that the convolution this op is the gradient of maps back onto H. Dilation must be 1.
     */
    static Tensor conv2dTranspose(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireInputRank(x, 4);
        l.requireChannelsLast();
        int filters = l.positive("filters");
        int[] k = l.pair("kernel_size", null);
        int[] s = l.pair("strides", new int[] {1, 1});
        int[] d = l.pair("dilation_rate", new int[] {1, 1});
        if (d[0] != 1 || d[1] != 1) {
            throw l.unsupported("dilation_rate", "only 1 is supported (TFLite's TRANSPOSE_CONV has no dilation)");
        }
        Padding padding = l.padding();
        int[] outputPadding = outputPadding(l);
        int cin = x.shape().dim(3);
        int[] in = {x.shape().dim(1), x.shape().dim(2)};
        if (in[0] <= 0 || in[1] <= 0 || cin <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known height, width and channels");
        }
        int[] out = new int[2];
        for (int a = 0; a < 2; a++) {
            if (outputPadding == null) {
                out[a] = padding == Padding.SAME ? in[a] * s[a] : in[a] * s[a] + Math.max(k[a] - s[a], 0);
            } else {
                int pad = padding == Padding.SAME ? k[a] / 2 : 0;
                out[a] = (in[a] - 1) * s[a] + k[a] - 2 * pad + outputPadding[a];
                if (out[a] < 1 || padding.outputSize(out[a], k[a], s[a], 1) != in[a]) {
                    throw l.unsupported(
                            "output_padding",
                            "gives an output of " + out[a] + " on axis " + (a + 1) + ", which a " + padding
                                    + " convolution does not map back onto the input's " + in[a]);
                }
            }
        }
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        List<KerasWeight> w =
                e.fetch(l, spec("kernel", k[0], k[1], filters, cin), useBias ? spec("bias", filters) : null);
        float[] src = w.get(0).values(); // [kh, kw, out, in]
        float[] dst = new float[src.length]; // [out, kh, kw, in]
        int spatial = k[0] * k[1];
        for (int p = 0; p < spatial; p++) {
            for (int o = 0; o < filters; o++) {
                System.arraycopy(src, (p * filters + o) * cin, dst, (o * spatial + p) * cin, cin);
            }
        }
        List<Tensor> inputs =
                new ArrayList<>(List.of(x, e.constant(l, "kernel", Shape.of(filters, k[0], k[1], cin), dst)));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(filters), w.get(1).values()));
        }
        return ActivationLayers.withActivation(
                e,
                l,
                OpType.TRANSPOSE_CONV,
                new OpAttributes.TransposeConv(padding, s[0], s[1], out[0], out[1], fused),
                inputs);
    }

    /** {@code output_padding}: null (absent) or two non-negative integers. */
    private static int[] outputPadding(KerasLayer l) {
        JsonNode v = l.get("output_padding");
        if (v == null || v.isNull()) {
            return null;
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
            throw l.unsupported("output_padding", "expected null, an int or [h, w]");
        }
        if (p[0] < 0 || p[1] < 0) {
            throw l.unsupported("output_padding", "amounts must not be negative");
        }
        return p;
    }
}
