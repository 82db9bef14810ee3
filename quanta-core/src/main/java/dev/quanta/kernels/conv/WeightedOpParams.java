package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import java.util.function.Function;

/**
 * The prepared integer parameters of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: centred weights, bias and the
 * output {@link Requantizer}.
 *
 * <pre>
 * acc[c] = bias[c] + Σ (x − zp_x) · (w[c] − zp_w[c])       int32 (int64 for int16 activations)
 * M[c]   = s_x · s_w[c] / s_y
 * </pre>
 *
 * How {@code M[c]} is formed follows the path being reproduced:
 * <ul>
 *   <li>TFLite, per-channel int8/int16 weights ({@code PopulateConvolutionQuantizationParams}):
 *       {@code (double) s_x · (double) s_w[c] / (double) s_y};</li>
 *   <li>TFLite, 16x8 FULLY_CONNECTED, per-tensor weights too: the double product, as per-channel (measured on the
 *       MLPerf Tiny AD autoencoder: accumulators whose exact value {@code acc·M} lies within 1e-4 of a tie, e.g.
 *       {@code 440139 · M = 8430.49998}, round as the double product's multiplier says, 8430; the float product's
 *       multiplier, 1316264990 instead of 1316264969 at shift −5, crosses the tie and gives 8431);</li>
 *   <li>TFLite, per-tensor weights of 8-bit FULLY_CONNECTED and all UINT8 layers
 *       ({@code GetQuantizedConvolutionMultipler}): the float product {@code s_x · s_w} widened, then
 *       {@code / (double) s_y};</li>
 *   <li>XNNPACK: the float {@code (s_x · s_w[c]) / s_y}.</li>
 * </ul>
 *
 * and the rounding that applies it (see {@link Requantizer}) is the path's: fp32 on XNNPACK for 8-bit activations;
 * on the built-in path the {@code requantMode} given for the op family (see
 * {@code ConvolutionKernels.BuiltinRounding}), the int64 form for 16x8 convolutions and single rounding for 16x8
 * FULLY_CONNECTED (XNNPACK does not take 16x8 ops, so they run the built-in arithmetic on both paths).
 */
final class WeightedOpParams {
    final DType inType;
    final DType outType;
    final int inZeroPoint;
    /** Weights minus their zero point, in the IR layout. */
    final int[] weights;
    /** Per output channel; zeros when the op has no bias. */
    final long[] bias;

    final Requantizer requantizer;
    final boolean wide;
    /** True when the XNNPACK path's arithmetic applies (8-bit activations on {@link QuantizedPath#XNNPACK}). */
    final boolean xnnpack;

    WeightedOpParams(
            Op op,
            Function<Tensor, Object> buffer,
            int channelAxis,
            int channels,
            Activation activation,
            QuantizedPath path,
            Requantizer.Rounding requantMode) {
        Tensor x = op.input(0);
        Tensor w = op.input(1);
        Tensor b = op.inputs().size() > 2 ? op.input(2) : null;
        Tensor y = op.output(0);
        this.inType = x.dtype();
        this.outType = y.dtype();
        if (!w.isConstant()) {
            throw Quant.unsupported(op, "the weights must be constant");
        }
        this.wide = inType == DType.INT16;
        boolean okTypes = (inType == DType.INT8 && w.dtype() == DType.INT8 && outType == DType.INT8)
                || (inType == DType.UINT8 && w.dtype() == DType.UINT8 && outType == DType.UINT8)
                || (inType == DType.INT16 && w.dtype() == DType.INT8 && outType == DType.INT16);
        if (!okTypes) {
            throw Quant.unsupported(
                    op, "supported are int8 x int8 -> int8, uint8 x uint8 -> uint8 and int16 x int8 -> int16 (16x8)");
        }
        if (b != null && b.dtype() != (wide ? DType.INT64 : DType.INT32) && !(wide && b.dtype() == DType.INT32)) {
            throw Quant.unsupported(
                    op, "the bias must be " + (wide ? "INT64 (or INT32)" : "INT32") + ", it is " + b.dtype());
        }
        if (b != null && !b.isConstant()) {
            throw Quant.unsupported(op, "the bias must be constant");
        }
        float sx = Quant.scale(op, x);
        this.inZeroPoint = Quant.zeroPoint(op, x);
        float sy = Quant.scale(op, y);
        int zy = Quant.zeroPoint(op, y);
        if (wide && (inZeroPoint != 0 || zy != 0)) {
            throw Quant.unsupported(
                    op, "int16 activations must be symmetric (zero point 0), found " + inZeroPoint + " and " + zy);
        }
        QuantParams wq = w.quant();
        if (wq == null) {
            throw Quant.unsupported(op, "the weights have no quantization parameters");
        }
        float[] ws = wq.scales();
        long[] wz = wq.zeroPoints();
        boolean perChannel = !wq.isPerTensor();
        if (perChannel && (wq.axis() != channelAxis || ws.length != channels)) {
            throw Quant.unsupported(
                    op,
                    "per-channel weights must be quantized along axis " + channelAxis + " with " + channels
                            + " scales, found " + wq);
        }
        // weights minus zero point
        int[] shape = w.shape().dims();
        int inner = 1;
        for (int i = channelAxis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        // shared by every interpreter of the model: keyed on the model's constant array
        Object source = buffer.apply(w);
        int innerSize = inner;
        this.weights = PackedWeights.get(source, "int-weights-minus-zero-point", () -> {
            long[] raw = Quant.longs(source, w.dtype());
            int[] v = new int[raw.length];
            for (int i = 0; i < raw.length; i++) {
                int c = perChannel ? (i / innerSize) % channels : 0;
                v[i] = (int) (raw[i] - wz[c]);
            }
            return v;
        });
        this.bias = b != null ? Quant.longs(buffer.apply(b), b.dtype()) : new long[channels];
        if (bias.length != channels) {
            throw Quant.unsupported(op, "the bias has " + bias.length + " values for " + channels + " channels");
        }
        if (!wide) {
            for (long v : bias) {
                if (v != (int) v) {
                    throw Quant.unsupported(op, "bias value " + v + " does not fit int32");
                }
            }
        }
        this.xnnpack = path == QuantizedPath.XNNPACK && !wide;
        double[] real = new double[channels];
        float[] fscale = new float[channels];
        for (int c = 0; c < channels; c++) {
            float sw = ws[perChannel ? c : 0];
            boolean doubleProduct =
                    perChannel || wide || (op.type() != OpType.FULLY_CONNECTED && inType != DType.UINT8);
            real[c] = doubleProduct ? (double) sx * (double) sw / (double) sy : (double) (sx * sw) / (double) sy;
            fscale[c] = sx * sw / sy;
        }
        int[] range = Quant.activationRange(activation, outType, sy, zy, xnnpack);
        Requantizer.Rounding mode = xnnpack
                ? Requantizer.Rounding.FP32
                : wide && op.type() == OpType.FULLY_CONNECTED ? Requantizer.Rounding.SINGLE_ROUNDING : requantMode;
        this.requantizer = Requantizer.of(mode, real, fscale, zy, range[0], range[1]);
    }
}
