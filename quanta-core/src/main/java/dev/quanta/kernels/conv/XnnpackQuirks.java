package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.Padding;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.arithmetic.Requantizer;

/**
 * Behaviours of the XNNPACK delegate in TFLite 2.21 (x86-64) that differ from the TensorFlow semantics, reproduced
 * so that {@link QuantizedPath#XNNPACK} stays bit-exact with the official runtime.
 *
 * <p><b>SAME padding with negative total padding.</b> TensorFlow's SAME padding along an axis is
 * {@code total = max((out − 1)·stride + k_eff − in, 0)}. When the unclamped value is negative (a kernel extent of 1
 * with stride 2 over an even input, for example) and the kernel is not 1×1, XNNPACK's convolution and depthwise
 * convolution read no input at all: measured on the oracle, no input element influences any output, and every
 * output is the requantized bias {@code y[…, o] = requantize(bias[o], o)}. 1×1 kernels are not affected.
 */
final class XnnpackQuirks {
    private XnnpackQuirks() {}

    /** True when {@code w} over an input of height {@code inH} and width {@code inW} reads no input in XNNPACK. */
    static boolean sameWithNegativePadding(Window w, int inH, int inW) {
        if (w.padding() != Padding.SAME || w.kh() * w.kw() == 1) {
            return false;
        }
        return negative(inH, w.kh(), w.sh(), w.dh()) || negative(inW, w.kw(), w.sw(), w.dw());
    }

    private static boolean negative(int in, int k, int s, int d) {
        int out = (in + s - 1) / s;
        int effective = (k - 1) * d + 1;
        return (long) (out - 1) * s + effective - in < 0;
    }

    static void fillWithRequantizedBias(Object y, DType type, int[] bias, Requantizer rq) {
        int channels = bias.length;
        int n = Buffers.length(y);
        for (int i = 0; i < n; i++) {
            int c = i % channels;
            Quant.set(y, type, i, rq.apply(bias[c], c));
        }
    }
}
