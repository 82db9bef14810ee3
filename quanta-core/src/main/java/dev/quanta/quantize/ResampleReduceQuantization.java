package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;

/**
 * Quantization rules of the resampling and reduction ops that are not "share the input's parameters" (RESIZE_*,
 * REDUCE_MAX, REDUCE_MIN) or "calibrated" (SUM, REDUCE_PROD), as TFLite's quantization spec gives them.
 */
final class ResampleReduceQuantization {
    private ResampleReduceQuantization() {}

    /** L2_NORMALIZATION's fixed output: scale 1/128, zero point 0 (int8) or 128 (uint8); TFLite has no int16 one. */
    static QuantParams l2NormalizationParams(Op op, DType activationType) {
        return switch (activationType) {
            case INT8 -> QuantParams.perTensor(1f / 128, 0);
            case UINT8 -> QuantParams.perTensor(1f / 128, 128);
            default ->
                throw new QuantaException(op.describe() + ": L2_NORMALIZATION has no " + activationType.lowerName()
                        + " kernel in TFLite");
        };
    }

    /** ARG_MAX/ARG_MIN's output: the float model's index tensor (INT32 or INT64), not quantized. */
    static Tensor indexOutput(Tensor out) {
        return new Tensor(out.name(), out.shape(), out.dtype(), null, null, false);
    }
}
