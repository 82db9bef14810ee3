package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encodes constant weights and biases as the TFLite quantization spec asks, with {@code real = s × (q − zp)}:
 *
 * <ul>
 *   <li>int8 symmetric, per output channel c or per tensor: {@code s[c] = max(max|w[c]|, 5·10⁻⁷) / 127},
 *       {@code zp = 0}, {@code q = clamp(round(w / s[c]), −127, 127)};
 *   <li>with reduce range ({@link QuantizationConfig#withReduceRange}, int8 mode): 63 in place of 127 and 127 in
 *       place of 255 (7-bit weights);
 *   <li>uint8 asymmetric per tensor (the uint8 scheme): {@code [min(w, 0), max(w, 0)]} on [0, 255],
 *       {@code s = (max − min) / 255}, {@code zp = clamp(round(−min / s), 0, 255)} ({@link QuantMath#asymmetric});
 *   <li>bias: {@code s_b[c] = s_in × s_w[c]}, {@code zp = 0}, {@code q = round(b / s_b[c])} in int32 (saturated),
 *       or int64 with int16 activations;
 *   <li>float16: IEEE binary16, rounded to nearest even.
 * </ul>
 *
 * {@code round} is half away from zero ({@link QuantMath#round}). Weight scales are guarded as TFLite's converter
 * guards them ({@link QuantMath}): never below {@code 5·10⁻⁷ / 127}, and enlarged where an int32 bias would
 * otherwise quantize beyond {@code ±2³⁰}; {@link #weightsAndBias} reports each such channel.
 */
final class WeightQuantizer {
    /** uint8 asymmetric weights: the asymmetric scheme in int8 mode (TFLite's uint8 kernels). */
    private final boolean uint8;
    /** int64 bias: int16 activations (16x8 mode). */
    private final boolean int64Bias;
    /** The largest weight magnitude (int8, symmetric) or value (uint8): 127 and 255, or 63 and 127 with reduce range. */
    private final int int8Max;

    private final int uint8Max;

    private final QuantizationMode mode;
    private final Granularity granularity;
    private final boolean perChannelDense;
    /**
     * Per weight tensor (by name), the granularity chosen for it ({@link HeldOutSearch}): true for per channel. A
     * layer it does not name takes the configured granularity.
     */
    private final Map<String, Boolean> chosenPerChannel;

    /** @param config the settings, with the mode chosen (not null) */
    WeightQuantizer(QuantizationConfig config) {
        this(config, Map.of());
    }

    /**
     * @param config the settings, with the mode chosen (not null)
     * @param chosenPerChannel per weight tensor name, per channel (true) or per tensor (false) where chosen
     */
    WeightQuantizer(QuantizationConfig config, Map<String, Boolean> chosenPerChannel) {
        mode = config.mode();
        if (mode == null) {
            throw new IllegalArgumentException("WeightQuantizer needs a mode");
        }
        uint8 = config.scheme() == QuantizationScheme.ASYMMETRIC && mode == QuantizationMode.INT8;
        int64Bias = mode == QuantizationMode.INT16X8;
        boolean reduce = config.reduceRange() && mode == QuantizationMode.INT8;
        int8Max = reduce ? 63 : 127;
        uint8Max = reduce ? 127 : 255;
        granularity = config.granularity();
        perChannelDense = config.perChannelDense();
        this.chosenPerChannel = Map.copyOf(chosenPerChannel);
    }

    /**
     * Whether {@code config} lets {@link HeldOutSearch} choose the granularity per layer: {@code --calibrator auto}
     * in int8 (symmetric) with per-channel granularity, where TFLite has per-tensor and per-channel kernels for Dense
     * on both of its paths.
     */
    static boolean granularityChosenPerLayer(QuantizationConfig config) {
        return config.calibrator() == Calibrator.AUTO
                && config.mode() == QuantizationMode.INT8
                && config.scheme() == QuantizationScheme.SYMMETRIC
                && config.granularity() == Granularity.PER_CHANNEL;
    }

    /** The configured granularity of {@code op}'s weights, before any choice per layer: true for per channel. */
    boolean configuredPerChannel(Op op) {
        boolean conv = op.type() != OpType.FULLY_CONNECTED;
        // TFLite's hybrid convolutions take per-channel weights (its per-tensor hybrid path is legacy and
        // quantizes inputs differently), so dynamic range keeps convolutions per channel, as its converter does
        return conv && (granularity == Granularity.PER_CHANNEL || mode == QuantizationMode.DYNAMIC)
                || !conv && granularity == Granularity.PER_CHANNEL && perChannelDense;
    }

    /** Quantized weights, their bias (null when absent or left float), and the weight scales that were adjusted. */
    record Encoded(Tensor weights, Tensor bias, List<ScaleAdjustment> adjustments) {
        Encoded {
            adjustments = List.copyOf(adjustments);
        }
    }

    /**
     * The weights (input 1) and bias (input 2, when present) of a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D op.
     * Weights are per channel along the output-channel axis (0, or 3 for depthwise) for convolutions, and for Dense
     * only with {@code perChannelDense}; per tensor otherwise; a granularity chosen for the layer overrides both. Their scales follow the guards of {@link QuantMath}:
     * at least the minimum scale, and, with an int32 bias, large enough that every bias quantizes within
     * {@code ±2³⁰} (with one weight scale, the largest |b| decides). Each changed scale is reported.
     *
     * @param input the parameters of the op's quantized input, or null when activations stay float (dynamic range:
     *     the bias stays float and is not returned)
     */
    Encoded weightsAndBias(Op op, QuantParams input) {
        int axis = op.type() == OpType.DEPTHWISE_CONV_2D ? 3 : 0;
        Boolean chosen = chosenPerChannel.get(op.input(1).name());
        boolean perChannel = chosen != null ? chosen : configuredPerChannel(op);
        Tensor b = input != null && op.inputs().size() > 2 ? op.input(2) : null;
        // an int64 bias (16x8) has room for any bias at the minimum weight scale
        BiasFit fit = b == null || int64Bias ? null : new BiasFit(b.data().floats(), input.scale());
        List<ScaleAdjustment> adjustments = new ArrayList<>();
        Tensor w = weights(op.input(1), axis, perChannel, fit, op.origin().layerName(), adjustments);
        Tensor qb = b == null ? null : bias(b, input, w.quant());
        return new Encoded(w, qb, adjustments);
    }

    /** Weights with one scale (the integer LSTM's gate weights), at least the minimum scale. */
    Tensor perTensor(Tensor w) {
        return weights(w, 0, false, null, w.name(), new ArrayList<>());
    }

    /** The bias an int32 bias must fit: its values and the input scale it is quantized with. */
    private record BiasFit(float[] bias, float inputScale) {
        /** The largest |b| over channel {@code c}, or over all channels when {@code c} is −1. */
        double absMax(int c) {
            if (c >= 0) {
                return Math.abs((double) bias[c]);
            }
            double m = 0;
            for (float v : bias) {
                m = Math.max(m, Math.abs((double) v));
            }
            return m;
        }
    }

    private Tensor weights(
            Tensor w, int axis, boolean perChannel, BiasFit fit, String layer, List<ScaleAdjustment> adjustments) {
        if (uint8) {
            return asymmetricUint8(w, fit, layer, adjustments, uint8Max);
        }
        float[] v = w.data().floats();
        int[] shape = w.shape().dims();
        int channels = perChannel ? shape[axis] : 1;
        int inner = 1;
        for (int i = axis + 1; perChannel && i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] absMax = new double[channels];
        for (int e = 0; e < v.length; e++) {
            int c = perChannel ? (e / inner) % channels : 0;
            absMax[c] = Math.max(absMax[c], Math.abs(v[e]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            float plain = (float) (absMax[c] / int8Max);
            List<ScaleAdjustment.Cause> causes = new ArrayList<>();
            List<String> why = new ArrayList<>();
            float s = QuantMath.weightScale(absMax[c], int8Max);
            if (absMax[c] < QuantMath.MIN_WEIGHT_ABS_MAX) {
                causes.add(ScaleAdjustment.Cause.MINIMUM_SCALE);
                why.add(String.format(
                        Locale.ROOT, "max |w| %.3g is below 5e-7: minimum scale 5e-7/127 = %.3g", absMax[c], s));
            }
            if (fit != null) {
                s = fitBias(fit, perChannel ? c : -1, s, causes, why);
            }
            scales[c] = s;
            if (!causes.isEmpty()) {
                adjustments.add(
                        new ScaleAdjustment(layer, perChannel ? c : -1, plain, s, causes, String.join("; ", why)));
            }
        }
        QuantParams p = perChannel
                ? QuantParams.perAxis(scales, new long[channels], axis)
                : QuantParams.perTensor(scales[0], 0);
        return encoded(w, v, DType.INT8, p);
    }

    /**
     * {@code s}, or the larger scale at which the bias of channel {@code c} (of all channels when −1) quantizes
     * within ±2³⁰, noting why in {@code causes} and {@code why}.
     */
    private static float fitBias(BiasFit fit, int c, float s, List<ScaleAdjustment.Cause> causes, List<String> why) {
        double absBias = fit.absMax(c);
        float fitted = QuantMath.biasFittingWeightScale(absBias, fit.inputScale(), s);
        if (fitted != s) {
            causes.add(ScaleAdjustment.Cause.BIAS_RANGE);
            why.add(String.format(
                    Locale.ROOT,
                    "bias %s%.4g at input scale %.4g would quantize to %.3g, beyond 2^30: scale raised to %.3g",
                    c < 0 ? "max |b| " : "",
                    absBias,
                    fit.inputScale(),
                    absBias / (fit.inputScale() * s),
                    fitted));
        }
        return fitted;
    }

    /**
     * uint8 asymmetric with one scale, over the range of the values widened to take 0 and, when narrower than
     * {@code 10⁻⁶}, to {@code [−5·10⁻⁷, 5·10⁻⁷]}; the scale enlarged (zero point kept from the range's low end)
     * when the bias would not fit.
     */
    private static Tensor asymmetricUint8(
            Tensor w, BiasFit fit, String layer, List<ScaleAdjustment> adjustments, int qmax) {
        float[] v = w.data().floats();
        double min = 0;
        double max = 0;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        float plain = (float) ((max - min) / qmax);
        List<ScaleAdjustment.Cause> causes = new ArrayList<>();
        List<String> why = new ArrayList<>();
        if (max - min < 2 * QuantMath.MIN_WEIGHT_ABS_MAX) {
            causes.add(ScaleAdjustment.Cause.MINIMUM_SCALE);
            why.add(String.format(
                    Locale.ROOT, "range [%.3g, %.3g] is narrower than 1e-6: widened to at least ±5e-7", min, max));
            min = Math.min(min, -QuantMath.MIN_WEIGHT_ABS_MAX);
            max = Math.max(max, QuantMath.MIN_WEIGHT_ABS_MAX);
        }
        QuantParams p = QuantMath.asymmetric(min, max, 0, qmax);
        if (fit != null) {
            float s = fitBias(fit, -1, p.scale(), causes, why);
            if (s != p.scale()) {
                long zp = Math.max(0, Math.min(qmax, QuantMath.round(-min / s)));
                p = QuantParams.perTensor(s, zp);
            }
        }
        if (!causes.isEmpty()) {
            adjustments.add(new ScaleAdjustment(layer, -1, plain, p.scale(), causes, String.join("; ", why)));
        }
        return encoded(w, v, DType.UINT8, p);
    }

    private static Tensor encoded(Tensor w, float[] v, DType type, QuantParams p) {
        return new Tensor(
                w.name(), w.shape(), type, encode(v, type, p, w.shape().dims()), p, w.trainable());
    }

    /**
     * A bias for an input with parameters {@code in} and weights with {@code w} (per tensor or per channel along
     * axis 0): int32, or int64 with int16 activations.
     */
    Tensor bias(Tensor b, QuantParams in, QuantParams w) {
        float[] v = b.data().floats();
        int n = v.length;
        float[] scales = new float[w.isPerTensor() ? 1 : n];
        for (int c = 0; c < scales.length; c++) {
            scales[c] = in.scale() * w.scales()[c];
        }
        ByteBuffer buf = ByteBuffer.allocate(n * (int64Bias ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < n; c++) {
            double q = (double) v[c] / scales[w.isPerTensor() ? 0 : c];
            long r = QuantMath.round(q);
            if (int64Bias) {
                buf.putLong(r);
            } else {
                buf.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, r)));
            }
        }
        QuantParams p =
                w.isPerTensor() ? QuantParams.perTensor(scales[0], 0) : QuantParams.perAxis(scales, new long[n], 0);
        return new Tensor(
                b.name(),
                b.shape(),
                int64Bias ? DType.INT64 : DType.INT32,
                TensorData.ofBytes(int64Bias ? DType.INT64 : DType.INT32, buf.array()),
                p,
                b.trainable());
    }

    /** A float32 constant stored as float16 (same name, no quantization parameters). */
    static Tensor float16(Tensor t) {
        float[] v = t.data().floats();
        ByteBuffer buf = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            buf.putShort(Float.floatToFloat16(f));
        }
        return new Tensor(
                t.name(),
                t.shape(),
                DType.FLOAT16,
                TensorData.ofBytes(DType.FLOAT16, buf.array()),
                null,
                t.trainable());
    }

    /**
     * Encodes float values as {@code type} (int8, uint8 or int16) with {@code p}, per tensor or per axis:
     * {@code q = clamp(round(r / s) + zp, qmin, qmax)}, on the symmetric ranges [−127, 127] and [−32767, 32767]
     * for int8 and int16 with zero point 0, on [−128, 127] for int8 with another zero point, on [0, 255] for uint8.
     */
    static TensorData encode(float[] v, DType type, QuantParams p, int[] shape) {
        long qlo = type == DType.UINT8 ? 0 : type == DType.INT16 ? -32767 : -127;
        long qhi = type == DType.UINT8 ? 255 : type == DType.INT16 ? 32767 : 127;
        if (type == DType.INT8 && p.zeroPoint() != 0) {
            qlo = -128;
        }
        int axis = p.isPerTensor() ? -1 : p.axis();
        int channels = axis < 0 ? 1 : shape[axis];
        int inner = 1;
        for (int i = axis + 1; axis >= 0 && i < shape.length; i++) {
            inner *= shape[i];
        }
        float[] scales = p.scales();
        long[] zps = p.zeroPoints();
        ByteBuffer buf = ByteBuffer.allocate(v.length * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int e = 0; e < v.length; e++) {
            int c = axis < 0 ? 0 : (e / inner) % channels;
            long q = QuantMath.quantize(v[e], scales[c], zps[c], qlo, qhi);
            switch (type) {
                case INT8, UINT8 -> buf.put((byte) q);
                case INT16 -> buf.putShort((short) q);
                default -> throw new IllegalArgumentException(type.name());
            }
        }
        return TensorData.ofBytes(type, buf.array());
    }

    /** The report's summary of weight parameters: the scale and zero point, or the range of per-channel scales. */
    static String describe(QuantParams p) {
        if (p.isPerTensor()) {
            return String.format(Locale.ROOT, "scale=%.4g zp=%d", p.scale(), p.zeroPoint());
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = 0;
        for (float s : p.scales()) {
            lo = Math.min(lo, s);
            hi = Math.max(hi, s);
        }
        return String.format(Locale.ROOT, "per-channel x%d scale %.3g..%.3g", p.scales().length, lo, hi);
    }
}
