package dev.quanta.quantize;

/**
 * A histogram of one tensor's values over the calibration data, collected in one pass with memory bounded by its
 * number of bins, whatever the number of values.
 *
 * <p>The bins lie on a grid anchored at zero: bin {@code i} holds the values x with {@code floor(x / w) = i}, that
 * is {@code [i·w, (i+1)·w)}, for a power-of-two width {@code w = 2^e}. The histogram keeps {@link #bins()}
 * consecutive bins from {@link #firstIndex()} = {@code floor(min(xmin, 0) / w)}, and {@code e} is the smallest
 * exponent whose window reaches from {@code min(xmin, 0)} to {@code max(xmax, 0)}. When a batch falls outside the
 * window, {@code e} grows by one at a time and every two neighbouring bins merge into one ({@code floor(i / 2)} is
 * the bin of the same values at width {@code 2w}): exact, since {@code x / 2^e} is exact in {@code double}. So
 * the counts depend only on the multiset of values seen, not on how they were split into batches or ordered.
 *
 * <p>NaN and infinite values are not counted (the min/max calibration ignores NaN too).
 */
public final class TensorHistogram implements java.io.Serializable {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    /** The bins of a calibration histogram: 16 KiB of counts per tensor. */
    public static final int DEFAULT_BINS = 2048;

    /** Exponent value while every value seen is zero (then only the count at index 0 is used). */
    private static final int ZEROS_ONLY = Integer.MIN_VALUE;

    private final long[] counts;
    private transient long[] scratch;
    private int exponent = ZEROS_ONLY;
    private long first;
    private long total;
    private long zeros;
    private float min = Float.POSITIVE_INFINITY;
    private float max = Float.NEGATIVE_INFINITY;

    /** An empty histogram of {@code bins} bins (at least 2). */
    public TensorHistogram(int bins) {
        if (bins < 2) {
            throw new IllegalArgumentException("a histogram needs at least 2 bins, got " + bins);
        }
        counts = new long[bins];
    }

    /** An empty histogram of {@value #DEFAULT_BINS} bins. */
    public TensorHistogram() {
        this(DEFAULT_BINS);
    }

    /** Adds every finite value of {@code values}. */
    public void add(float[] values) {
        add(values, 0, values.length);
    }

    /** Adds the finite values of {@code values[from, to)}. */
    public void add(float[] values, int from, int to) {
        float bmin = Float.POSITIVE_INFINITY;
        float bmax = Float.NEGATIVE_INFINITY;
        long n = 0;
        for (int k = from; k < to; k++) {
            float x = values[k];
            if (Float.isFinite(x)) {
                bmin = Math.min(bmin, x);
                bmax = Math.max(bmax, x);
                n++;
                if (x == 0) {
                    zeros++;
                }
            }
        }
        if (n == 0) {
            return;
        }
        min = Math.min(min, bmin);
        max = Math.max(max, bmax);
        total += n;
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        if (lo == 0f && hi == 0f) {
            counts[0] += n; // zeros only so far: index 0, first 0 at any width
            return;
        }
        int e = exponent;
        if (e == ZEROS_ONLY) {
            e = Math.getExponent((hi - (double) lo) / counts.length) - 1;
        }
        while (!fits(lo, hi, e)) {
            e++;
        }
        relayout(e, index(lo, e));
        double inv = Math.scalb(1.0, -exponent);
        for (int k = from; k < to; k++) {
            float x = values[k];
            if (Float.isFinite(x)) {
                counts[(int) ((long) Math.floor(x * inv) - first)]++;
            }
        }
    }

    private static long index(double x, int e) {
        return (long) Math.floor(x * Math.scalb(1.0, -e));
    }

    private boolean fits(double lo, double hi, int e) {
        return index(hi, e) - index(lo, e) < counts.length;
    }

    /** Moves the counts to width 2^e and first index {@code newFirst} (both at least the current ones' reach). */
    private void relayout(int e, long newFirst) {
        if (e == exponent && newFirst == first) {
            return;
        }
        if (scratch == null) {
            scratch = new long[counts.length];
        }
        java.util.Arrays.fill(scratch, 0);
        if (exponent == ZEROS_ONLY) {
            scratch[(int) -newFirst] = counts[0];
        } else {
            int shift = e - exponent;
            for (int j = 0; j < counts.length; j++) {
                if (counts[j] != 0) {
                    long i = (first + j) >> shift; // floor division by 2^shift
                    scratch[(int) (i - newFirst)] += counts[j];
                }
            }
        }
        System.arraycopy(scratch, 0, counts, 0, counts.length);
        exponent = e;
        first = newFirst;
    }

    /**
     * The histogram of the values of {@code a} and {@code b} together (both of the same number of bins): the same
     * counts, window and extremes as one histogram to which all their values were added, since those depend only on
     * the multiset of values (the width is the smallest whose window holds the union's range, at least each one's).
     */
    static TensorHistogram merged(TensorHistogram a, TensorHistogram b) {
        if (a.counts.length != b.counts.length) {
            throw new IllegalArgumentException(
                    "histograms of " + a.counts.length + " and " + b.counts.length + " bins do not merge");
        }
        TensorHistogram m = new TensorHistogram(a.counts.length);
        m.addCounts(a);
        m.addCounts(b);
        return m;
    }

    /** Adds the values {@code o} counted (same number of bins). */
    private void addCounts(TensorHistogram o) {
        if (o.total == 0) {
            return;
        }
        min = Math.min(min, o.min);
        max = Math.max(max, o.max);
        total += o.total;
        zeros += o.zeros;
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        if (lo == 0f && hi == 0f) {
            counts[0] += o.total; // zeros only so far
            return;
        }
        int e = Math.max(exponent, o.exponent);
        while (!fits(lo, hi, e)) {
            e++;
        }
        relayout(e, index(lo, e));
        if (o.exponent == ZEROS_ONLY) {
            counts[(int) -first] += o.counts[0];
            return;
        }
        int shift = exponent - o.exponent;
        for (int j = 0; j < o.counts.length; j++) {
            if (o.counts[j] != 0) {
                long i = (o.first + j) >> shift; // floor division by 2^shift
                counts[(int) (i - first)] += o.counts[j];
            }
        }
    }

    /** Whether {@code o} counted the same: equal counts, window, totals and extremes (compared by their bits). */
    boolean sameAs(TensorHistogram o) {
        return exponent == o.exponent
                && first == o.first
                && total == o.total
                && zeros == o.zeros
                && Float.floatToIntBits(min) == Float.floatToIntBits(o.min)
                && Float.floatToIntBits(max) == Float.floatToIntBits(o.max)
                && java.util.Arrays.equals(counts, o.counts);
    }

    /** The number of bins kept. */
    public int bins() {
        return counts.length;
    }

    /** The number of finite values counted. */
    public long total() {
        return total;
    }

    /** How many of the values counted are exactly 0 (they are in the bin of index 0). */
    public long zeros() {
        return zeros;
    }

    /** The smallest finite value seen (+∞ before any). */
    public float min() {
        return min;
    }

    /** The largest finite value seen (−∞ before any). */
    public float max() {
        return max;
    }

    /** The bin width {@code 2^e}; 0 while every value seen is zero. */
    public double binWidth() {
        return exponent == ZEROS_ONLY ? 0 : Math.scalb(1.0, exponent);
    }

    /** The grid index of the first bin kept. */
    public long firstIndex() {
        return first;
    }

    /** The count of grid bin {@code index} (0 outside the kept window). */
    public long count(long index) {
        long j = index - first;
        return j < 0 || j >= counts.length ? 0 : counts[(int) j];
    }

    /** A copy of the kept counts, from {@link #firstIndex()}. */
    public long[] counts() {
        return counts.clone();
    }

    /** The lower edge of kept bin {@code j}. */
    double lowerEdge(int j) {
        return (first + j) * binWidth();
    }

    /** The centre of kept bin {@code j}, the value that stands for its counts. */
    double centre(int j) {
        return (first + j + 0.5) * binWidth();
    }

    /**
     * The counts of |x| on the same grid: bin j holds |x| in [j·w, (j+1)·w) for x ≥ 0 and (j·w, (j+1)·w] for
     * x < 0. Its length reaches the last nonzero bin.
     */
    long[] absCounts() {
        if (exponent == ZEROS_ONLY) {
            return new long[] {counts[0]};
        }
        long last = first + counts.length - 1;
        int n = (int) Math.max(last + 1, -first);
        long[] abs = new long[n];
        for (int j = 0; j < counts.length; j++) {
            long i = first + j;
            if (counts[j] != 0) {
                abs[(int) (i >= 0 ? i : -i - 1)] += counts[j];
            }
        }
        int used = n;
        while (used > 1 && abs[used - 1] == 0) {
            used--;
        }
        return java.util.Arrays.copyOf(abs, used);
    }

    /**
     * The value below which a fraction {@code q} of the values lie, interpolating linearly inside a bin, clamped to
     * [{@link #min()}, {@link #max()}].
     */
    public double quantile(double q) {
        if (total == 0) {
            throw new IllegalStateException("quantile of an empty histogram");
        }
        if (exponent == ZEROS_ONLY) {
            return 0;
        }
        return clamp(interpolate(counts, q * total, first * binWidth()), min, max);
    }

    /** The value below which a fraction {@code q} of the magnitudes |x| lie, clamped to the largest magnitude. */
    public double absQuantile(double q) {
        if (total == 0) {
            throw new IllegalStateException("quantile of an empty histogram");
        }
        if (exponent == ZEROS_ONLY) {
            return 0;
        }
        double absMax = Math.max(Math.abs(min), Math.abs(max));
        return clamp(interpolate(absCounts(), q * total, 0), 0, absMax);
    }

    private double interpolate(long[] c, double rank, double origin) {
        double w = binWidth();
        double cum = 0;
        // a rank a rounding error above a whole count belongs to the bin that reaches that count
        double reach = rank - 1e-9 * Math.max(1, rank);
        for (int j = 0; j < c.length; j++) {
            if (c[j] > 0 && cum + c[j] >= reach) {
                return origin + w * (j + Math.max(0, rank - cum) / c[j]);
            }
            cum += c[j];
        }
        return origin + w * c.length;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    /**
     * The fraction of the values outside [lo, hi], counting a bin that straddles a bound in proportion to the part
     * of it outside (values spread evenly in a bin); 0 when the interval covers [{@link #min()}, {@link #max()}].
     */
    public double fractionOutside(double lo, double hi) {
        if (total == 0 || exponent == ZEROS_ONLY) {
            return total == 0 || (lo <= 0 && hi >= 0) ? 0 : 1;
        }
        double w = binWidth();
        double outside = 0;
        if (lo > min) {
            for (int j = 0; j < counts.length; j++) {
                double a = lowerEdge(j);
                outside += counts[j] * clamp((lo - a) / w, 0, 1);
            }
        }
        if (hi < max) {
            for (int j = 0; j < counts.length; j++) {
                double a = lowerEdge(j);
                outside += counts[j] * clamp((a + w - hi) / w, 0, 1);
            }
        }
        return Math.min(1, outside / total);
    }
}
