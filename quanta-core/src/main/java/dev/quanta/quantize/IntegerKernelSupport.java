package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.KernelRegistry;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which ops have integer kernels, per activation type, in both Quanta's interpreter and the official TFLite
 * runtime (a converted file must run in both): the kernel registry's rows that run on both TFLite paths
 * ({@link KernelRegistry#runsOnBothPaths}), without the boundary ops the quantizer never converts. An op outside
 * this table stays in float only with {@code QuantizationConfig.withAllowFloatFallback}.
 *
 * <p>For example TFLite 2.21 has no int16 kernel for a standalone RELU6 (its Relu6 kernel takes float32, int8 and
 * uint8), so the registry has no such row; RELU6 fused into a convolution, Dense or ADD is fine in every type.
 * UNIDIRECTIONAL_SEQUENCE_LSTM is integer with int8 activations only (TFLite's 8x8→16 LSTM, int16 cell state), and
 * only without peepholes, projection or layer normalization ({@link #lstmLimitation}).
 */
public final class IntegerKernelSupport {
    /**
     * Ops with integer kernels that the quantizer does not produce from a float op: IDENTITY (dropped before
     * quantization), QUANTIZE and DEQUANTIZE (boundaries the rewriter inserts itself) and CAST (converts stored
     * values whatever their parameters) and DETECTION_POSTPROCESS (runs on uint8 inputs but always gives float
     * outputs; the quantizer keeps it float on dequantized inputs, see DetectionQuantization).
     */
    private static final Set<OpType> NOT_QUANTIZED =
            EnumSet.of(OpType.IDENTITY, OpType.QUANTIZE, OpType.DEQUANTIZE, OpType.CAST, OpType.DETECTION_POSTPROCESS);

    private IntegerKernelSupport() {}

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
        boolean quantized =
                activationType == DType.INT8 || activationType == DType.UINT8 || activationType == DType.INT16;
        // the signal ops compute plain integers, not quantized values: the quantizer never writes them
        return quantized
                && !type.isSignal()
                && !NOT_QUANTIZED.contains(type)
                && KernelRegistry.runsOnBothPaths(type, activationType);
    }
}
