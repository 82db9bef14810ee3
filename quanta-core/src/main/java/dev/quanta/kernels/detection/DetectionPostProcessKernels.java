package dev.quanta.kernels.detection;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.List;
import java.util.function.Function;

/**
 * The kernel of {@link OpType#DETECTION_POSTPROCESS} (TFLite's {@code TFLite_Detection_PostProcess} custom op) for
 * {@link dev.quanta.kernels.Kernels}, registered as a service. TFLite runs its own kernel on both paths (XNNPACK
 * does not take custom ops), in float whatever the input type.
 */
public final class DetectionPostProcessKernels implements KernelProvider {
    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.DETECTION_POSTPROCESS;
    }

    /**
     * @throws UnsupportedOperationException naming the op for inputs other than float32 or uint8 box encodings (with
     *     anchors of the same type) and class predictions, or outputs other than float32
     */
    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return new DetectionPostProcess(op, buffer, shape);
    }

    /** Float32 and uint8 box encodings (the type of the first input), as TFLite 2.21's kernel takes them. */
    @Override
    public List<KernelSupport> supported() {
        return List.of(
                KernelSupport.bothPaths(
                        OpType.DETECTION_POSTPROCESS,
                        DType.FLOAT32,
                        "TFLite's kernel: boxes decoded in double, NMS in float"),
                KernelSupport.bothPaths(
                        OpType.DETECTION_POSTPROCESS,
                        DType.UINT8,
                        "TFLite's kernel on dequantized inputs: boxes decoded in double, NMS in float"));
    }
}
