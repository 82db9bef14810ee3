package dev.quanta.kernels;

import dev.quanta.ir.Padding;

/**
 * Base of the kernels that slide a window over an NHWC input (convolutions, depthwise convolutions, pools): the
 * sizes, strides, dilations and TensorFlow padding they share, and the split of the output rows across threads.
 *
 * <pre>
 * input row of output row oy and window row ky:  iy = oy·sh − padT + ky·dh   (likewise ix with sw, padL, dw)
 * </pre>
 *
 * padT and padL are the padding before the first row and column ({@link Padding#padBefore}); taps with iy or ix
 * outside the input are padding.
 */
abstract class WindowKernel implements Kernel {
    protected final int batch;
    protected final int inH;
    protected final int inW;
    protected final int inC;
    protected final int outH;
    protected final int outW;
    /** Window height and width. */
    protected final int kh;
    protected final int kw;
    protected final int sh;
    protected final int sw;
    protected final int dh;
    protected final int dw;
    protected final int padT;
    protected final int padL;

    /**
     * @param xShape the input's [N, H, W, C]
     * @param yShape the output's [N, OH, OW, C']
     */
    WindowKernel(int[] xShape, int[] yShape, int kh, int kw, int sh, int sw, int dh, int dw, Padding padding) {
        this.batch = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.inC = xShape[3];
        this.outH = yShape[1];
        this.outW = yShape[2];
        this.kh = kh;
        this.kw = kw;
        this.sh = sh;
        this.sw = sw;
        this.dh = dh;
        this.dw = dw;
        this.padT = padding.padBefore(inH, kh, sh, dh);
        this.padL = padding.padBefore(inW, kw, sw, dw);
    }

    /** Computes output row {@code oy} of batch item {@code b}. */
    protected abstract void outputRow(int b, int oy);

    /** Runs {@link #outputRow} for every output row of every batch item, the rows split across threads. */
    protected final void forEachOutputRow(Parallel parallel) {
        parallel.forRange(batch * outH, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                outputRow(r / outH, r % outH);
            }
        });
    }
}
