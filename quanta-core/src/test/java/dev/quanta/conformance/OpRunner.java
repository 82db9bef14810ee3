package dev.quanta.conformance;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Quanta's kernels for one {@link QuantizedPath}, one per IR op, bound to buffers the test can overwrite: used to
 * run an op (or the few IR ops a file operator became) on values the official runtime computed for its inputs.
 * Built only from the public kernel API ({@link Kernels#create}), on the batch-1 shapes the interpreter uses.
 */
final class OpRunner {
    private final Map<Tensor, Object> buffers = new IdentityHashMap<>();
    private final Map<Tensor, int[]> shapes = new IdentityHashMap<>();
    private final List<Kernel> kernels = new ArrayList<>();
    private final Parallel serial = Parallel.of(1);

    OpRunner(Model model, QuantizedPath path) {
        Map<Tensor, Tensor> concrete = new IdentityHashMap<>();
        for (Tensor t : model.inputs()) {
            Tensor c = t.withShape(t.shape().isDynamic() ? t.shape().withBatch(1) : t.shape());
            concrete.put(t, c);
            allocate(t, c.shape());
        }
        for (Op op : model.ops()) {
            List<Tensor> ins = new ArrayList<>();
            for (Tensor t : op.inputs()) {
                if (t.isConstant()) {
                    buffers.computeIfAbsent(t, Buffers::of);
                    shapes.putIfAbsent(t, t.shape().dims());
                    ins.add(t);
                } else {
                    ins.add(concrete.get(t));
                }
            }
            Shape out = ShapeInference.infer(op.type(), op.attributes(), ins);
            concrete.put(op.output(0), op.output(0).withShape(out));
            allocate(op.output(0), out);
            kernels.add(Kernels.create(op, buffers::get, shapes::get, path));
        }
    }

    private void allocate(Tensor t, Shape shape) {
        buffers.put(t, Buffers.allocate(t.dtype(), Math.toIntExact(shape.elementCount())));
        shapes.put(t, shape.dims());
    }

    /** Copies {@code values} (an array of the tensor's Java type) into the buffer bound to {@code t}. */
    void set(Tensor t, Object values) {
        Object dst = buffers.get(t);
        if (dst.getClass() != values.getClass() || Buffers.length(dst) != Buffers.length(values)) {
            throw new IllegalStateException("tensor " + t.name() + ": cannot feed " + Buffers.length(values) + " "
                    + values.getClass().getSimpleName() + " into " + Buffers.length(dst) + " "
                    + dst.getClass().getSimpleName());
        }
        System.arraycopy(values, 0, dst, 0, Buffers.length(dst));
    }

    void runOp(int i) {
        kernels.get(i).run(serial);
    }

    Object get(Tensor t) {
        return buffers.get(t);
    }
}
