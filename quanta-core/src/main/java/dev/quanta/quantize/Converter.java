package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import java.util.Locale;
import java.util.Map;

/**
 * Converts a float model to a smaller one, shaped like TFLite's {@code TFLiteConverter}: choose the optimization
 * ({@link QuantizationMode}), the {@link QuantizationScheme}, the weight {@link Granularity}, a representative
 * dataset for calibration and the I/O type, then {@link #convert()}. Write the result with
 * {@code dev.quanta.tflite.TfliteWriter}.
 *
 * <pre>{@code
 * Conversion c = Converter.fromModel(KerasImporter.load(path))
 *         .mode(QuantizationMode.INT8)
 *         .representativeDataset(calibration, 100)
 *         .convert();
 * TfliteWriter.write(c.model(), Path.of("model_int8.tflite"));
 * }</pre>
 */
public final class Converter {
    private final Model source;
    /** Null until set: {@link #convert()} then picks INT8 with a representative dataset, else DYNAMIC. */
    private QuantizationMode mode;
    private QuantizationScheme scheme = QuantizationScheme.SYMMETRIC;
    private Granularity granularity = Granularity.PER_CHANNEL;
    private IoType io = IoType.FLOAT;
    private Dataset representative;
    private int samples = 100;
    private int threads = 1;
    private boolean allowFloatFallback;
    private boolean perChannelDense;

    private Converter(Model source) {
        this.source = source;
    }

    /** A converter of {@code model} (for example from {@code KerasImporter}). */
    public static Converter fromModel(Model model) {
        return new Converter(model);
    }

    /**
     * The optimization. Left unset, it is chosen as TFLite's {@code Optimize.DEFAULT} chooses: full integer
     * ({@link QuantizationMode#INT8}) when a representative dataset is given, else dynamic range
     * ({@link QuantizationMode#DYNAMIC}); the report says which and why.
     */
    public Converter mode(QuantizationMode m) {
        this.mode = java.util.Objects.requireNonNull(m, "mode");
        return this;
    }

    public Converter scheme(QuantizationScheme s) {
        this.scheme = s;
        return this;
    }

    public Converter granularity(Granularity g) {
        this.granularity = g;
        return this;
    }

    /** The type of the converted model's inputs and outputs (default float). */
    public Converter io(IoType t) {
        this.io = t;
        return this;
    }

    /** Calibration data for full-integer modes: the first {@code count} samples of {@code data}. */
    public Converter representativeDataset(Dataset data, int count) {
        this.representative = data;
        this.samples = count;
        return this;
    }

    /** Keep ops without an integer kernel in float (between DEQUANTIZE and QUANTIZE) instead of failing. */
    public Converter allowFloatFallback(boolean allow) {
        this.allowFloatFallback = allow;
        return this;
    }

    /** Quantize Dense weights per output channel too (TFLite's converter keeps them per tensor). */
    public Converter perChannelDense(boolean perChannel) {
        this.perChannelDense = perChannel;
        return this;
    }

    /** Threads used by calibration inferences. */
    public Converter threads(int n) {
        this.threads = n;
        return this;
    }

    /** A converted model and the report of what was done. */
    public record Conversion(Model model, QuantizationReport report) {}

    /**
     * Runs the conversion.
     *
     * @throws QuantaException for settings that do not fit together, missing or unfit calibration data, or an op
     *     that cannot be converted
     */
    public Conversion convert() {
        long start = System.nanoTime();
        QuantizationMode mode = this.mode != null ? this.mode
                : representative != null ? QuantizationMode.INT8 : QuantizationMode.DYNAMIC;
        String modeReason = this.mode != null ? null : representative != null
                ? "chosen: a representative dataset was given (TFLite's Optimize.DEFAULT with one)"
                : "chosen: no representative dataset, so weights only (TFLite's Optimize.DEFAULT without one)";
        validate(mode, this.mode == null);
        Model floatModel = FloatGraphPasses.apply(source);
        QuantizationRewriter rewriter;
        Model result;
        int calibrated = 0;
        switch (mode) {
            case FLOAT32 -> {
                rewriter = null;
                result = floatModel;
            }
            case FLOAT16 -> {
                rewriter = rewriter(floatModel, mode, Calibration.none());
                result = rewriter.rewriteFloat16();
            }
            case DYNAMIC -> {
                rewriter = rewriter(floatModel, mode, Calibration.none());
                result = rewriter.rewriteDynamic();
            }
            case INT8, INT16X8 -> {
                Calibration ranges = MinMaxCalibrator.calibrate(floatModel, representative, samples, threads);
                calibrated = Math.min(samples, representative.size());
                rewriter = rewriter(floatModel, mode, ranges);
                result = recordPreprocessing(rewriter.rewriteFullInteger(), representative);
            }
            default -> throw new IllegalStateException(mode.name());
        }
        var layers = rewriter == null ? java.util.List.<LayerReport>of() : rewriter.report();
        double seconds = (System.nanoTime() - start) / 1e9;
        QuantizationReport report = new QuantizationReport(mode, modeReason, scheme, granularity, io, calibrated,
                layers, constantBytes(floatModel), constantBytes(result), seconds);
        return new Conversion(result, report);
    }

    /**
     * {@code m} recording how the calibration data was preprocessed: its ranges fit data preprocessed so, which a
     * written file then tells evaluation ({@link dev.quanta.ir.ModelMetadata#inputNormalization()}).
     */
    private static Model recordPreprocessing(Model m, Dataset calibration) {
        if (calibration.preprocessing() == null) {
            return m;
        }
        return m.withMetadata(m.metadata().withInputNormalization(calibration.preprocessing().normalization()));
    }

    private QuantizationRewriter rewriter(Model m, QuantizationMode mode, Calibration ranges) {
        return new QuantizationRewriter(m, mode, scheme, granularity, io, allowFloatFallback, perChannelDense,
                ranges);
    }

    /**
     * Refuses settings that do not fit together, naming them as {@link dev.quanta.Setting}s.
     *
     * @param chosen the mode was left to the converter (then a full-integer I/O type asks for calibration data)
     */
    private void validate(QuantizationMode mode, boolean chosen) {
        String m = mode.name().toLowerCase(Locale.ROOT);
        boolean integer = mode == QuantizationMode.INT8 || mode == QuantizationMode.INT16X8;
        if (integer && representative == null) {
            throw QuantaException.aboutSettings("{MODE} " + m + " calibrates activations: give "
                    + "{REPRESENTATIVE_DATASET}");
        }
        if (integer && samples < 1) {
            throw QuantaException.aboutSettings("{CALIBRATION_SAMPLES} must be at least 1, found " + samples);
        }
        if (chosen && !integer && (io != IoType.FLOAT || scheme == QuantizationScheme.ASYMMETRIC)) {
            throw QuantaException.aboutSettings((io != IoType.FLOAT ? "{IO} " + io.name().toLowerCase(Locale.ROOT)
                    : "{SCHEME} asymmetric") + " needs full-integer quantization, which calibrates activations: "
                    + "give {REPRESENTATIVE_DATASET}");
        }
        if (scheme == QuantizationScheme.ASYMMETRIC) {
            if (mode == QuantizationMode.DYNAMIC || mode == QuantizationMode.INT16X8) {
                throw QuantaException.aboutSettings("{SCHEME} asymmetric does not apply to {MODE} " + m
                        + ": TFLite's " + (mode == QuantizationMode.DYNAMIC ? "hybrid kernels take int8 symmetric "
                        + "weights" : "16x8 kernels take int16 symmetric activations and int8 symmetric weights")
                        + "; use {SCHEME} symmetric");
            }
            if (mode == QuantizationMode.INT8 && (granularity == Granularity.PER_CHANNEL && hasConvolutions()
                    || perChannelDense)) {
                throw QuantaException.aboutSettings("{SCHEME} asymmetric uses TFLite's uint8 kernels, which take "
                        + "one weight scale per tensor: use {GRANULARITY} per-tensor"
                        + (perChannelDense ? " without {PER_CHANNEL_DENSE}" : ""));
            }
        }
        if (!integer && io != IoType.FLOAT) {
            throw QuantaException.aboutSettings("{IO} " + io.name().toLowerCase(Locale.ROOT) + " needs a "
                    + "full-integer mode (int8 or int16x8); {MODE} " + m + " keeps float inputs and outputs");
        }
        if (mode == QuantizationMode.INT16X8 && (io == IoType.INT8 || io == IoType.UINT8)) {
            throw QuantaException.aboutSettings("{MODE} int16x8 has int16 activations: use {IO} int16 or float");
        }
        if (mode == QuantizationMode.INT8 && io == IoType.INT16) {
            throw QuantaException.aboutSettings("{IO} int16 needs {MODE} int16x8");
        }
    }

    private boolean hasConvolutions() {
        return source.ops().stream().anyMatch(o -> o.type() == dev.quanta.ir.OpType.CONV_2D
                || o.type() == dev.quanta.ir.OpType.DEPTHWISE_CONV_2D);
    }

    /** Bytes of all constant tensors. */
    static long constantBytes(Model m) {
        long n = 0;
        for (Tensor t : m.constants()) {
            n += t.data().byteSize();
        }
        return n;
    }
}
