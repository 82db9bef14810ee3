package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SuffixError}: the held-out error of a candidate that differs from the current network from some op on,
 * computed by running only that suffix, is the error of running it whole (E = Σ over layers of 1/SQNR, as
 * {@link LayerComparison} gives it).
 */
class SuffixErrorTest {
    private static final QuantizationConfig INT8 =
            QuantizationConfig.defaults().withMode(QuantizationMode.INT8).withCalibrationThreads(1);

    /** Three Dense layers, 4 → 6 → 5 → 3, random weights. */
    private static Model threeDense(SplittableRandom r) {
        ModelBuilder b = new ModelBuilder("three-dense");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor h1 = dense(b, "first", x, values(r, 24, 1), values(r, 6, 0.1));
        Tensor h2 = dense(b, "second", h1, values(r, 30, 1), values(r, 5, 0.1));
        Tensor y = dense(b, "third", h2, values(r, 15, 1), values(r, 3, 0.1));
        return b.output(y).build(ModelMetadata.inMemory());
    }

    @Test
    void aSuffixScoresAsTheWholeNetworkAndStopsAtTheBound() {
        SplittableRandom r = new SplittableRandom(5);
        Model m = threeDense(r);
        Dataset d = Dataset.of("gaussian", new int[] {4}, values(r, 4 * 24, 1), new int[24]);
        Calibration calibration = MinMaxCalibrator.calibrate(m, d, INT8.withCalibrationSamples(d.size()), false);
        Map<Tensor, TensorRange> ranges = new IdentityHashMap<>(calibration.ranges());
        Model base = simulated(m, ranges);
        Tensor second = m.tensor("second");
        TensorRange r2 = ranges.get(second);
        ranges.put(second, new TensorRange(r2.min() * 0.8f, r2.max() * 0.8f));
        Model candidate = simulated(m, ranges);

        List<Tensor> paired = new ArrayList<>();
        for (Object[] p : LayerComparison.pair(m, base, LayerComparison.Matching.NAME)) {
            paired.add((Tensor) p[0]);
        }
        LayerComparison.ReferenceValues recorded = LayerComparison.ReferenceValues.record(m, d, paired, 1);
        SuffixError e = new SuffixError(m, d, recorded, 1, base);
        assertThat(e.currentError()).isCloseTo(wholeError(m, base, d), within(1e-9 * wholeError(m, base, d)));
        long afterBase = e.opsRun();
        assertThat(afterBase).isEqualTo((long) base.ops().size() * d.size());

        SuffixError.Evaluation c = e.evaluate(candidate, Double.POSITIVE_INFINITY);
        double whole = wholeError(m, candidate, d);
        assertThat(c.complete()).isTrue();
        assertThat(c.error()).isCloseTo(whole, within(1e-9 * whole)).isNotCloseTo(e.currentError(), within(1e-6));
        // "first" and its rounding are the same in both: the candidate runs from "second" on (and the ops before it
        // ran once, to keep their values); another candidate there runs its suffix alone
        int k = c.firstChanged();
        assertThat(k).isGreaterThan(0);
        assertThat(e.opsRun() - afterBase).isEqualTo((long) candidate.ops().size() * d.size());
        Map<Tensor, TensorRange> wider = new IdentityHashMap<>(ranges);
        wider.put(second, new TensorRange(r2.min() * 1.25f, r2.max() * 1.25f));
        Model other = simulated(m, wider);
        long before = e.opsRun();
        SuffixError.Evaluation o = e.evaluate(other, Double.POSITIVE_INFINITY);
        assertThat(o.firstChanged()).isEqualTo(k);
        assertThat(o.error()).isCloseTo(wholeError(m, other, d), within(1e-9 * o.error()));
        assertThat(e.opsRun() - before).isEqualTo((long) (other.ops().size() - k) * d.size());

        // a bound below the candidate's error stops it before the last sample
        SuffixError.Evaluation stopped = e.evaluate(candidate, whole / 2);
        assertThat(stopped.complete()).isFalse();
        assertThat(stopped.error()).isGreaterThanOrEqualTo(whole / 2).isLessThanOrEqualTo(whole);

        // once accepted, the candidate is the current network and scores as before
        e.accept(c);
        assertThat(e.currentError()).isEqualTo(c.error());
        assertThat(e.evaluate(simulated(m, ranges), Double.POSITIVE_INFINITY).error())
                .isEqualTo(c.error());
    }

    private static Model simulated(Model m, Map<Tensor, TensorRange> ranges) {
        Model q = FullIntegerRewriter.rewrite(m, INT8, new Calibration(ranges, Map.of()), Map.of())
                .model();
        return SimulatedQuantization.of(m, q);
    }

    /** E = Σ 10^(−SQNR/10) over the layers, running both models whole. */
    private static double wholeError(Model reference, Model candidate, Dataset d) {
        double e = 0;
        for (LayerError l : LayerComparison.compare(reference, candidate, d, d.size(), 1)) {
            if (l.sqnrDb() != Double.POSITIVE_INFINITY) {
                e += Math.pow(10, -l.sqnrDb() / 10);
            }
        }
        return e;
    }

    private static float[] values(SplittableRandom r, int n, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sd);
        }
        return v;
    }
}
