package dev.quanta.kernels.conv;

import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.arithmetic.HybridRows;

/**
 * Hybrid ("dynamic range") BATCH_MATMUL, as TFLite 2.21's batch_matmul kernel runs a float32 first operand A with
 * constant int8 weights B: every row of A (K values; A read as [..., M, K], transposed first with adj_x) is quantized
 * on the fly ({@link HybridRows}: asymmetric when the options' asymmetric_quantize_inputs is set, else symmetric),
 * the products are summed exactly in int32 and scaled back to float:
 *
 * <pre>
 * (s_r, z_r) = quantization of row r of A,   q its values
 * Bᵗ[f, n, k] = B[f, k, n] (B[f, n, k] with adj_y);   rowSum[f, n] = Σ_k Bᵗ[f, n, k]
 * total = int32(float(Σ_k q[r, k] · Bᵗ[f, n, k]) − float(rowSum[f, n]) · float(z_r))
 * per tensor:  y[.., m, n] = (s_r · s_B) · float(total)
 * per channel: y[.., m, n] = (s_r · float(total)) · s_B[n]
 * </pre>
 *
 * TFLite addresses the row scales and offsets of output matrix (d0, d1, d2) (batch axes of the operands padded to
 * rank 5, as its reference kernel) at {@code Σ_i d_i·(M if A's axis i > 1 else 0) + m}, and the weight row sums at
 * {@code Σ_i d_i·(N if B's axis i > 1 else 0) + n}: right when at most one batch axis of each operand is larger
 * than 1, and other rows' scales otherwise. Quanta addresses them the same way, so that a file gives TFLite's values;
 * its quantizer leaves such layers float. Like TFLite, a B of shape [..., 1, K, N] (rank 3 or more, against an A of
 * rank 3 or more) first folds A's last batch axis into its rows.
 */
final class HybridBatchMatMul implements Kernel {
    private final float[] a;
    private final float[] y;
    private final boolean adjX;
    private final boolean asymmetric;
    private final int m;
    private final int k;
    private final int n;
    /** The int8 weights as Bᵗ [f, n, k], widened. */
    private final int[] wt;

    private final int[] rowSums;
    private final float weightScale;
    private final float[] channelScales;
    /** A transposed to [..., M, K] when adj_x (else null: A is read in place). */
    private final float[] rows;

    private final byte[] q;
    private final float[] rowScale;
    private final int[] rowOffset;
    /** Per output matrix: the offsets of its rows of A, of its weight rows, of its row scales and of its row sums. */
    private final int[] aOffset;

    private final int[] wOffset;
    private final int[] scaleOffset;
    private final int[] sumOffset;
    private final int rowCount;

    /**
     * @param as A's shape, {@code bs} B's (before any folding)
     * @param scales B's scales: one, or one per output column (B of rank 2)
     */
    HybridBatchMatMul(
            float[] a,
            int[] as,
            byte[] b,
            int[] bs,
            float[] scales,
            float[] y,
            boolean adjX,
            boolean adjY,
            boolean asymmetric) {
        this.a = a;
        this.y = y;
        this.adjX = adjX;
        this.asymmetric = asymmetric;
        int[] sa = as.clone();
        int[] sb = bs.clone();
        if (sa.length > 2 && sb.length > 2 && sb[sb.length - 3] == 1) {
            // TFLite's fold of [..., Q, R, S] x [..., 1, X, Y] into [..., Q·R, S] x [..., X, Y]
            int[] fa = new int[sa.length - 1];
            System.arraycopy(sa, 0, fa, 0, sa.length - 3);
            fa[sa.length - 3] = sa[sa.length - 3] * sa[sa.length - 2];
            fa[sa.length - 2] = sa[sa.length - 1];
            int[] fb = new int[sb.length - 1];
            System.arraycopy(sb, 0, fb, 0, sb.length - 3);
            fb[sb.length - 3] = sb[sb.length - 2];
            fb[sb.length - 2] = sb[sb.length - 1];
            sa = fa;
            sb = fb;
        }
        this.m = sa[sa.length - (adjX ? 1 : 2)];
        this.k = sa[sa.length - (adjX ? 2 : 1)];
        this.n = sb[sb.length - (adjY ? 2 : 1)];
        int[] a5 = padTo5(sa);
        int[] b5 = padTo5(sb);
        int matricesA = a5[0] * a5[1] * a5[2];
        int matricesB = b5[0] * b5[1] * b5[2];
        this.rowCount = matricesA * m;
        this.wt = new int[matricesB * n * k];
        for (int f = 0; f < matricesB; f++) {
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < k; i++) {
                    int src = f * n * k + (adjY ? j * k + i : i * n + j);
                    wt[(f * n + j) * k + i] = b[src];
                }
            }
        }
        this.rowSums = new int[matricesB * n];
        for (int r = 0; r < rowSums.length; r++) {
            int s = 0;
            for (int i = 0; i < k; i++) {
                s += wt[r * k + i];
            }
            rowSums[r] = s;
        }
        this.weightScale = scales[0];
        this.channelScales = scales.length > 1 ? scales.clone() : null;
        this.rows = adjX ? new float[a.length] : null;
        this.q = new byte[matricesA * m * k];
        this.rowScale = new float[rowCount];
        this.rowOffset = new int[rowCount];
        int[] out = new int[3];
        int matrices = 1;
        for (int i = 0; i < 3; i++) {
            out[i] = Math.max(a5[i], b5[i]);
            matrices *= out[i];
        }
        this.aOffset = new int[matrices];
        this.wOffset = new int[matrices];
        this.scaleOffset = new int[matrices];
        this.sumOffset = new int[matrices];
        for (int idx = 0; idx < matrices; idx++) {
            int[] d = {idx / (out[1] * out[2]), (idx / out[2]) % out[1], idx % out[2]};
            for (int i = 0; i < 3; i++) {
                aOffset[idx] += d[i] * extent(a5, i);
                wOffset[idx] += d[i] * extent(b5, i);
                scaleOffset[idx] += d[i] * (a5[i] == 1 ? 0 : m);
                sumOffset[idx] += d[i] * (b5[i] == 1 ? 0 : n);
            }
        }
    }

    /** The shape with leading 1s up to rank 5. */
    private static int[] padTo5(int[] s) {
        int[] r = {1, 1, 1, 1, 1};
        System.arraycopy(s, 0, r, 5 - s.length, s.length);
        return r;
    }

    /** Elements per step of batch axis {@code axis} of a rank-5 shape, 0 when the axis broadcasts (size 1). */
    private static int extent(int[] s5, int axis) {
        if (s5[axis] == 1) {
            return 0;
        }
        int p = 1;
        for (int i = axis + 1; i < 5; i++) {
            p *= s5[i];
        }
        return p;
    }

    private final Parallel.RangeBody matrices = this::matrices;

    @Override
    public void run(Parallel parallel) {
        float[] src = a;
        if (adjX) {
            for (int r = 0; r < rowCount / m; r++) {
                int base = r * m * k;
                for (int i = 0; i < k; i++) {
                    for (int j = 0; j < m; j++) {
                        rows[base + j * k + i] = a[base + i * m + j];
                    }
                }
            }
            src = rows;
        }
        for (int r = 0; r < rowCount; r++) {
            rowScale[r] = HybridRows.quantize(src, r * k, k, asymmetric, q, rowOffset, r);
            if (channelScales == null) {
                rowScale[r] *= weightScale;
            }
        }
        parallel.forRange(aOffset.length, 1, matrices);
    }

    private void matrices(int from, int to) {
        for (int idx = from; idx < to; idx++) {
            int ao = aOffset[idx] / k;
            int wo = wOffset[idx] / k;
            int so = scaleOffset[idx];
            int ro = sumOffset[idx];
            int out = idx * m * n;
            for (int i = 0; i < m; i++) {
                int qa = (ao + i) * k;
                float s = rowScale[so + i];
                float z = rowOffset[so + i];
                for (int j = 0; j < n; j++) {
                    int wr = (wo + j) * k;
                    int total = 0;
                    for (int c = 0; c < k; c++) {
                        total += q[qa + c] * wt[wr + c];
                    }
                    total = (int) ((float) total - (float) rowSums[ro + j] * z);
                    y[out + i * n + j] =
                            channelScales == null ? s * (float) total : s * (float) total * channelScales[j];
                }
            }
        }
    }
}
