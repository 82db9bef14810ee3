package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

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
    /** Where the calibration statistics come from (a distributed pass), or null for one pass here. */
    private final CalibrationStatistics.Source statisticsSource;
    /** Null until {@link #calibrateOnce()}: the float graph and what was observed on it, kept for reuse. */
    private final Calibrated calibrated;

    /**
     * What {@link #calibrateOnce()} keeps: the float model after {@link FloatGraphPasses} (and cross-layer
     * equalization), its calibration, the model the rewrite starts from (bias-corrected when asked) and the
     * techniques' report, all for the settings {@code by}.
     */
    private record Calibrated(
            Model floatModel,
            Calibration ranges,
            Model toRewrite,
            Map<String, Boolean> perChannel,
            List<QuantizationReport.Technique> techniques,
            QuantizationConfig by) {
        /** True when {@code c} differs from the settings calibrated with in the float layers at most. */
        boolean fits(QuantizationConfig c) {
            return c.withFloatLayers(by.floatLayers()).equals(by);
        }
    }

    private Converter(Model source, QuantizationConfig config, Dataset representative) {
        this(source, config, representative, false, null, null);
    }

    private Converter(
            Model source,
            QuantizationConfig config,
            Dataset representative,
            boolean keepHistograms,
            Calibrated calibrated) {
        this(source, config, representative, keepHistograms, calibrated, null);
    }

    private Converter(
            Model source,
            QuantizationConfig config,
            Dataset representative,
            boolean keepHistograms,
            Calibrated calibrated,
            CalibrationStatistics.Source statisticsSource) {
        if (config == null) {
            throw new IllegalArgumentException("Converter config must not be null");
        }
        this.source = source;
        this.config = config;
        this.representative = representative;
        this.keepHistograms = keepHistograms;
        this.calibrated = calibrated;
        this.statisticsSource = statisticsSource;
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
        return new Converter(source, c, representative, keepHistograms, calibrated, statisticsSource);
    }

    /**
     * This converter with its activations calibrated now, once: {@link #convert()} of it, and of the converters
     * {@link #withConfig} makes from it, reuse the float graph, the ranges and any bias correction as long as the
     * settings differ in {@link QuantizationConfig#withFloatLayers float layers} at most, so a model converted many
     * times with different float layers is calibrated once. The mode must be full-integer (null means int8).
     *
     * @throws QuantaException as {@link #convert()} for settings or data that do not fit
     */
    public Converter calibrateOnce() {
        QuantizationMode mode = config.mode() != null ? config.mode() : QuantizationMode.INT8;
        if (mode != QuantizationMode.INT8 && mode != QuantizationMode.INT16X8) {
            throw QuantaException.aboutSettings("{MODE} " + mode.name().toLowerCase(Locale.ROOT)
                    + " does not calibrate activations; calibrating once needs int8 or int16x8");
        }
        validate(mode, false);
        QuantizationConfig settings = config.withMode(mode);
        Prepared p = prepare(settings);
        return new Converter(
                source,
                config,
                representative,
                keepHistograms,
                new Calibrated(p.floatModel, p.ranges, p.toRewrite, p.perChannel, p.techniques, settings),
                statisticsSource);
    }

    /**
     * The layers a full-integer conversion quantizes, in graph order: the {@link dev.quanta.ir.Origin#layerName()}
     * of every op of the float graph that has an integer kernel, the names {@link QuantizationConfig#withFloatLayers}
     * takes.
     */
    public List<String> quantizableLayers() {
        QuantizationMode mode = config.mode() != null ? config.mode() : QuantizationMode.INT8;
        DType act = mode == QuantizationMode.INT16X8
                ? DType.INT16
                : config.scheme() == QuantizationScheme.ASYMMETRIC ? DType.UINT8 : DType.INT8;
        Model floatModel = calibrated != null ? calibrated.floatModel() : FloatGraphPasses.apply(source);
        Set<String> layers = new LinkedHashSet<>();
        for (Op op : floatModel.ops()) {
            if (IntegerKernelSupport.supports(op.type(), act)) {
                layers.add(op.origin().layerName());
            }
        }
        return List.copyOf(layers);
    }

    /**
     * With {@code keep}, the calibration report keeps each calibrated tensor's histogram
     * ({@link TensorCalibration#histogram()}, 16 KiB per tensor), for an HTML report; min/max calibration then
     * collects histograms it does not otherwise need, and chooses the same ranges.
     */
    public Converter withHistograms(boolean keep) {
        return new Converter(source, config, representative, keep, null, statisticsSource);
    }

    /**
     * This converter with the calibration statistics collected by {@code source} (a distributed pass over the
     * representative dataset, merged) rather than by one pass here; {@code source} must give what one pass would
     * ({@link CalibrationStatistics}), so the conversion is the same. The searches that run on raw samples
     * ({@code auto}'s held-out choice, range search, bias correction) still read the representative dataset here.
     */
    public Converter withCalibrationStatistics(CalibrationStatistics.Source source) {
        return new Converter(this.source, config, representative, keepHistograms, null, source);
    }

    /**
     * The model calibration observes: the float graph after {@link FloatGraphPasses} and, when the settings ask for
     * it, cross-layer equalization. The same on every machine, so partitions of a distributed calibration run it.
     * A full-integer conversion with cross-layer equalization then absorbs biases ({@link BiasAbsorption}), whose
     * constants come from the calibration data; when that changes the model, calibration runs in this JVM on the
     * changed model rather than through {@link #withCalibrationStatistics}.
     */
    public Model calibrationModel() {
        return calibrationModel(config, new ArrayList<>());
    }

    private Model calibrationModel(QuantizationConfig settings, List<QuantizationReport.Technique> techniques) {
        Model floatModel = FloatGraphPasses.apply(source);
        if (settings.crossLayerEqualization()) {
            CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(floatModel);
            floatModel = cle.model();
            techniques.add(new QuantizationReport.Technique("cross-layer equalization", cle.lines()));
        }
        return floatModel;
    }

    /**
     * The pass's statistics from {@link #statisticsSource}, checked to cover the first samples; with {@code here} (the
     * model is not {@link #calibrationModel()}) calibration runs here.
     */
    private MinMaxCalibrator.Both calibrateBoth(Model floatModel, QuantizationConfig settings, boolean here) {
        if (statisticsSource == null || here) {
            return MinMaxCalibrator.calibrateBoth(floatModel, representative, settings, keepHistograms);
        }
        int n = MinMaxCalibrator.sampleCount(floatModel, representative, settings.calibrationSamples());
        CalibrationStatistics stats = statisticsSource.collect(floatModel, n, settings, keepHistograms);
        if (stats.end() != n || stats.keepsHistograms() != keepHistograms) {
            throw new QuantaException("calibration statistics cover samples [" + stats.first() + ", " + stats.end()
                    + "), not the " + n + " calibration samples [0, " + n + ")");
        }
        return MinMaxCalibrator.calibrateBoth(floatModel, stats, representative.size(), settings);
    }

    /**
     * Calibration data for the full-integer modes, of which calibration uses the first
     * {@link QuantizationConfig#calibrationSamples()} (100 unless the config says otherwise).
     */
    public Converter withRepresentativeDataset(Dataset data) {
        if (data == null) {
            throw new IllegalArgumentException("Converter representativeDataset must not be null");
        }
        return new Converter(source, config, data, keepHistograms, null, statisticsSource);
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
        boolean integerMode = mode == QuantizationMode.INT8 || mode == QuantizationMode.INT16X8;
        Prepared prepared = !integerMode
                ? null
                : calibrated != null && calibrated.fits(settings)
                        ? new Prepared(
                                calibrated.floatModel(),
                                calibrated.ranges(),
                                calibrated.toRewrite(),
                                calibrated.perChannel(),
                                new ArrayList<>(calibrated.techniques()))
                        : prepare(settings);
        Model floatModel = prepared != null ? prepared.floatModel : FloatGraphPasses.apply(source);
        List<QuantizationReport.Technique> techniques = new ArrayList<>();
        if (!integerMode && settings.crossLayerEqualization()) {
            CrossLayerEqualization.Result cle = CrossLayerEqualization.apply(floatModel);
            floatModel = cle.model();
            techniques.add(new QuantizationReport.Technique("cross-layer equalization", cle.lines()));
        }
        checkFloatLayers(floatModel, mode);
        int calibratedSamples = 0;
        CalibrationReport calibration = null;
        List<String> warnings = List.of();
        Rewritten result;
        if (integerMode) {
            Calibration ranges = prepared.ranges;
            techniques.addAll(prepared.techniques);
            calibration = CalibrationReport.of(ranges, settings);
            warnings = ranges.warnings();
            calibratedSamples = Math.min(settings.calibrationSamples(), representative.size());
            Rewritten integer = FullIntegerRewriter.rewrite(prepared.toRewrite, settings, ranges, prepared.perChannel);
            result = new Rewritten(recordPreprocessing(integer.model(), representative), integer.layers());
        } else {
            result = switch (mode) {
                case FLOAT16 -> Float16Rewriter.rewrite(floatModel);
                case DYNAMIC -> DynamicRangeRewriter.rewrite(floatModel, settings);
                default -> new Rewritten(floatModel, List.of());
            };
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        QuantizationReport report = new QuantizationReport(
                mode,
                modeReason,
                settings.scheme(),
                settings.granularity(),
                settings.io(),
                calibratedSamples,
                result.layers(),
                constantBytes(floatModel),
                constantBytes(result.model()),
                seconds,
                calibration,
                techniques,
                warnings);
        return new Conversion(result.model(), report);
    }

    /**
     * The float model, ranges, model to rewrite, granularity chosen per weight tensor and techniques of a
     * full-integer conversion.
     */
    private record Prepared(
            Model floatModel,
            Calibration ranges,
            Model toRewrite,
            Map<String, Boolean> perChannel,
            List<QuantizationReport.Technique> techniques) {}

    /**
     * The float passes, cross-layer equalization when asked, calibration, and bias correction when asked, for a
     * full-integer {@code settings}.
     */
    private Prepared prepare(QuantizationConfig settings) {
        List<QuantizationReport.Technique> techniques = new ArrayList<>();
        Model floatModel = calibrationModel(settings, techniques);
        // bias absorption follows CLE; its constants come from the calibration data, so the model calibrated is no
        // longer calibrationModel(), which a distributed statistics source runs: then calibration runs here
        boolean absorbed = false;
        if (settings.crossLayerEqualization()) {
            BiasAbsorption.Result ba = BiasAbsorption.apply(floatModel, representative, settings);
            absorbed = ba.model() != floatModel;
            floatModel = ba.model();
            techniques.add(new QuantizationReport.Technique("bias absorption", ba.lines()));
        }
        Calibration ranges;
        HeldOutSearch.Result granularity;
        // the calibrator the range search recalibrates its even samples with: AUTO's, or min/max where AUTO kept it
        Calibrator rangeSearchBy = settings.calibrator();
        // AUTO searches the ranges itself (when asked, or when it kept its per-tensor choices), on the samples and
        // values its held-out check already has, unless bias correction changes the model to rewrite after it (then
        // the search below runs when asked)
        boolean autoSearchesRanges = settings.calibrator() == Calibrator.AUTO && !settings.biasCorrection();
        if (settings.calibrator() == Calibrator.AUTO) {
            // AUTO's ranges (its per-tensor choices or min/max everywhere), granularity and (without bias
            // correction) clipped per-tensor weight ranges by held-out error, on the model before bias correction,
            // which then corrects the weights as chosen
            MinMaxCalibrator.Both both = calibrateBoth(floatModel, settings, absorbed);
            granularity = HeldOutSearch.auto(
                    floatModel,
                    representative,
                    settings,
                    both,
                    WeightQuantizer.granularityChosenPerLayer(settings),
                    autoSearchesRanges && settings.rangeSearch(),
                    autoSearchesRanges,
                    HeldOutSearch.MAX_RECORDED_FLOATS);
            ranges = granularity.ranges();
            if (ranges == both.minmax()) {
                rangeSearchBy = Calibrator.MINMAX;
            }
        } else {
            ranges = calibrateBoth(floatModel, settings, absorbed).chosen();
            granularity = new HeldOutSearch.Result(ranges, Map.of(), List.of());
        }
        techniques.addAll(granularity.techniques());
        Map<String, Boolean> perChannel = granularity.perChannel();
        // AUTO's clipped weight ranges (none otherwise), then the rounding learned within them
        Model clipped = WeightClipping.apply(floatModel, granularity.weightClips());
        Model toRewrite = clipped;
        LearnedRounding.Result learned = null;
        if (settings.learnedRounding()) {
            // each layer's inputs as the model quantized with the rounding learned so far computes them
            Calibration calibrated = ranges;
            learned = LearnedRounding.apply(
                    clipped,
                    m -> SimulatedQuantization.of(
                            m,
                            FullIntegerRewriter.rewrite(m, settings, calibrated, perChannel)
                                    .model()),
                    representative,
                    settings,
                    perChannel);
            toRewrite = learned.applyTo(clipped);
            techniques.add(new QuantizationReport.Technique("learned rounding", learned.lines()));
        }
        if (settings.biasCorrection()) {
            // after learned rounding, the shift is that of the learned weights against the float ones
            BiasCorrection.Result bc =
                    BiasCorrection.apply(floatModel, toRewrite, representative, settings, perChannel);
            toRewrite = learned == null ? bc.model() : learned.applyTo(bc.model());
            techniques.add(new QuantizationReport.Technique("bias correction", bc.lines()));
        }
        if (settings.rangeSearch() && !autoSearchesRanges) {
            HeldOutSearch.Result search = HeldOutSearch.apply(
                    floatModel,
                    toRewrite,
                    representative,
                    settings.withCalibrator(rangeSearchBy),
                    ranges,
                    perChannel,
                    false,
                    true);
            ranges = search.ranges();
            techniques.addAll(search.techniques());
        }
        return new Prepared(floatModel, ranges, toRewrite, perChannel, List.copyOf(techniques));
    }

    /** Refuses float layers with a mode that is not full-integer, or that are no layer of {@code floatModel}. */
    private void checkFloatLayers(Model floatModel, QuantizationMode mode) {
        if (config.floatLayers().isEmpty()) {
            return;
        }
        if (mode != QuantizationMode.INT8 && mode != QuantizationMode.INT16X8) {
            throw QuantaException.aboutSettings("layers kept in float apply to the full-integer modes, not {MODE} "
                    + mode.name().toLowerCase(Locale.ROOT));
        }
        Set<String> known = new LinkedHashSet<>();
        for (Op op : floatModel.ops()) {
            known.add(op.origin().layerName());
        }
        for (String layer : config.floatLayers()) {
            if (!known.contains(layer)) {
                throw new QuantaException("layer '" + layer + "' to keep in float is no layer of model '"
                        + source.name() + "'; its layers are " + String.join(", ", known));
            }
        }
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
        if (config.reduceRange() && mode != QuantizationMode.INT8) {
            throw QuantaException.aboutSettings(
                    "{REDUCE_RANGE} narrows int8 weights to 7 bits: it needs {MODE} int8, not " + m);
        }
        if (!integer && config.rangeSearch()) {
            throw QuantaException.aboutSettings("{RANGE_SEARCH} scales activation ranges: it needs a full-integer "
                    + "{MODE} (int8 or int16x8), not " + m);
        }
        if (!integer && config.learnedRounding()) {
            throw QuantaException.aboutSettings("{LEARNED_ROUNDING} learns int8 weight rounding on calibration data: "
                    + "it needs a full-integer {MODE} (int8 or int16x8), not " + m);
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
