package dev.quanta.eval;

import dev.quanta.Notice;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.InputNormalization;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.quantize.QuantMath;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether evaluation data is what a model's input expects: preprocessed as the model records
 * ({@link #preprocessing}), and within the quantized range of the input ({@link #measure}), which is where data
 * scaled differently from the calibration data shows.
 *
 * <p>The range check. The input's range is that of its integer type: an integer input's own, or for float I/O
 * the QUANTIZE that takes the float input. With {@code q = round(x / scale) + zeroPoint}:
 *
 * <pre>
 *   saturated share = #{x : q &lt; qmin or q &gt; qmax} / #x
 *   used share      = |[min x, max x] ∩ [lo, hi]| / (hi − lo),   lo = scale·(qmin − zp), hi = scale·(qmax − zp)
 * </pre>
 *
 * A saturated share above {@value #SATURATED_SHARE} or a used share below {@value #USED_SHARE} gives a
 * {@link Notice} that names the share, both ranges and the likely missing preprocessing.
 */
public final class InputChecks {
    private InputChecks() {}

    /** Warn when more of the values than this lie beyond the input's range. */
    public static final double SATURATED_SHARE = 0.02;
    /** Warn when the data spans less of the input's range than this. */
    public static final double USED_SHARE = 0.05;

    /**
     * What the data does to the quantized input.
     *
     * @param tensor the tensor whose range is checked (the input, or its QUANTIZE's output)
     * @param lo smallest real value the tensor holds
     * @param hi largest real value the tensor holds
     * @param min smallest data value
     * @param max largest data value
     * @param saturated share of data values beyond the range
     * @param used share of the range that {@code [min, max]} covers
     */
    public record Result(Tensor tensor, double lo, double hi, double min, double max, double saturated, double used) {}

    /** The check of {@code data} against {@code model}'s first input, or null when that input is not quantized. */
    public static Result measure(Model model, Dataset data) {
        return measure(model, tally(model, data));
    }

    /**
     * What the range check counts of some samples' values: how many, how many quantize beyond the input's integer
     * range, their least and greatest. Tallies of any split of the samples {@link #plus add} up to the tally of all,
     * exactly (counts add, min and max are taken again), so that a cluster's tasks each tally their range.
     *
     * @param values number of values counted
     * @param beyond those with {@code round(x / scale) + zeroPoint} outside {@code [qmin, qmax]}
     * @param min least value (+∞ for none)
     * @param max greatest value (−∞ for none)
     */
    public record Tally(long values, long beyond, float min, float max) implements java.io.Serializable {
        /** The tally of no values. */
        public static final Tally NONE = new Tally(0, 0, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);

        /** The tally of this tally's values and {@code other}'s. */
        public Tally plus(Tally other) {
            return new Tally(
                    values + other.values, beyond + other.beyond, Math.min(min, other.min), Math.max(max, other.max));
        }
    }

    /**
     * The {@link Tally} of every value of {@code data} against {@code model}'s quantized first input, or null when
     * that input is not quantized.
     */
    public static Tally tally(Model model, Dataset data) {
        Grid g = Grid.of(model);
        if (g == null) {
            return null;
        }
        double scale = g.scale();
        long zp = g.zeroPoint();
        long qmin = g.qmin();
        long qmax = g.qmax();
        float[] x = data.features();
        long beyond = 0;
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            long level = QuantMath.round(v / scale) + zp;
            if (level < qmin || level > qmax) {
                beyond++;
            }
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return new Tally(x.length, beyond, min, max);
    }

    /**
     * The quantization grid of {@code input}, a model's quantized first input: value {@code v} lands on level
     * {@code round(v / scale) + zeroPoint}, which the type holds when {@code qmin ≤ level ≤ qmax}.
     */
    private record Grid(Tensor input, double scale, long zeroPoint, long qmin, long qmax) {
        /** The grid of {@code model}'s first input, or null when that input is not quantized. */
        static Grid of(Model model) {
            Tensor q = quantizedInput(model);
            if (q == null) {
                return null;
            }
            QuantParams p = q.quant();
            return new Grid(
                    q, p.scale(), p.zeroPoint(), InputQuantizer.qmin(q.dtype()), InputQuantizer.qmax(q.dtype()));
        }
    }

    /** The check of values tallied as {@code tally} against {@code model}'s first input; null without values. */
    private static Result measure(Model model, Tally tally) {
        Grid g = Grid.of(model);
        if (g == null || tally == null || tally.values() == 0) {
            return null;
        }
        double scale = g.scale();
        long zp = g.zeroPoint();
        long qmin = g.qmin();
        long qmax = g.qmax();
        float min = tally.min();
        float max = tally.max();
        double lo = scale * (qmin - zp);
        double hi = scale * (qmax - zp);
        double covered = Math.max(0, Math.min(max, hi) - Math.max(min, lo));
        return new Result(g.input(), lo, hi, min, max, (double) tally.beyond() / tally.values(), covered / (hi - lo));
    }

    /**
     * A notice when {@code data} went through another preprocessing than the one {@code model} records for its
     * input (the preprocessing of its calibration data, in a file Quanta wrote); null when they agree or either is
     * unknown.
     */
    public static Notice preprocessing(Model model, Dataset data) {
        InputNormalization recorded = model.metadata().inputNormalization();
        if (recorded == null || data.preprocessing() == null) {
            return null;
        }
        InputNormalization given = data.preprocessing().normalization();
        if (given.equals(recorded)) {
            return null;
        }
        String source = model.metadata().source() != null ? model.metadata().source() : "model '" + model.name() + "'";
        return new Notice("the data was preprocessed as x = " + given + ", but " + source + " records x = " + recorded
                + " for its input (its calibration data's preprocessing); give no {PREPROCESSING} to use the recorded "
                + "one");
    }

    /**
     * Notices for {@code data} on {@code model}: a preprocessing other than the recorded one, values that saturate
     * the quantized input, or that use a sliver of its range; none when the data fits.
     */
    public static List<Notice> check(Model model, Dataset data) {
        return check(model, data, tally(model, data));
    }

    /**
     * {@link #check(Model, Dataset)} of data of which {@code sample} is a part (its preprocessing is the data's) and
     * {@code tally} the tally of all values ({@link Tally#plus} of the parts' tallies; null when the input is not
     * quantized): the same notices, for data no machine holds whole (issue 13).
     */
    public static List<Notice> check(Model model, Dataset sample, Tally tally) {
        List<Notice> out = new ArrayList<>();
        Notice preprocessing = preprocessing(model, sample);
        if (preprocessing != null) {
            out.add(preprocessing);
        }
        Result r = measure(model, tally);
        if (r == null) {
            return out;
        }
        String input =
                "input '" + r.tensor().name() + "' (" + r.tensor().dtype().lowerName() + ")";
        String ranges = String.format(
                Locale.ROOT,
                "the data spans [%s, %s], the %s holds [%s, %s]",
                num(r.min()),
                num(r.max()),
                input,
                num(r.lo()),
                num(r.hi()));
        if (r.saturated() > SATURATED_SHARE) {
            double ratio = (r.max() - r.min()) / (r.hi() - r.lo());
            out.add(new Notice(
                    String.format(Locale.ROOT, "%.1f%% of the input values saturate: %s", 100 * r.saturated(), ranges)
                            + (ratio >= 4 ? "; a missing {INPUT_SCALE} " + factor(1 / ratio) + "?" : "")));
        }
        if (r.used() < USED_SHARE) {
            double ratio = (r.hi() - r.lo()) / Math.max(r.max() - r.min(), Double.MIN_NORMAL);
            out.add(new Notice(String.format(
                            Locale.ROOT,
                            "the input values use only %.1f%% of the input's range: %s",
                            100 * r.used(),
                            ranges)
                    + (ratio >= 4 && r.max() > r.min()
                            ? "; data scaled by " + factor(1 / ratio) + " that the model was not calibrated with (a "
                                    + "{INPUT_SCALE} too many, or one missing at calibration)?"
                            : "")));
        }
        return out;
    }

    /** A factor as a fraction when it is close to 1/n for a whole or half n (1/255, 1/127.5), else a number. */
    static String factor(double f) {
        double inverse = 1 / f;
        double half = Math.rint(inverse * 2) / 2;
        if (inverse >= 2 && Math.abs(inverse - half) <= 0.02 * inverse) {
            return "1/" + num(half);
        }
        return num(f);
    }

    /** Four significant digits without trailing zeros: {@code 255}, {@code 1}, {@code 0.003922}. */
    private static String num(double v) {
        return new java.math.BigDecimal(v)
                .round(new java.math.MathContext(4))
                .stripTrailingZeros()
                .toPlainString();
    }

    /** The integer tensor holding input 0's values: the input itself, or for float I/O its QUANTIZE's output. */
    static Tensor quantizedInput(Model model) {
        Tensor in = model.inputs().get(0);
        if (in.quant() != null && in.dtype() != DType.FLOAT32 && in.quant().isPerTensor()) {
            return in;
        }
        if (in.dtype() != DType.FLOAT32) {
            return null;
        }
        for (Op op : model.ops()) {
            if (op.type() == OpType.QUANTIZE
                    && op.input(0) == in
                    && op.output(0).quant() != null
                    && op.output(0).quant().isPerTensor()) {
                return op.output(0);
            }
        }
        return null;
    }
}
