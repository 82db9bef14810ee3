package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The bounded calibration histogram: bins worked out by hand, the same counts whatever the split and order of the
 * batches, memory that does not grow with the data, and quantiles of known sequences.
 */
class TensorHistogramTest {

    @Test
    void binsOfKnownValuesOnAPowerOfTwoGridFromZero() {
        TensorHistogram h = new TensorHistogram(8);
        // span [-1, 2.5] with 0: width 0.5 needs floor(2.5/0.5) − floor(−1/0.5) + 1 = 8 bins (fits); 0.25 needs 15
        h.add(new float[] {-1f, -0.25f, 0f, 0.5f, 0.75f, 2.5f, 2.4f});
        assertThat(h.binWidth()).isEqualTo(0.5);
        assertThat(h.firstIndex()).isEqualTo(-2);
        // bins [-1,-0.5) [-0.5,0) [0,0.5) [0.5,1) [1,1.5) [1.5,2) [2,2.5) [2.5,3)
        assertThat(h.counts()).containsExactly(1, 1, 1, 2, 0, 0, 1, 1);
        assertThat(h.total()).isEqualTo(7);
        assertThat(h.min()).isEqualTo(-1f);
        assertThat(h.max()).isEqualTo(2.5f);
        // a wider batch doubles the width until it fits: [-1, 6] at width 1 is 8 bins
        h.add(new float[] {6f});
        assertThat(h.binWidth()).isEqualTo(1.0);
        assertThat(h.firstIndex()).isEqualTo(-1);
        // bins [-1,0) [0,1) [1,2) [2,3) [3,4) [4,5) [5,6) [6,7)
        assertThat(h.counts()).containsExactly(2, 3, 0, 2, 0, 0, 0, 1);
    }

    @Test
    void zerosAloneThenOtherValues() {
        TensorHistogram h = new TensorHistogram(4);
        h.add(new float[] {0f, 0f, Float.NaN, Float.POSITIVE_INFINITY});
        assertThat(h.total()).isEqualTo(2);
        assertThat(h.binWidth()).isZero();
        assertThat(h.quantile(0.5)).isZero();
        h.add(new float[] {3f});
        // [0, 3] in 4 bins: width 1
        assertThat(h.binWidth()).isEqualTo(1.0);
        assertThat(h.counts()).containsExactly(2, 0, 0, 1);
    }

    @Test
    void memoryStaysBoundedWhateverTheDataSize() {
        TensorHistogram h = new TensorHistogram(64);
        Random r = new Random(1);
        float[] batch = new float[10_000];
        for (int b = 0; b < 200; b++) {
            for (int k = 0; k < batch.length; k++) {
                batch[k] = (float) (r.nextGaussian() * (1 + b));
            }
            h.add(batch);
        }
        assertThat(h.counts()).hasSize(64);
        assertThat(Arrays.stream(h.counts()).sum()).isEqualTo(2_000_000L).isEqualTo(h.total());
        // the window reaches from the smallest to the largest value seen
        double w = h.binWidth();
        assertThat(h.firstIndex() * w).isLessThanOrEqualTo(h.min());
        assertThat((h.firstIndex() + 64) * w).isGreaterThan(h.max());
    }

    @Property(tries = 200)
    void anySplitAndOrderOfTheBatchesGivesTheSameHistogram(
            @ForAll @Size(min = 1, max = 300) List<@FloatRange(min = -1e4f, max = 1e4f) Float> values,
            @ForAll @IntRange(min = 1, max = 50) int batch,
            @ForAll long seed) {
        float[] all = new float[values.size()];
        for (int k = 0; k < all.length; k++) {
            all[k] = values.get(k);
        }
        TensorHistogram one = new TensorHistogram(32);
        one.add(all);
        List<Float> shuffled = new ArrayList<>(values);
        Collections.shuffle(shuffled, new Random(seed));
        TensorHistogram parts = new TensorHistogram(32);
        for (int from = 0; from < shuffled.size(); from += batch) {
            int to = Math.min(shuffled.size(), from + batch);
            float[] b = new float[to - from];
            for (int k = from; k < to; k++) {
                b[k - from] = shuffled.get(k);
            }
            parts.add(b);
        }
        assertThat(parts.binWidth()).isEqualTo(one.binWidth());
        assertThat(parts.firstIndex()).isEqualTo(one.firstIndex());
        assertThat(parts.counts()).containsExactly(one.counts());
        assertThat(parts.total()).isEqualTo(all.length);
        assertThat(parts.min()).isEqualTo(one.min());
        assertThat(parts.max()).isEqualTo(one.max());
    }

    /**
     * {@link TensorHistogram#merged}: any split of the values in two histograms (either may be empty or hold zeros
     * only) merges into the histogram of all of them.
     */
    @Property(tries = 300)
    void twoHistogramsMergeIntoTheHistogramOfAllTheirValues(
            @ForAll @Size(min = 0, max = 200) List<@FloatRange(min = -1e4f, max = 1e4f) Float> values,
            @ForAll @IntRange(min = 0, max = 200) int split,
            @ForAll boolean zerosFirst) {
        float[] all = new float[values.size() + 3];
        for (int k = 0; k < values.size(); k++) {
            all[k + (zerosFirst ? 3 : 0)] = values.get(k);
        }
        int cut = Math.min(split, all.length);
        TensorHistogram a = new TensorHistogram(32);
        a.add(all, 0, cut);
        TensorHistogram b = new TensorHistogram(32);
        b.add(all, cut, all.length);
        TensorHistogram one = new TensorHistogram(32);
        one.add(all);
        for (TensorHistogram m : new TensorHistogram[] {TensorHistogram.merged(a, b), TensorHistogram.merged(b, a)}) {
            assertThat(m.binWidth()).isEqualTo(one.binWidth());
            assertThat(m.firstIndex()).isEqualTo(one.firstIndex());
            assertThat(m.counts()).containsExactly(one.counts());
            assertThat(m.total()).isEqualTo(one.total());
            assertThat(m.zeros()).isEqualTo(one.zeros());
            assertThat(m.min()).isEqualTo(one.min());
            assertThat(m.max()).isEqualTo(one.max());
        }
    }

    @Property(tries = 200)
    void batchesWithinAFixedRangeAddUpBinByBin(
            @ForAll @Size(min = 1, max = 200) List<@FloatRange(min = -8f, max = 8f) Float> values,
            @ForAll @IntRange(min = 1, max = 40) int batch) {
        // the range is fixed by the first batch (the extremes), so the grid never changes: plain addition
        TensorHistogram one = new TensorHistogram(16);
        TensorHistogram parts = new TensorHistogram(16);
        float[] extremes = {-8f, 8f};
        one.add(extremes);
        parts.add(extremes);
        long[] expected = one.counts();
        for (float v : toArray(values)) {
            expected[(int) (Math.floor(v / one.binWidth()) - one.firstIndex())]++;
        }
        one.add(toArray(values));
        for (int from = 0; from < values.size(); from += batch) {
            parts.add(toArray(values.subList(from, Math.min(values.size(), from + batch))));
        }
        assertThat(one.counts()).containsExactly(expected);
        assertThat(parts.counts()).containsExactly(expected);
    }

    private static float[] toArray(List<Float> l) {
        float[] a = new float[l.size()];
        for (int k = 0; k < a.length; k++) {
            a[k] = l.get(k);
        }
        return a;
    }

    @Test
    void quantilesOfAKnownSequence() {
        // 1, 2, ..., 1000 in 2048 bins: width 0.5, each integer k alone in bin [k, k + 0.5)
        float[] v = new float[1000];
        for (int k = 0; k < v.length; k++) {
            v[k] = k + 1;
        }
        TensorHistogram h = new TensorHistogram();
        h.add(v);
        assertThat(h.binWidth()).isEqualTo(0.5);
        // 99% of the values are at most 990: rank 990 falls at the end of 990's bin, [990, 990.5)
        assertThat(h.quantile(0.99)).isCloseTo(990.5, within(1e-9));
        // rank 10: the end of 10's bin; rank 0.5: halfway through the first nonempty bin, cut to the minimum
        assertThat(h.quantile(0.01)).isCloseTo(10.5, within(1e-9));
        assertThat(h.quantile(0.0005)).isEqualTo(1.25);
        assertThat(h.quantile(1)).isEqualTo(1000);
        assertThat(h.quantile(0)).isEqualTo(1);
        // |x| of ±1..±500
        float[] s = new float[1000];
        for (int k = 0; k < 500; k++) {
            s[2 * k] = k + 1;
            s[2 * k + 1] = -(k + 1);
        }
        TensorHistogram a = new TensorHistogram();
        a.add(s);
        // width 0.5 again ([-500, 500] needs 2001 bins); +k sits in |x| bin [k, k + 0.5), −k in (k − 0.5, k]:
        // rank 900 is the end of +450's bin
        assertThat(a.binWidth()).isEqualTo(0.5);
        assertThat(a.absQuantile(0.9)).isCloseTo(450.5, within(1e-9));
    }

    @Test
    void fractionOutsideARange() {
        float[] v = new float[1000];
        for (int k = 0; k < v.length; k++) {
            v[k] = k + 1;
        }
        TensorHistogram h = new TensorHistogram();
        h.add(v);
        assertThat(h.fractionOutside(1, 1000)).isZero();
        assertThat(h.fractionOutside(0, 2000)).isZero();
        // values 1..10 below 10.5 and 991..1000 above 990.5: 20 of 1000
        assertThat(h.fractionOutside(10.5, 990.5)).isCloseTo(0.02, within(1e-12));
    }
}
