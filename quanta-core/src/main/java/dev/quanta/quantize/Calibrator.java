package dev.quanta.quantize;

import dev.quanta.ir.QuantParams;
import java.util.List;

/**
 * How an activation's quantization range is chosen from what calibration observed. {@link #MINMAX} takes the
 * observed minimum and maximum (TFLite's converter); the others read the tensor's {@link TensorHistogram} and may
 * clip rare large values to quantize the common ones more finely; {@link #AUTO} picks one of those per tensor. Every
 * range they choose contains 0 and is
 * turned into parameters by {@link QuantMath} as usual (int8 asymmetric, int16 symmetric).
 */
public enum Calibrator {
    /** The observed minimum and maximum. */
    MINMAX(false) {
        @Override
        TensorRange choose(TensorHistogram h, Target target, double percentile) {
            return new TensorRange(h.min(), h.max());
        }
    },
    /**
     * Symmetric targets: ±(the {@code p}-th percentile of |x|); asymmetric ones: the {@code (100 − p)}-th and the
     * {@code p}-th percentiles of x (linear inside a histogram bin).
     */
    PERCENTILE(true) {
        @Override
        TensorRange choose(TensorHistogram h, Target target, double percentile) {
            double q = percentile / 100;
            if (target.symmetric()) {
                return symmetricClip(h, h.absQuantile(q));
            }
            return containingZero(h.quantile((100 - percentile) / 100), h.quantile(q));
        }
    },
    /**
     * TensorRT's entropy calibration (as ONNX Runtime's {@code CalibrationMethod.Entropy}) on the histogram of |x|:
     * for each candidate threshold of {@code i} bins, the reference P is bins {@code 0..i−1} with the clipped
     * counts added to the last; Q merges bins {@code 0..i−1} into as many equal groups as the target has levels on
     * that side (a bin straddling two groups gives each its share, where TensorRT gives the remainder bins to the
     * last group) and spreads each group's count evenly over its nonempty bins; the threshold minimising
     * KL(P‖Q) = Σ P·ln(P/Q) (with P, Q smoothed and normalised) wins, and the range is ±threshold cut to what was
     * observed. Values exactly 0 are left out of P and Q: zero is exact under every range, and the spike of a
     * ReLU's zeros would otherwise decide the threshold.
     */
    ENTROPY(true) {
        @Override
        TensorRange choose(TensorHistogram h, Target target, double percentile) {
            return symmetricClip(h, entropyThreshold(h, target));
        }
    },
    /**
     * The range minimising the squared quantization error Σ n_b·(deq(q(c_b)) − c_b)² over the histogram's bins
     * (count n_b, centre c_b; values exactly 0 are exact and left out), rounding and clipping, with the target's
     * parameters ({@link QuantMath}); the candidates scale the observed range, [α·min, α·max] (symmetric:
     * ±α·max|x|), for α = k / {@value #MSE_STEPS}.
     */
    MSE(true) {
        @Override
        TensorRange choose(TensorHistogram h, Target target, double percentile) {
            return mseRange(h, target);
        }
    },
    /**
     * Per tensor, the one of {@link #CANDIDATES} whose range generalises best, by two-fold cross-validation: the
     * calibration samples are split in two halves A and B (even and odd samples); each candidate chooses a range on
     * A, scored by the squared quantization error it gives B's values, and a range on B, scored on A; the candidate
     * with the least total error (the first on ties, so min/max unless another is strictly better) chooses the
     * range on all the samples ({@link #autoChoice}). Given one histogram only, the error is taken on that same
     * histogram (in-sample, which favours {@link #MSE}).
     */
    AUTO(true) {
        @Override
        TensorRange choose(TensorHistogram h, Target target, double percentile) {
            return autoChoice(h, h, target, percentile).choose(h, target, percentile);
        }
    };

    /** The calibrators {@link #AUTO} chooses from, in order of preference on equal error. */
    static final List<Calibrator> CANDIDATES = List.of(MINMAX, PERCENTILE, ENTROPY, MSE);

    /** Candidates of the MSE search. */
    static final int MSE_STEPS = 256;

    /** Most thresholds the entropy search tries (evenly spaced; the unclipped one always). */
    static final int ENTROPY_CANDIDATES = 512;

    private final boolean usesHistogram;

    Calibrator(boolean usesHistogram) {
        this.usesHistogram = usesHistogram;
    }

    /** Whether the calibrator reads histograms (else only the minimum and maximum are collected). */
    public boolean usesHistogram() {
        return usesHistogram;
    }

    /**
     * The integer grid a range is chosen for: int8 or uint8 asymmetric on [qmin, qmax], or int16 symmetric on
     * [−qmax, qmax].
     */
    public record Target(boolean symmetric, int qmin, int qmax) {
        public static final Target INT8 = new Target(false, -128, 127);
        public static final Target UINT8 = new Target(false, 0, 255);
        public static final Target INT16 = new Target(true, -32767, 32767);

        /** The activation grid of a full-integer config. */
        static Target of(QuantizationConfig c) {
            if (c.mode() == QuantizationMode.INT16X8) {
                return INT16;
            }
            return c.scheme() == QuantizationScheme.ASYMMETRIC ? UINT8 : INT8;
        }

        QuantParams params(double lo, double hi) {
            return symmetric
                    ? QuantMath.symmetric(Math.max(Math.abs(lo), Math.abs(hi)), qmax)
                    : QuantMath.asymmetric(lo, hi, qmin, qmax);
        }
    }

    /**
     * The range chosen for the values {@code h} counted ({@code percentile} in (50, 100] is used by
     * {@link #PERCENTILE} only). The histogram must not be empty.
     */
    abstract TensorRange choose(TensorHistogram h, Target target, double percentile);

    /** The name used on the command line and in reports. */
    public String cliName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    private static TensorRange containingZero(double lo, double hi) {
        return new TensorRange((float) Math.min(lo, 0), (float) Math.max(hi, 0));
    }

    /** [−t, t] cut to the observed range, containing 0. */
    private static TensorRange symmetricClip(TensorHistogram h, double t) {
        return containingZero(Math.max(h.min(), -t), Math.min(h.max(), t));
    }

    private static double entropyThreshold(TensorHistogram h, Target target) {
        double absMax = Math.max(Math.abs(h.min()), Math.abs(h.max()));
        long[] abs = h.absCounts();
        // exact zeros (half a ReLU's outputs) quantize exactly whatever the range: left out, else their spike in
        // bin 0, smeared over its group in Q, drives the search to one bin per level
        abs[0] -= h.zeros();
        boolean bothSigns = h.min() < 0 && h.max() > 0;
        int levels = (int)
                (bothSigns || target.symmetric()
                        ? ((long) target.qmax() - target.qmin() + 1) / 2
                        : (long) target.qmax() - target.qmin() + 1);
        int n = abs.length;
        if (n <= levels || h.binWidth() == 0) {
            return absMax;
        }
        double[] suffix = new double[n + 1];
        for (int j = n - 1; j >= 0; j--) {
            suffix[j] = suffix[j + 1] + abs[j];
        }
        int step = Math.max(1, (n - levels) / ENTROPY_CANDIDATES);
        double best = Double.POSITIVE_INFINITY;
        int bestBins = n;
        double[] q = new double[n];
        for (int i = levels; i <= n; i = i == n ? n + 1 : Math.min(n, i + step)) {
            double kl = divergence(abs, i, levels, suffix, q);
            if (kl < best) {
                best = kl;
                bestBins = i;
            }
        }
        return Math.min(absMax, bestBins * h.binWidth());
    }

    /** What smoothing puts in the empty bins of P and Q (ONNX Runtime's {@code smooth_distribution}). */
    private static final double SMOOTHING = 1e-4;

    /**
     * KL(P‖Q) for the threshold of {@code i} bins. Both are smoothed first as ONNX Runtime does, so that the
     * clipped counts P puts in an empty last bin do not make the divergence infinite: an empty bin gets
     * {@value #SMOOTHING}, taken evenly from the nonempty ones.
     */
    static double divergence(long[] abs, int i, int levels, double[] suffix, double[] q) {
        // group g covers bins [g·width, (g+1)·width): a bin straddling two groups gives each its share
        double width = (double) i / levels;
        double[] mass = new double[levels];
        double[] nonEmpty = new double[levels];
        for (int j = 0; j < i; j++) {
            if (abs[j] == 0) {
                continue; // adds nothing to either
            }
            int g0 = (int) (j / width);
            int g1 = Math.min(levels - 1, (int) Math.ceil((j + 1) / width) - 1);
            for (int g = g0; g <= g1; g++) {
                double share = Math.min((g + 1) * width, j + 1) - Math.max(g * width, j);
                mass[g] += abs[j] * share;
                nonEmpty[g] += share;
            }
        }
        int qZeros = 0;
        for (int j = 0; j < i; j++) {
            q[j] = 0;
            if (abs[j] != 0) {
                int g0 = (int) (j / width);
                int g1 = Math.min(levels - 1, (int) Math.ceil((j + 1) / width) - 1);
                for (int g = g0; g <= g1; g++) {
                    double share = Math.min((g + 1) * width, j + 1) - Math.max(g * width, j);
                    q[j] += share * mass[g] / nonEmpty[g];
                }
            }
            if (q[j] == 0) {
                qZeros++;
            }
        }
        int pZeros = 0;
        for (int j = 0; j < i - 1; j++) {
            if (abs[j] == 0) {
                pZeros++;
            }
        }
        double lastP = abs[i - 1] + suffix[i];
        if (lastP == 0) {
            pZeros++;
        }
        if (qZeros == i) {
            return Double.POSITIVE_INFINITY;
        }
        double pTake = SMOOTHING * pZeros / (i - pZeros);
        double qTake = SMOOTHING * qZeros / (i - qZeros);
        // both smoothed distributions keep their totals: Σ P = suffix[0], Σ Q = Σ of bins 0..i−1
        double pSum = suffix[0];
        double qSum = suffix[0] - suffix[i];
        double kl = 0;
        // an empty bin before the last has P = Q = 0 (Q is 0 exactly where the counts are): each such bin adds the
        // same term, counted once
        int emptyBins = 0;
        for (int j = 0; j < i; j++) {
            double p = j == i - 1 ? lastP : abs[j];
            if (p == 0 && j < i - 1) {
                emptyBins++;
                continue;
            }
            double ps = (p == 0 ? SMOOTHING : p - pTake) / pSum;
            double qs = (q[j] == 0 ? SMOOTHING : q[j] - qTake) / qSum;
            kl += ps * Math.log(ps / qs);
        }
        if (emptyBins > 0) {
            double ps = SMOOTHING / pSum;
            kl += emptyBins * ps * Math.log(ps / (SMOOTHING / qSum));
        }
        return kl;
    }

    /** Σ c[j]·(deq(q(centre j)) − centre j)² over the kept bins {@code c} of {@code h}, for the range [lo, hi]. */
    static double squaredError(TensorHistogram h, long[] c, Target target, double lo, double hi) {
        QuantParams p = target.params(lo, hi);
        float scale = p.scale();
        long zp = p.zeroPoint();
        long qmin = target.symmetric() ? -target.qmax() : target.qmin();
        long qmax = target.qmax();
        double err = 0;
        for (int j = 0; j < c.length; j++) {
            if (c[j] != 0) {
                double x = h.centre(j);
                double d = (double) scale * (QuantMath.quantize((float) x, scale, zp, qmin, qmax) - zp) - x;
                err += c[j] * d * d;
            }
        }
        return err;
    }

    /**
     * {@link #AUTO}'s choice: the candidate minimising err(B | range chosen on A) + err(A | range chosen on B), the
     * squared quantization error over a histogram's bins as in {@link #MSE} (exact zeros left out).
     */
    static Calibrator autoChoice(TensorHistogram a, TensorHistogram b, Target target, double percentile) {
        return autoChoose(a, b, target, percentile).by();
    }

    /** {@link #autoChoice}'s calibrator and the range it chose on {@code a}. */
    record AutoChoice(Calibrator by, TensorRange onFirst) {}

    /** {@link #autoChoice}, with the range the winner chose on {@code a} (computed on the way). */
    static AutoChoice autoChoose(TensorHistogram a, TensorHistogram b, Target target, double percentile) {
        if (a.binWidth() == 0 || b.binWidth() == 0) {
            return new AutoChoice(MINMAX, MINMAX.choose(a, target, percentile));
        }
        long[] ca = keptCounts(a);
        long[] cb = keptCounts(b);
        Calibrator best = MINMAX;
        TensorRange bestOnA = null;
        double bestErr = Double.POSITIVE_INFINITY;
        for (Calibrator c : CANDIDATES) {
            TensorRange onA = c.choose(a, target, percentile);
            double err =
                    heldOutError(onA, b, cb, target) + heldOutError(c.choose(b, target, percentile), a, ca, target);
            if (err < bestErr) {
                bestErr = err;
                best = c;
                bestOnA = onA;
            }
        }
        return new AutoChoice(best, bestOnA != null ? bestOnA : MINMAX.choose(a, target, percentile));
    }

    private static double heldOutError(TensorRange r, TensorHistogram h, long[] c, Target target) {
        double lo = Math.min(r.min(), 0);
        double hi = Math.max(r.max(), 0);
        return squaredError(h, c, target, lo, hi);
    }

    /** The counts of {@code h} without its exact zeros. */
    private static long[] keptCounts(TensorHistogram h) {
        long[] c = h.counts();
        c[(int) -h.firstIndex()] -= h.zeros();
        return c;
    }

    private static TensorRange mseRange(TensorHistogram h, Target target) {
        if (h.binWidth() == 0) {
            return containingZero(h.min(), h.max());
        }
        double lo = Math.min(h.min(), 0);
        double hi = Math.max(h.max(), 0);
        if (target.symmetric()) {
            hi = Math.max(-lo, hi);
            lo = -hi;
        }
        long[] c = h.counts();
        c[(int) -h.firstIndex()] -= h.zeros(); // exact zeros quantize exactly, whatever the range
        double best = Double.POSITIVE_INFINITY;
        int bestK = MSE_STEPS;
        for (int k = MSE_STEPS; k >= 1; k--) {
            double a = (double) k / MSE_STEPS;
            double err = squaredError(h, c, target, a * lo, a * hi);
            if (err < best) {
                best = err;
                bestK = k;
            }
        }
        double a = (double) bestK / MSE_STEPS;
        return target.symmetric() ? symmetricClip(h, a * hi) : containingZero(a * lo, a * hi);
    }
}
