package dev.quanta.kernels.shape;

import static dev.quanta.ir.DType.FLOAT32;
import static dev.quanta.ir.DType.INT16;
import static dev.quanta.ir.DType.INT8;
import static dev.quanta.ir.DType.UINT8;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The kernels of RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR (float32, int8, uint8, int16; input and output of the
 * same type, quantized values resampled raw as TFLite does).
 *
 * <p>Bilinear: float32 follows TFLite's float kernel on both paths (XNNPACK's float weights differ by float
 * rounding only); int8 and int16 take TFLite's integer ResizeBilinearInteger on the built-in path, uint8 its float
 * kernel with the result rounded; on the XNNPACK path int8 and uint8 take XNNPACK's 11-bit fixed-point weights.
 * TFLite's uint8 special case for an exact ×8 half-pixel upscale of a depth divisible by 8 accumulates in 8.8 fixed
 * point, but its weights are sixteenths, which float holds exactly, so the float kernel gives the same bytes (the
 * oracle test covers it). Nearest neighbour copies the same pixels on both paths.
 */
public final class ResizeKernels implements KernelProvider {
    private static final Set<DType> TYPES = EnumSet.of(FLOAT32, INT8, UINT8, INT16);

    @Override
    public boolean handles(Op op) {
        return op.type() == OpType.RESIZE_BILINEAR || op.type() == OpType.RESIZE_NEAREST_NEIGHBOR;
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        DType type = in.dtype();
        if (!TYPES.contains(type) || out.dtype() != type) {
            throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " of " + type + " to "
                    + out.dtype() + " is not supported (float32, int8, uint8 or int16, the same on both sides)");
        }
        OpAttributes.Resize a = op.attrs(OpAttributes.Resize.class);
        int[] xShape = shape.apply(in);
        if (xShape.length != 4) {
            throw new UnsupportedOperationException(
                    op.describe() + ": " + op.type() + " needs a 4-D NHWC input, got rank " + xShape.length);
        }
        Object x = buffer.apply(in);
        Object y = buffer.apply(out);
        boolean xnnpack = path == QuantizedPath.XNNPACK;
        if (op.type() == OpType.RESIZE_NEAREST_NEIGHBOR) {
            return new ResizeNearestNeighbor(
                    x, xShape, y, a.height(), a.width(), a.alignCorners(), a.halfPixelCenters(), type == UINT8);
        }
        ResizeBilinear.Arithmetic arithmetic;
        if (type == FLOAT32) {
            arithmetic = ResizeBilinear.Arithmetic.FLOAT;
        } else if (xnnpack && type != INT16) {
            arithmetic = ResizeBilinear.Arithmetic.XNNPACK;
        } else if (type == UINT8) {
            arithmetic = ResizeBilinear.Arithmetic.FLOAT;
        } else {
            arithmetic = ResizeBilinear.Arithmetic.INTEGER;
        }
        return new ResizeBilinear(
                x, xShape, y, type, a.height(), a.width(), a.alignCorners(), a.halfPixelCenters(), arithmetic);
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        rows.add(KernelSupport.bothPaths(OpType.RESIZE_BILINEAR, FLOAT32, "TFLite's float interpolation"));
        rows.add(KernelSupport.bothPaths(
                OpType.RESIZE_BILINEAR,
                INT8,
                "built-in: TFLite's 10-bit fixed-point ResizeBilinearInteger; XNNPACK: 11-bit fixed-point weights"));
        rows.add(KernelSupport.bothPaths(
                OpType.RESIZE_BILINEAR,
                UINT8,
                "built-in: TFLite's float weights, rounded; XNNPACK: 11-bit fixed-point weights"));
        rows.add(KernelSupport.bothPaths(
                OpType.RESIZE_BILINEAR, INT16, "TFLite's 10-bit fixed-point ResizeBilinearInteger"));
        for (DType t : TYPES) {
            rows.add(KernelSupport.bothPaths(OpType.RESIZE_NEAREST_NEIGHBOR, t, "copy of the nearest pixel"));
        }
        return rows;
    }
}
