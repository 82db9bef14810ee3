package dev.quanta.data;

/** Small helpers for sample shapes. */
final class Shapes {
    private Shapes() {}

    /** E.g. {@code "28x28"}; {@code "scalar"} for an empty shape. */
    static String format(int[] shape) {
        if (shape.length == 0) {
            return "scalar";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(shape[i]);
        }
        return sb.toString();
    }

    static long product(int[] shape) {
        long p = 1;
        for (int d : shape) {
            p *= d;
        }
        return p;
    }

    /**
     * The product of non-negative {@code dims}, or {@link Long#MAX_VALUE} when it overflows (a hostile header can
     * declare dimensions whose product does not fit a long).
     */
    static long saturatedProduct(int[] dims) {
        long p = 1;
        for (int d : dims) {
            p = saturatedMultiply(p, d);
        }
        return p;
    }

    /** {@code a * b} for non-negative values, or {@link Long#MAX_VALUE} when it overflows. */
    static long saturatedMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
    }
}
