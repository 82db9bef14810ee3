package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Bias absorption (Nagel et al. 2019, "Data-Free Quantization", section 4.1.1), run after
 * {@link CrossLayerEqualization} on the pairs it equalizes: a per-channel constant c moves out of layer A's output
 * into layer B's bias, so A's output tensor (which calibration then ranges per tensor) spans less. With h = A's
 * pre-activation output and r its activation (ReLU or none),
 *
 * <pre>
 * b_A[i] ← b_A[i] − c_i,   b_B[o] ← b_B[o] + Σ_{tap, i} W_B[o, tap, i] · c_i
 * r(h − c) = r(h) − c   when r is none (any c), or r = ReLU and h_i ≥ c_i ≥ 0
 * </pre>
 *
 * so B computes the same wherever that holds. The constants come from the calibration data (the first
 * {@code calibrationSamples} samples, one float pass) rather than from BatchNorm statistics, which are folded away by
 * then. A with ReLU: c_i = max(0, min(p_i, μ_i − 3σ_i)), with μ_i and σ_i the mean and standard deviation of the
 * channel's calibration values (every position of every sample) and p_i the value that 0.135% of them lie below. μ −
 * 3σ is the paper's β − 3γ, estimated; p caps it where the values are not normal, and is 0 for a channel that is 0
 * more often than that. The function stays exact wherever every channel is at or above its constant, which on the
 * calibration data is all but at most 0.135% of each channel's values. The minimum alone (or p alone) is no safe
 * bound on new data: on MLPerf Tiny's AD autoencoder (98 calibration windows, so p is the minimum) the absorbed float
 * model's window MSE on 98 other windows rose 0.15%, against 0.006% with μ − 3σ.
 * A without activation: c_i = the channel's midrange (min + max) / 2, exact for every input, so each channel is
 * centred on 0 and the tensor's range is the widest channel's rather than the union of all. ReLU6 pairs are no CLE
 * pairs (min(h − c, 6 − c) is no ReLU6), so they are never absorbed.
 *
 * <p>Padding: where B reads padding (a CONV_2D or DEPTHWISE_CONV_2D with SAME padding and a kernel wider than 1, or a
 * zero PAD between A and B), the padded values stand for an A output of 0 before absorption and of c after, which no
 * bias can follow. Such pairs are left alone: on MLPerf Tiny's VWW (with the constants then at the 0.135% point
 * alone), absorbing them anyway with B's bias taking the shift of interior positions (the paper) or its average over
 * B's output positions moved the float softmax by up to 0.011 on natural images, 40 times what the exact pairs moved
 * it, for no better per-tensor int8 SQNR (31.9 and 32.6 dB against 32.6 dB).
 */
final class BiasAbsorption {
    private BiasAbsorption() {}

    /** The model with the constants absorbed (the same model when nothing moved) and a report line per pair. */
    record Result(Model model, List<String> lines) {
        Result {
            lines = List.copyOf(lines);
        }
    }

    /**
     * The share of a ReLU channel's calibration values allowed below its constant: Φ(−3) ≈ 0.00135, the mass below
     * β − 3γ (the paper's choice) when the pre-activation is normal with mean β and deviation γ.
     */
    static final double BELOW = 0.00135;

    /**
     * The most low values kept per channel (8 bytes each): beyond about 3 million values per channel the point taken
     * is the 4,097th smallest, below the 0.135% point, so the constant is smaller (safer), never larger.
     */
    private static final int MAX_KEPT = 4096;

    /**
     * A pair A → B and what is measured per output channel of A: its range, and when A has a ReLU (whose constant
     * needs them) the sum and sum of squares of its values and its lowest values (null without activation).
     *
     * @param values the values per channel measured: the samples times the positions of one sample
     */
    private record Pair(
            Op first,
            Op second,
            boolean relu,
            long values,
            double[] min,
            double[] max,
            double[] sum,
            double[] sumSquares,
            LowestValues[] lowest) {
        /** A pair to measure on {@code n} samples. */
        static Pair of(Op a, Op b, int n) {
            int channels = a.output(0).shape().dim(a.output(0).shape().rank() - 1);
            long values = (long) n * (a.output(0).shape().sampleElementCount() / channels);
            double[] min = new double[channels];
            double[] max = new double[channels];
            Arrays.fill(min, Double.POSITIVE_INFINITY);
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
            if (FloatGraphPasses.activationOf(a) != Activation.RELU) {
                return new Pair(a, b, false, values, min, max, null, null, null);
            }
            int k = (int) Math.min(Math.floor(BELOW * values), MAX_KEPT);
            LowestValues[] lowest = new LowestValues[channels];
            Arrays.setAll(lowest, i -> new LowestValues(k));
            return new Pair(a, b, true, values, min, max, new double[channels], new double[channels], lowest);
        }
    }

    /**
     * The k + 1 smallest values seen, in a max-heap: after all values, {@link #top()} is the value at index k of them
     * sorted (the smallest when k = 0).
     */
    private static final class LowestValues {
        private final double[] heap;
        private int size;

        LowestValues(int k) {
            heap = new double[k + 1];
        }

        void add(double v) {
            if (size < heap.length) {
                int i = size++;
                heap[i] = v;
                while (i > 0 && heap[(i - 1) / 2] < heap[i]) {
                    swap(i, (i - 1) / 2);
                    i = (i - 1) / 2;
                }
            } else if (v < heap[0]) {
                heap[0] = v;
                int i = 0;
                while (true) {
                    int l = 2 * i + 1;
                    int r = l + 1;
                    int largest = i;
                    if (l < size && heap[l] > heap[largest]) {
                        largest = l;
                    }
                    if (r < size && heap[r] > heap[largest]) {
                        largest = r;
                    }
                    if (largest == i) {
                        break;
                    }
                    swap(i, largest);
                    i = largest;
                }
            }
        }

        private void swap(int i, int j) {
            double t = heap[i];
            heap[i] = heap[j];
            heap[j] = t;
        }

        /** The largest of the values kept (+∞ before any). */
        double top() {
            return size == 0 ? Double.POSITIVE_INFINITY : heap[0];
        }
    }

    /**
     * Absorbs the per-channel constants of every {@link CrossLayerEqualization} pair of {@code model}, measured on the
     * first {@code config.calibrationSamples()} samples of {@code data}.
     */
    static Result apply(Model model, Dataset data, QuantizationConfig config) {
        List<Op[]> measured = new ArrayList<>();
        // a report line per pair, in the model's order (pairs that stay get theirs after the measurement)
        Map<Op, String> lines = new LinkedHashMap<>();
        for (Op[] ab : CrossLayerEqualization.pairs(model)) {
            Op a = ab[0];
            Op b = ab[1];
            if (readsPadding(model, a, b)) {
                lines.put(
                        a,
                        String.format(
                                Locale.ROOT,
                                "%s -> %s: not absorbed (%s reads zero padding, which would stand for c)",
                                QuantizationReport.shorten(a.origin().layerName()),
                                QuantizationReport.shorten(b.origin().layerName()),
                                QuantizationReport.shorten(b.origin().layerName())));
                continue;
            }
            measured.add(ab);
            lines.put(a, null);
        }
        if (measured.isEmpty()) {
            return new Result(model, List.copyOf(lines.values()));
        }
        // the calibration's own checks (data not empty, samples that fit the input) before the float pass
        int n = MinMaxCalibrator.sampleCount(model, data, config.calibrationSamples());
        List<Pair> pairs = new ArrayList<>();
        for (Op[] ab : measured) {
            pairs.add(Pair.of(ab[0], ab[1], n));
        }
        CalibrationBatches.run(model, data, n, config.calibrationThreads(), (it, s, count) -> {
            for (Pair p : pairs) {
                float[] v = (float[]) it.readTensor(p.first.output(0));
                int channels = p.min.length;
                for (int e = 0; e < v.length; e++) {
                    int c = e % channels;
                    p.min[c] = Math.min(p.min[c], v[e]);
                    p.max[c] = Math.max(p.max[c], v[e]);
                    if (p.relu) {
                        p.lowest[c].add(v[e]);
                        p.sum[c] += v[e];
                        p.sumSquares[c] += v[e] * (double) v[e];
                    }
                }
            }
        });
        Map<Op, float[]> biases = new IdentityHashMap<>();
        boolean moved = false;
        for (Pair p : pairs) {
            boolean relu = p.relu;
            int channels = p.min.length;
            double[] c = new double[channels];
            int absorbed = 0;
            double largest = 0;
            for (int i = 0; i < channels; i++) {
                if (!Double.isFinite(p.min[i]) || !Double.isFinite(p.max[i])) {
                    continue;
                }
                c[i] = relu ? reluConstant(p, i) : (p.min[i] + p.max[i]) / 2;
                if ((float) c[i] != 0) {
                    absorbed++;
                    largest = Math.abs(c[i]) > Math.abs(largest) ? c[i] : largest;
                }
            }
            if (absorbed > 0) {
                float[] bA = biases.computeIfAbsent(p.first, BiasAbsorption::biasOf);
                for (int i = 0; i < channels; i++) {
                    bA[i] = (float) (bA[i] - c[i]);
                }
                float[] bB = biases.computeIfAbsent(p.second, BiasAbsorption::biasOf);
                double[] shift = shift(p.second, c);
                for (int o = 0; o < bB.length; o++) {
                    bB[o] = (float) (bB[o] + shift[o]);
                }
                moved = true;
            }
            lines.put(
                    p.first,
                    String.format(
                            Locale.ROOT,
                            "%s -> %s: %d of %d channels absorbed (%s), largest c %.4g",
                            QuantizationReport.shorten(p.first.origin().layerName()),
                            QuantizationReport.shorten(p.second.origin().layerName()),
                            absorbed,
                            channels,
                            relu ? "ReLU: min(0.135% point, mean - 3 sd)" : "no activation: channel midrange",
                            largest));
        }
        if (!moved) {
            return new Result(model, List.copyOf(lines.values()));
        }
        List<Op> ops = new ArrayList<>();
        for (Op op : model.ops()) {
            float[] b = biases.get(op);
            if (b == null) {
                ops.add(op);
                continue;
            }
            List<Tensor> ins = new ArrayList<>(op.inputs());
            Tensor bias = op.inputs().size() > 2
                    ? new Tensor(
                            op.input(2).name(),
                            op.input(2).shape(),
                            op.input(2).dtype(),
                            TensorData.ofFloats(b),
                            null,
                            op.input(2).trainable())
                    : Tensor.constant(op.name() + "/absorbed_bias", Shape.of(b.length), b);
            if (ins.size() > 2) {
                ins.set(2, bias);
            } else {
                ins.add(bias);
            }
            ops.add(new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
        }
        return new Result(
                new Model(model.name(), model.inputs(), model.outputs(), ops, model.metadata()),
                List.copyOf(lines.values()));
    }

    /**
     * A ReLU channel's constant: max(0, min(p, μ − 3σ)), p its {@link #BELOW} point and μ, σ the mean and standard
     * deviation of its calibration values.
     */
    private static double reluConstant(Pair p, int i) {
        double low = p.lowest[i].top();
        long n = p.values;
        double mean = p.sum[i] / n;
        double variance = Math.max(0, p.sumSquares[i] / n - mean * mean);
        return Math.max(0, Math.min(low, mean - 3 * Math.sqrt(variance)));
    }

    /** A copy of {@code op}'s bias, or zeros when it has none. */
    private static float[] biasOf(Op op) {
        if (op.inputs().size() > 2) {
            return op.input(2).data().floats().clone();
        }
        int[] dims = op.input(1).shape().dims();
        return new float[op.type() == OpType.DEPTHWISE_CONV_2D ? dims[3] : dims[0]];
    }

    /**
     * Whether B reads padding rather than A's output anywhere: B is a convolution whose SAME padding or a zero PAD
     * before it puts a kernel tap outside A's output at some output position (or whose spatial sizes are unknown).
     */
    private static boolean readsPadding(Model model, Op a, Op b) {
        if (b.type() == OpType.FULLY_CONNECTED) {
            return false;
        }
        int[] aDims = a.output(0).shape().dims();
        int[] bDims = b.input(0).shape().dims();
        if (aDims.length != 4
                || bDims.length != 4
                || aDims[1] <= 0
                || aDims[2] <= 0
                || bDims[1] <= 0
                || bDims[2] <= 0) {
            return true;
        }
        // A's output sits at rows [top, top + height) and columns [left, left + width) of B's input
        int top = 0;
        int left = 0;
        if (b.input(0) != a.output(0)) {
            int[][] paddings =
                    model.producer(b.input(0)).attrs(OpAttributes.Pad.class).paddings();
            top = paddings[1][0];
            left = paddings[2][0];
        }
        int[] wd = b.input(1).shape().dims();
        OpAttributes.Convolution conv = (OpAttributes.Convolution) b.attributes();
        return !inside(conv.padding(), bDims[1], wd[1], conv.strideH(), conv.dilationH(), top, aDims[1])
                || !inside(conv.padding(), bDims[2], wd[2], conv.strideW(), conv.dilationW(), left, aDims[2]);
    }

    /**
     * Whether along one axis every kernel tap, at every output position, reads an index in [first, first + length)
     * of B's input.
     */
    private static boolean inside(Padding padding, int in, int k, int stride, int dilation, int first, int length) {
        int out = padding.outputSize(in, k, stride, dilation);
        int before = padding.padBefore(in, k, stride, dilation);
        for (int t = 0; t < k; t++) {
            for (int p = 0; p < out; p++) {
                int index = p * stride - before + t * dilation;
                if (index < first || index >= first + length) {
                    return false;
                }
            }
        }
        return true;
    }

    /** B's bias shift Σ_{tap, i} W_B[o, tap, i] · c_i. */
    private static double[] shift(Op b, double[] c) {
        float[] w = b.input(1).data().floats();
        int[] wd = b.input(1).shape().dims();
        int channels = wd[wd.length - 1];
        boolean depthwise = b.type() == OpType.DEPTHWISE_CONV_2D;
        double[] s = new double[depthwise ? channels : wd[0]];
        int perOutput = w.length / wd[0];
        for (int e = 0; e < w.length; e++) {
            int i = e % channels;
            int o = depthwise ? i : e / perOutput;
            s[o] += w[e] * c[i];
        }
        return s;
    }
}
