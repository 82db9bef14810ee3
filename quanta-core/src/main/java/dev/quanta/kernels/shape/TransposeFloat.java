package dev.quanta.kernels.shape;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Float TRANSPOSE: {@code y[o_0, …, o_{n-1}] = x[i]} with {@code i[perm[k]] = o_k}; a pure copy, so bit-exact on
 * every path.
 */
final class TransposeFloat implements Kernel {
    private final float[] x;
    private final float[] y;
    private final TransposePlan plan;

    TransposeFloat(float[] x, int[] xShape, float[] y, int[] perm) {
        this.x = x;
        this.y = y;
        this.plan = new TransposePlan(xShape, perm);
    }

    @Override
    public void run(Parallel parallel) {
        plan.forEachRow((src, dst, count, stride) -> {
            if (stride == 1) {
                System.arraycopy(x, src, y, dst, count);
                return;
            }
            for (int k = 0; k < count; k++) {
                y[dst + k] = x[src + k * stride];
            }
        });
    }
}
