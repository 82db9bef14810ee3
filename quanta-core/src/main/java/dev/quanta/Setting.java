package dev.quanta;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A setting of the public API that an error message may ask the user to change. Core messages name settings in
 * API terms ({@link #apiName()}); a front end such as the command line names them its own way (its flags) through
 * {@link QuantaException#render}.
 */
public enum Setting {
    /** {@code QuantizationConfig.withMode}: the quantization mode. */
    MODE("mode"),
    /** {@code QuantizationConfig.withScheme}: symmetric or asymmetric. */
    SCHEME("scheme"),
    /** {@code QuantizationConfig.withGranularity}: per-channel or per-tensor weights. */
    GRANULARITY("granularity"),
    /** {@code QuantizationConfig.withIo}: the type of the converted model's inputs and outputs. */
    IO("io type"),
    /** {@code Converter.withRepresentativeDataset}: calibration data. */
    REPRESENTATIVE_DATASET("a representative dataset"),
    /** {@code QuantizationConfig.withAllowFloatFallback}. */
    ALLOW_FLOAT_FALLBACK("allowFloatFallback"),
    /** {@code QuantizationConfig.withPerChannelDense}. */
    PER_CHANNEL_DENSE("perChannelDense"),
    /** {@code QuantizationConfig.withBiasCorrection}. */
    BIAS_CORRECTION("biasCorrection"),
    /** {@code QuantizationConfig.withRangeSearch}. */
    RANGE_SEARCH("rangeSearch"),
    /** {@code QuantizationConfig.withReduceRange} (issue 12). */
    REDUCE_RANGE("reduceRange"),
    /** {@code QuantizationConfig.withLearnedRounding}. */
    LEARNED_ROUNDING("learnedRounding"),
    /** A Keras model JSON paired with a weights-only file. */
    MODEL_CONFIG("the model JSON"),
    /** {@code DatasetSpec.limit}: read only the first samples of a dataset. */
    LIMIT("a sample limit"),
    /** The loss to report. */
    LOSS("a loss"),
    /** {@code Preprocessing.scale}: the factor raw data values are multiplied by. */
    INPUT_SCALE("the preprocessing scale"),
    /** {@code DatasetSpec.preprocessing}: how raw data values become model inputs. */
    PREPROCESSING("preprocessing");

    private static final Pattern MARKER = Pattern.compile("\\{([A-Z_]+)}");
    private static final Map<String, Setting> BY_NAME = new HashMap<>();

    static {
        for (Setting s : values()) {
            BY_NAME.put(s.name(), s);
        }
    }

    private final String apiName;

    Setting(String apiName) {
        this.apiName = apiName;
    }

    /** How API messages name the setting, e.g. {@code "a representative dataset"}. */
    public String apiName() {
        return apiName;
    }

    /**
     * {@code template} with each {@code {NAME}} marker of a setting replaced by {@code names}' name for it; text
     * in braces that names no setting stays as it is.
     */
    static String fill(String template, Function<Setting, String> names) {
        Matcher m = MARKER.matcher(template);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Setting s = BY_NAME.get(m.group(1));
            m.appendReplacement(sb, Matcher.quoteReplacement(s == null ? m.group() : names.apply(s)));
        }
        return m.appendTail(sb).toString();
    }
}
