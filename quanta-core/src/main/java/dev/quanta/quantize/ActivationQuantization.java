package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/**
 * Quantization rules of the activation ops of issue 11, as the TFLite quantizer gives them:
 *
 * <ul>
 *   <li>HARD_SWISH, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1: the output calibrated like any activation;
 *   <li>PRELU: the output calibrated, the slopes quantized like an activation over their own range (int8 and
 *       uint8), or int8 symmetric with int16 activations (TFLite's int16 PRELU reads int8 slopes);
 *   <li>LOG_SOFTMAX: the fixed output scale 16/256 with zero point 127 (int8) or 255 (uint8);
 *   <li>MINIMUM, MAXIMUM: inputs and output share one set of parameters (TFLite's kernel compares stored values),
 *       over the union of the calibrated ranges; an input quantized otherwise is requantized by a QUANTIZE op, a
 *       constant input encoded with the shared parameters.
 * </ul>
 */
final class ActivationQuantization {
    private ActivationQuantization() {}

    /** LOG_SOFTMAX's fixed output parameters: 16/256 and zero point 127 (int8) or 255 (uint8). */
    static QuantParams logSoftmaxOutput(DType actType) {
        return QuantParams.perTensor(16f / 256, actType == DType.UINT8 ? 255 : 127);
    }

    /**
     * The parameters MINIMUM / MAXIMUM share: asymmetric (symmetric for int16) over the union of the calibrated
     * ranges of its activation inputs, the values of its constant inputs and its output.
     */
    static QuantParams minMaxParams(Op op, Function<Tensor, TensorRange> range, DType actType, int qmin, int qmax) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (Tensor t : op.inputs()) {
            if (t.isConstant()) {
                for (float v : t.data().floats()) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            } else {
                TensorRange r = range.apply(t);
                min = Math.min(min, r.min());
                max = Math.max(max, r.max());
            }
        }
        TensorRange r = range.apply(op.output(0));
        min = Math.min(min, r.min());
        max = Math.max(max, r.max());
        return actType == DType.INT16
                ? QuantMath.symmetric(Math.max(Math.abs(min), Math.abs(max)), 32767)
                : QuantMath.asymmetric(min, max, qmin, qmax);
    }

    /** PRELU's constant slopes for int16 activations: int8 symmetric, s = max|α| / 127. */
    static Tensor int8Slopes(Op op, Tensor alpha) {
        if (!alpha.isConstant()) {
            throw new dev.quanta.QuantaException(
                    op.describe() + ": int16 PRELU needs constant slopes (TFLite reads them as int8)");
        }
        float absMax = 0;
        for (float v : alpha.data().floats()) {
            absMax = Math.max(absMax, Math.abs(v));
        }
        return constant(alpha, DType.INT8, QuantMath.symmetric(absMax, 127));
    }

    /** Constant {@code c} encoded in {@code actType} with the parameters {@code p}. */
    static Tensor constant(Tensor c, DType actType, QuantParams p) {
        return new Tensor(
                c.name(),
                c.shape(),
                actType,
                WeightQuantizer.encode(c.data().floats(), actType, p, c.shape().dims()),
                p,
                c.trainable());
    }
}
