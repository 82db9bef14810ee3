package dev.quanta.kernels.conv;

import dev.quanta.ir.Activation;
import dev.quanta.kernels.Parallel;

/**
 * Base of the float convolution and depthwise convolution kernels: their tensors, the bias (zeros when the op has
 * none), the fused activation's clamp {@code [lo, hi]}, and the reference run (every output row, split across
 * threads).
 */
abstract class FloatConvKernel extends WindowKernel {
    /** A float convolution's tensors and their shapes; {@code bias} is null when the op has none. */
    record Tensors(float[] x, int[] xShape, float[] weights, int[] wShape, float[] bias, float[] y, int[] yShape) {}

    protected final float[] x;
    protected final float[] y;
    protected final float[] weights;
    protected final float[] bias;
    protected final int outC;
    protected final float lo;
    protected final float hi;

    FloatConvKernel(Tensors t, int outC, Window window, Activation act) {
        super(t.xShape(), t.yShape(), window);
        this.x = t.x();
        this.y = t.y();
        this.weights = t.weights();
        this.outC = outC;
        this.bias = t.bias() != null ? t.bias().clone() : new float[outC];
        this.lo = act.min();
        this.hi = act.max();
    }

    /** Runs {@link #outputRow} over every output row, split across threads; the fast kernels plan their own run. */
    @Override
    public void run(Parallel parallel) {
        forEachOutputRow(parallel);
    }
}
