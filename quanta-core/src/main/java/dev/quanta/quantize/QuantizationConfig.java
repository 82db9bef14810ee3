package dev.quanta.quantize;

import dev.quanta.runtime.Interpreter;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a {@link Converter} does, immutable: start from {@link #defaults()} and change one setting per wither, which
 * refuses a value out of range with an {@link IllegalArgumentException} naming the setting ("QuantizationConfig
 * calibrationThreads"). Settings that only conflict together (asymmetric with dynamic range, int8 I/O without a
 * full-integer mode, ...) are refused by {@link Converter#convert()}, which also knows the model and the data.
 *
 * <pre>{@code
 * QuantizationConfig int8 = QuantizationConfig.defaults().withMode(QuantizationMode.INT8).withIo(IoType.INT8);
 * }</pre>
 */
public final class QuantizationConfig {
    private static final QuantizationConfig DEFAULTS = new QuantizationConfig(
            null,
            QuantizationScheme.SYMMETRIC,
            Granularity.PER_CHANNEL,
            IoType.FLOAT,
            100,
            1,
            false,
            false,
            Calibrator.MINMAX,
            99.99,
            false,
            false,
            false,
            Set.of(),
            false,
            false);

    private final QuantizationMode mode;
    private final QuantizationScheme scheme;
    private final Granularity granularity;
    private final IoType io;
    /** {@link #calibrationSamples()}. */
    private final int samples;
    /** {@link #calibrationThreads()}. */
    private final int threads;
    /** {@link #allowFloatFallback()}. */
    private final boolean fallback;

    private final boolean perChannelDense;
    private final Calibrator calibrator;
    /** {@link #percentile()}. */
    private final double percentile;
    /** {@link #crossLayerEqualization()}. */
    private final boolean equalize;
    /** {@link #biasCorrection()}. */
    private final boolean biasCorrection;
    /** {@link #rangeSearch()}. */
    private final boolean rangeSearch;
    /** {@link #floatLayers()}. */
    private final Set<String> floatLayers;
    /** {@link #reduceRange()}. */
    private final boolean reduceRange;
    /** {@link #learnedRounding()}. */
    private final boolean learnedRounding;

    private QuantizationConfig(
            QuantizationMode mode,
            QuantizationScheme scheme,
            Granularity granularity,
            IoType io,
            int samples,
            int threads,
            boolean fallback,
            boolean perChannelDense,
            Calibrator calibrator,
            double percentile,
            boolean equalize,
            boolean biasCorrection,
            boolean rangeSearch,
            Set<String> floatLayers,
            boolean reduceRange,
            boolean learnedRounding) {
        this.mode = mode;
        this.scheme = scheme;
        this.granularity = granularity;
        this.io = io;
        this.samples = samples;
        this.threads = threads;
        this.fallback = fallback;
        this.perChannelDense = perChannelDense;
        this.calibrator = calibrator;
        this.percentile = percentile;
        this.equalize = equalize;
        this.biasCorrection = biasCorrection;
        this.rangeSearch = rangeSearch;
        this.floatLayers = floatLayers;
        this.reduceRange = reduceRange;
        this.learnedRounding = learnedRounding;
    }

    private static void requireSet(Object value, String setting) {
        if (value == null) {
            throw new IllegalArgumentException("QuantizationConfig " + setting + " must not be null");
        }
    }

    /**
     * Mode chosen by the converter, symmetric, per-channel, float I/O, 100 calibration samples on one thread, no
     * float fallback, Dense weights per tensor, min/max calibration (percentile 99.99 if switched to percentile), no
     * cross-layer equalization, no bias correction.
     */
    public static QuantizationConfig defaults() {
        return DEFAULTS;
    }

    /**
     * The optimization; null (the default) leaves it to the converter, which chooses as TFLite's
     * {@code Optimize.DEFAULT} does: full integer ({@link QuantizationMode#INT8}) with a representative dataset,
     * else dynamic range ({@link QuantizationMode#DYNAMIC}); the report says which and why.
     */
    public QuantizationConfig withMode(QuantizationMode m) {
        return new QuantizationConfig(
                m,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Symmetric (TFLite's int8 spec, the default) or asymmetric (its uint8 scheme, with per-tensor weights and
     * {@link QuantizationMode#INT8} only).
     */
    public QuantizationConfig withScheme(QuantizationScheme s) {
        requireSet(s, "scheme");
        return new QuantizationConfig(
                mode,
                s,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Weight scales per output channel (the default) or per tensor. Per channel applies to convolutions, and to
     * Dense only {@link #withPerChannelDense with perChannelDense}; dynamic range keeps convolutions per channel.
     */
    public QuantizationConfig withGranularity(Granularity g) {
        requireSet(g, "granularity");
        return new QuantizationConfig(
                mode,
                scheme,
                g,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * The type of the converted model's inputs and outputs: float (the default), or the quantized tensors
     * themselves, int8 or uint8 with {@link QuantizationMode#INT8} and int16 with {@link QuantizationMode#INT16X8}.
     */
    public QuantizationConfig withIo(IoType t) {
        requireSet(t, "io");
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                t,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * How many samples of the representative dataset calibration runs: the first {@code n} (at least 1, default
     * 100), or all of a smaller dataset. Only the full-integer modes calibrate.
     */
    public QuantizationConfig withCalibrationSamples(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("QuantizationConfig calibrationSamples must be at least 1, got " + n);
        }
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                n,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /** Threads used by the calibration inferences, 1 to {@link Interpreter#MAX_THREADS} (default 1). */
    public QuantizationConfig withCalibrationThreads(int n) {
        if (n < 1 || n > Interpreter.MAX_THREADS) {
            throw new IllegalArgumentException("QuantizationConfig calibrationThreads must be between 1 and "
                    + Interpreter.MAX_THREADS + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + n);
        }
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                n,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Keep ops that have no integer kernel ({@link IntegerKernelSupport}) in float, between DEQUANTIZE and
     * QUANTIZE, instead of refusing the conversion; the report lists them with the reason.
     */
    public QuantizationConfig withAllowFloatFallback(boolean allow) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                allow,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * With {@link Granularity#PER_CHANNEL}, quantize Dense weights per output channel too (TFLite's converter keeps
     * them per tensor, which is also smaller).
     */
    public QuantizationConfig withPerChannelDense(boolean perChannel) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannel,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * How activation ranges are chosen from the calibration data: {@link Calibrator#MINMAX} (the default, TFLite's
     * converter), {@link Calibrator#PERCENTILE}, {@link Calibrator#ENTROPY}, {@link Calibrator#MSE}, or
     * {@link Calibrator#AUTO} (per tensor, the one of those whose range generalises best across two halves of the
     * calibration data).
     */
    public QuantizationConfig withCalibrator(Calibrator c) {
        requireSet(c, "calibrator");
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                c,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * The percentile {@link Calibrator#PERCENTILE} keeps, in (50, 100] (default 99.99): the range covers that
     * percentile of |x| (int16) or the (100 − p)-th to p-th percentiles of x (int8, uint8).
     */
    public QuantizationConfig withPercentile(double p) {
        if (!(p > 50 && p <= 100)) {
            throw new IllegalArgumentException(
                    "QuantizationConfig percentile must be above 50 and at most 100, got " + p);
        }
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                p,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Cross-layer equalization before quantization (Nagel et al. 2019): rescale the channels of consecutive
     * convolution and Dense layers (with at most a ReLU between them) so that their weight ranges match, without
     * changing what the float model computes. Helps per-tensor weights on depthwise-separable networks.
     */
    public QuantizationConfig withCrossLayerEqualization(boolean on) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                on,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Empirical bias correction in the full-integer modes: each Dense or convolution bias takes back the mean
     * output shift its weights' rounding causes on the calibration data.
     */
    public QuantizationConfig withBiasCorrection(boolean on) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                on,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    /**
     * Layers (by {@link dev.quanta.ir.Origin#layerName()}, as the report names them) that the full-integer modes
     * keep computing in float32 between DEQUANTIZE and QUANTIZE, the rest of the graph integer; consecutive float
     * layers pass float32 to each other. Default none; {@link Converter#convert()} refuses a name that is no layer
     * of the model.
     */
    public QuantizationConfig withFloatLayers(Set<String> layers) {
        requireSet(layers, "floatLayers");
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                Collections.unmodifiableSet(new TreeSet<>(layers)),
                reduceRange,
                learnedRounding);
    }

    /**
     * Range search in the full-integer modes: per activation tensor, in graph order, the range the calibrator chose
     * is scaled by the factor (1, 0.8, 0.9, 1.1 or 1.25) that gives the whole network the least error on held-out
     * calibration samples: ranges chosen on the even samples, error Σ over layers of 1/SQNR measured on the odd ones
     * (at most 64). Slower: one run of the held-out samples per tensor and factor, from the first op the changed
     * range affects. {@link Calibrator#AUTO} runs it without this setting where it keeps its per-tensor choices.
     */
    public QuantizationConfig withRangeSearch(boolean on) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                on,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    public boolean rangeSearch() {
        return rangeSearch;
    }

    // -- reduce range (issue 12, ONNX export) --
    /**
     * 7-bit weights in {@link QuantizationMode#INT8}: symmetric int8 weights on [−63, 63] ({@code s = max|w| / 63})
     * instead of [−127, 127], uint8 ones on [0, 127]. ONNX Runtime's u8s8 kernels on AVX2 without VNNI add pairs of
     * uint8 × int8 products in int16, which saturates with full-range weights; ONNX Runtime calls this
     * {@code reduce_range}. Costs one bit of weight precision.
     */
    public QuantizationConfig withReduceRange(boolean on) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                on,
                learnedRounding);
    }

    public boolean reduceRange() {
        return reduceRange;
    }

    /**
     * Learned rounding (AdaRound's layer-wise objective) in the full-integer modes: each Dense or convolution weight
     * rounds down or up, whichever set of choices gives the layer's output, on the inputs the quantized model gives
     * it, the least expected squared error against the float layer on the calibration data; the scales unchanged.
     * Slower: layer by layer, a pass over the calibration data and K×K input matrices per layer.
     */
    public QuantizationConfig withLearnedRounding(boolean on) {
        return new QuantizationConfig(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                on);
    }

    public boolean learnedRounding() {
        return learnedRounding;
    }

    /** The layers kept in float ({@link #withFloatLayers}), sorted; empty by default. */
    public Set<String> floatLayers() {
        return floatLayers;
    }

    public boolean crossLayerEqualization() {
        return equalize;
    }

    public boolean biasCorrection() {
        return biasCorrection;
    }

    public Calibrator calibrator() {
        return calibrator;
    }

    public double percentile() {
        return percentile;
    }

    /** The mode, or null when the converter chooses it. */
    public QuantizationMode mode() {
        return mode;
    }

    public QuantizationScheme scheme() {
        return scheme;
    }

    public Granularity granularity() {
        return granularity;
    }

    public IoType io() {
        return io;
    }

    public int calibrationSamples() {
        return samples;
    }

    public int calibrationThreads() {
        return threads;
    }

    public boolean allowFloatFallback() {
        return fallback;
    }

    public boolean perChannelDense() {
        return perChannelDense;
    }

    /** Every setting: what equality and the hash are made of. */
    private List<Object> values() {
        return Arrays.asList(
                mode,
                scheme,
                granularity,
                io,
                samples,
                threads,
                fallback,
                perChannelDense,
                calibrator,
                percentile,
                equalize,
                biasCorrection,
                rangeSearch,
                floatLayers,
                reduceRange,
                learnedRounding);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof QuantizationConfig c && values().equals(c.values());
    }

    @Override
    public int hashCode() {
        return values().hashCode();
    }

    @Override
    public String toString() {
        return "QuantizationConfig[mode=" + (mode == null ? "chosen by the converter" : mode) + ", scheme=" + scheme
                + ", granularity=" + granularity + ", io=" + io + ", calibrationSamples=" + samples
                + ", calibrationThreads=" + threads + ", allowFloatFallback=" + fallback
                + ", perChannelDense=" + perChannelDense + ", calibrator=" + calibrator.cliName() + ", percentile="
                + percentile + ", crossLayerEqualization=" + equalize + ", biasCorrection=" + biasCorrection
                + (rangeSearch ? ", rangeSearch=true" : "")
                + (reduceRange ? ", reduceRange=true" : "")
                + (learnedRounding ? ", learnedRounding=true" : "")
                + (floatLayers.isEmpty() ? "" : ", floatLayers=" + floatLayers) + "]";
    }
}
