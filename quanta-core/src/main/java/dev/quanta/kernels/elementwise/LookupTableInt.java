package dev.quanta.kernels.elementwise;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import java.util.function.IntToDoubleFunction;
import java.util.function.IntUnaryOperator;

/**
 * An element-wise op on an 8- or 16-bit quantized input, evaluated once per possible input value when the kernel
 * is made: {@code y[i] = table[x[i]]}. Since each output depends only on its input value, tabulating the op's
 * integer or float formula gives exactly the per-element results. The formulas (ReLU family, LEAKY_RELU,
 * LOGISTIC, TANH, requantizing QUANTIZE, DEQUANTIZE) are documented where the tables are built, in
 * {@link ElementwiseFormulas}.
 *
 * <pre>
 * 8-bit input: 256 entries, indexed by the stored byte;  INT16 input: 65536 entries, indexed by x + 32768
 * </pre>
 */
public final class LookupTableInt implements Kernel {
    private final Object x;
    private final DType inType;
    private final Object y;
    private final DType outType;
    private final int[] table;
    private final float[] floatTable;

    /** A table of integer outputs, from {@code formula(q)} for every input value q. */
    public LookupTableInt(Object x, DType inType, Object y, DType outType, IntUnaryOperator formula) {
        this.x = x;
        this.inType = inType;
        this.y = y;
        this.outType = outType;
        this.table = new int[inType == DType.INT16 ? 65536 : 256];
        this.floatTable = null;
        for (int i = 0; i < table.length; i++) {
            table[i] = formula.applyAsInt(valueAt(i));
        }
    }

    /** A table of float outputs (DEQUANTIZE), from {@code formula(q)} for every input value q. */
    LookupTableInt(Object x, DType inType, float[] y, IntToDoubleFunction formula) {
        this.x = x;
        this.inType = inType;
        this.y = y;
        this.outType = DType.FLOAT32;
        this.table = null;
        this.floatTable = new float[inType == DType.INT16 ? 65536 : 256];
        for (int i = 0; i < floatTable.length; i++) {
            floatTable[i] = (float) formula.applyAsDouble(valueAt(i));
        }
    }

    /** The input value stored at table slot {@code i}. */
    private int valueAt(int i) {
        return switch (inType) {
            case INT8 -> (byte) i;
            case UINT8 -> i;
            case INT16 -> i - 32768;
            default -> throw new IllegalStateException(inType.name());
        };
    }

    /** The body of {@link #run}, made once: a method reference per run would be an allocation per run. */
    private final Parallel.RangeBody body = this::range;

    @Override
    public void run(Parallel parallel) {
        parallel.forRange(Buffers.length(x), 16384, body);
    }

    private void range(int from, int to) {
        if (inType == DType.INT16) {
            short[] in = (short[]) x;
            if (floatTable != null) {
                float[] out = (float[]) y;
                for (int i = from; i < to; i++) {
                    out[i] = floatTable[in[i] + 32768];
                }
            } else if (outType == DType.INT16) {
                short[] out = (short[]) y;
                for (int i = from; i < to; i++) {
                    out[i] = (short) table[in[i] + 32768];
                }
            } else {
                byte[] out = (byte[]) y;
                for (int i = from; i < to; i++) {
                    out[i] = (byte) table[in[i] + 32768];
                }
            }
            return;
        }
        byte[] in = (byte[]) x;
        if (floatTable != null) {
            float[] out = (float[]) y;
            for (int i = from; i < to; i++) {
                out[i] = floatTable[in[i] & 0xFF];
            }
        } else if (outType == DType.INT16) {
            short[] out = (short[]) y;
            for (int i = from; i < to; i++) {
                out[i] = (short) table[in[i] & 0xFF];
            }
        } else {
            byte[] out = (byte[]) y;
            for (int i = from; i < to; i++) {
                out[i] = (byte) table[in[i] & 0xFF];
            }
        }
    }
}
