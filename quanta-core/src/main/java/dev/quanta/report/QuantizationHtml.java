package dev.quanta.report;

import dev.quanta.quantize.CalibrationReport;
import dev.quanta.quantize.LayerReport;
import dev.quanta.quantize.QuantizationReport;
import dev.quanta.quantize.TensorCalibration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The HTML page of {@code quantize}: the settings, the sizes before and after, the per-layer table of the text
 * report, and per calibrated activation tensor its histogram with the chosen clipping range ({@link
 * HistogramChart}), or the ranges alone when no histogram was kept.
 */
public final class QuantizationHtml {
    private QuantizationHtml() {}

    /**
     * The page.
     *
     * @param inputName the model file converted
     * @param outputName the file written
     * @param inputBytes the input file's size, -1 when unknown
     * @param outputBytes the output file's size
     */
    public static HtmlPage page(
            QuantizationReport r, String inputName, String outputName, long inputBytes, long outputBytes) {
        HtmlPage page = new HtmlPage("Quanta: " + inputName + " quantized to " + outputName);
        page.section("settings", "Settings and size", settings(r, inputName, outputName, inputBytes, outputBytes));
        page.section("layers", "Layers", layers(r.layers()));
        if (r.calibration() != null) {
            page.section("activations", "Activation ranges", activations(r.calibration()));
        }
        return page;
    }

    static String settings(QuantizationReport r, String inputName, String outputName, long inputBytes, long outBytes) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("input", inputName));
        rows.add(List.of("output", outputName));
        rows.add(List.of("mode", lower(r.mode().name()) + (r.modeReason() == null ? "" : " (" + r.modeReason() + ")")));
        rows.add(List.of("scheme", lower(r.scheme().name())));
        rows.add(List.of("weights", lower(r.granularity().name()).replace('_', '-')));
        rows.add(List.of("I/O", lower(r.io().name())));
        if (r.calibration() != null) {
            rows.add(List.of("calibration", r.calibration().describe() + " on " + r.calibrationSamples() + " samples"));
        }
        if (inputBytes >= 0) {
            rows.add(List.of("file size", Html.format("%,d B -> %,d B", inputBytes, outBytes)));
        } else {
            rows.add(List.of("file size", Html.format("%,d B", outBytes)));
        }
        rows.add(List.of(
                "weights size",
                Html.format(
                        "%,d B float32 -> %,d B (%.2fx smaller)",
                        r.floatBytes(),
                        r.quantizedBytes(),
                        r.quantizedBytes() == 0 ? 0.0 : (double) r.floatBytes() / r.quantizedBytes())));
        rows.add(List.of("converted in", Html.format("%.2f s", r.seconds())));
        return Html.table("settings", List.of("setting", "value"), null, rows);
    }

    static String layers(List<LayerReport> layers) {
        List<List<String>> rows = new ArrayList<>();
        for (LayerReport l : layers) {
            rows.add(List.of(
                    l.layer(),
                    l.op(),
                    l.inputType() + " -> " + l.outputType(),
                    l.outputParams() == null ? "" : l.outputParams(),
                    l.weightParams() == null ? "" : l.weightParams(),
                    l.leftInFloat() ? "left in float: " + l.reason() : ""));
        }
        return Html.table("layers", List.of("layer", "op", "types", "output", "weights", "note"), null, rows);
    }

    static String activations(CalibrationReport c) {
        StringBuilder sb = new StringBuilder();
        List<List<String>> rows = new ArrayList<>();
        for (TensorCalibration t : c.tensors()) {
            rows.add(List.of(
                    t.tensor(),
                    range(t.seen().min(), t.seen().max()),
                    range(t.chosen().min(), t.chosen().max()),
                    Html.format("%.4f%%", 100 * t.clippedFraction()),
                    t.method()));
        }
        sb.append(Html.table(
                "ranges",
                List.of("tensor", "seen [min, max]", "chosen range", "clipped", "by"),
                new boolean[] {false, false, false, true, false},
                rows));
        int drawn = 0;
        for (TensorCalibration t : c.tensors()) {
            if (t.histogram() != null && t.histogram().total() > 0) {
                sb.append("<figure class=\"activation\"><figcaption>")
                        .append(Html.escape(t.tensor()))
                        .append("</figcaption>\n")
                        .append(HistogramChart.render(
                                t.tensor(),
                                t.histogram(),
                                t.chosen().min(),
                                t.chosen().max()))
                        .append("</figure>\n");
                drawn++;
            }
        }
        sb.append("<p class=\"note\">")
                .append(Html.escape(
                        drawn == 0
                                ? "No histograms were kept in this conversion: the ranges above are all there is."
                                : "Each histogram shows the tensor's calibration values (bar height: log(1 + "
                                        + "count)); the red lines are the chosen range, beyond which values clip."))
                .append("</p>\n");
        return sb.toString();
    }

    private static String range(float min, float max) {
        return Html.format("[%.6g, %.6g]", min, max);
    }

    private static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }
}
