package dev.quanta.kernels.shape;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Quantized constant padding: the padded positions hold the zero point (the real value 0), the rest is copied;
 * input and output share their parameters.
 *
 * <pre>
 * y[i + before] = x[i],   y elsewhere = zp
 * </pre>
 *
 * The copy moves runs that are contiguous in both tensors: the innermost padded dimension with every dimension
 * inside it (for NHWC padding of H and W, whole W·C rows).
 */
final class PadInt implements Kernel {
    private final Object x;
    private final Object y;
    private final int[] xShape;
    private final int[] yStrides;
    private final int offset;
    private final int[] index;
    private final byte fillByte;
    private final short fillShort;
    private final DType type;
    /** The first dimension of a contiguous run (the innermost padded one; 0 when nothing is padded). */
    private final int runDim;
    /** Elements per run: xShape[runDim] · … · xShape[rank − 1]. */
    private final int run;

    PadInt(Object x, int[] xShape, Object y, int[] yShape, int[][] paddings, DType type, int zeroPoint) {
        this.x = x;
        this.y = y;
        this.type = type;
        this.xShape = xShape.clone();
        int rank = yShape.length;
        this.yStrides = new int[rank];
        int stride = 1;
        int off = 0;
        for (int i = rank - 1; i >= 0; i--) {
            yStrides[i] = stride;
            off += paddings[i][0] * stride;
            stride *= yShape[i];
        }
        this.offset = off;
        this.index = new int[rank];
        this.fillByte = (byte) zeroPoint;
        this.fillShort = (short) zeroPoint;
        int k = 0;
        for (int d = rank - 1; d >= 0; d--) {
            if (paddings[d][0] != 0 || paddings[d][1] != 0) {
                k = d;
                break;
            }
        }
        this.runDim = k;
        int r = 1;
        for (int d = k; d < xShape.length; d++) {
            r *= xShape[d];
        }
        this.run = r;
    }

    @Override
    public void run(Parallel parallel) {
        if (type == DType.INT16) {
            java.util.Arrays.fill((short[]) y, fillShort);
        } else {
            java.util.Arrays.fill((byte[]) y, fillByte);
        }
        int row = run;
        int rows = row == 0 ? 0 : Buffers.length(x) / row;
        for (int r = 0; r < rows; r++) {
            int dst = offset;
            int rem = r;
            for (int d = runDim - 1; d >= 0; d--) {
                index[d] = rem % xShape[d];
                rem /= xShape[d];
                dst += index[d] * yStrides[d];
            }
            System.arraycopy(x, r * row, y, dst, row);
        }
    }
}
