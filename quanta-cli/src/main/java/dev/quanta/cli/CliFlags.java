package dev.quanta.cli;

import dev.quanta.Setting;
import java.util.Map;

/**
 * How the command line names the API's settings in messages: its flags. The API names a setting in two ways, and
 * both are rendered here: a {@link Setting} marker in the template of a {@link dev.quanta.QuantaException} or
 * {@link dev.quanta.Notice} ({@link #flag}), and the option class and setting that an option's wither names when it
 * refuses a value, such as "Benchmark runs must be ..." ({@link #inFlags}).
 */
final class CliFlags {
    private CliFlags() {}

    /**
     * The settings of the API's option classes as their refusals name them, and the flag that sets each (the same
     * flag in every command that has it). No name is part of another, so the order of replacement does not matter.
     */
    private static final Map<String, String> OPTION_FLAGS = Map.ofEntries(
            Map.entry("Benchmark warmup", "--warmup"),
            Map.entry("Benchmark runs", "--runs"),
            Map.entry("Benchmark threads", "--threads"),
            Map.entry("Benchmark parallel", "--parallel"),
            Map.entry("Benchmark batch", "--batch"),
            Map.entry("Benchmark inputShape", "--input-shape"),
            Map.entry("Evaluator topK", "--top-k"),
            Map.entry("Evaluator batchSize", "--batch-size"),
            Map.entry("Evaluator threads", "--threads"),
            Map.entry("Evaluator parallel", "--parallel"),
            Map.entry("ModelComparison layerSamples", "--layer-samples"),
            Map.entry("LayerComparison samples", "--samples"),
            Map.entry("LayerComparison threads", "--threads"),
            Map.entry("QuantizationConfig calibrationSamples", "--samples"),
            Map.entry("QuantizationConfig calibrationThreads", "--threads"),
            Map.entry("QuantizationConfig percentile", "--percentile"));

    /** The flag (with its parameter where that helps) that sets {@code s}. */
    static String flag(Setting s) {
        return switch (s) {
            case MODE -> "--mode";
            case SCHEME -> "--scheme";
            case GRANULARITY -> "--granularity";
            case IO -> "--io";
            case REPRESENTATIVE_DATASET -> "--calibration DATA";
            case ALLOW_FLOAT_FALLBACK -> "--allow-float-fallback";
            case PER_CHANNEL_DENSE -> "--per-channel-dense";
            case BIAS_CORRECTION -> "--bias-correction";
            case RANGE_SEARCH -> "--range-search";
            case REDUCE_RANGE -> "--reduce-range";
            case LEARNED_ROUNDING -> "--adaround";
            case MODEL_CONFIG -> "--config JSON";
            case LIMIT -> "--limit N";
            case LOSS -> "--loss NAME";
            case INPUT_SCALE -> "--scale";
            case PREPROCESSING -> "--scale/--offset/--mean/--std";
        };
    }

    /** {@code apiMessage} with every option setting it names ("Benchmark runs") replaced by its flag ("--runs"). */
    static String inFlags(String apiMessage) {
        String message = apiMessage;
        for (Map.Entry<String, String> e : OPTION_FLAGS.entrySet()) {
            message = message.replace(e.getKey(), e.getValue());
        }
        return message;
    }
}
