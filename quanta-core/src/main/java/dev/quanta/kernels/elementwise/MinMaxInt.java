package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Broadcast;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Quantized MINIMUM and MAXIMUM with NumPy broadcasting: TFLite compares the stored values and copies the chosen
 * one, whatever the quantization parameters (the converter gives the inputs and the output the same ones).
 */
final class MinMaxInt implements Kernel {
    private final int[] outShape;
    private final int[] aStrides;
    private final int[] bStrides;
    private final Broadcast.Visitor visitor;

    MinMaxInt(DType type, boolean maximum, Object a, int[] as, Object b, int[] bs, Object y, int[] ys) {
        this.outShape = ys;
        this.aStrides = Broadcast.strides(as, ys);
        this.bStrides = Broadcast.strides(bs, ys);
        this.visitor = switch (type) {
            case INT8 -> {
                byte[] pa = (byte[]) a;
                byte[] pb = (byte[]) b;
                byte[] py = (byte[]) y;
                yield (o, i, j) -> py[o] = maximum == pa[i] > pb[j] ? pa[i] : pb[j];
            }
            case UINT8 -> {
                byte[] pa = (byte[]) a;
                byte[] pb = (byte[]) b;
                byte[] py = (byte[]) y;
                yield (o, i, j) -> py[o] = maximum == (pa[i] & 0xFF) > (pb[j] & 0xFF) ? pa[i] : pb[j];
            }
            case INT16 -> {
                short[] pa = (short[]) a;
                short[] pb = (short[]) b;
                short[] py = (short[]) y;
                yield (o, i, j) -> py[o] = maximum == pa[i] > pb[j] ? pa[i] : pb[j];
            }
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    @Override
    public void run(Parallel parallel) {
        Broadcast.forEach(outShape, aStrides, bStrides, visitor);
    }
}
