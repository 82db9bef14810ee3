package dev.quanta.kernels;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.Requantizer;
import dev.quanta.kernels.conv.ConvolutionKernels;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a static-shape model through the quantized kernels of a chosen {@link QuantizedPath} (the interpreter uses
 * the default path), keeping every tensor's buffer readable for op-by-op comparisons.
 */
final class KernelRunner implements AutoCloseable {
    private static final ConvolutionKernels CONVOLUTION = new ConvolutionKernels();

    private final Model model;
    private final Map<Tensor, Object> buffers = new IdentityHashMap<>();
    private final Map<Tensor, int[]> shapes = new IdentityHashMap<>();
    private final List<Kernel> kernels = new ArrayList<>();
    private final Parallel parallel;

    KernelRunner(Model model, QuantizedPath path) {
        this(model, path, roundingOverride(), 1);
    }

    KernelRunner(Model model, QuantizedPath path, ConvolutionKernels.BuiltinRounding rounding, int threads) {
        this.model = model;
        this.parallel = Parallel.of(threads);
        Map<Tensor, Tensor> concrete = new IdentityHashMap<>();
        for (Tensor t : model.inputs()) {
            Tensor c = t.withShape(t.shape().isDynamic() ? t.shape().withBatch(1) : t.shape());
            concrete.put(t, c);
            allocate(t, c.shape());
        }
        for (Op op : model.ops()) {
            List<Tensor> ins = new ArrayList<>();
            for (Tensor t : op.inputs()) {
                if (!buffers.containsKey(t)) {
                    if (!t.isConstant()) {
                        throw new IllegalStateException("tensor " + t + " read before written");
                    }
                    buffers.put(t, Buffers.of(t));
                    shapes.put(t, t.shape().dims());
                }
                ins.add(t.isConstant() ? t : concrete.get(t));
            }
            Shape out = ShapeInference.infer(op.type(), op.attributes(), ins);
            concrete.put(op.output(0), op.output(0).withShape(out));
            allocate(op.output(0), out);
            kernels.add(
                    Kernels.isFloat(op) ? Kernels.create(op, buffers::get, shapes::get) : create(op, path, rounding));
        }
    }

    /** The kernel of a quantized op, a convolution-family op's with the built-in path's {@code rounding}. */
    private Kernel create(Op op, QuantizedPath path, ConvolutionKernels.BuiltinRounding rounding) {
        return CONVOLUTION.handles(op)
                ? CONVOLUTION.create(op, buffers::get, shapes::get, path, rounding)
                : Kernels.create(op, buffers::get, shapes::get, path);
    }

    private static ConvolutionKernels.BuiltinRounding roundingOverride() {
        String r = System.getProperty("rounding");
        if (r == null) {
            return ConvolutionKernels.BuiltinRounding.DEFAULT;
        }
        String[] p = r.split(",");
        return new ConvolutionKernels.BuiltinRounding(
                Requantizer.Rounding.valueOf(p[0]),
                Requantizer.Rounding.valueOf(p[1]),
                Requantizer.Rounding.valueOf(p[2]),
                Requantizer.Rounding.valueOf(p[3]),
                false);
    }

    private void allocate(Tensor t, Shape shape) {
        buffers.put(t, Buffers.allocate(t.dtype(), Math.toIntExact(shape.elementCount())));
        shapes.put(t, shape.dims());
    }

    /** Runs the model on {@code input} (the array of its only input). */
    void run(Object... inputs) {
        for (int i = 0; i < inputs.length; i++) {
            Object dst = buffers.get(model.inputs().get(i));
            System.arraycopy(inputs[i], 0, dst, 0, Buffers.length(dst));
        }
        for (Kernel k : kernels) {
            k.run(parallel);
        }
    }

    /** Runs op {@code i} alone on the current buffers. */
    void runOp(int i) {
        kernels.get(i).run(parallel);
    }

    Object buffer(Tensor t) {
        return buffers.get(t);
    }

    Object output() {
        return buffers.get(model.outputs().get(0));
    }

    @Override
    public void close() {
        parallel.close();
    }
}
