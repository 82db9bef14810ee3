package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Learned rounding ({@code --adaround}) on MLPerf Tiny's VWW MobileNet ({@code vww_96.h5}), min/max calibration, per
 * channel and per tensor, calibrated and scored as {@link VwwDeadChannelsIT} does: calibration on IC images 100–199
 * upscaled to 96×96, scoring on IC images 0–49 upscaled and the two person-detection bitmaps (52 images, none used
 * for calibration). The score is each layer's SQNR against the Keras model (10·log₁₀ of signal power over error
 * power, Quanta's interpreter, bit-exact with TFLite) and, per layer, Quanta − the converter's {@code
 * vww_96_int8.tflite}.
 */
@UsesFixtures
class LearnedRoundingVwwIT {
    @TempDir
    Path tmp;

    @BeforeAll
    static void load() throws IOException {
        VwwDeadChannelsIT.load();
    }

    private Map<String, Double> sqnr(Granularity g, boolean learned) {
        Converter.Conversion c = Converter.fromModel(VwwDeadChannelsIT.keras())
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationThreads(2)
                        .withGranularity(g)
                        .withLearnedRounding(learned))
                .withRepresentativeDataset(VwwDeadChannelsIT.calibration())
                .convert();
        for (QuantizationReport.Technique t : c.report().techniques()) {
            System.out.println(t.name() + ":\n  " + String.join("\n  ", t.changes()));
        }
        System.out.printf(
                Locale.ROOT,
                "VWW %s%s converted in %.1f s%n",
                g,
                learned ? " + adaround" : "",
                c.report().seconds());
        Path file = tmp.resolve("vww_" + g + learned + ".tflite");
        TfliteWriter.write(c.model(), file);
        return VwwDeadChannelsIT.sqnrByLayer(TfliteReader.read(file));
    }

    private static String worst(Map<String, Double> sqnr) {
        return sqnr.entrySet().stream()
                .min(Map.Entry.comparingByValue())
                .orElseThrow()
                .getKey();
    }

    /**
     * Measured (dB; nearest → learned): per channel, worst layer 18.13 → 22.66 (activation_15 both), softmax 30.19 →
     * 40.73, logits 24.51 → 31.52, every layer higher by 0.91–10.5 dB; per tensor, worst layer 15.92 → 20.80
     * (activation_15), softmax 27.89 → 35.89, logits 19.03 → 27.15, every layer higher by 2.98–9.0 dB. Converting
     * took 5–6 s with learned rounding against 0.1–0.5 s without. Against the converter's file (worst layer, Quanta −
     * converter): per channel −1.80 dB (activation_14) → −0.21 dB (activation_5), per tensor −5.08 dB (activation_4)
     * → −0.49 dB (activation_5): with learned rounding plain min/max comes within 1 dB of the converter at every layer
     * (issue 10, acceptance 5). Asserted, at both granularities: no layer below nearest rounding's, the worst layer at
     * least 3 dB and the softmax at least 5 dB above nearest rounding's, and every layer within 1 dB of the
     * converter's file.
     */
    @Test
    void everyLayerCloserToKerasWithLearnedRounding() {
        for (Granularity g : Granularity.values()) {
            Map<String, Double> nearest = sqnr(g, false);
            Map<String, Double> learned = sqnr(g, true);
            double nearestAgainstConverter =
                    VwwDeadChannelsIT.printAndWorstDifference("VWW " + g + ", nearest rounding", nearest);
            double learnedAgainstConverter =
                    VwwDeadChannelsIT.printAndWorstDifference("VWW " + g + " + adaround", learned);
            StringBuilder sb = new StringBuilder(String.format(
                    Locale.ROOT, "VWW %s%n%-20s %8s %8s %7s%n", g, "layer", "nearest", "adaround", "diff"));
            for (String l : nearest.keySet()) {
                sb.append(String.format(
                        Locale.ROOT,
                        "%-20s %8.2f %8.2f %7.2f%n",
                        l,
                        nearest.get(l),
                        learned.get(l),
                        learned.get(l) - nearest.get(l)));
            }
            System.out.print(sb);
            String wn = worst(nearest);
            String wl = worst(learned);
            System.out.printf(
                    Locale.ROOT,
                    "VWW %s: worst layer %s %.2f dB -> %s %.2f dB; softmax %.2f -> %.2f dB; logits %.2f -> %.2f dB%n",
                    g,
                    wn,
                    nearest.get(wn),
                    wl,
                    learned.get(wl),
                    nearest.get("softmax"),
                    learned.get("softmax"),
                    nearest.get("dense"),
                    learned.get("dense"));
            assertThat(learned.keySet()).isEqualTo(nearest.keySet());
            for (String l : nearest.keySet()) {
                assertThat(learned.get(l)).as("%s %s SQNR (dB)", g, l).isGreaterThanOrEqualTo(nearest.get(l));
            }
            assertThat(learned.get(wl)).as("%s worst layer (dB)", g).isGreaterThan(nearest.get(wn) + 3);
            assertThat(learned.get("softmax")).as("%s softmax (dB)", g).isGreaterThan(nearest.get("softmax") + 5);
            assertThat(learnedAgainstConverter)
                    .as("%s min over layers of Quanta − converter SQNR (dB)", g)
                    .isGreaterThanOrEqualTo(-1.0)
                    .isGreaterThan(nearestAgainstConverter);
        }
    }
}
