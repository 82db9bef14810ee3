package dev.quanta.kernels.shape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.kernels.Parallel;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** PAD's run copies put every element where y[i + before] = x[i] says, and the zero point everywhere else. */
class PadIntTest {
    @Property(tries = 300)
    void everyElementLandsAtItsPaddedIndex(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int rank, @ForAll boolean int16) {
        Random r = new Random(seed);
        int[] xs = new int[rank];
        int[] ys = new int[rank];
        int[][] pads = new int[rank][2];
        for (int d = 0; d < rank; d++) {
            xs[d] = 1 + r.nextInt(5);
            if (r.nextInt(3) > 0) {
                pads[d][0] = r.nextInt(3);
                pads[d][1] = r.nextInt(3);
            }
            ys[d] = xs[d] + pads[d][0] + pads[d][1];
        }
        int n = 1;
        int m = 1;
        for (int d = 0; d < rank; d++) {
            n *= xs[d];
            m *= ys[d];
        }
        int zp = r.nextInt(200) - 100;
        DType type = int16 ? DType.INT16 : DType.INT8;
        Object x = int16 ? new short[n] : new byte[n];
        Object y = int16 ? new short[m] : new byte[m];
        for (int i = 0; i < n; i++) {
            if (int16) {
                ((short[]) x)[i] = (short) (r.nextInt(60000) - 30000);
            } else {
                ((byte[]) x)[i] = (byte) r.nextInt(256);
            }
        }
        try (Parallel p = Parallel.of(1)) {
            new PadInt(x, xs, y, ys, pads, type, zp).run(p);
        }
        // reference: walk y's indices; inside the copy when every index is within [before, before + x dim)
        int[] idx = new int[rank];
        for (int j = 0; j < m; j++) {
            int rem = j;
            for (int d = rank - 1; d >= 0; d--) {
                idx[d] = rem % ys[d];
                rem /= ys[d];
            }
            int src = 0;
            boolean inside = true;
            for (int d = 0; d < rank; d++) {
                int i = idx[d] - pads[d][0];
                inside &= i >= 0 && i < xs[d];
                src = src * xs[d] + Math.max(0, Math.min(xs[d] - 1, i));
            }
            int expected = inside ? (int16 ? ((short[]) x)[src] : ((byte[]) x)[src]) : (int16 ? (short) zp : (byte) zp);
            int actual = int16 ? ((short[]) y)[j] : ((byte[]) y)[j];
            assertThat(actual).as("y index %d", j).isEqualTo(expected);
        }
    }
}
