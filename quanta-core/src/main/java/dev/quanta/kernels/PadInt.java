package dev.quanta.kernels;

import dev.quanta.ir.DType;

/**
 * Quantized constant padding: the padded positions hold the zero point (the real value 0), the rest is copied;
 * input and output share their parameters.
 *
 * <pre>
 * y[i + before] = x[i],   y elsewhere = zp
 * </pre>
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
    }

    @Override
    public void run(Parallel parallel) {
        if (type == DType.INT16) {
            java.util.Arrays.fill((short[]) y, fillShort);
        } else {
            java.util.Arrays.fill((byte[]) y, fillByte);
        }
        int rank = xShape.length;
        int row = rank == 0 ? 1 : xShape[rank - 1];
        int rows = Buffers.length(x) / Math.max(1, row);
        for (int r = 0; r < rows; r++) {
            int dst = offset;
            int rem = r;
            for (int d = rank - 2; d >= 0; d--) {
                index[d] = rem % xShape[d];
                rem /= xShape[d];
                dst += index[d] * yStrides[d];
            }
            System.arraycopy(x, r * row, y, dst, row);
        }
    }
}
