package dev.quanta.kernels.shape;

import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import java.util.function.Function;

/**
 * Type-generic copies on tensors of any element type: STRIDED_SLICE (stored values copied, quantization parameters
 * play no part, as in TFLite), and CONCATENATION, RESHAPE and IDENTITY on tensors that are not quantized.
 */
final class PlainCopies {
    private PlainCopies() {}

    static Kernel stridedSlice(Object x, int[] xs, Object y, OpAttributes.StridedSlice a) {
        ShapeInference.SliceGeometry g = ShapeInference.stridedSlice(Shape.of(xs), a);
        int rank = xs.length;
        int[] xStrides = new int[rank];
        for (int i = rank - 1, s = 1; i >= 0; s *= xs[i], i--) {
            xStrides[i] = s;
        }
        // the source of every output element, found once
        int[] source = new int[Buffers.length(y)];
        int[] idx = new int[rank];
        for (int o = 0; o < source.length; o++) {
            int src = 0;
            for (int d = 0; d < rank; d++) {
                src += (g.start()[d] + idx[d] * g.stride()[d]) * xStrides[d];
            }
            source[o] = src;
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < g.count()[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return p -> {
            for (int o = 0; o < source.length; o++) {
                System.arraycopy(x, source[o], y, o, 1);
            }
        };
    }

    static Kernel concatenation(
            Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape, Object y, int[] ys) {
        OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
        int axis = a.axis() < 0 ? a.axis() + ys.length : a.axis();
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= ys[i];
        }
        int inputs = op.inputs().size();
        Object[] xs = new Object[inputs];
        int[] chunk = new int[inputs];
        for (int k = 0; k < inputs; k++) {
            xs[k] = buffer.apply(op.input(k));
            chunk[k] = Buffers.length(xs[k]) / Math.max(1, outer);
        }
        int outers = outer;
        return p -> {
            int pos = 0;
            for (int o = 0; o < outers; o++) {
                for (int k = 0; k < inputs; k++) {
                    System.arraycopy(xs[k], o * chunk[k], y, pos, chunk[k]);
                    pos += chunk[k];
                }
            }
        };
    }
}
