package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The range each calibrator chooses from a histogram, worked out by hand or from the shape of the data. */
class CalibratorTest {

    private static TensorHistogram histogramOf(float[] v) {
        TensorHistogram h = new TensorHistogram();
        h.add(v);
        return h;
    }

    /** ±1, ±2, ..., ±500: one value per histogram bin of width 0.5. */
    private static TensorHistogram plusMinus500() {
        float[] s = new float[1000];
        for (int k = 0; k < 500; k++) {
            s[2 * k] = k + 1;
            s[2 * k + 1] = -(k + 1);
        }
        return histogramOf(s);
    }

    @Test
    void percentileOfAKnownSequence() {
        float[] v = new float[1000];
        for (int k = 0; k < v.length; k++) {
            v[k] = k + 1;
        }
        // 1..1000: the 1st percentile (10.5) is cut to 0, the 99th is the end of 990's bin [990, 990.5)
        assertThat(Calibrator.PERCENTILE.choose(histogramOf(v), Calibrator.Target.INT8, 99))
                .isEqualTo(new TensorRange(0, 990.5f));
        // −500..500: rank 10 is −491, in [−491, −490.5); rank 990 is +490, in [490, 490.5)
        assertThat(Calibrator.PERCENTILE.choose(plusMinus500(), Calibrator.Target.INT8, 99))
                .isEqualTo(new TensorRange(-490.5f, 490.5f));
        // int16 (symmetric): the 99th percentile of |x|: rank 990 is +495 (magnitudes 1..494 twice, then −495)
        assertThat(Calibrator.PERCENTILE.choose(plusMinus500(), Calibrator.Target.INT16, 99))
                .isEqualTo(new TensorRange(-495.5f, 495.5f));
        // 100 keeps everything
        assertThat(Calibrator.PERCENTILE.choose(plusMinus500(), Calibrator.Target.INT8, 100))
                .isEqualTo(new TensorRange(-500, 500));
    }

    @Test
    void squaredErrorOfAHistogramByHand() {
        // 0.5, 1.5, 2.5, 3.5 in 4 bins of width 1: each value is its bin's centre
        TensorHistogram h = new TensorHistogram(4);
        h.add(new float[] {0.5f, 1.5f, 2.5f, 3.5f});
        assertThat(h.binWidth()).isEqualTo(1.0);
        // range [0, 2.55] on int8: scale 0.01, zero point −128; 0.5, 1.5, 2.5 are on the grid, 3.5 clips to 2.55
        assertThat(Calibrator.squaredError(h, h.counts(), Calibrator.Target.INT8, 0, 2.55))
                .isCloseTo(0.95 * 0.95, within(1e-6));
        // range [0, 3.5]: scale 3.5/255, nothing clips; 0.5 → q 36 (36.43), 1.5 → 109 (109.29), 2.5 → 182 (182.14)
        double s = 3.5f / 255;
        double want = Math.pow(36 * s - 0.5, 2) + Math.pow(109 * s - 1.5, 2) + Math.pow(182 * s - 2.5, 2);
        assertThat(Calibrator.squaredError(h, h.counts(), Calibrator.Target.INT8, 0, 3.5))
                .isCloseTo(want, within(1e-6));
    }

    @Test
    void mseClipsAFarOutlierWhereRoundingTheBulkCostsMore() {
        // 780 values in each bin centre below 500 (width 0.5) and one value at 1023.75. For a range [0, hi]
        // covering the bulk, the error is about N·s²/12 + (1023.75 − hi)² with s = hi / 255, N = 780,000, least at
        // hi = 1023.75 / (1 + N / (12·255²)) ≈ 512
        int perBin = 780;
        float[] v = new float[1000 * perBin + 1];
        int n = 0;
        for (int b = 0; b < 1000; b++) {
            for (int k = 0; k < perBin; k++) {
                v[n++] = b * 0.5f + 0.25f;
            }
        }
        v[n] = 1023.75f;
        TensorHistogram h = histogramOf(v);
        assertThat(h.binWidth()).isEqualTo(0.5);
        TensorRange r = Calibrator.MSE.choose(h, Calibrator.Target.INT8, 99.99);
        assertThat(r.min()).isZero();
        assertThat((double) r.max()).isCloseTo(512, within(16.0));
        // and it is the best of the candidates, min/max included
        double best = Calibrator.squaredError(h, h.counts(), Calibrator.Target.INT8, 0, r.max());
        for (int k = 1; k <= Calibrator.MSE_STEPS; k++) {
            double hi = 1023.75 * k / Calibrator.MSE_STEPS;
            assertThat(Calibrator.squaredError(h, h.counts(), Calibrator.Target.INT8, 0, hi))
                    .isGreaterThanOrEqualTo(best);
        }
        // without the outlier's pull (a bulk ending at the maximum), nothing is clipped
        float[] bulk = java.util.Arrays.copyOf(v, n);
        TensorRange all = Calibrator.MSE.choose(histogramOf(bulk), Calibrator.Target.INT8, 99.99);
        assertThat(all.max()).isEqualTo(499.75f);
    }

    @Test
    void entropyOnATwoModeDistributionClipsTheOutliers() {
        // a unit Gaussian bulk of 200,000 values and 20 outliers around ±60
        Random r = new Random(7);
        float[] v = new float[200_020];
        for (int k = 0; k < 200_000; k++) {
            v[k] = (float) r.nextGaussian();
        }
        for (int k = 0; k < 20; k++) {
            v[200_000 + k] = (k % 2 == 0 ? 1 : -1) * (float) (60 + r.nextGaussian());
        }
        TensorHistogram h = histogramOf(v);
        TensorRange e = Calibrator.ENTROPY.choose(h, Calibrator.Target.INT8, 99.99);
        assertThat(e.max()).isEqualTo(-e.min()).isBetween(2f, 20f);
        assertThat(h.fractionOutside(e.min(), e.max())).isLessThan(0.01).isGreaterThan(0.0);
        // min/max keeps the outliers
        assertThat(Calibrator.MINMAX.choose(h, Calibrator.Target.INT8, 99.99).max())
                .isGreaterThan(55f);
        // int16 has more levels than the histogram has bins: no clipping
        TensorRange wide = Calibrator.ENTROPY.choose(h, Calibrator.Target.INT16, 99.99);
        assertThat(wide).isEqualTo(new TensorRange(h.min(), h.max()));
    }

    @Test
    void entropyAndMseLeaveOutExactZeros() {
        // a ReLU of a unit Gaussian: half the values are exactly 0, which quantize exactly under any range, so the
        // range chosen is the one chosen for the positive half alone (same grid: [0, max])
        Random r = new Random(11);
        float[] relu = new float[400_000];
        int positives = 0;
        for (int k = 0; k < relu.length; k++) {
            relu[k] = (float) Math.max(0, r.nextGaussian());
            if (relu[k] > 0) {
                positives++;
            }
        }
        float[] positive = new float[positives];
        int n = 0;
        for (float x : relu) {
            if (x > 0) {
                positive[n++] = x;
            }
        }
        TensorHistogram h = histogramOf(relu);
        TensorHistogram p = histogramOf(positive);
        assertThat(h.zeros()).isEqualTo(relu.length - positives);
        assertThat(h.binWidth()).isEqualTo(p.binWidth());
        for (Calibrator c : new Calibrator[] {Calibrator.ENTROPY, Calibrator.MSE}) {
            TensorRange withZeros = c.choose(h, Calibrator.Target.INT8, 99.99);
            assertThat(withZeros).as(c.cliName()).isEqualTo(c.choose(p, Calibrator.Target.INT8, 99.99));
            // about 4σ: a few in 100,000 clipped, not the percents a spike of zeros in bin 0 would make it clip
            assertThat(withZeros.max()).as(c.cliName()).isBetween(3.5f, h.max());
        }
    }

    @Test
    void entropyOfAUniformDistributionKeepsItAll() {
        float[] v = new float[100_000];
        Random r = new Random(3);
        for (int k = 0; k < v.length; k++) {
            v[k] = r.nextFloat() * 10;
        }
        TensorHistogram h = histogramOf(v);
        TensorRange e = Calibrator.ENTROPY.choose(h, Calibrator.Target.INT8, 99.99);
        assertThat((double) e.max()).isGreaterThan(9.9);
        assertThat(e.min()).isZero();
    }

    @Test
    void percentileMustBeAbove50AndAtMost100() {
        QuantizationConfig c = QuantizationConfig.defaults();
        assertThat(c.percentile()).isEqualTo(99.99);
        assertThat(c.calibrator()).isEqualTo(Calibrator.MINMAX);
        assertThat(c.withPercentile(100).percentile()).isEqualTo(100);
        for (double bad : new double[] {50, 100.5, Double.NaN, -1}) {
            assertThatThrownBy(() -> c.withPercentile(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("QuantizationConfig percentile must be above 50 and at most 100");
        }
        assertThatThrownBy(() -> c.withCalibrator(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(c.withCalibrator(Calibrator.MSE)).isNotEqualTo(c).isEqualTo(c.withCalibrator(Calibrator.MSE));
    }

    /** x[3] → Dense "dense" → ReLU "relu" → Softmax "prob" (fixed output parameters). */
    private static Model denseReluReshape() {
        ModelBuilder mb = new ModelBuilder("dense_relu_reshape");
        Tensor x = mb.input("x", Shape.batched(3));
        Tensor d = CoreModels.dense(mb, "dense", x, new float[] {1, -2, 0.5f, 0.25f, 1, -1}, new float[] {0.5f, -1});
        Tensor r = CoreModels.relu(mb, "relu", d);
        Tensor f = CoreModels.softmax(mb, "prob", r);
        return mb.output(f).build(ModelMetadata.inMemory());
    }

    @Test
    void calibrationKeepsTheMinMaxSeenAndReportsTheChosenRanges() {
        Model m = denseReluReshape();
        Random r = new Random(5);
        float[] x = new float[3 * 500];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextGaussian();
        }
        x[7] = 40; // one outlier
        Dataset d = Dataset.of("gauss", new int[] {3}, x, null);
        Calibration minmax = MinMaxCalibrator.calibrate(m, d, 500, 1);
        Calibration pct = MinMaxCalibrator.calibrate(m, d, 500, 1, Calibrator.PERCENTILE, 99, Calibrator.Target.INT8);
        assertThat(pct.calibrator()).isEqualTo(Calibrator.PERCENTILE);
        // the softmax's range is not used: not reported, and left at min/max
        assertThat(pct.tensors()).extracting(TensorCalibration::tensor).containsExactly("x", "dense", "relu");
        assertThat(pct.ranges().get(m.tensor("prob"))).isEqualTo(minmax.ranges().get(m.tensor("prob")));
        for (TensorCalibration t : pct.tensors()) {
            TensorRange seen = minmax.ranges().get(m.tensor(t.tensor()));
            assertThat(t.seen()).isEqualTo(seen);
            assertThat(t.method()).isEqualTo("percentile");
            // 1% of the values at each end, at most
            assertThat(t.chosen().max()).isLessThan(seen.max());
            assertThat(t.clippedFraction()).isBetween(0.001, 0.0201);
            assertThat(pct.ranges().get(m.tensor(t.tensor()))).isEqualTo(t.chosen());
        }
        // the outlier input is cut
        assertThat(pct.ranges().get(m.tensor("x")).max()).isLessThan(4f);
        // min/max itself: chosen = seen, nothing clipped
        assertThat(minmax.tensors()).allSatisfy(t -> {
            assertThat(t.chosen()).isEqualTo(t.seen());
            assertThat(t.clippedFraction()).isZero();
        });
    }

    /** 100,000 values spread evenly over [0, 10), and {@code outlier} if it is not 0. */
    private static float[] bulk(int seed, float outlier) {
        float[] v = new float[100_001];
        Random r = new Random(seed);
        for (int k = 0; k < v.length - 1; k++) {
            v[k] = r.nextFloat() * 10;
        }
        v[v.length - 1] = outlier;
        return v;
    }

    @Test
    void autoDoesNotTrustAnOutlierSeenInOneHalfOnly() {
        // A: the bulk and one value at 1000; B: the bulk. Min/max on A puts B's bulk on a grid of 1000/255 ≈ 3.9
        // (error ≈ N·s²/12 ≈ 1.3e5); every range chosen on B misses A's outlier (≈ 990² ≈ 9.8e5) whatever. The
        // percentile (99.99) range of A, ≈ [0, 10], costs B almost nothing: it generalises, min/max does not.
        TensorHistogram a = histogramOf(bulk(1, 1000));
        TensorHistogram b = histogramOf(bulk(2, 0));
        long[] cb = b.counts();
        cb[(int) -b.firstIndex()] -= b.zeros();
        double minmaxOnB = Calibrator.squaredError(b, cb, Calibrator.Target.INT8, 0, 1000);
        assertThat(minmaxOnB).isBetween(1.0e5, 1.6e5);
        Calibrator picked = Calibrator.autoChoice(a, b, Calibrator.Target.INT8, 99.99);
        assertThat(picked).isIn(Calibrator.PERCENTILE, Calibrator.ENTROPY);
        // on all the values, the pick clips the outlier
        float[] both = new float[2 * 100_001];
        System.arraycopy(bulk(1, 1000), 0, both, 0, 100_001);
        System.arraycopy(bulk(2, 0), 0, both, 100_001, 100_001);
        TensorHistogram all = histogramOf(both);
        assertThat(picked.choose(all, Calibrator.Target.INT8, 99.99).max()).isBetween(9.9f, 10.1f);
        // in-sample (one histogram for both roles), the outlier's own error counts: the range stays far above the
        // bulk (mse's trade-off, about 773)
        assertThat(Calibrator.AUTO.choose(all, Calibrator.Target.INT8, 99.99).max())
                .isGreaterThan(500f);
    }

    @Test
    void autoKeepsMinMaxWhenNoCandidateIsStrictlyBetter() {
        // both halves the same uniform bulk: every candidate keeps (about) the whole range; min/max wins ties
        TensorHistogram a = histogramOf(bulk(1, 0));
        Calibrator picked = Calibrator.autoChoice(a, a, Calibrator.Target.INT8, 100);
        TensorRange range = picked.choose(a, Calibrator.Target.INT8, 100);
        assertThat((double) range.max()).isGreaterThan(9.9);
        // all zeros: nothing to choose
        TensorHistogram zeros = histogramOf(new float[10]);
        assertThat(Calibrator.autoChoice(zeros, zeros, Calibrator.Target.INT8, 99.99))
                .isEqualTo(Calibrator.MINMAX);
    }

    @Test
    void autoCalibrationCrossValidatesOnEvenAndOddSamplesAndReportsItsPicks() {
        Model m = denseReluReshape();
        Random r = new Random(5);
        int n = 20_000; // 60,000 values: the 99.99th percentile leaves out 6
        float[] x = new float[3 * n];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextGaussian();
        }
        x[3 * 10] = 400; // one outlier, in sample 10 (even): only half A sees it
        Dataset d = Dataset.of("gauss", new int[] {3}, x, null);
        Calibration auto = MinMaxCalibrator.calibrate(m, d, n, 1, Calibrator.AUTO, 99.99, Calibrator.Target.INT8);
        Calibration minmax = MinMaxCalibrator.calibrate(m, d, n, 1);
        assertThat(auto.calibrator()).isEqualTo(Calibrator.AUTO);
        assertThat(auto.tensors()).extracting(TensorCalibration::tensor).containsExactly("x", "dense", "relu");
        assertThat(auto.tensors()).allSatisfy(t -> assertThat(t.method()).startsWith("auto: "));
        TensorCalibration in = auto.tensors().get(0);
        assertThat(in.seen().max()).isEqualTo(400f);
        assertThat(in.method()).isIn("auto: percentile", "auto: entropy", "auto: mse");
        assertThat(in.chosen().max()).isLessThan(10f);
        assertThat(auto.ranges().get(m.tensor("x"))).isEqualTo(in.chosen());
        assertThat(minmax.ranges().get(m.tensor("x")).max()).isEqualTo(400f);
        assertThat(new CalibrationReport(Calibrator.AUTO, Double.NaN, auto.tensors()).render())
                .startsWith("Calibrator: auto (")
                .contains(in.method());
    }

    /**
     * BATCH_MATMUL (as FULLY_CONNECTED) and GELU (as RELU) get the calibrator's clipped ranges; REDUCE_MAX, which
     * keeps its input's parameters, and LOG_SOFTMAX, whose output parameters are fixed, are neither clipped nor
     * reported.
     */
    @Test
    void newOpsAreClippedWhereTheirOwnRangeSetsTheirParameters() {
        ModelBuilder mb = new ModelBuilder("matmul-gelu");
        Tensor x = mb.input("x", Shape.batched(4, 6));
        Tensor w = mb.constant("w", Shape.of(6, 3), CoreArrays.uniform(new SplittableRandom(3), 18, -0.8f, 0.5f));
        Tensor y = mb.add(
                OpType.BATCH_MATMUL,
                "matmul",
                new Origin("matmul", "MatMul"),
                new OpAttributes.BatchMatMul(false, false),
                x,
                w);
        Tensor g = mb.add(OpType.GELU, "gelu", new Origin("gelu", "Activation"), new OpAttributes.Gelu(false), y);
        Tensor m = mb.add(
                OpType.REDUCE_MAX,
                "max",
                new Origin("max", "ReduceMax"),
                new OpAttributes.Reduce(new int[] {2}, false),
                g);
        Tensor l =
                mb.add(OpType.LOG_SOFTMAX, "logsm", new Origin("logsm", "LogSoftmax"), OpAttributes.None.INSTANCE, m);
        Model model = mb.output(l).build(ModelMetadata.inMemory());
        Random r = new Random(7);
        float[] v = new float[24 * 500];
        for (int k = 0; k < v.length; k++) {
            v[k] = (float) r.nextGaussian();
        }
        Dataset d = Dataset.of("gauss", new int[] {4, 6}, v, null);
        Calibration minmax = MinMaxCalibrator.calibrate(model, d, 500, 1);
        Calibration pct =
                MinMaxCalibrator.calibrate(model, d, 500, 1, Calibrator.PERCENTILE, 99, Calibrator.Target.INT8);
        assertThat(pct.tensors()).extracting(TensorCalibration::tensor).containsExactly("x", "matmul", "gelu");
        for (TensorCalibration t : pct.tensors()) {
            assertThat(t.method()).isEqualTo("percentile");
            assertThat(t.chosen().max()).isLessThan(t.seen().max());
            assertThat(t.clippedFraction()).isBetween(0.001, 0.0201);
        }
        for (String unused : new String[] {"max", "logsm"}) {
            assertThat(pct.ranges().get(model.tensor(unused)))
                    .isEqualTo(minmax.ranges().get(model.tensor(unused)));
        }
    }
}
