package dev.quanta.kernels;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/**
 * Makes the float32 kernel of an op, bound to its buffers: for CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED the
 * Vector API kernels when {@link Simd#enabled()}, else (and for every other op) the scalar reference. {@code buffer}
 * gives the float array of a tensor (constants hold their data), {@code shape} its concrete dimensions.
 */
public final class FloatKernels {
    private FloatKernels() {}

    /**
     * @throws UnsupportedOperationException when the op has no float kernel
     */
    public static Kernel create(Op op, Function<Tensor, float[]> buffer, Function<Tensor, int[]> shape) {
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
            case MAX_POOL_2D, AVERAGE_POOL_2D -> {
                boolean max = op.type() == OpType.MAX_POOL_2D;
                OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
                yield Simd.enabled()
                        ? SimdPool2DFloat.create(max, x, xs, y, ys, a)
                        : new Pool2DFloat(max, x, xs, y, ys, a);
            }
            case MEAN ->
                new MeanFloat(x, xs, y, op.attrs(OpAttributes.Mean.class).axes());
            case BATCH_NORM -> batchNorm(op, x, xs, y, buffer);
            case RELU, RELU6, LOGISTIC, TANH, IDENTITY, RESHAPE -> new ActivationFloat(op.type(), 0f, x, y);
            case LEAKY_RELU ->
                new ActivationFloat(
                        op.type(), op.attrs(OpAttributes.LeakyRelu.class).alpha(), x, y);
            case SOFTMAX ->
                new SoftmaxFloat(
                        x,
                        y,
                        xs[xs.length - 1],
                        op.attrs(OpAttributes.Softmax.class).beta());
            case ADD -> {
                Activation act = op.attrs(OpAttributes.Add.class).activation();
                float[] b = buffer.apply(op.input(1));
                int[] bs = shape.apply(op.input(1));
                yield Simd.enabled()
                        ? SimdAddFloat.create(x, xs, b, bs, y, ys, act.min(), act.max())
                        : new AddFloat(x, xs, b, bs, y, ys, act.min(), act.max());
            }
            case CONCATENATION -> {
                OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
                int n = op.inputs().size();
                float[][] ins = new float[n][];
                int[][] shapes = new int[n][];
                for (int i = 0; i < n; i++) {
                    ins[i] = buffer.apply(op.input(i));
                    shapes[i] = shape.apply(op.input(i));
                }
                int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
                yield new ConcatenationFloat(
                        ins,
                        shapes,
                        axis,
                        y,
                        a.activation().min(),
                        a.activation().max());
            }
            case PAD ->
                new PadFloat(x, xs, y, ys, op.attrs(OpAttributes.Pad.class).paddings());
            case TRANSPOSE ->
                new TransposeFloat(
                        x, xs, y, op.attrs(OpAttributes.Transpose.class).perm());
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> LstmFloat.create(op, buffer, shape);
            default ->
                throw new UnsupportedOperationException(op.describe() + ": " + op.type() + " has no float32 kernel");
        };
    }

    private static float[] optional(Op op, int index, Function<Tensor, float[]> buffer) {
        return op.inputs().size() > index ? buffer.apply(op.input(index)) : null;
    }

    private static Kernel batchNorm(Op op, float[] x, int[] xs, float[] y, Function<Tensor, float[]> buffer) {
        OpAttributes.BatchNorm a = op.attrs(OpAttributes.BatchNorm.class);
        int k = 1;
        float[] gamma = a.hasGamma() ? buffer.apply(op.input(k++)) : null;
        float[] beta = a.hasBeta() ? buffer.apply(op.input(k++)) : null;
        float[] mean = buffer.apply(op.input(k++));
        float[] var = buffer.apply(op.input(k));
        int axis = a.axis() < 0 ? a.axis() + xs.length : a.axis();
        int inner = 1;
        for (int i = axis + 1; i < xs.length; i++) {
            inner *= xs[i];
        }
        return new BatchNormFloat(x, y, gamma, beta, mean, var, a.epsilon(), xs[axis], inner);
    }
}
