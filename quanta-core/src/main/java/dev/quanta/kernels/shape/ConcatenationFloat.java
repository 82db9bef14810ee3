package dev.quanta.kernels.shape;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float concatenation along one axis: the output is, for each index over the axes before {@code axis}, the
 * inputs' blocks one after another.
 */
final class ConcatenationFloat implements Kernel {
    private final float[][] inputs;
    private final int[] blocks; // elements per outer index, per input
    private final float[] y;
    private final int outer;
    private final float lo;
    private final float hi;

    ConcatenationFloat(float[][] inputs, int[][] shapes, int axis, float[] y, float lo, float hi) {
        this.inputs = inputs;
        this.y = y;
        int[] first = shapes[0];
        int o = 1;
        for (int i = 0; i < axis; i++) {
            o *= first[i];
        }
        this.outer = o;
        this.blocks = new int[inputs.length];
        for (int k = 0; k < inputs.length; k++) {
            int b = 1;
            for (int i = axis; i < shapes[k].length; i++) {
                b *= shapes[k][i];
            }
            blocks[k] = b;
        }
        this.lo = lo;
        this.hi = hi;
    }

    @Override
    public void run(Parallel parallel) {
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < inputs.length; k++) {
                System.arraycopy(inputs[k], o * blocks[k], y, pos, blocks[k]);
                pos += blocks[k];
            }
        }
        Clamp.apply(y, 0, y.length, lo, hi);
    }
}
