package dev.quanta.kernels.shape;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;

/**
 * Integer TRANSPOSE of int8, uint8 (both stored as bytes) or int16 values: the stored values are permuted
 * unchanged, as TFLite's reference kernel and XNNPACK's transpose do (input and output share their quantization
 * parameters; TFLite rejects the op otherwise).
 */
final class TransposeInt implements Kernel {
    private final Object x;
    private final Object y;
    private final TransposePlan plan;

    TransposeInt(Object x, int[] xShape, Object y, int[] perm) {
        if (x.getClass() != y.getClass() || !(x instanceof byte[] || x instanceof short[])) {
            throw new IllegalArgumentException("TRANSPOSE takes byte[] or short[] buffers of one type, got "
                    + x.getClass().getSimpleName() + " and " + y.getClass().getSimpleName());
        }
        this.x = x;
        this.y = y;
        this.plan = new TransposePlan(xShape, perm);
    }

    @Override
    public void run(Parallel parallel) {
        if (x instanceof byte[] xb) {
            byte[] yb = (byte[]) y;
            plan.forEachRow((src, dst, count, stride) -> {
                if (stride == 1) {
                    System.arraycopy(xb, src, yb, dst, count);
                    return;
                }
                for (int k = 0; k < count; k++) {
                    yb[dst + k] = xb[src + k * stride];
                }
            });
        } else {
            short[] xs = (short[]) x;
            short[] ys = (short[]) y;
            plan.forEachRow((src, dst, count, stride) -> {
                if (stride == 1) {
                    System.arraycopy(xs, src, ys, dst, count);
                    return;
                }
                for (int k = 0; k < count; k++) {
                    ys[dst + k] = xs[src + k * stride];
                }
            });
        }
    }
}
