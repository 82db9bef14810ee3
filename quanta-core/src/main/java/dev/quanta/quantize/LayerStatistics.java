package dev.quanta.quantize;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The per-layer error sums of {@link LayerComparison} over some of the samples, mergeable: the statistics of any
 * split of the samples into parts, {@linkplain #merge merged} in any order, are those of all samples at once, to the
 * last bit (a cluster computes parts on its executors; one machine computes one part). For each paired tensor:
 *
 * <pre>
 * Σ f²,  Σ (f − q)²     exact sums ({@link ExactSum}), rounded once when read
 * max |f − q|,  n,  #clipped
 * </pre>
 *
 * from which {@link #layers()} makes the {@link LayerError} rows. Once made, a statistics object does not change.
 */
public final class LayerStatistics implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * What a row says of its tensor, beside the sums: the candidate tensor's name, its op's layer and type, its
     * per-tensor quantization scale (NaN for none) and whether its saturation is counted.
     */
    public record Row(String tensor, String layer, String op, double scale, boolean quantizedPerTensor)
            implements Serializable {}

    private final List<Row> rows;
    private final int samples;
    private final ExactSum[] signal;
    private final ExactSum[] noise;
    private final double[] maxAbs;
    private final long[] count;
    private final long[] clipped;

    private LayerStatistics(List<Row> rows, int samples) {
        this.rows = List.copyOf(rows);
        this.samples = samples;
        int n = rows.size();
        signal = new ExactSum[n];
        noise = new ExactSum[n];
        for (int k = 0; k < n; k++) {
            signal[k] = new ExactSum();
            noise[k] = new ExactSum();
        }
        maxAbs = new double[n];
        count = new long[n];
        clipped = new long[n];
    }

    /** Accumulates the statistics of {@code samples} samples, row by row, through {@link Accumulator}. */
    static Accumulator accumulate(List<Row> rows, int samples) {
        return new Accumulator(new LayerStatistics(rows, samples));
    }

    /** Fills one statistics object while its samples are run; {@link #done()} hands it over. */
    static final class Accumulator {
        private LayerStatistics s;

        private Accumulator(LayerStatistics s) {
            this.s = s;
        }

        /** Adds row {@code k}'s reference values {@code f} and the candidate's real values {@code q} of one sample. */
        void add(int k, float[] f, float[] q) {
            ExactSum signal = s.signal[k];
            ExactSum noise = s.noise[k];
            double maxAbs = s.maxAbs[k];
            for (int i = 0; i < f.length; i++) {
                double e = (double) f[i] - q[i];
                signal.add((double) f[i] * f[i]);
                noise.add(e * e);
                maxAbs = Math.max(maxAbs, Math.abs(e));
            }
            s.maxAbs[k] = maxAbs;
            s.count[k] += f.length;
        }

        /** Adds {@code n} clipped values to row {@code k}. */
        void addClipped(int k, long n) {
            s.clipped[k] += n;
        }

        LayerStatistics done() {
            LayerStatistics done = s;
            s = null;
            return done;
        }
    }

    /** Samples these statistics were taken over. */
    public int samples() {
        return samples;
    }

    /** The rows, in the order of the paired tensors. */
    public List<Row> rows() {
        return rows;
    }

    /**
     * The statistics of both parts' samples together: sums added exactly, maxima and counts combined. The same, to
     * the last bit, in either order.
     *
     * @throws IllegalArgumentException when the parts pair different tensors
     */
    public LayerStatistics merge(LayerStatistics other) {
        if (!rows.equals(other.rows)) {
            throw new IllegalArgumentException("layer statistics of different tensors cannot be merged: " + names(rows)
                    + " and " + names(other.rows));
        }
        LayerStatistics m = new LayerStatistics(rows, samples + other.samples);
        for (int k = 0; k < rows.size(); k++) {
            m.signal[k].add(signal[k]);
            m.signal[k].add(other.signal[k]);
            m.noise[k].add(noise[k]);
            m.noise[k].add(other.noise[k]);
            m.maxAbs[k] = Math.max(maxAbs[k], other.maxAbs[k]);
            m.count[k] = count[k] + other.count[k];
            m.clipped[k] = clipped[k] + other.clipped[k];
        }
        return m;
    }

    /**
     * All {@code parts} merged (see {@link #merge(LayerStatistics)}).
     *
     * @throws IllegalArgumentException when there are no parts or they pair different tensors
     */
    public static LayerStatistics merge(List<LayerStatistics> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no layer statistics to merge");
        }
        LayerStatistics all = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            all = all.merge(parts.get(i));
        }
        return all;
    }

    /**
     * The rows as {@link LayerError}s, worst (lowest SQNR) first, ties in pairing order:
     *
     * <pre>
     * SQNR = 10·log10(Σ f² / Σ (f − q)²) dB (+∞ without error),  RMSE = √(Σ (f − q)² / n),
     * saturation = #clipped / n (NaN unless quantized per tensor)
     * </pre>
     */
    public List<LayerError> layers() {
        List<LayerError> result = new ArrayList<>(rows.size());
        for (int k = 0; k < rows.size(); k++) {
            Row row = rows.get(k);
            double signalSum = signal[k].value();
            double noiseSum = noise[k].value();
            double sqnr = noiseSum == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signalSum / noiseSum);
            long n = Math.max(1, count[k]);
            result.add(new LayerError(
                    row.tensor(),
                    row.layer(),
                    row.op(),
                    count[k],
                    sqnr,
                    Math.sqrt(noiseSum / n),
                    row.scale(),
                    maxAbs[k],
                    row.quantizedPerTensor() ? (double) clipped[k] / n : Double.NaN));
        }
        result.sort(Comparator.comparingDouble(LayerError::sqnrDb));
        return result;
    }

    private static String names(List<Row> rows) {
        return rows.stream().map(Row::tensor).toList().toString();
    }
}
