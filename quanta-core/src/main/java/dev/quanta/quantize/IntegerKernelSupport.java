package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which ops have integer kernels, per activation type, in both Quanta's interpreter and the official TFLite
 * runtime (a converted file must run in both). An op outside this table stays in float only with
 * {@code --allow-float-fallback}.
 *
 * <p>TFLite 2.21 has no int16 kernel for a standalone RELU6 (its Relu6 kernel takes float32, int8 and uint8);
 * RELU6 fused into a convolution, Dense or ADD is fine in every type. With int16 activations LOGISTIC, TANH and
 * SOFTMAX are integer too, bit-exact with TFLite's int16 kernels (symmetric, zero point 0, output scale 1/32768;
 * LOGISTIC and TANH in gemmlowp fixed point or with TFLite's interpolated sigmoid table, SOFTMAX with its exp and
 * 1/(1 + x) tables).
 */
public final class IntegerKernelSupport {
    private static final Set<OpType> EIGHT_BIT = EnumSet.of(OpType.FULLY_CONNECTED, OpType.CONV_2D,
            OpType.DEPTHWISE_CONV_2D, OpType.MAX_POOL_2D, OpType.AVERAGE_POOL_2D, OpType.MEAN, OpType.RESHAPE,
            OpType.RELU, OpType.RELU6, OpType.LEAKY_RELU, OpType.LOGISTIC, OpType.TANH, OpType.SOFTMAX, OpType.ADD,
            OpType.CONCATENATION, OpType.PAD, OpType.TRANSPOSE);
    private static final Set<OpType> SIXTEEN_BIT = EnumSet.of(OpType.FULLY_CONNECTED, OpType.CONV_2D,
            OpType.DEPTHWISE_CONV_2D, OpType.MAX_POOL_2D, OpType.AVERAGE_POOL_2D, OpType.MEAN, OpType.RESHAPE,
            OpType.RELU, OpType.LEAKY_RELU, OpType.LOGISTIC, OpType.TANH, OpType.SOFTMAX, OpType.ADD,
            OpType.CONCATENATION, OpType.PAD, OpType.TRANSPOSE);

    private IntegerKernelSupport() {}

    /** True when {@code type} with activations of {@code activationType} has an integer kernel. */
    public static boolean supports(OpType type, DType activationType) {
        return switch (activationType) {
            case INT8, UINT8 -> EIGHT_BIT.contains(type);
            case INT16 -> SIXTEEN_BIT.contains(type);
            default -> false;
        };
    }
}
