package dev.quanta.tflite;

import com.google.flatbuffers.FlexBuffers;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import java.util.Map;

/**
 * Importers of tflite-micro's signal-library custom ops (the audio front end of its micro_speech example). Their
 * parameters are a FlexBuffer map in the operator's custom options, keyed by the TensorFlow op's attribute names;
 * their kernels live in {@code dev.quanta.kernels.signal}.
 */
final class TfliteSignal {
    private TfliteSignal() {}

    private static final Map<String, TfliteImporters.OpImporter> IMPORTERS = Map.of(
            "SignalWindow",
                    c -> c.produce(
                            OpType.SIGNAL_WINDOW,
                            new OpAttributes.SignalWindow(intOption(c, "shift", 0, 31)),
                            c.input(0),
                            c.input(1)),
            "SignalFftAutoScale",
                    c -> c.produceAll(OpType.SIGNAL_FFT_AUTO_SCALE, OpAttributes.None.INSTANCE, c.input(0)),
            "SignalRfft", TfliteSignal::rfft,
            "SignalEnergy",
                    c -> c.produce(
                            OpType.SIGNAL_ENERGY,
                            new OpAttributes.SignalEnergy(
                                    intOption(c, "start_index", 0, Integer.MAX_VALUE),
                                    intOption(c, "end_index", 0, Integer.MAX_VALUE)),
                            c.input(0)),
            "SignalFilterBank",
                    c -> c.produce(
                            OpType.SIGNAL_FILTER_BANK,
                            new OpAttributes.SignalFilterBank(intOption(c, "num_channels", 1, 1 << 16)),
                            c.input(0),
                            c.input(1),
                            c.input(2),
                            c.input(3),
                            c.input(4),
                            c.input(5)),
            "SignalFilterBankSquareRoot",
                    c -> c.produce(
                            OpType.SIGNAL_FILTER_BANK_SQUARE_ROOT, OpAttributes.None.INSTANCE, c.input(0), c.input(1)),
            "SignalFilterBankSpectralSubtraction", TfliteSignal::spectralSubtraction,
            "SignalPCAN",
                    c -> c.produce(
                            OpType.SIGNAL_PCAN,
                            new OpAttributes.SignalPcan(intOption(c, "snr_shift", 0, 63)),
                            c.input(0),
                            c.input(1),
                            c.input(2)),
            "SignalFilterBankLog",
                    c -> c.produce(
                            OpType.SIGNAL_FILTER_BANK_LOG,
                            new OpAttributes.SignalFilterBankLog(
                                    intOption(c, "input_correction_bits", 0, 31),
                                    intOption(c, "output_scale", 0, Integer.MAX_VALUE)),
                            c.input(0)));

    /** The importer of custom op {@code name}, or null when Quanta does not know it. */
    static TfliteImporters.OpImporter forName(String name) {
        return name == null ? null : IMPORTERS.get(name);
    }

    /** The largest FFT Quanta sets up (tflite-micro's audio front ends use 512). */
    static final int MAX_FFT_LENGTH = 1 << 16;

    private static void rfft(OpContext c) {
        int n = intOption(c, "fft_length", 4, MAX_FFT_LENGTH);
        if (Integer.bitCount(n) != 1) {
            throw c.error("fft_length " + n + " is not a power of two");
        }
        c.produce(OpType.SIGNAL_RFFT, new OpAttributes.SignalRfft(n), c.input(0));
    }

    private static void spectralSubtraction(OpContext c) {
        long max = 0xFFFF_FFFFL;
        c.produceAll(
                OpType.SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION,
                new OpAttributes.SignalSpectralSubtraction(
                        intOption(c, "num_channels", 1, 1 << 16),
                        longOption(c, "smoothing", max),
                        longOption(c, "one_minus_smoothing", max),
                        longOption(c, "alternate_smoothing", max),
                        longOption(c, "alternate_one_minus_smoothing", max),
                        longOption(c, "min_signal_remaining", max),
                        intOption(c, "smoothing_bits", 0, 31),
                        intOption(c, "spectral_subtraction_bits", 0, 63),
                        boolOption(c, "clamping")),
                c.input(0));
    }

    private static FlexBuffers.Reference option(OpContext c, String key) {
        FlexBuffers.Reference r;
        try {
            r = c.customOptions().get(key);
        } catch (RuntimeException e) {
            if (e instanceof dev.quanta.QuantaException q) {
                throw q;
            }
            throw c.error("custom option '" + key + "' cannot be read (" + e + ")");
        }
        if (r == null || r.isNull()) {
            throw c.error("lacks the custom option '" + key + "'");
        }
        return r;
    }

    private static long longOption(OpContext c, String key, long max) {
        FlexBuffers.Reference r = option(c, key);
        if (!r.isIntOrUInt()) {
            throw c.error("custom option '" + key + "' is not an integer");
        }
        long v = r.asLong();
        if (v < 0 || v > max) {
            throw c.error("custom option '" + key + "' = " + v + " is out of range [0, " + max + "]");
        }
        return v;
    }

    private static int intOption(OpContext c, String key, int min, int max) {
        long v = longOption(c, key, Long.MAX_VALUE);
        if (v < min || v > max) {
            throw c.error("custom option '" + key + "' = " + v + " is out of range [" + min + ", " + max + "]");
        }
        return (int) v;
    }

    private static boolean boolOption(OpContext c, String key) {
        FlexBuffers.Reference r = option(c, key);
        if (!r.isBoolean() && !r.isIntOrUInt()) {
            throw c.error("custom option '" + key + "' is not a boolean");
        }
        return r.isBoolean() ? r.asBoolean() : r.asLong() != 0;
    }
}
