package dev.quanta.kernels.conv;

import dev.quanta.ir.Padding;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

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
    WindowKernel(int[] xShape, int[] yShape, Window window) {
        this(xShape, yShape[1], yShape[2], window);
    }

    /** With the output's height and width as TensorFlow's padding gives them ({@link Padding#outputSize}). */
    WindowKernel(int[] xShape, Window window) {
        this(
                xShape,
                window.padding().outputSize(xShape[1], window.kh(), window.sh(), window.dh()),
                window.padding().outputSize(xShape[2], window.kw(), window.sw(), window.dw()),
                window);
    }

    private WindowKernel(int[] xShape, int outH, int outW, Window window) {
        this.batch = xShape[0];
        this.inH = xShape[1];
        this.inW = xShape[2];
        this.inC = xShape[3];
        this.outH = outH;
        this.outW = outW;
        this.kh = window.kh();
        this.kw = window.kw();
        this.sh = window.sh();
        this.sw = window.sw();
        this.dh = window.dh();
        this.dw = window.dw();
        this.padT = window.padding().padBefore(inH, kh, sh, dh);
        this.padL = window.padding().padBefore(inW, kw, sw, dw);
    }

    /**
     * The im2col rows of output row {@code oy} of batch item {@code b}: for each output pixel ox, its window's
     * kh·kw·C inputs in [ky][kx][c] order at {@code col[ox·kh·kw·C ..]}, copied from {@code x} (NHWC) or, where the
     * window leaves the input, from {@code zeros} (an all-zero array of the same type, at least kw·C long).
     */
    protected final void im2colRow(Object x, Object col, Object zeros, int b, int oy) {
        int run = kw * inC;
        int taps = kh * run;
        int iy0 = oy * sh - padT;
        for (int ox = 0; ox < outW; ox++) {
            int ix0 = ox * sw - padL;
            for (int ky = 0; ky < kh; ky++) {
                int iy = iy0 + ky * dh;
                int dst = ox * taps + ky * run;
                if (iy < 0 || iy >= inH) {
                    System.arraycopy(zeros, 0, col, dst, run);
                    continue;
                }
                int row = (b * inH + iy) * inW;
                if (dw == 1 && ix0 >= 0 && ix0 + kw <= inW) {
                    System.arraycopy(x, (row + ix0) * inC, col, dst, run); // the whole window row at once
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ix0 + kx * dw;
                    boolean inside = ix >= 0 && ix < inW;
                    System.arraycopy(inside ? x : zeros, inside ? (row + ix) * inC : 0, col, dst + kx * inC, inC);
                }
            }
        }
    }

    /** Computes output row {@code oy} of batch item {@code b}. */
    protected abstract void outputRow(int b, int oy);

    /** Runs {@link #outputRow} for every output row of every batch item, the rows split across threads. */
    protected final void forEachOutputRow(Parallel parallel) {
        parallel.forRange(batch * outH, 1, outputRows);
    }

    /** The body over output rows, made once so that a run allocates nothing. */
    private final Parallel.RangeBody outputRows = this::runOutputRows;

    private void runOutputRows(int from, int to) {
        for (int r = from; r < to; r++) {
            outputRow(r / outH, r % outH);
        }
    }
}
