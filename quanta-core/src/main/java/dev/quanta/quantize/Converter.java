package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Converts a float model to a smaller one, shaped like TFLite's {@code TFLiteConverter}: a model, the settings
 * ({@link QuantizationConfig}: the {@link QuantizationMode}, {@link QuantizationScheme}, weight
 * {@link Granularity}, I/O type, ...) and, for the full-integer modes, a representative dataset to calibrate on;
 * then {@link #convert()}. Write the result with {@code dev.quanta.tflite.TfliteWriter}.
 *
 * <p>A converter is immutable: {@link #withConfig} and {@link #withRepresentativeDataset} return new ones, and one
 * config can serve several models.
 *
 * <pre>{@code
 * QuantizationConfig int8 = QuantizationConfig.defaults().withMode(QuantizationMode.INT8);
 * Conversion c = Converter.fromModel(KerasImporter.load(path))
 *         .withConfig(int8)
 *         .withRepresentativeDataset(calibration)
 *         .convert();
 * TfliteWriter.write(c.model(), Path.of("model_int8.tflite"));
 * }</pre>
 */
public final class Converter {
    private final Model source;
    private final QuantizationConfig config;
    /** Null when none was given. */
    private final Dataset representative;

    private final boolean keepHistograms;

    private Converter(Model source, QuantizationConfig config, Dataset representative) {
        this(source, config, representative, false);
    }

    private Converter(Model source, QuantizationConfig config, Dataset representative, boolean keepHistograms) {
        if (config == null) {
            throw new IllegalArgumentException("Converter config must not be null");
        }
        this.source = source;
        this.config = config;
        this.representative = representative;
        this.keepHistograms = keepHistograms;
    }

    /** A converter of {@code model} (for example from {@code KerasImporter}) with the default settings. */
    public static Converter fromModel(Model model) {
        if (model == null) {
            throw new IllegalArgumentException("Converter model must not be null");
        }
        return new Converter(model, QuantizationConfig.defaults(), null);
    }

    /** This converter with the settings {@code c} (all of them; the representative dataset stays). */
    public Converter withConfig(QuantizationConfig c) {
        return new Converter(source, c, representative, keepHistograms);
    }

    /**
     * With {@code keep}, the calibration report keeps each calibrated tensor's histogram
     * ({@link TensorCalibration#histogram()}, 16 KiB per tensor), for an HTML report; min/max calibration then
     * collects histograms it does not otherwise need, and chooses the same ranges.
     */
    public Converter withHistograms(boolean keep) {
        return new Converter(source, config, representative, keep);
    }

    /**
     * Calibration data for the full-integer modes, of which calibration uses the first
     * {@link QuantizationConfig#calibrationSamples()} (100 unless the config says otherwise).
     */
    public Converter withRepresentativeDataset(Dataset data) {
        if (data == null) {
            throw new IllegalArgumentException("Converter representativeDataset must not be null");
        }
        return new Converter(source, config, data, keepHistograms);
    }

    /** The settings. */
    public QuantizationConfig config() {
        return config;
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
        boolean chosen = config.mode() == null;
        QuantizationMode mode =
                !chosen ? config.mode() : representative != null ? QuantizationMode.INT8 : QuantizationMode.DYNAMIC;
        String modeReason = !chosen
                ? null
                : representative != null
                        ? "chosen: a representative dataset was given (TFLite's Optimize.DEFAULT with one)"
                        : "chosen: no representative dataset, so weights only (TFLite's Optimize.DEFAULT without one)";
        validate(mode, chosen);
        QuantizationConfig settings = config.withMode(mode);
        Model floatModel = FloatGraphPasses.apply(source);
        List<QuantizationReport.Technique> techniques = new ArrayList<>();
        if (settings.crossLayerEqualization()) {
            CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(floatModel);
            floatModel = cle.model();
            techniques.add(new QuantizationReport.Technique("cross-layer equalization", cle.lines()));
        }
        Model equalized = floatModel;
        int calibrated = 0;
        CalibrationReport calibration = null;
        Rewritten result = switch (mode) {
            case FLOAT32 -> new Rewritten(floatModel, List.of());
            case FLOAT16 -> Float16Rewriter.rewrite(floatModel);
            case DYNAMIC -> DynamicRangeRewriter.rewrite(floatModel, settings);
            case INT8, INT16X8 -> {
                Calibration ranges = MinMaxCalibrator.calibrate(floatModel, representative, settings, keepHistograms);
                calibration = CalibrationReport.of(ranges, settings);
                calibrated = Math.min(settings.calibrationSamples(), representative.size());
                Model toRewrite = equalized;
                if (settings.biasCorrection()) {
                    BiasCorrection.Result bc = BiasCorrection.apply(equalized, representative, settings);
                    toRewrite = bc.model();
                    techniques.add(new QuantizationReport.Technique("bias correction", bc.lines()));
                }
                Rewritten integer = FullIntegerRewriter.rewrite(toRewrite, settings, ranges);
                yield new Rewritten(recordPreprocessing(integer.model(), representative), integer.layers());
            }
        };
        double seconds = (System.nanoTime() - start) / 1e9;
        QuantizationReport report = new QuantizationReport(
                mode,
                modeReason,
                settings.scheme(),
                settings.granularity(),
                settings.io(),
                calibrated,
                result.layers(),
                constantBytes(floatModel),
                constantBytes(result.model()),
                seconds,
                calibration,
                techniques);
        return new Conversion(result.model(), report);
    }

    /**
     * {@code m} recording how the calibration data was preprocessed: its ranges fit data preprocessed so, which a
     * written file then tells evaluation ({@link dev.quanta.ir.ModelMetadata#inputNormalization()}).
     */
    private static Model recordPreprocessing(Model m, Dataset calibration) {
        if (calibration.preprocessing() == null) {
            return m;
        }
        return m.withMetadata(
                m.metadata().withInputNormalization(calibration.preprocessing().normalization()));
    }

    /**
     * Refuses settings that do not fit together, naming them as {@link dev.quanta.Setting}s.
     *
     * @param chosen the mode was left to the converter (then a full-integer I/O type asks for calibration data)
     */
    private void validate(QuantizationMode mode, boolean chosen) {
        String m = mode.name().toLowerCase(Locale.ROOT);
        QuantizationScheme scheme = config.scheme();
        IoType io = config.io();
        boolean integer = mode == QuantizationMode.INT8 || mode == QuantizationMode.INT16X8;
        if (integer && representative == null) {
            throw QuantaException.aboutSettings(
                    "{MODE} " + m + " calibrates activations: give {REPRESENTATIVE_DATASET}");
        }
        if (chosen && !integer && (io != IoType.FLOAT || scheme == QuantizationScheme.ASYMMETRIC)) {
            throw QuantaException.aboutSettings(
                    (io != IoType.FLOAT ? "{IO} " + io.name().toLowerCase(Locale.ROOT) : "{SCHEME} asymmetric")
                            + " needs full-integer quantization, which calibrates activations: "
                            + "give {REPRESENTATIVE_DATASET}");
        }
        if (scheme == QuantizationScheme.ASYMMETRIC) {
            if (mode == QuantizationMode.DYNAMIC || mode == QuantizationMode.INT16X8) {
                throw QuantaException.aboutSettings("{SCHEME} asymmetric does not apply to {MODE} " + m
                        + ": TFLite's "
                        + (mode == QuantizationMode.DYNAMIC
                                ? "hybrid kernels take int8 symmetric weights"
                                : "16x8 kernels take int16 symmetric activations and int8 symmetric weights")
                        + "; use {SCHEME} symmetric");
            }
            if (mode == QuantizationMode.INT8
                    && (config.granularity() == Granularity.PER_CHANNEL && hasConvolutions()
                            || config.perChannelDense())) {
                throw QuantaException.aboutSettings("{SCHEME} asymmetric uses TFLite's uint8 kernels, which take "
                        + "one weight scale per tensor: use {GRANULARITY} per-tensor"
                        + (config.perChannelDense() ? " without {PER_CHANNEL_DENSE}" : ""));
            }
        }
        if (!integer && config.biasCorrection()) {
            throw QuantaException.aboutSettings("{BIAS_CORRECTION} measures on calibration data and corrects int32 "
                    + "biases: it needs a full-integer {MODE} (int8 or int16x8), not " + m);
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
        return source.ops().stream().anyMatch(o -> o.type() == OpType.CONV_2D || o.type() == OpType.DEPTHWISE_CONV_2D);
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
