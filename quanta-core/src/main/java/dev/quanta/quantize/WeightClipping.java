package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Clipped weight ranges for int8 symmetric weights, as {@link HeldOutSearch} chooses them for
 * {@code --calibrator auto}: a layer's weights are clipped to {@code [−r·M, r·M]}, M being max |w| over the tensor
 * (per-tensor weights) or over each output channel (per-channel weights), with a ratio r < 1 of {@link #RATIOS}, so
 * that {@link WeightQuantizer} then gives them the scale {@code s = r·M / 127} (its guards, the minimum scale and the
 * int32 bias fit, still apply). Clipping the float weights before encoding them writes exactly what encoding the
 * unclipped weights at that scale writes, since {@code clamp(round(w / s), −127, 127)} saturates there too: the
 * weights beyond r·M take ±127, and all the others a finer grid. With per-tensor weights one outlier channel sets M
 * for every channel, which is where a finer grid may pay for the few saturated weights.
 */
final class WeightClipping {
    private WeightClipping() {}

    /** The ratios of max |w| a layer's weight range may be clipped to (besides 1, unclipped). */
    static final double[] RATIOS = {0.95, 0.9, 0.8, 0.7, 0.6};

    /**
     * One layer's clipped weight range.
     *
     * @param layer the layer (for the report)
     * @param weights the weight tensor's name
     * @param ratio r, the fraction of max |w| (per tensor, or per channel along {@code axis}) kept
     * @param axis the output-channel axis when per channel, else −1
     */
    record Clip(String layer, String weights, double ratio, int axis) {}

    /** Whether {@code op} has int8 symmetric weights whose range may be clipped under {@code config}. */
    static boolean clippable(Op op, QuantizationConfig config) {
        return (op.type() == OpType.CONV_2D
                        || op.type() == OpType.DEPTHWISE_CONV_2D
                        || op.type() == OpType.FULLY_CONNECTED)
                && op.inputs().size() > 1
                && op.input(1).isConstant()
                && op.input(1).dtype() == DType.FLOAT32
                && !config.floatLayers().contains(op.origin().layerName())
                && !(config.scheme() == QuantizationScheme.ASYMMETRIC && config.mode() == QuantizationMode.INT8);
    }

    /** The output-channel axis of {@code op}'s weights: 3 for a depthwise convolution, else 0. */
    static int channelAxis(Op op) {
        return op.type() == OpType.DEPTHWISE_CONV_2D ? 3 : 0;
    }

    /** {@code model} with the weights named in {@code clips} clipped; {@code model} itself when there are none. */
    static Model apply(Model model, Map<String, Clip> clips) {
        if (clips.isEmpty()) {
            return model;
        }
        List<Op> ops = new ArrayList<>();
        for (Op op : model.ops()) {
            Clip c = op.inputs().size() > 1 && op.input(1) != null
                    ? clips.get(op.input(1).name())
                    : null;
            if (c == null) {
                ops.add(op);
                continue;
            }
            List<Tensor> inputs = new ArrayList<>(op.inputs());
            inputs.set(1, clipped(op.input(1), c.ratio(), c.axis()));
            ops.add(new Op(op.name(), op.type(), inputs, op.outputs(), op.attributes(), op.origin()));
        }
        return new Model(model.name(), model.inputs(), model.outputs(), ops, model.metadata());
    }

    /** {@code w} with each value clamped to ±r·M (M per tensor, or per channel along {@code axis} when ≥ 0). */
    static Tensor clipped(Tensor w, double ratio, int axis) {
        float[] v = w.data().floats();
        float[] limit = limits(v, w.shape().dims(), axis, ratio);
        int inner = inner(w.shape().dims(), axis);
        float[] out = new float[v.length];
        for (int e = 0; e < v.length; e++) {
            float l = limit[channel(e, inner, limit.length)];
            out[e] = Math.max(-l, Math.min(l, v[e]));
        }
        return new Tensor(w.name(), w.shape(), DType.FLOAT32, TensorData.ofFloats(out), null, w.trainable());
    }

    /** How many weights of {@code w} lie beyond ±r·M (and are clipped). */
    static int clippedCount(Tensor w, double ratio, int axis) {
        float[] v = w.data().floats();
        float[] limit = limits(v, w.shape().dims(), axis, ratio);
        int inner = inner(w.shape().dims(), axis);
        int n = 0;
        for (int e = 0; e < v.length; e++) {
            n += Math.abs(v[e]) > limit[channel(e, inner, limit.length)] ? 1 : 0;
        }
        return n;
    }

    /** max |w| of {@code w} (over the tensor, or the largest over its channels). */
    static double absMax(Tensor w) {
        double m = 0;
        for (float f : w.data().floats()) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    /** The report's line for {@code c} of {@code w}. */
    static String describe(Clip c, Tensor w) {
        return String.format(
                Locale.ROOT,
                "%s: ×%.2f of max |w|%s (%.4g -> %.4g), %d of %d weights clipped",
                QuantizationReport.shorten(c.layer()),
                c.ratio(),
                c.axis() >= 0 ? " per channel" : "",
                absMax(w),
                absMax(w) * c.ratio(),
                clippedCount(w, c.ratio(), c.axis()),
                w.shape().elementCount());
    }

    /** r × max |w| per channel (one limit when {@code axis} is −1), as floats. */
    private static float[] limits(float[] v, int[] shape, int axis, double ratio) {
        int channels = axis < 0 ? 1 : shape[axis];
        int inner = inner(shape, axis);
        double[] max = new double[channels];
        for (int e = 0; e < v.length; e++) {
            int c = channel(e, inner, channels);
            max[c] = Math.max(max[c], Math.abs(v[e]));
        }
        float[] limit = new float[channels];
        for (int c = 0; c < channels; c++) {
            limit[c] = (float) (max[c] * ratio);
        }
        return limit;
    }

    private static int inner(int[] shape, int axis) {
        int inner = 1;
        for (int i = axis + 1; axis >= 0 && i < shape.length; i++) {
            inner *= shape[i];
        }
        return inner;
    }

    private static int channel(int e, int inner, int channels) {
        return channels == 1 ? 0 : (e / inner) % channels;
    }
}
