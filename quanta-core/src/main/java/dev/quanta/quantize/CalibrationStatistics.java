package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.io.Serial;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * What the calibration pass observes over a contiguous range [{@link #first()}, {@link #end()}) of the calibration
 * samples, everything calibration chooses its ranges from: per observed tensor the minimum and maximum, the
 * {@link TensorHistogram} (for {@link Calibrator#AUTO} one per half, even and odd samples by their index in the whole
 * set) and each sample's own minimum and maximum (for the coverage counts), and per float LSTM the largest cell-state
 * magnitude.
 *
 * <p>Statistics of consecutive ranges {@link #merge merge} exactly: the result equals, field for field, the
 * statistics of one pass over the union, so calibrating partitions separately (on Spark executors, say) and merging
 * gives the same calibration, and the same quantized file, as one pass. That holds because
 *
 * <ul>
 *   <li>a range starts at a multiple of {@link #ALIGN}, the batch size of the pass, so the model runs the very
 *       batches of the whole pass and every tensor holds the same values;
 *   <li>min and max are merged by the comparisons of the pass, in sample order (the first of equal values, 0.0
 *       before −0.0, stays);
 *   <li>histogram counts depend only on the multiset of values ({@link TensorHistogram#merged});
 *   <li>per-sample extremes are concatenated, and halves are chosen by the global sample index.
 * </ul>
 *
 * <p>The searches that run candidate networks on raw samples ({@link Calibrator#AUTO}'s held-out choice, the range
 * search, bias correction) are not statistics: they read the samples they need from the dataset where the merge
 * happens.
 */
public final class CalibrationStatistics implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;

    /** Where a partition may start: a multiple of the calibration batch. */
    public static final int ALIGN = CalibrationBatches.BATCH;

    /**
     * Collects statistics over all the calibration samples, for the driver of a distributed pass (a Spark job, say):
     * {@code calibrationModel} is the model calibration runs on ({@link Converter#calibrationModel()}) and
     * {@code samples} how many of the first samples to use; the result must equal
     * {@link #collect(Model, Dataset, int, int, QuantizationConfig, boolean)} over [0, samples).
     */
    @FunctionalInterface
    public interface Source {
        CalibrationStatistics collect(
                Model calibrationModel, int samples, QuantizationConfig config, boolean keepHistograms);
    }

    private final int first;
    private final int end;
    private final Calibrator calibrator;
    private final boolean keepHistograms;
    private final String[] tensors;
    private final float[] min;
    private final float[] max;
    private final TensorHistogram[] histograms;
    private final TensorHistogram[][] halves;
    private final float[][] sampleMin;
    private final float[][] sampleMax;
    private final float[] cellAbsMax;

    private CalibrationStatistics(
            int first,
            int end,
            Calibrator calibrator,
            boolean keepHistograms,
            String[] tensors,
            float[] min,
            float[] max,
            TensorHistogram[] histograms,
            TensorHistogram[][] halves,
            float[][] sampleMin,
            float[][] sampleMax,
            float[] cellAbsMax) {
        this.first = first;
        this.end = end;
        this.calibrator = calibrator;
        this.keepHistograms = keepHistograms;
        this.tensors = tensors;
        this.min = min;
        this.max = max;
        this.histograms = histograms;
        this.halves = halves;
        this.sampleMin = sampleMin;
        this.sampleMax = sampleMax;
        this.cellAbsMax = cellAbsMax;
    }

    /**
     * Partitions of [0, n) into at most {@code parts} consecutive ranges {from, to}, each starting at a multiple of
     * {@link #ALIGN} and as even as that allows (fewer ranges when n holds fewer batches).
     */
    public static List<int[]> partitions(int n, int parts) {
        if (n < 0 || parts < 1) {
            throw new IllegalArgumentException("cannot split " + n + " samples into " + parts + " partitions");
        }
        int batches = (n + ALIGN - 1) / ALIGN;
        int p = Math.max(1, Math.min(parts, batches));
        List<int[]> ranges = new ArrayList<>();
        for (int i = 0; i < p; i++) {
            int from = (int) Math.min(n, (long) batches * i / p * ALIGN);
            int to = (int) Math.min(n, (long) batches * (i + 1) / p * ALIGN);
            ranges.add(new int[] {from, to});
        }
        return ranges;
    }

    /**
     * Runs {@code calibrationModel} over samples [from, to) of {@code data} (global indices; {@code from} a multiple of
     * {@link #ALIGN}) and collects what the calibrator of {@code config} needs, with histograms also for min/max when
     * {@code keepHistograms}. Uses {@code config}'s calibration threads.
     *
     * @throws QuantaException when the data does not fit the model's input
     */
    public static CalibrationStatistics collect(
            Model calibrationModel, Dataset data, int from, int to, QuantizationConfig config, boolean keepHistograms) {
        return collect(
                calibrationModel, data, from, to, config.calibrationThreads(), config.calibrator(), keepHistograms);
    }

    static CalibrationStatistics collect(
            Model model, Dataset data, int from, int to, int threads, Calibrator calibrator, boolean keepHistograms) {
        if (from < 0 || to < from || to > data.size() || from % ALIGN != 0) {
            throw new IllegalArgumentException("calibration partition [" + from + ", " + to + ") of " + data.size()
                    + " samples must start at a multiple of " + ALIGN);
        }
        MinMaxCalibrator.checkInput(model, data);
        MinMaxCalibrator.Plan plan = MinMaxCalibrator.plan(model, calibrator);
        List<Tensor> observed = plan.observed();
        List<String> methods = plan.methods();
        List<Op> lstms = plan.lstms();
        int size = observed.size();
        int count = to - from;
        String[] names = new String[size];
        for (int k = 0; k < size; k++) {
            names[k] = observed.get(k).name();
        }
        TensorHistogram[] histograms = new TensorHistogram[size];
        // AUTO: the values in two halves, the even and the odd samples, to cross-validate on
        TensorHistogram[][] halves = new TensorHistogram[size][];
        if (calibrator.usesHistogram() || keepHistograms) {
            for (int k = 0; k < size; k++) {
                if (calibrator.cliName().equals(methods.get(k))) {
                    if (calibrator == Calibrator.AUTO) {
                        halves[k] = new TensorHistogram[] {new TensorHistogram(), new TensorHistogram()};
                    } else {
                        histograms[k] = new TensorHistogram();
                    }
                }
            }
        }
        float[] cellAbsMax = new float[lstms.size()];
        float[] min = new float[size];
        float[] max = new float[size];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        // per observed tensor and sample of the range: the sample's own extremes (null for a tensor without values
        // per sample)
        float[][] sampleMin = new float[size][];
        float[][] sampleMax = new float[size][];
        for (int k = 0; k < size; k++) {
            if (methods.get(k) != null) {
                sampleMin[k] = new float[count];
                sampleMax[k] = new float[count];
            }
        }
        if (count > 0) {
            CalibrationBatches.run(model, data, from, to, threads, (it, s, batch) -> {
                for (int k = 0; k < lstms.size(); k++) {
                    // the kernel keeps its maximum since the last (re)allocation: read it after every batch
                    float m = it.stateAbsMax(lstms.get(k));
                    if (!Float.isNaN(m)) {
                        cellAbsMax[k] = Math.max(cellAbsMax[k], m);
                    }
                }
                for (int k = 0; k < size; k++) {
                    float[] v = (float[]) it.readTensor(observed.get(k));
                    if (sampleMax[k] != null && v.length % batch != 0) {
                        sampleMax[k] = null;
                        sampleMin[k] = null;
                    }
                    // sample by sample when the tensor holds the same number of values per sample, else whole
                    int parts = sampleMax[k] != null ? batch : 1;
                    int per = v.length / parts;
                    for (int i = 0; i < parts; i++) {
                        float lo = Float.POSITIVE_INFINITY;
                        float hi = Float.NEGATIVE_INFINITY;
                        for (int j = i * per; j < (i + 1) * per; j++) {
                            float x = v[j];
                            if (x < lo) {
                                lo = x;
                            }
                            if (x > hi) {
                                hi = x;
                            }
                        }
                        // comparisons, not Math.min: the first of equal values (0.0 before -0.0) stays, as before
                        if (lo < min[k]) {
                            min[k] = lo;
                        }
                        if (hi > max[k]) {
                            max[k] = hi;
                        }
                        if (sampleMax[k] != null) {
                            sampleMin[k][s - from + i] = lo;
                            sampleMax[k][s - from + i] = hi;
                        }
                    }
                    if (histograms[k] != null) {
                        histograms[k].add(v);
                    }
                    if (halves[k] != null) {
                        addByHalves(halves[k], v, s, batch);
                    }
                }
            });
        }
        return new CalibrationStatistics(
                from,
                to,
                calibrator,
                keepHistograms,
                names,
                min,
                max,
                histograms,
                halves,
                sampleMin,
                sampleMax,
                cellAbsMax);
    }

    /**
     * Adds the values of a batch of {@code count} samples, the first being sample {@code first} of the calibration
     * set, to {@code halves[0]} (even samples) and {@code halves[1]} (odd ones); a tensor that does not hold the
     * same number of values per sample goes whole to the half of its first sample.
     */
    private static void addByHalves(TensorHistogram[] halves, float[] v, int first, int count) {
        if (v.length % count != 0) {
            halves[first % 2].add(v);
            return;
        }
        int per = v.length / count;
        for (int i = 0; i < count; i++) {
            halves[(first + i) % 2].add(v, i * per, (i + 1) * per);
        }
    }

    /**
     * The statistics of the union of consecutive ranges, in any order: sorted by {@link #first()}, each must start
     * where the one before ends.
     *
     * @throws IllegalArgumentException when the list is empty, the ranges leave a gap or overlap, or they were
     *     collected on different models or for different calibrators
     */
    public static CalibrationStatistics merge(List<CalibrationStatistics> parts) {
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("no calibration statistics to merge");
        }
        List<CalibrationStatistics> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(CalibrationStatistics::first));
        CalibrationStatistics m = sorted.get(0);
        for (int i = 1; i < sorted.size(); i++) {
            m = m.merge(sorted.get(i));
        }
        return m;
    }

    /**
     * The statistics of this range followed by {@code next}'s, which must start where this one ends: exactly those of
     * one pass over both.
     */
    public CalibrationStatistics merge(CalibrationStatistics next) {
        if (next.first != end) {
            throw new IllegalArgumentException("calibration statistics of samples [" + first + ", " + end + ") and ["
                    + next.first + ", " + next.end + ") are not consecutive");
        }
        if (next.calibrator != calibrator
                || next.keepHistograms != keepHistograms
                || !Arrays.equals(next.tensors, tensors)
                || next.cellAbsMax.length != cellAbsMax.length) {
            throw new IllegalArgumentException(
                    "calibration statistics collected on different models or for different calibrators do not merge");
        }
        int size = tensors.length;
        float[] mMin = min.clone();
        float[] mMax = max.clone();
        TensorHistogram[] mHistograms = new TensorHistogram[size];
        TensorHistogram[][] mHalves = new TensorHistogram[size][];
        float[][] mSampleMin = new float[size][];
        float[][] mSampleMax = new float[size][];
        for (int k = 0; k < size; k++) {
            // the pass's comparisons, this range's values first
            if (next.min[k] < mMin[k]) {
                mMin[k] = next.min[k];
            }
            if (next.max[k] > mMax[k]) {
                mMax[k] = next.max[k];
            }
            if (histograms[k] != null) {
                mHistograms[k] = TensorHistogram.merged(histograms[k], next.histograms[k]);
            }
            if (halves[k] != null) {
                mHalves[k] = new TensorHistogram[] {
                    TensorHistogram.merged(halves[k][0], next.halves[k][0]),
                    TensorHistogram.merged(halves[k][1], next.halves[k][1])
                };
            }
            if (sampleMax[k] != null && next.sampleMax[k] != null) {
                mSampleMin[k] = concat(sampleMin[k], next.sampleMin[k]);
                mSampleMax[k] = concat(sampleMax[k], next.sampleMax[k]);
            }
        }
        float[] mCell = cellAbsMax.clone();
        for (int k = 0; k < mCell.length; k++) {
            mCell[k] = Math.max(mCell[k], next.cellAbsMax[k]);
        }
        return new CalibrationStatistics(
                first,
                next.end,
                calibrator,
                keepHistograms,
                tensors,
                mMin,
                mMax,
                mHistograms,
                mHalves,
                mSampleMin,
                mSampleMax,
                mCell);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /**
     * These statistics, collected over samples [0, n) of a range loaded alone, as those of samples
     * [{@code first}, {@code first + n}) of the whole set (a cluster's executor loads only its range, issue 13):
     * with {@code first} a multiple of {@link #ALIGN} the pass ran the same batches, and as {@link #ALIGN} is even
     * every sample fell in the same {@link Calibrator#AUTO} half, so only the range's position changes.
     *
     * @throws IllegalArgumentException unless these statistics start at 0 and {@code first} is a multiple of
     *     {@link #ALIGN}
     */
    public CalibrationStatistics startingAt(int first) {
        if (this.first != 0 || first < 0 || first % ALIGN != 0 || ALIGN % 2 != 0) {
            throw new IllegalArgumentException(
                    "statistics of samples [" + this.first + ", " + end + ") cannot be moved to sample " + first);
        }
        return new CalibrationStatistics(
                first,
                first + end,
                calibrator,
                keepHistograms,
                tensors,
                min,
                max,
                histograms,
                halves,
                sampleMin,
                sampleMax,
                cellAbsMax);
    }

    /** The first sample observed. */
    public int first() {
        return first;
    }

    /** One past the last sample observed. */
    public int end() {
        return end;
    }

    /** The calibrator the statistics were collected for. */
    public Calibrator calibrator() {
        return calibrator;
    }

    /** Whether histograms were kept for min/max too. */
    public boolean keepsHistograms() {
        return keepHistograms;
    }

    /** The observed tensors' names, in the order of the pass. */
    public List<String> tensors() {
        return List.of(tensors);
    }

    /** The smallest value of tensor {@code k} (+∞ when none). */
    public float min(int k) {
        return min[k];
    }

    /** The largest value of tensor {@code k} (−∞ when none). */
    public float max(int k) {
        return max[k];
    }

    /** Tensor {@code k}'s histogram over all the samples (merged from the halves for AUTO), or null. */
    public TensorHistogram histogram(int k) {
        if (halves[k] != null) {
            return TensorHistogram.merged(halves[k][0], halves[k][1]);
        }
        return histograms[k];
    }

    /** Tensor {@code k}'s histograms of the even and the odd samples (AUTO only, else null). */
    TensorHistogram[] halves(int k) {
        return halves[k];
    }

    /** Each sample's own minimum of tensor {@code k}, or null (not one per sample, or not reported). */
    float[] sampleMin(int k) {
        return sampleMin[k];
    }

    /** Each sample's own maximum of tensor {@code k}, or null. */
    float[] sampleMax(int k) {
        return sampleMax[k];
    }

    /** The largest cell-state magnitude of float LSTM {@code k} (graph order). */
    float cellAbsMax(int k) {
        return cellAbsMax[k];
    }

    /**
     * Whether {@code o} holds the same statistics, value for value (floats compared by their bits, histograms by
     * their counts, window and extremes).
     */
    public boolean sameAs(CalibrationStatistics o) {
        if (first != o.first
                || end != o.end
                || calibrator != o.calibrator
                || keepHistograms != o.keepHistograms
                || !Arrays.equals(tensors, o.tensors)
                || !Arrays.equals(min, o.min)
                || !Arrays.equals(max, o.max)
                || !Arrays.equals(cellAbsMax, o.cellAbsMax)) {
            return false;
        }
        for (int k = 0; k < tensors.length; k++) {
            if (!sameHistogram(histograms[k], o.histograms[k])
                    || (halves[k] == null) != (o.halves[k] == null)
                    || halves[k] != null
                            && !(sameHistogram(halves[k][0], o.halves[k][0])
                                    && sameHistogram(halves[k][1], o.halves[k][1]))
                    || !Arrays.equals(sampleMin[k], o.sampleMin[k])
                    || !Arrays.equals(sampleMax[k], o.sampleMax[k])) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameHistogram(TensorHistogram a, TensorHistogram b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.sameAs(b);
    }
}
