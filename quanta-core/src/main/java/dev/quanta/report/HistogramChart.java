package dev.quanta.report;

import dev.quanta.quantize.TensorHistogram;

/**
 * A histogram of a tensor's calibration values in inline SVG, with the chosen clipping range drawn as two vertical
 * lines ({@code class="clip"}). The histogram's bins are merged into {@link #BARS} equal display bins spanning
 * min(values, range, 0) to max(values, range, 0); every display bin is one {@code <rect class="bar">}, empty ones
 * included, so the chart always has {@link #BARS} bars. Bar height is proportional to log(1 + count), so the
 * tails that clipping cuts stay visible next to a peak at zero.
 */
public final class HistogramChart {
    /** Display bins (bars) per histogram. */
    public static final int BARS = 64;

    static final int WIDTH = 520;
    static final int HEIGHT = 120;
    static final int MARGIN = 20;

    private HistogramChart() {}

    /**
     * The display counts of {@code h} over {@code [lo, hi)} in {@code bars} bins: each histogram bin goes whole to
     * the display bin of its centre (the last display bin also takes {@code hi}).
     */
    static long[] rebin(TensorHistogram h, double lo, double hi, int bars) {
        long[] out = new long[bars];
        long[] counts = h.counts();
        double w = h.binWidth();
        if (w == 0) {
            // zeros only: everything in the bin holding 0
            out[clampIndex((int) Math.floor((0 - lo) / (hi - lo) * bars), bars)] += counts[0];
            return out;
        }
        for (int j = 0; j < counts.length; j++) {
            if (counts[j] != 0) {
                double centre = (h.firstIndex() + j + 0.5) * w;
                out[clampIndex((int) Math.floor((centre - lo) / (hi - lo) * bars), bars)] += counts[j];
            }
        }
        return out;
    }

    private static int clampIndex(int i, int bars) {
        return Math.max(0, Math.min(bars - 1, i));
    }

    /**
     * The {@code <svg>} element.
     *
     * @param name the tensor's name (escaped), the chart's accessible name
     * @param h the tensor's histogram, not empty
     * @param chosenMin the low end of the chosen range
     * @param chosenMax the high end of the chosen range
     */
    public static String render(String name, TensorHistogram h, double chosenMin, double chosenMax) {
        double lo = Math.min(0, Math.min(h.min(), chosenMin));
        double hi = Math.max(0, Math.max(h.max(), chosenMax));
        if (!(hi > lo)) {
            hi = lo + 1;
        }
        long[] bins = rebin(h, lo, hi, BARS);
        double top = 0;
        for (long c : bins) {
            top = Math.max(top, Math.log1p(c));
        }
        double plotW = WIDTH - 2 * MARGIN;
        double plotH = HEIGHT - 2 * MARGIN;
        double barW = plotW / BARS;
        StringBuilder sb = new StringBuilder();
        sb.append(Html.format(
                "<svg class=\"chart histogram\" width=\"%d\" height=\"%d\" "
                        + "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">\n",
                WIDTH, HEIGHT, WIDTH, HEIGHT, Html.escape("histogram of " + name)));
        for (int i = 0; i < BARS; i++) {
            double bh = top == 0 ? 0 : Math.log1p(bins[i]) / top * plotH;
            double from = lo + (hi - lo) * i / BARS;
            double to = lo + (hi - lo) * (i + 1) / BARS;
            sb.append(Html.format(
                    "<rect class=\"bar\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"><title>[%s, %s): %d"
                            + "</title></rect>\n",
                    Html.coord(MARGIN + i * barW),
                    Html.coord(MARGIN + plotH - bh),
                    Html.coord(Math.max(0, barW - 1)),
                    Html.coord(bh),
                    Html.number(from),
                    Html.number(to),
                    bins[i]));
        }
        double base = MARGIN + plotH;
        sb.append(Html.format(
                "<line class=\"axis\" x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>\n",
                MARGIN, Html.coord(base), Html.coord(MARGIN + plotW), Html.coord(base)));
        for (double edge : new double[] {chosenMin, chosenMax}) {
            double x = MARGIN + (edge - lo) / (hi - lo) * plotW;
            sb.append(Html.format(
                    "<line class=\"clip\" x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\"><title>chosen %s</title></line>\n",
                    Html.coord(x), MARGIN - 6, Html.coord(x), Html.coord(base), Html.number(edge)));
        }
        sb.append(Html.format("<text x=\"%d\" y=\"%d\">%s</text>\n", MARGIN, HEIGHT - 4, Html.number(lo)))
                .append(Html.format(
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
                        WIDTH - MARGIN, HEIGHT - 4, Html.number(hi)))
                .append(Html.format(
                        "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">chosen [%s, %s]</text>\n",
                        WIDTH / 2, 12, Html.number(chosenMin), Html.number(chosenMax)));
        return sb.append("</svg>\n").toString();
    }
}
