package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Observes activation ranges: runs the float model over calibration samples, in one pass, and records for the
 * graph inputs and every op output the minimum and maximum real value seen over all samples (TFLite's default
 * min/max calibration, without averaging); for LSTM ops also the largest magnitude of the cell state. With a
 * {@link Calibrator} that reads histograms, it also fills a {@link TensorHistogram} (bounded memory) per tensor whose
 * own range sets its parameters ({@link #CLIPPABLE}), and lets the calibrator choose that range; other tensors keep
 * min/max: the outputs of ops whose parameters are fixed or inherited from their input ({@link #RANGE_UNUSED}, not
 * reported), CONCATENATION and PACK (TFLite's converter gives them the range of all their inputs), MINIMUM and
 * MAXIMUM (one set of parameters over their inputs and output), LSTM outputs, the ops a fallback leaves in float and
 * those not listed.
 */
public final class MinMaxCalibrator {
    private MinMaxCalibrator() {}

    /**
     * Ops whose output range, as calibrated, sets the output's parameters and may be clipped: the weighted layers
     * (TRANSPOSE_CONV and BATCH_MATMUL as CONV_2D and FULLY_CONNECTED), the activations with calibrated outputs,
     * the arithmetic ops and the mean and sum reductions.
     */
    private static final Set<OpType> CLIPPABLE = EnumSet.of(
            OpType.FULLY_CONNECTED,
            OpType.CONV_2D,
            OpType.DEPTHWISE_CONV_2D,
            OpType.TRANSPOSE_CONV,
            OpType.BATCH_MATMUL,
            OpType.MEAN,
            OpType.SUM,
            OpType.RELU,
            OpType.RELU6,
            OpType.LEAKY_RELU,
            OpType.RELU_N1_TO_1,
            OpType.RELU_0_TO_1,
            OpType.HARD_SWISH,
            OpType.ELU,
            OpType.GELU,
            OpType.PRELU,
            OpType.ADD,
            OpType.SUB,
            OpType.MUL);

    /**
     * Ops whose output parameters do not depend on the output's calibrated range: fixed (SOFTMAX, LOGISTIC, TANH,
     * LOG_SOFTMAX, L2_NORMALIZATION) or the input's (the ops that move, select, pad or resample stored values, and
     * REDUCE_MAX, REDUCE_MIN), as {@link FullIntegerRewriter} gives them.
     */
    private static final Set<OpType> RANGE_UNUSED = EnumSet.of(
            OpType.SOFTMAX,
            OpType.LOGISTIC,
            OpType.TANH,
            OpType.LOG_SOFTMAX,
            OpType.L2_NORMALIZATION,
            OpType.MAX_POOL_2D,
            OpType.AVERAGE_POOL_2D,
            OpType.RESHAPE,
            OpType.PAD,
            OpType.PADV2,
            OpType.MIRROR_PAD,
            OpType.TRANSPOSE,
            OpType.STRIDED_SLICE,
            OpType.SLICE,
            OpType.SQUEEZE,
            OpType.EXPAND_DIMS,
            OpType.TILE,
            OpType.BROADCAST_TO,
            OpType.DEPTH_TO_SPACE,
            OpType.SPACE_TO_DEPTH,
            OpType.REVERSE_V2,
            OpType.SPACE_TO_BATCH_ND,
            OpType.BATCH_TO_SPACE_ND,
            OpType.SPLIT,
            OpType.SPLIT_V,
            OpType.UNPACK,
            OpType.GATHER,
            OpType.GATHER_ND,
            OpType.RESIZE_BILINEAR,
            OpType.RESIZE_NEAREST_NEIGHBOR,
            OpType.REDUCE_MAX,
            OpType.REDUCE_MIN);

    /**
     * Min/max calibration.
     *
     * @param samples how many samples of {@code data} to use (the first ones)
     * @throws QuantaException when the data is empty or does not fit the model's input
     */
    public static Calibration calibrate(Model model, Dataset data, int samples, int threads) {
        return calibrate(model, data, samples, threads, Calibrator.MINMAX, 100, Calibrator.Target.INT8);
    }

    /**
     * Calibration with the calibrator, percentile and activation grid of a full-integer {@code config}, on its
     * number of samples and threads.
     */
    static Calibration calibrate(Model model, Dataset data, QuantizationConfig config, boolean keepHistograms) {
        return calibrate(
                model,
                data,
                config.calibrationSamples(),
                config.calibrationThreads(),
                config.calibrator(),
                config.percentile(),
                Calibrator.Target.of(config),
                keepHistograms);
    }

    /**
     * @param samples how many samples of {@code data} to use (the first ones)
     * @param percentile for {@link Calibrator#PERCENTILE}, in (50, 100]
     * @param target the activation grid the ranges are chosen for
     * @throws QuantaException when the data is empty or does not fit the model's input
     */
    public static Calibration calibrate(
            Model model,
            Dataset data,
            int samples,
            int threads,
            Calibrator calibrator,
            double percentile,
            Calibrator.Target target) {
        return calibrate(model, data, samples, threads, calibrator, percentile, target, false);
    }

    /**
     * As above; with {@code keepHistograms}, every {@link TensorCalibration} whose range the calibrator chose
     * carries its {@link TensorHistogram} (for reports), min/max calibration included: its ranges stay the observed
     * minimum and maximum, the histograms are only collected.
     */
    public static Calibration calibrate(
            Model model,
            Dataset data,
            int samples,
            int threads,
            Calibrator calibrator,
            double percentile,
            Calibrator.Target target,
            boolean keepHistograms) {
        return calibrateBoth(model, data, samples, threads, calibrator, percentile, target, keepHistograms)
                .chosen();
    }

    /**
     * What {@link Calibrator#AUTO}'s calibration also yields, for {@link HeldOutSearch} to choose between its
     * per-tensor choices and min/max on the whole network (for another calibrator {@code minmax} is null and the
     * maps are empty).
     *
     * @param chosen the calibration with each tensor's range chosen by the calibrator
     * @param minmax the same pass's calibration with every range min/max over all the samples (AUTO only)
     * @param evenMinmax per tensor whose range AUTO chose: min/max over the even calibration samples alone
     * @param evenChosen per such tensor: the range its chosen calibrator gives on the even samples alone
     */
    record Both(
            Calibration chosen,
            Calibration minmax,
            Map<Tensor, TensorRange> evenMinmax,
            Map<Tensor, TensorRange> evenChosen) {}

    /** As {@link #calibrate(Model, Dataset, QuantizationConfig, boolean)}, with AUTO's min/max alternative. */
    static Both calibrateBoth(Model model, Dataset data, QuantizationConfig config, boolean keepHistograms) {
        return calibrateBoth(
                model,
                data,
                config.calibrationSamples(),
                config.calibrationThreads(),
                config.calibrator(),
                config.percentile(),
                Calibrator.Target.of(config),
                keepHistograms);
    }

    private static Both calibrateBoth(
            Model model,
            Dataset data,
            int samples,
            int threads,
            Calibrator calibrator,
            double percentile,
            Calibrator.Target target,
            boolean keepHistograms) {
        int n = sampleCount(model, data, samples);
        CalibrationStatistics stats =
                CalibrationStatistics.collect(model, data, 0, n, threads, calibrator, keepHistograms);
        return calibrateBoth(model, stats, data.size(), threads, percentile, target);
    }

    /**
     * How many calibration samples are used: the first {@code samples} of {@code data}, at most all.
     *
     * @throws QuantaException when the data is empty or does not fit the model's input
     */
    static int sampleCount(Model model, Dataset data, int samples) {
        checkOneInput(model);
        int n = Math.min(samples, data.size());
        if (n <= 0) {
            throw new QuantaException(data.name() + ": the calibration set is empty");
        }
        checkSampleSize(model, data);
        return n;
    }

    /** Refuses a model of several inputs, or samples of another size than its input's. */
    static void checkInput(Model model, Dataset data) {
        checkOneInput(model);
        checkSampleSize(model, data);
    }

    private static void checkOneInput(Model model) {
        if (model.inputs().size() != 1) {
            throw new QuantaException("model '" + model.name() + "' has "
                    + model.inputs().size() + " inputs; calibration takes models with one input");
        }
    }

    private static void checkSampleSize(Model model, Dataset data) {
        Tensor input = model.inputs().get(0);
        int sampleSize = input.shape().sampleElementCount();
        if (data.sampleSize() != sampleSize) {
            throw new QuantaException(data.name() + ": calibration samples have shape "
                    + Arrays.toString(data.sampleShape()) + " (" + data.sampleSize() + " values) but model input '"
                    + input.name() + "' takes " + input.shape() + " (" + sampleSize + " values per sample)");
        }
    }

    /**
     * The tensors a calibration pass observes, in order: the float graph inputs, then every float op output; per
     * tensor, the method reported ({@code calibrator}'s name, {@code "minmax (OP)"}, or null when its range is not
     * used); and the float LSTM ops whose cell state is observed.
     */
    record Plan(List<Tensor> observed, List<String> methods, List<Op> lstms) {}

    static Plan plan(Model model, Calibrator calibrator) {
        // float inputs only: an INT32 input (token ids) is not quantized
        List<Tensor> observed = new ArrayList<>(
                model.inputs().stream().filter(t -> t.dtype() == DType.FLOAT32).toList());
        List<String> methods = new ArrayList<>();
        for (int k = 0; k < observed.size(); k++) {
            methods.add(calibrator.cliName());
        }
        for (Op op : model.ops()) {
            for (Tensor t : op.outputs()) {
                if (t.dtype() == DType.FLOAT32) {
                    observed.add(t);
                    methods.add(
                            CLIPPABLE.contains(op.type())
                                    ? calibrator.cliName()
                                    : RANGE_UNUSED.contains(op.type()) ? null : "minmax (" + op.type() + ")");
                }
            }
        }
        List<Op> lstms = model.ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM
                        && o.input(0).dtype() == DType.FLOAT32)
                .toList();
        return new Plan(observed, methods, lstms);
    }

    /**
     * The calibration of {@code model} from statistics of its first samples ({@link CalibrationStatistics}, from one
     * pass or merged from partitions): the calibrator, percentile and grid of {@code config}.
     *
     * @param available how many samples the calibration dataset holds (for the warnings)
     * @throws QuantaException when the statistics were not collected on this model, from sample 0, for this
     *     calibrator
     */
    static Both calibrateBoth(Model model, CalibrationStatistics stats, int available, QuantizationConfig config) {
        if (stats.calibrator() != config.calibrator()) {
            throw new QuantaException("calibration statistics were collected for calibrator "
                    + stats.calibrator().cliName() + ", not "
                    + config.calibrator().cliName());
        }
        return calibrateBoth(
                model,
                stats,
                available,
                config.calibrationThreads(),
                config.percentile(),
                Calibrator.Target.of(config));
    }

    private static Both calibrateBoth(
            Model model,
            CalibrationStatistics stats,
            int available,
            int threads,
            double percentile,
            Calibrator.Target target) {
        Calibrator calibrator = stats.calibrator();
        boolean keepHistograms = stats.keepsHistograms();
        Plan plan = plan(model, calibrator);
        List<Tensor> observed = plan.observed();
        List<String> methods = plan.methods();
        List<Op> lstms = plan.lstms();
        int n = stats.end();
        if (stats.first() != 0
                || n <= 0
                || !stats.tensors().equals(observed.stream().map(Tensor::name).toList())) {
            throw new QuantaException("calibration statistics of samples [" + stats.first() + ", " + n
                    + ") do not fit model '" + model.name() + "': they must start at sample 0 and observe its "
                    + observed.size() + " float tensors");
        }
        TensorHistogram[] histograms = new TensorHistogram[observed.size()];
        TensorHistogram[][] halves = new TensorHistogram[observed.size()][];
        float[] min = new float[observed.size()];
        float[] max = new float[observed.size()];
        float[][] sampleMin = new float[observed.size()][];
        float[][] sampleMax = new float[observed.size()][];
        for (int k = 0; k < observed.size(); k++) {
            histograms[k] = stats.histogram(k);
            halves[k] = stats.halves(k);
            min[k] = stats.min(k);
            max[k] = stats.max(k);
            sampleMin[k] = stats.sampleMin(k);
            sampleMax[k] = stats.sampleMax(k);
        }
        float[] cellAbsMax = new float[lstms.size()];
        for (int k = 0; k < lstms.size(); k++) {
            cellAbsMax[k] = stats.cellAbsMax(k);
        }
        // each tensor's range is chosen from its own histograms alone: on the calibration threads
        Calibrator.AutoChoice[] autoChoices = new Calibrator.AutoChoice[observed.size()];
        TensorRange[] chosenRanges = new TensorRange[observed.size()];
        IntStream each = IntStream.range(0, observed.size());
        (threads > 1 ? each.parallel() : each).forEach(k -> {
            TensorHistogram h = histograms[k];
            if (h == null || h.total() == 0 || !calibrator.usesHistogram()) {
                return;
            }
            Calibrator by = calibrator;
            if (halves[k] != null) {
                TensorHistogram a = halves[k][0];
                TensorHistogram b = halves[k][1].total() > 0 ? halves[k][1] : a;
                autoChoices[k] = Calibrator.autoChoose(a, b, target, percentile);
                by = autoChoices[k].by();
            }
            chosenRanges[k] = by.choose(h, target, percentile);
        });
        Map<Tensor, TensorRange> ranges = new IdentityHashMap<>();
        List<TensorCalibration> tensors = new ArrayList<>();
        boolean auto = calibrator == Calibrator.AUTO;
        Map<Tensor, TensorRange> minmaxRanges = new IdentityHashMap<>();
        List<TensorCalibration> minmaxTensors = new ArrayList<>();
        Map<Tensor, TensorRange> evenMinmax = new IdentityHashMap<>();
        Map<Tensor, TensorRange> evenChosen = new IdentityHashMap<>();
        for (int k = 0; k < observed.size(); k++) {
            TensorRange seen = new TensorRange(min[k], max[k]);
            TensorRange chosen = seen;
            double clipped = 0;
            TensorHistogram h = histograms[k];
            String method = methods.get(k);
            String minmaxMethod = method;
            if (h != null && h.total() > 0 && calibrator.usesHistogram()) {
                if (halves[k] != null) {
                    TensorHistogram a = halves[k][0];
                    Calibrator.AutoChoice choice = autoChoices[k];
                    method = calibrator.cliName() + ": " + choice.by().cliName();
                    minmaxMethod = calibrator.cliName() + ": " + Calibrator.MINMAX.cliName();
                    if (a.total() > 0) {
                        evenMinmax.put(observed.get(k), Calibrator.MINMAX.choose(a, target, percentile));
                        evenChosen.put(observed.get(k), choice.onFirst());
                    }
                }
                chosen = chosenRanges[k];
                double lo = Math.min(chosen.min(), 0);
                double hi = Math.max(chosen.max(), 0);
                if (target.symmetric()) {
                    hi = chosen.absMax();
                    lo = -hi;
                }
                clipped = h.fractionOutside(lo, hi);
            }
            ranges.put(observed.get(k), chosen);
            minmaxRanges.put(observed.get(k), seen);
            if (method != null) {
                TensorCalibration.Coverage coverage =
                        sampleMax[k] == null ? null : coverage(sampleMin[k], sampleMax[k], chosen, target);
                tensors.add(new TensorCalibration(
                        observed.get(k).name(), method, seen, chosen, clipped, keepHistograms ? h : null, coverage));
                if (auto) {
                    TensorCalibration.Coverage seenCoverage =
                            sampleMax[k] == null ? null : coverage(sampleMin[k], sampleMax[k], seen, target);
                    minmaxTensors.add(new TensorCalibration(
                            observed.get(k).name(),
                            minmaxMethod,
                            seen,
                            seen,
                            0,
                            keepHistograms ? h : null,
                            seenCoverage));
                }
            }
        }
        Map<Op, TensorRange> cells = new IdentityHashMap<>();
        for (int k = 0; k < lstms.size(); k++) {
            cells.put(lstms.get(k), new TensorRange(-cellAbsMax[k], cellAbsMax[k]));
        }
        Calibration result = new Calibration(ranges, cells, calibrator, tensors, warnings(tensors, n, available));
        Calibration minmax = auto
                ? new Calibration(minmaxRanges, cells, calibrator, minmaxTensors, warnings(minmaxTensors, n, available))
                : null;
        return new Both(result, minmax, evenMinmax, evenChosen);
    }

    /** Below this many calibration samples {@code quantize} warns (TFLite's guidance is about 100 to 500). */
    static final int ADVISED_SAMPLES = 100;

    /**
     * How many samples reach each end of {@code chosen}: those whose own extreme lies within one step of the
     * {@code target} grid (over the range widened to contain 0, as quantization widens it) of that end.
     */
    static TensorCalibration.Coverage coverage(
            float[] sampleMin, float[] sampleMax, TensorRange chosen, Calibrator.Target target) {
        double lo = Math.min(chosen.min(), 0);
        double hi = Math.max(chosen.max(), 0);
        if (target.symmetric()) {
            hi = chosen.absMax();
            lo = -hi;
        }
        double step = (hi - lo) / (target.qmax() - target.qmin());
        int atMax = 0;
        int atMin = 0;
        float nextMax = Float.NaN;
        float nextMin = Float.NaN;
        for (int i = 0; i < sampleMax.length; i++) {
            if (chosen.max() > 0) {
                if (sampleMax[i] >= chosen.max() - step) {
                    atMax++;
                } else if (Float.isNaN(nextMax) || sampleMax[i] > nextMax) {
                    nextMax = sampleMax[i];
                }
            }
            if (chosen.min() < 0) {
                if (sampleMin[i] <= chosen.min() + step) {
                    atMin++;
                } else if (Float.isNaN(nextMin) || sampleMin[i] < nextMin) {
                    nextMin = sampleMin[i];
                }
            }
        }
        return new TensorCalibration.Coverage(sampleMax.length, atMax, nextMax, atMin, nextMin);
    }

    /**
     * The calibration set's warnings: fewer than {@link #ADVISED_SAMPLES} samples used; and per tensor, a range
     * end (the maximum, or a negative minimum) reached by fewer than max(2, 1% of the samples) samples.
     *
     * @param used the samples calibrated on
     * @param available the samples of the dataset
     */
    static List<String> warnings(List<TensorCalibration> tensors, int used, int available) {
        List<String> lines = new ArrayList<>();
        if (used < ADVISED_SAMPLES) {
            lines.add(
                    used == available
                            ? "calibrated on " + used
                                    + " samples, all the dataset holds; about 100 to 500 representative"
                                    + " samples are advised"
                            : "calibrated on " + used
                                    + " samples; about 100 to 500 representative samples are advised");
        }
        if (used < 2) {
            return lines;
        }
        double few = Math.max(2, 0.01 * used);
        for (TensorCalibration t : tensors) {
            TensorCalibration.Coverage c = t.coverage();
            if (c == null) {
                continue;
            }
            if (t.chosen().max() > 0 && c.atMax() < few && !Float.isNaN(c.nextMax())) {
                lines.add(fewSamples(t.tensor(), "max", t.chosen().max(), c.atMax(), used, c.nextMax()));
            }
            if (t.chosen().min() < 0 && c.atMin() < few && !Float.isNaN(c.nextMin())) {
                lines.add(fewSamples(t.tensor(), "min", t.chosen().min(), c.atMin(), used, c.nextMin()));
            }
        }
        return lines;
    }

    private static String fewSamples(String tensor, String end, float value, int count, int used, float next) {
        return String.format(
                Locale.ROOT,
                "the %s %.6g of tensor '%s' is reached by %d of %d calibration samples (the next sample's %s is"
                        + " %.6g); the range may rest on an outlier",
                end,
                value,
                tensor,
                count,
                used,
                end,
                next);
    }
}
