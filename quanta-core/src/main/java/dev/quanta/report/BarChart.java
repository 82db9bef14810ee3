package dev.quanta.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A horizontal bar chart in inline SVG: one row per bar, its label on the left, its value at the bar's end. Every
 * bar is a {@code <rect class="bar">} (highlighted ones {@code class="bar worst"}) with a {@code <title>} tooltip.
 * Bars start at 0 on an axis from min(0, smallest value) to the largest value; a value that is +∞ (identical
 * tensors give an infinite SQNR) is drawn to the axis end and labelled as given, a NaN value as an empty bar.
 */
public final class BarChart {
    /** One bar: its label, its value, the text shown for the value, and whether it is highlighted. */
    public record Bar(String label, double value, String valueText, boolean highlighted) {}

    static final int ROW = 18;
    static final int LABEL_WIDTH = 260;
    static final int PLOT_WIDTH = 420;
    static final int VALUE_WIDTH = 90;

    private final String title;
    private final String unit;
    private final List<Bar> bars = new ArrayList<>();

    /**
     * @param title the chart's accessible name (escaped)
     * @param unit the value axis' unit, shown under the axis (escaped)
     */
    public BarChart(String title, String unit) {
        this.title = title;
        this.unit = unit;
    }

    /** Adds a bar. */
    public BarChart bar(String label, double value, String valueText, boolean highlighted) {
        bars.add(new Bar(label, value, valueText, highlighted));
        return this;
    }

    /** The bars added so far. */
    public List<Bar> bars() {
        return List.copyOf(bars);
    }

    /** The {@code <svg>} element. */
    public String render() {
        double lo = 0;
        double hi = 0;
        for (Bar b : bars) {
            if (Double.isFinite(b.value())) {
                lo = Math.min(lo, b.value());
                hi = Math.max(hi, b.value());
            }
        }
        if (hi == lo) {
            hi = lo + 1;
        }
        int width = LABEL_WIDTH + PLOT_WIDTH + VALUE_WIDTH;
        int height = ROW * bars.size() + 30;
        double scale = PLOT_WIDTH / (hi - lo);
        double zeroX = LABEL_WIDTH + (0 - lo) * scale;
        StringBuilder sb = new StringBuilder();
        sb.append(Html.format(
                "<svg class=\"chart bar-chart\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
                width, height, width, height, Html.escape(title)));
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            double v =
                    Double.isNaN(b.value()) ? 0 : Double.isInfinite(b.value()) ? (b.value() > 0 ? hi : lo) : b.value();
            double x0 = Math.min(zeroX, LABEL_WIDTH + (v - lo) * scale);
            double w = Math.abs(v * scale);
            int y = i * ROW;
            String label = Html.escape(b.label());
            sb.append("<g class=\"row\">")
                    .append(Html.format(
                            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>",
                            LABEL_WIDTH - 6, y + ROW - 5, Html.escape(shorten(b.label()))))
                    .append(Html.format(
                            "<rect class=\"bar%s\" x=\"%s\" y=\"%d\" width=\"%s\" height=\"%d\"><title>%s: %s</title>"
                                    + "</rect>",
                            b.highlighted() ? " worst" : "",
                            Html.coord(x0),
                            y + 2,
                            Html.coord(w),
                            ROW - 4,
                            label,
                            Html.escape(b.valueText())))
                    .append(Html.format(
                            "<text class=\"value\" x=\"%s\" y=\"%d\">%s</text>",
                            Html.coord(Math.max(zeroX, x0 + w) + 4), y + ROW - 5, Html.escape(b.valueText())))
                    .append("</g>\n");
        }
        int axisY = ROW * bars.size() + 2;
        sb.append(Html.format(
                        "<line class=\"zero\" x1=\"%s\" y1=\"0\" x2=\"%s\" y2=\"%d\"/>\n",
                        Html.coord(zeroX), Html.coord(zeroX), axisY))
                .append(Html.format(
                        "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n",
                        LABEL_WIDTH, axisY, LABEL_WIDTH + PLOT_WIDTH, axisY))
                .append(Html.format(
                        "<text x=\"%d\" y=\"%d\">%s</text>\n", LABEL_WIDTH, axisY + 14, Html.escape(tick(lo))))
                .append(Html.format(
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s %s</text>\n",
                        LABEL_WIDTH + PLOT_WIDTH, axisY + 14, Html.escape(tick(hi)), Html.escape(unit)));
        return sb.append("</svg>\n").toString();
    }

    private static String tick(double v) {
        return Html.number(v);
    }

    /** Labels longer than 40 characters keep their end, which names the layer (the tooltip has all of it). */
    static String shorten(String label) {
        if (label.length() <= 40) {
            return label;
        }
        int from = label.length() - 39;
        return "…" + label.substring(Character.isLowSurrogate(label.charAt(from)) ? from + 1 : from);
    }
}
