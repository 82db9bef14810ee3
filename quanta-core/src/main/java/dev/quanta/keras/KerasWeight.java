package dev.quanta.keras;

import java.util.Arrays;

/**
 * One weight array as stored in a Keras file, in Keras layout, already converted to float32.
 *
 * @param key the short Keras name ({@code kernel}, {@code bias}, {@code gamma}…) or null when the file does not
 *     name its weights (Keras 3 stores them as {@code vars/0}, {@code vars/1}…)
 * @param path where the weight lives in the file, for messages
 * @param shape the stored shape (Keras layout)
 * @param values the elements in row-major order
 */
record KerasWeight(String key, String path, int[] shape, float[] values) {

    /** {@code "dense_1/kernel:0"} → {@code "kernel"}: the last path segment without the {@code :N} suffix. */
    static String keyOf(String weightName) {
        String s = weightName;
        int slash = s.lastIndexOf('/');
        if (slash >= 0) {
            s = s.substring(slash + 1);
        }
        int colon = s.lastIndexOf(':');
        if (colon > 0 && s.substring(colon + 1).chars().allMatch(Character::isDigit)) {
            s = s.substring(0, colon);
        }
        return s;
    }

    @Override
    public String toString() {
        return (key == null ? path : key) + Arrays.toString(shape);
    }
}
