package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;

/**
 * Encodes constant weights and biases as the TFLite quantization spec asks, with {@code real = s × (q − zp)}:
 *
 * <ul>
 *   <li>int8 symmetric, per output channel c or per tensor: {@code s[c] = max|w[c]| / 127}, {@code zp = 0},
 *       {@code q = clamp(round(w / s[c]), −127, 127)};
 *   <li>uint8 asymmetric per tensor (the uint8 scheme): {@code [min(w, 0), max(w, 0)]} on [0, 255],
 *       {@code s = (max − min) / 255}, {@code zp = clamp(round(−min / s), 0, 255)} ({@link QuantMath#asymmetric});
 *   <li>bias: {@code s_b[c] = s_in × s_w[c]}, {@code zp = 0}, {@code q = round(b / s_b[c])} in int32 (saturated),
 *       or int64 with int16 activations;
 *   <li>float16: IEEE binary16, rounded to nearest even.
 * </ul>
 *
 * {@code round} is half away from zero ({@link QuantMath#round}); an all-zero range gets scale 1.
 */
final class WeightQuantizer {
    /** uint8 asymmetric weights: the asymmetric scheme in int8 mode (TFLite's uint8 kernels). */
    private final boolean uint8;
    /** int64 bias: int16 activations (16x8 mode). */
    private final boolean int64Bias;

    private final QuantizationMode mode;
    private final Granularity granularity;
    private final boolean perChannelDense;

    /** @param config the settings, with the mode chosen (not null) */
    WeightQuantizer(QuantizationConfig config) {
        mode = config.mode();
        if (mode == null) {
            throw new IllegalArgumentException("WeightQuantizer needs a mode");
        }
        uint8 = config.scheme() == QuantizationScheme.ASYMMETRIC && mode == QuantizationMode.INT8;
        int64Bias = mode == QuantizationMode.INT16X8;
        granularity = config.granularity();
        perChannelDense = config.perChannelDense();
    }

    /**
     * The weights (input 1) of a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D op: per channel along the
     * output-channel axis (0, or 3 for depthwise) for convolutions, and for Dense only with
     * {@code perChannelDense}; per tensor otherwise.
     */
    Tensor weightsOf(Op op) {
        int axis = op.type() == OpType.DEPTHWISE_CONV_2D ? 3 : 0;
        boolean conv = op.type() != OpType.FULLY_CONNECTED;
        // TFLite's hybrid convolutions take per-channel weights (its per-tensor hybrid path is legacy and
        // quantizes inputs differently), so dynamic range keeps convolutions per channel, as its converter does
        boolean perChannel = conv && (granularity == Granularity.PER_CHANNEL || mode == QuantizationMode.DYNAMIC)
                || !conv && granularity == Granularity.PER_CHANNEL && perChannelDense;
        return weights(op.input(1), axis, perChannel);
    }

    /** Weights with one scale (the integer LSTM's gate weights). */
    Tensor perTensor(Tensor w) {
        return weights(w, 0, false);
    }

    private Tensor weights(Tensor w, int axis, boolean perChannel) {
        if (uint8) {
            return asymmetricUint8(w);
        }
        return perChannel ? symmetricPerChannel(w, axis) : symmetricPerTensor(w);
    }

    /** int8 symmetric with one scale per index of {@code axis}. */
    static Tensor symmetricPerChannel(Tensor w, int axis) {
        float[] v = w.data().floats();
        int[] shape = w.shape().dims();
        int channels = shape[axis];
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        double[] absMax = new double[channels];
        for (int e = 0; e < v.length; e++) {
            int c = (e / inner) % channels;
            absMax[c] = Math.max(absMax[c], Math.abs(v[e]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = QuantMath.symmetricScale(absMax[c], 127);
        }
        return encoded(w, v, DType.INT8, QuantParams.perAxis(scales, new long[channels], axis));
    }

    /** int8 symmetric with one scale. */
    static Tensor symmetricPerTensor(Tensor w) {
        float[] v = w.data().floats();
        double absMax = 0;
        for (float f : v) {
            absMax = Math.max(absMax, Math.abs(f));
        }
        return encoded(w, v, DType.INT8, QuantMath.symmetric(absMax, 127));
    }

    /** uint8 asymmetric with one scale, over the range of the values widened to take 0. */
    static Tensor asymmetricUint8(Tensor w) {
        float[] v = w.data().floats();
        float min = 0;
        float max = 0;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        return encoded(w, v, DType.UINT8, QuantMath.asymmetric(min, max, 0, 255));
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
