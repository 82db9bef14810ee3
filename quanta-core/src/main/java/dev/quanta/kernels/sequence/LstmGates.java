package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.HybridRows;
import java.util.function.Function;

/**
 * One LSTM's gate weights, for the hybrid and the bidirectional kernels: input weights [4][cells × in] and
 * recurrent weights [4][cells × outputs] (outputs = cells without projection), float or (hybrid) int8 with one scale and row sums each,
 * and float biases [4][cells], gate order i, f, c, o (gate 0 null with CIFG). The TFLite inputs are those of
 * UNIDIRECTIONAL_SEQUENCE_LSTM shifted by {@code off} (17 for the backward LSTM of a bidirectional one).
 */
final class LstmGates {
    final float[][] wx = new float[4][];
    final float[][] wh = new float[4][];
    final byte[][] qwx = new byte[4][];
    final byte[][] qwh = new byte[4][];
    final float[] sx = new float[4];
    final float[] sh = new float[4];
    final int[][] sumX = new int[4][];
    final int[][] sumH = new int[4][];
    final float[][] bias = new float[4][];
    final int cells;
    /** The recurrent weights' columns: the (projected) output state's size. */
    final int outputs;

    final boolean cifg;
    /** Whether the weights are int8 (else float32). */
    final boolean hybrid;

    LstmGates(
            Op op,
            OpAttributes.OptionalInputs a,
            int off,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            int nInput) {
        this(op, a, off, buffer, shape, nInput, false);
    }

    /**
     * As above; with {@code projection} the recurrent weights may be [cells × outputs] for any number of outputs
     * (the projected state's size), else outputs must equal cells.
     */
    LstmGates(
            Op op,
            OpAttributes.OptionalInputs a,
            int off,
            Function<Tensor, Object> buffer,
            Function<Tensor, int[]> shape,
            int nInput,
            boolean projection) {
        int[] rf = shape.apply(op.input(a.position(8 + off)));
        this.cells = rf[0];
        this.outputs = rf[1];
        this.cifg = !a.has(1 + off);
        this.hybrid = op.input(a.position(2 + off)).dtype() == DType.INT8;
        if ((!projection && rf[1] != cells) || shape.apply(op.input(a.position(2 + off)))[1] != nInput) {
            throw new UnsupportedOperationException(
                    op.describe() + ": LSTM without projection needs as many outputs as cells");
        }
        for (int g = cifg ? 1 : 0; g < 4; g++) {
            Tensor wxt = op.input(a.position(1 + g + off));
            Tensor wht = op.input(a.position(5 + g + off));
            DType want = hybrid ? DType.INT8 : DType.FLOAT32;
            if (wxt.dtype() != want
                    || wht.dtype() != want
                    || (hybrid && (wxt.quant() == null || wht.quant() == null))
                    || (hybrid && !(wxt.quant().isPerTensor() && wht.quant().isPerTensor()))) {
                throw new UnsupportedOperationException(op.describe() + ": LSTM gate " + "ifco".charAt(g)
                        + " needs float32 weights, or int8 weights with one scale each");
            }
            if (hybrid) {
                qwx[g] = (byte[]) buffer.apply(wxt);
                qwh[g] = (byte[]) buffer.apply(wht);
                sx[g] = wxt.quant().scale();
                sh[g] = wht.quant().scale();
                sumX[g] = HybridRows.rowSums(qwx[g], cells, nInput);
                sumH[g] = HybridRows.rowSums(qwh[g], cells, outputs);
            } else {
                wx[g] = (float[]) buffer.apply(wxt);
                wh[g] = (float[]) buffer.apply(wht);
            }
            int bp = a.position(12 + g + off);
            if (bp < 0 || op.input(bp).dtype() != DType.FLOAT32) {
                throw new UnsupportedOperationException(
                        op.describe() + ": LSTM gate " + "ifco".charAt(g) + " needs a float32 bias");
            }
            bias[g] = (float[]) buffer.apply(op.input(bp));
        }
    }
}
