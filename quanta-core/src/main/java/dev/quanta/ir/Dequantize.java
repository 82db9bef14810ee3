package dev.quanta.ir;

/** The real values of quantized (or float16) tensor contents, as the TFLite spec defines them. */
public final class Dequantize {
    private Dequantize() {}

    /**
     * Real values of a tensor's array: floats as they are, quantized integers as {@code scale × (q − zeroPoint)}
     * (per tensor, or per axis along {@code quant.axis()} with the given shape), FLOAT16 widened.
     */
    public static float[] toFloats(Object array, DType dtype, QuantParams quant, int[] shape) {
        int n = java.lang.reflect.Array.getLength(array);
        float[] out = new float[n];
        switch (dtype) {
            case FLOAT32 -> System.arraycopy((float[]) array, 0, out, 0, n);
            case FLOAT16 -> {
                short[] h = (short[]) array;
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(h[i]);
                }
            }
            default -> {
                int axis = quant == null || quant.isPerTensor() ? -1 : quant.axis();
                int inner = 1;
                int channels = 1;
                if (axis >= 0) {
                    channels = shape[axis];
                    for (int i = axis + 1; i < shape.length; i++) {
                        inner *= shape[i];
                    }
                }
                float[] scales = quant == null ? new float[] {1f} : quant.scales();
                long[] zps = quant == null ? new long[] {0} : quant.zeroPoints();
                for (int i = 0; i < n; i++) {
                    int c = axis < 0 ? 0 : (i / inner) % channels;
                    long q = switch (dtype) {
                        case INT8 -> ((byte[]) array)[i];
                        case UINT8 -> ((byte[]) array)[i] & 0xFF;
                        case BOOL -> ((byte[]) array)[i];
                        case INT16 -> ((short[]) array)[i];
                        case INT32 -> ((int[]) array)[i];
                        case INT64 -> ((long[]) array)[i];
                        case UINT32 -> Integer.toUnsignedLong(((int[]) array)[i]);
                        case UINT64 -> ((long[]) array)[i]; // values past 2^63 are not expected here
                        default -> throw new IllegalStateException(dtype.name());
                    };
                    out[i] = scales[c] * (q - zps[c]);
                }
            }
        }
        return out;
    }

    /** The real values of a constant tensor (its data in the tensor's own shape and quantization). */
    public static float[] constant(Tensor c) {
        return toFloats(c.data().toArray(), c.dtype(), c.quant(), c.shape().dims());
    }
}
