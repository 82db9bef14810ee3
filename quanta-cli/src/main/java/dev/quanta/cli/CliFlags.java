package dev.quanta.cli;

import dev.quanta.Setting;

/** How the command line names the API's settings in messages: its flags. */
final class CliFlags {
    private CliFlags() {}

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
            case MODEL_CONFIG -> "--config JSON";
            case LIMIT -> "--limit N";
            case LOSS -> "--loss NAME";
            case INPUT_SCALE -> "--scale";
            case PREPROCESSING -> "--scale/--offset/--mean/--std";
        };
    }
}
