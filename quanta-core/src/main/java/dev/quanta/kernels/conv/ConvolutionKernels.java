package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.KernelProvider;
import dev.quanta.kernels.KernelSupport;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The convolution family: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, MAX_POOL_2D and AVERAGE_POOL_2D in float32
 * (Vector API kernels when {@link Simd#enabled()}, else the scalar reference), int8, uint8, 16x8 and hybrid
 * (float32 activations, int8 weights).
 *
 * <p>The integer kernels reproduce the official TFLite 2.21 runtime's two x86-64 paths bit for bit, chosen by
 * {@link QuantizedPath}. The XNNPACK path requantizes in fp32 with the scale (s_x·s_w)/s_y; the built-in path uses
 * the rounding of {@link BuiltinRounding} (int8 CONV_2D and FULLY_CONNECTED: SRDHM and an upward-tie shift; int8
 * DEPTHWISE_CONV_2D and every uint8 layer: gemmlowp double rounding, uint8 with the float product s_x·s_w). 16x8
 * runs TFLite's built-in kernels on both paths (XNNPACK takes no int16): convolutions accumulate in int64 with a
 * 16-bit multiplier, FULLY_CONNECTED in int32 with single rounding of the double s_x·s_w/s_y. MAX_POOL_2D is exact;
 * integer AVERAGE_POOL_2D divides rounding ties away, built-in on both paths (XNNPACK does not take int8 there).
 * XNNPACK's SAME-padding quirk (no input read when the TensorFlow padding total is negative) is reproduced; see
 * {@link XnnpackQuirks}.
 *
 * <p>Hybrid FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D run TFLite's hybrid kernels (rows quantized
 * asymmetrically, or for FULLY_CONNECTED symmetrically on the built-in path when the file says
 * asymmetric_quantize_inputs = false). XNNPACK's own dynamic quantization of hybrid FULLY_CONNECTED and CONV_2D is
 * not reproduced (a few ulps apart), so their rows name the built-in path only.
 *
 * <p>Kernels prepare everything when made (multipliers, shifts, packed weights); {@code run} only computes. Integer
 * results do not depend on the thread count.
 */
public final class ConvolutionKernels implements KernelProvider {
    /** The ops of this family. */
    private static final Set<OpType> OPS = EnumSet.of(
            OpType.CONV_2D,
            OpType.DEPTHWISE_CONV_2D,
            OpType.FULLY_CONNECTED,
            OpType.MAX_POOL_2D,
            OpType.AVERAGE_POOL_2D);

    /**
     * Requantization rounding of the built-in path per op family (for experiments and tests; {@link #DEFAULT} is
     * what the runtime uses). Measured on TFLite 2.21 x86-64: int8 CONV_2D and FULLY_CONNECTED round ties of the
     * final shift upwards, int8 DEPTHWISE_CONV_2D and every uint8 layer use gemmlowp's double rounding.
     */
    public record BuiltinRounding(
            Requantizer.Rounding int8Conv,
            Requantizer.Rounding int8Depthwise,
            Requantizer.Rounding int8FullyConnected,
            Requantizer.Rounding uint8,
            boolean symmetricHybridInputs) {
        public static final BuiltinRounding DEFAULT = new BuiltinRounding(
                Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD,
                Requantizer.Rounding.DOUBLE_ROUNDING,
                Requantizer.Rounding.DOUBLE_ROUNDING_UPWARD,
                Requantizer.Rounding.DOUBLE_ROUNDING,
                false);

        /** This tuning with hybrid FULLY_CONNECTED inputs quantized symmetrically (asymmetric_quantize_inputs off). */
        public BuiltinRounding withSymmetricHybridInputs() {
            return new BuiltinRounding(int8Conv, int8Depthwise, int8FullyConnected, uint8, true);
        }

        /** The rounding of a layer of {@code type} with {@code inType} activations. */
        public Requantizer.Rounding forOp(OpType type, DType inType) {
            if (inType == DType.UINT8) {
                return uint8;
            }
            return switch (type) {
                case CONV_2D -> int8Conv;
                case DEPTHWISE_CONV_2D -> int8Depthwise;
                default -> int8FullyConnected;
            };
        }
    }

    /** Multiply-adds per run below which an 8-bit CONV_2D or FULLY_CONNECTED stays on the scalar kernel. */
    static final long SIMD_GEMM_MIN_MACS = 8192;

    /**
     * True when an 8-bit GEMM of {@code macs} multiply-adds takes the SIMD kernel: below {@link #SIMD_GEMM_MIN_MACS}
     * (a classifier head, say) the scalar loop takes about a microsecond, and the vector kernel's fixed costs and its
     * JIT warm-up (Vector API code allocates until C2 compiles it) outweigh the gain.
     */
    static boolean useSimdGemm(long macs) {
        return macs >= SIMD_GEMM_MIN_MACS;
    }

    @Override
    public boolean handles(Op op) {
        return OPS.contains(op.type());
    }

    @Override
    public Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, QuantizedPath path) {
        return create(op, buffer, shape, path, BuiltinRounding.DEFAULT);
    }

    /**
     * As {@link #create(Op, Function, Function, QuantizedPath)}, with {@code rounding} as the built-in path's
     * requantization rounding.
     */
    public Kernel create(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            QuantizedPath path,
            BuiltinRounding rounding) {
        if (Kernels.isFloat(op)) {
            return createFloat(op, t -> (float[]) buffer.apply(t), shape);
        }
        return createQuantized(op, buffer, shape, path, rounding);
    }

    @Override
    public List<KernelSupport> supported() {
        List<KernelSupport> rows = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.CONV_2D, OpType.DEPTHWISE_CONV_2D, OpType.FULLY_CONNECTED}) {
            rows.add(KernelSupport.bothPaths(op, DType.FLOAT32, "float32 (im2col GEMM or Vector API)"));
            String builtin8 = op == OpType.DEPTHWISE_CONV_2D ? "gemmlowp double rounding" : "SRDHM, upward-tie shift";
            rows.add(KernelSupport.bothPaths(op, DType.INT8, "XNNPACK: fp32 requantization; built-in: " + builtin8));
            rows.add(KernelSupport.bothPaths(
                    op, DType.UINT8, "XNNPACK: fp32 requantization; built-in: gemmlowp double rounding"));
            rows.add(KernelSupport.bothPaths(
                    op,
                    DType.INT16,
                    op == OpType.FULLY_CONNECTED
                            ? "built-in on both: int32 accumulator, single rounding"
                            : "built-in on both: int64 accumulator, 16-bit multiplier"));
            Set<QuantizedPath> hybridPaths = op == OpType.DEPTHWISE_CONV_2D
                    ? EnumSet.allOf(QuantizedPath.class)
                    : EnumSet.of(QuantizedPath.BUILTIN);
            rows.add(KernelSupport.hybrid(
                    op, hybridPaths, "TFLite hybrid kernel: inputs quantized per row to int8, int32 accumulator"));
        }
        for (OpType op : new OpType[] {OpType.MAX_POOL_2D, OpType.AVERAGE_POOL_2D}) {
            String integer = op == OpType.MAX_POOL_2D ? "exact" : "rounding division, ties away; built-in on both";
            rows.add(KernelSupport.bothPaths(op, DType.FLOAT32, "float32"));
            rows.add(KernelSupport.bothPaths(op, DType.INT8, integer));
            rows.add(KernelSupport.bothPaths(op, DType.UINT8, integer));
            rows.add(KernelSupport.bothPaths(op, DType.INT16, integer));
        }
        return rows;
    }

    private static Kernel createFloat(Op op, Function<Tensor, float[]> buffer, Function<Tensor, int[]> shape) {
        Tensor in = op.input(0);
        float[] x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Tensor out = op.output(0);
        float[] y = buffer.apply(out);
        int[] ys = shape.apply(out);
        return switch (op.type()) {
            case FULLY_CONNECTED -> {
                int[] ws = shape.apply(op.input(1));
                int rows = x.length / ws[1];
                float[] w = buffer.apply(op.input(1));
                float[] bias = optional(op, 2, buffer);
                Activation act = op.attrs(OpAttributes.FullyConnected.class).activation();
                yield Simd.enabled()
                        ? SimdFloatKernels.fullyConnected(x, w, bias, y, rows, ws[1], ws[0], act)
                        : new FullyConnectedFloat(x, w, bias, y, rows, ws[1], ws[0], act);
            }
            case CONV_2D, DEPTHWISE_CONV_2D -> {
                FloatConvKernel.Tensors t = new FloatConvKernel.Tensors(
                        x, xs, buffer.apply(op.input(1)), shape.apply(op.input(1)), optional(op, 2, buffer), y, ys);
                if (op.type() == OpType.CONV_2D) {
                    OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
                    yield Simd.enabled() ? SimdFloatKernels.conv2d(t, a) : new Conv2DFloat(t, a);
                }
                OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
                yield Simd.enabled() ? SimdFloatKernels.depthwise(t, a) : new DepthwiseConv2DFloat(t, a);
            }
            default -> {
                boolean max = op.type() == OpType.MAX_POOL_2D;
                OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
                yield Simd.enabled()
                        ? SimdPool2DFloat.create(max, x, xs, y, ys, a)
                        : new Pool2DFloat(max, x, xs, y, ys, a);
            }
        };
    }

    private static float[] optional(Op op, int index, Function<Tensor, float[]> buffer) {
        return op.inputs().size() > index ? buffer.apply(op.input(index)) : null;
    }

    private static Kernel createQuantized(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            QuantizedPath path,
            BuiltinRounding rounding) {
        Tensor in = op.input(0);
        Tensor out = op.output(0);
        Object x = buffer.apply(in);
        int[] xs = shape.apply(in);
        Object y = buffer.apply(out);
        int[] ys = shape.apply(out);
        boolean xnnpack = path == QuantizedPath.XNNPACK;
        if (isHybrid(op)) {
            // XNNPACK quantizes hybrid inputs asymmetrically (qd8) whatever the option says
            boolean asymmetric = xnnpack
                    || op.type() != OpType.FULLY_CONNECTED
                    || op.attrs(OpAttributes.FullyConnected.class).asymmetricQuantizeInputs();
            return hybrid(op, buffer, shape, x, xs, y, asymmetric && !rounding.symmetricHybridInputs(), xnnpack);
        }
        switch (op.type()) {
            case CONV_2D -> {
                Quant.requireQuantizedActivations(op);
                OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p = new WeightedOpParams(
                        op, buffer, 0, ws[0], a.activation(), path, rounding.forOp(op.type(), in.dtype()));
                if (Simd.enabled() && !p.wide && useSimdGemm((long) Buffers.length(y) * ws[1] * ws[2] * ws[3])) {
                    // few input and output channels (a first layer): the direct kernel, vectors across pixels
                    if (SimdDirectConv2DInt.supports(xs, ws, a, p)) {
                        return SimdDirectConv2DInt.create(x, xs, p, ws, y, ys, a);
                    }
                    return SimdConv2DInt.create(x, xs, p, ws, y, ys, a);
                }
                return new Conv2DInt(x, xs, p, ws, y, ys, a);
            }
            case DEPTHWISE_CONV_2D -> {
                Quant.requireQuantizedActivations(op);
                OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p = new WeightedOpParams(
                        op, buffer, 3, ws[3], a.activation(), path, rounding.forOp(op.type(), in.dtype()));
                return Simd.enabled()
                        ? SimdDepthwiseConv2DInt.create(x, xs, p, ws, y, ys, a)
                        : new DepthwiseConv2DInt(x, xs, p, ws, y, ys, a);
            }
            case FULLY_CONNECTED -> {
                Quant.requireQuantizedActivations(op);
                Activation act = op.attrs(OpAttributes.FullyConnected.class).activation();
                int[] ws = shape.apply(op.input(1));
                WeightedOpParams p =
                        new WeightedOpParams(op, buffer, 0, ws[0], act, path, rounding.forOp(op.type(), in.dtype()));
                int rows = Buffers.length(x) / ws[1];
                if (Simd.enabled() && !p.wide && useSimdGemm((long) rows * ws[1] * ws[0])) {
                    return SimdFullyConnectedInt.create(x, p, y, rows, ws[1], ws[0]);
                }
                return new FullyConnectedInt(x, p, y, rows, ws[1], ws[0]);
            }
            default -> {
                Quant.requireSameType(op);
                Quant.requireSameParams(op, in, out);
                OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
                boolean max = op.type() == OpType.MAX_POOL_2D;
                int[] range = Quant.activationRange(
                        a.activation(), out.dtype(), Quant.scale(op, out), Quant.zeroPoint(op, out), xnnpack && max);
                return Simd.enabled()
                        ? SimdPool2DInt.create(max, x, xs, y, ys, out.dtype(), a, range[0], range[1])
                        : new Pool2DInt(max, x, xs, y, ys, out.dtype(), a, range[0], range[1]);
            }
        }
    }

    private static boolean isHybrid(Op op) {
        return switch (op.type()) {
            case FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D ->
                op.input(0).dtype() == DType.FLOAT32
                        && op.output(0).dtype() == DType.FLOAT32
                        && op.inputs().size() > 1
                        && op.input(1).dtype() == DType.INT8;
            default -> false;
        };
    }

    /** FULLY_CONNECTED / CONV_2D / DEPTHWISE_CONV_2D with float32 input and output and int8 weights. */
    private static Kernel hybrid(
            Op op,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            Object x,
            int[] xs,
            Object y,
            boolean asymmetric,
            boolean xnnpack) {
        Tensor w = op.input(1);
        if (!w.isConstant() || w.quant() == null) {
            throw Quant.unsupported(op, "hybrid weights must be constant and quantized");
        }
        Tensor b = op.inputs().size() > 2 ? op.input(2) : null;
        if (b != null && (b.dtype() != DType.FLOAT32 || !b.isConstant())) {
            throw Quant.unsupported(op, "a hybrid op's bias must be a float32 constant");
        }
        for (long zp : w.quant().zeroPoints()) {
            if (zp != 0) {
                throw Quant.unsupported(op, "hybrid weights must be symmetric (zero point 0), found " + zp);
            }
        }
        int[] ws = shape.apply(w);
        byte[] weights = (byte[]) buffer.apply(w);
        float[] scales = w.quant().scales();
        float[] bias = b == null ? null : (float[]) buffer.apply(b);
        int channelAxis = op.type() == dev.quanta.ir.OpType.DEPTHWISE_CONV_2D ? 3 : 0;
        if (!w.quant().isPerTensor() && (w.quant().axis() != channelAxis || scales.length != ws[channelAxis])) {
            throw Quant.unsupported(op, "per-channel weights must be quantized along axis " + channelAxis);
        }
        HybridInt.Tensors t = new HybridInt.Tensors((float[]) x, xs, weights, ws, scales, bias, (float[]) y);
        return switch (op.type()) {
            case FULLY_CONNECTED ->
                HybridInt.fullyConnected(
                        t, op.attrs(OpAttributes.FullyConnected.class).activation(), asymmetric);
            case CONV_2D -> HybridInt.conv(t, op.attrs(OpAttributes.Conv2D.class), xnnpack);
            default -> HybridInt.depthwise(t, op.attrs(OpAttributes.DepthwiseConv2D.class));
        };
    }
}
