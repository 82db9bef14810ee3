package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.KernelRegistry;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which ops have integer kernels, per activation type, in both Quanta's interpreter and the official TFLite
 * runtime (a converted file must run in both). An op outside this table stays in float only with
 * {@code QuantizationConfig.withAllowFloatFallback}.
 *
 * <p>TFLite 2.21 has no int16 kernel for a standalone RELU6 (its Relu6 kernel takes float32, int8 and uint8);
 * RELU6 fused into a convolution, Dense or ADD is fine in every type. With int16 activations LOGISTIC, TANH and
 * SOFTMAX are integer too, bit-exact with TFLite's int16 kernels (symmetric, zero point 0, output scale 1/32768;
 * LOGISTIC and TANH in gemmlowp fixed point or with TFLite's interpolated sigmoid table, SOFTMAX with its exp and
 * 1/(1 + x) tables). UNIDIRECTIONAL_SEQUENCE_LSTM is integer with int8 activations only (TFLite's 8x8→16 LSTM,
 * int16 cell state), and only without peepholes, projection or layer normalization ({@link #lstmLimitation}).
 */
public final class IntegerKernelSupport {
    private static final Set<OpType> EIGHT_BIT = EnumSet.of(
            OpType.FULLY_CONNECTED,
            OpType.CONV_2D,
            OpType.DEPTHWISE_CONV_2D,
            OpType.MAX_POOL_2D,
            OpType.AVERAGE_POOL_2D,
            OpType.MEAN,
            OpType.RESHAPE,
            OpType.RELU,
            OpType.RELU6,
            OpType.LEAKY_RELU,
            OpType.LOGISTIC,
            OpType.TANH,
            OpType.SOFTMAX,
            OpType.ADD,
            OpType.CONCATENATION,
            OpType.PAD,
            OpType.TRANSPOSE,
            OpType.STRIDED_SLICE);
    // Ops of the issue-11 kernel families are found in the kernel registry (KernelRegistry.runsOnBothPaths).
    /** Int16 activations: the same ops but a standalone RELU6. */
    private static final Set<OpType> SIXTEEN_BIT = without(EIGHT_BIT, OpType.RELU6);

    private IntegerKernelSupport() {}

    private static Set<OpType> without(Set<OpType> ops, OpType removed) {
        Set<OpType> rest = EnumSet.copyOf(ops);
        rest.remove(removed);
        return rest;
    }

    /**
     * Why an LSTM op cannot become TFLite's integer 8x8→16 LSTM as Quanta writes it (no peepholes, projection or
     * layer normalization, tanh activation), or null when it can.
     */
    public static String lstmLimitation(dev.quanta.ir.Op op) {
        dev.quanta.ir.OpAttributes.Lstm a = op.attrs(dev.quanta.ir.OpAttributes.Lstm.class);
        for (int k : new int[] {9, 10, 11, 16, 17, 20, 21, 22, 23}) {
            if (a.has(k)) {
                return "the integer LSTM takes no peepholes, projection or layer normalization (TFLite input " + k
                        + " is present)";
            }
        }
        if (a.activation() != dev.quanta.ir.OpAttributes.LstmActivation.TANH) {
            return "the integer LSTM always uses tanh, the layer uses " + a.activation();
        }
        return null;
    }

    /** True when {@code type} with activations of {@code activationType} has an integer kernel. */
    public static boolean supports(OpType type, DType activationType) {
        if (type == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM) {
            return activationType == DType.INT8; // TFLite's integer LSTM is 8x8→16: int8 only
        }
        boolean builtIn = switch (activationType) {
            case INT8, UINT8 -> EIGHT_BIT.contains(type);
            case INT16 -> SIXTEEN_BIT.contains(type);
            default -> false;
        };
        return builtIn || fromProviders(type, activationType);
    }

    /**
     * True when a kernel family's registry row runs {@code type} on quantized {@code activationType} (the signal
     * ops compute plain integers, not quantized values: the quantizer never writes them; DETECTION_POSTPROCESS runs
     * on uint8 inputs, but its outputs are always float and the quantizer keeps it float, see
     * DetectionQuantization).
     */
    private static boolean fromProviders(OpType type, DType activationType) {
        boolean quantized =
                activationType == DType.INT8 || activationType == DType.UINT8 || activationType == DType.INT16;
        return quantized
                && !type.isSignal()
                && type != OpType.DETECTION_POSTPROCESS
                && KernelRegistry.runsOnBothPaths(type, activationType);
    }
}
