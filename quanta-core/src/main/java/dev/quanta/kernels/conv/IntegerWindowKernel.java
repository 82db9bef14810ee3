package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * Base of the integer (8-bit and 16x8) convolution and depthwise kernels: their quantized input, output, bias and
 * requantizer, and the run they share. A run centres the input once ({@code xc = x − zp_x}, into an int buffer),
 * then computes the output rows; where XNNPACK's SAME-padding quirk reads no input at all, every output is the
 * requantized bias ({@link XnnpackQuirks}).
 */
abstract class IntegerWindowKernel extends WindowKernel {
    protected final Object x;
    protected final DType inType;
    protected final int inZeroPoint;
    protected final Object y;
    protected final DType outType;
    /** The centred input, x − zp_x. */
    protected final int[] xc;

    protected final long[] bias;
    protected final int[] biasInt;
    protected final Requantizer rq;
    /** 16x8: 64-bit accumulation. */
    protected final boolean wide;

    protected final int outC;
    private final boolean biasOnly;

    IntegerWindowKernel(Object x, int[] xShape, WeightedOpParams p, Object y, int[] yShape, int outC, Window window) {
        super(xShape, yShape, window);
        this.x = x;
        this.inType = p.inType;
        this.inZeroPoint = p.inZeroPoint;
        this.y = y;
        this.outType = p.outType;
        this.rq = p.requantizer;
        this.wide = p.wide;
        this.outC = outC;
        this.biasOnly = p.xnnpack && XnnpackQuirks.sameWithNegativePadding(window, inH, inW);
        this.xc = new int[Buffers.length(x)];
        this.bias = p.bias;
        this.biasInt = new int[outC];
        for (int o = 0; o < outC; o++) {
            biasInt[o] = (int) p.bias[o];
        }
    }

    /** Centres a range of the input (made once, so that a run allocates nothing). */
    private final Parallel.RangeBody centre = this::centre;

    private void centre(int from, int to) {
        Quant.centre(x, inType, inZeroPoint, xc, from, to);
    }

    @Override
    public final void run(Parallel parallel) {
        if (biasOnly) {
            XnnpackQuirks.fillWithRequantizedBias(y, outType, biasInt, rq);
            return;
        }
        parallel.forRange(xc.length, 16384, centre);
        forEachOutputRow(parallel);
    }
}
