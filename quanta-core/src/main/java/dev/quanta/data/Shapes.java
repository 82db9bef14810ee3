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
}
