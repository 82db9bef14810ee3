package dev.quanta.kernels.sequence;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.HybridRows;
import java.util.Arrays;
import java.util.function.Function;

/**
 * UNIDIRECTIONAL_SEQUENCE_RNN, float32 or hybrid (int8 weights with one scale each, float input, bias and state),
 * as TFLite's RnnBatchStep ({@code kernel_utils.cc}), one batch row at a time, the state zero before the first step
 * of every run:
 *
 * <pre>
 *   y = b;  y += W_x·x_t;  y += W_h·h;  h = act(y);  out_t = h
 * </pre>
 *
 * In float each product is TFLite's portable MatrixBatchVectorMultiplyAccumulate (the dot product from 0 in column
 * order, then added). In the hybrid kernel x_t and h are quantized per row on the fly ({@link HybridRows},
 * asymmetric with {@code asymmetric_quantize_inputs}, else symmetric) and each product adds
 * {@code float(Σ W·q − z·ΣW) · (s · s_W)}. XNNPACK does not take the op: both paths run this.
 */
final class SequenceRnn implements Kernel {
    private final float[] x;
    private final float[] y;
    private final int nInput;
    private final int units;
    private final SequenceLayout seq;
    private final OpAttributes.LstmActivation act;
    private final float[] bias;
    /** Float weights (null in the hybrid kernel). */
    private final float[] wx;

    private final float[] wh;
    /** Hybrid weights, their scales and row sums (null in the float kernel). */
    private final byte[] qwx;

    private final byte[] qwh;
    private final float swx;
    private final float swh;
    private final int[] sumX;
    private final int[] sumH;
    private final HybridStep hybrid;
    private final float[] h;
    private final float[] acc;

    private SequenceRnn(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        OpAttributes.SequenceRnn a = op.attrs(OpAttributes.SequenceRnn.class);
        int[] xs = shape.apply(op.input(0));
        this.x = (float[]) buffer.apply(op.input(0));
        this.y = (float[]) buffer.apply(op.output(0));
        this.seq = SequenceLayout.of(xs, a.timeMajor());
        this.nInput = seq.features();
        this.units = shape.apply(op.input(1))[0];
        this.act = a.activation();
        Tensor wxt = op.input(1);
        Tensor wht = op.input(2);
        if (op.input(3).dtype() != DType.FLOAT32 || wxt.dtype() != wht.dtype()) {
            throw new UnsupportedOperationException(op.describe() + ": UNIDIRECTIONAL_SEQUENCE_RNN needs a float32"
                    + " bias and weights of one type (float32, or int8 for the hybrid kernel)");
        }
        this.bias = (float[]) buffer.apply(op.input(3));
        if (wxt.dtype() == DType.INT8) {
            if (wxt.quant() == null
                    || wht.quant() == null
                    || !wxt.quant().isPerTensor()
                    || !wht.quant().isPerTensor()) {
                throw new UnsupportedOperationException(
                        op.describe() + ": the hybrid RNN needs int8 weights with one scale each");
            }
            this.qwx = (byte[]) buffer.apply(wxt);
            this.qwh = (byte[]) buffer.apply(wht);
            this.swx = wxt.quant().scale();
            this.swh = wht.quant().scale();
            this.sumX = HybridRows.rowSums(qwx, units, nInput);
            this.sumH = HybridRows.rowSums(qwh, units, units);
            this.wx = null;
            this.wh = null;
        } else if (wxt.dtype() == DType.FLOAT32) {
            this.wx = (float[]) buffer.apply(wxt);
            this.wh = (float[]) buffer.apply(wht);
            this.qwx = null;
            this.qwh = null;
            this.swx = 0f;
            this.swh = 0f;
            this.sumX = null;
            this.sumH = null;
        } else {
            throw new UnsupportedOperationException(
                    op.describe() + ": UNIDIRECTIONAL_SEQUENCE_RNN has no kernel for " + wxt.dtype() + " weights");
        }
        this.h = new float[units];
        this.acc = new float[units];
        this.hybrid = new HybridStep(nInput, units, a.asymmetricQuantizeInputs());
    }

    static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return new SequenceRnn(op, buffer, shape);
    }

    @Override
    public void run(Parallel parallel) {
        for (int b = 0; b < seq.batch(); b++) {
            Arrays.fill(h, 0f);
            for (int t = 0; t < seq.steps(); t++) {
                int r = seq.row(b, t);
                System.arraycopy(bias, 0, acc, 0, units);
                if (wx != null) {
                    LstmCell.matVecAcc(wx, units, nInput, x, r * nInput, acc);
                    LstmCell.matVecAcc(wh, units, units, h, 0, acc);
                } else {
                    hybrid.quantize(x, r * nInput, h, units);
                    hybrid.addInput(qwx, sumX, units, swx, acc);
                    hybrid.addState(qwh, sumH, units, units, swh, acc);
                }
                for (int k = 0; k < units; k++) {
                    h[k] = act.apply(acc[k]);
                }
                System.arraycopy(h, 0, y, r * units, units);
            }
        }
    }
}
