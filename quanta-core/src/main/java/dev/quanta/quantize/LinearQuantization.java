package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;

/** Quantization rules of issue 11's linear ops that {@link FullIntegerRewriter} calls. */
final class LinearQuantization {
    private LinearQuantization() {}

    /**
     * A constant operand of BATCH_MATMUL, symmetric over its own range: s = max|v| / 127 (32767 for int16), zero
     * point 0. Symmetric because XNNPACK's delegate reads the second operand's zero point as 0, so that the file
     * gives the same values on both TFLite paths.
     */
    static Tensor symmetricConstant(Tensor c, DType actType) {
        float[] v = c.data().floats();
        double absMax = 0;
        for (float f : v) {
            absMax = Math.max(absMax, Math.abs(f));
        }
        QuantParams p = QuantMath.symmetric(absMax, actType == DType.INT16 ? 32767 : 127);
        return new Tensor(
                c.name(),
                c.shape(),
                actType,
                WeightQuantizer.encode(v, actType, p, c.shape().dims()),
                p,
                c.trainable());
    }
}
