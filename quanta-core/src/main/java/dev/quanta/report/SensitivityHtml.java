package dev.quanta.report;

import dev.quanta.eval.Metric;
import dev.quanta.tuning.Sensitivity;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTML page of {@code quanta sensitivity --report}: the metric of the float and the full-integer model, a bar
 * chart of each layer's "recovered" value (how much of the full-integer drop keeping only that layer in float wins
 * back), most sensitive first with that layer highlighted, and the per-layer table as the text report has it.
 */
public final class SensitivityHtml {
    private SensitivityHtml() {}

    /**
     * The page.
     *
     * @param modelName how to name the model (its file name)
     * @param settings one line saying how the model was quantized and evaluated (escaped)
     */
    public static HtmlPage page(String modelName, String settings, Sensitivity.Result r) {
        HtmlPage page = new HtmlPage("Quanta: sensitivity of " + modelName);
        page.section("summary", "Float against all layers quantized", summary(settings, r));
        page.section("recovered", "Recovered by keeping each layer in float", chart(r).render() + chartNote(r));
        page.section("layers", "Per-layer sensitivity", layerTable(r));
        return page;
    }

    /** The metric, float, full-integer and drop table, under the settings line. */
    static String summary(String settings, Sensitivity.Result r) {
        Metric m = r.metric();
        List<List<String>> rows = List.of(List.of(
                m.label(),
                Integer.toString(r.samples()),
                value(m, r.floatValue()),
                value(m, r.int8Value()),
                drop(m, r.int8Drop())));
        return "<p>" + Html.escape(settings) + "</p>\n"
                + Html.table(
                        "summary",
                        List.of("metric", "samples", "float", "all layers quantized", "drop"),
                        new boolean[] {false, true, true, true, true},
                        rows)
                + "<p class=\"note\">" + Html.escape(unitNote(m)) + "</p>\n";
    }

    /** One bar per layer, in the result's order (most sensitive first), the first highlighted. */
    public static BarChart chart(Sensitivity.Result r) {
        Metric m = r.metric();
        BarChart chart = new BarChart("recovered per layer", unit(m));
        List<Sensitivity.Layer> layers = r.layers();
        for (int i = 0; i < layers.size(); i++) {
            Sensitivity.Layer l = layers.get(i);
            chart.bar(l.layer(), l.recovered(), drop(m, l.recovered()), i == 0);
        }
        return chart;
    }

    private static String chartNote(Sensitivity.Result r) {
        return "<p class=\"note\">"
                + Html.escape("Recovered = drop(float → all quantized) − drop(float → all but "
                        + "the layer quantized), in " + unit(r.metric())
                        + "; the most sensitive layer is in red. All layers "
                        + "quantized drop " + drop(r.metric(), r.int8Drop()) + ".")
                + "</p>\n";
    }

    /**
     * The per-layer table: only it quantized, its drop, all but it quantized, recovered; for top-k also McNemar's p
     * of each drop and of each recovery.
     */
    static String layerTable(Sensitivity.Result r) {
        Metric m = r.metric();
        boolean paired = !Double.isNaN(r.int8P());
        List<List<String>> rows = new ArrayList<>();
        for (Sensitivity.Layer l : r.layers()) {
            rows.add(columns(
                    paired,
                    List.of(
                            l.layer(),
                            value(m, l.aloneValue()),
                            drop(m, l.aloneDrop()),
                            Html.format("%.2g", l.aloneP()),
                            value(m, l.allButValue()),
                            drop(m, l.recovered()),
                            Html.format("%.2g", l.recoveredP()))));
        }
        List<String> header = columns(
                paired,
                List.of(
                        "layer",
                        "only it quantized",
                        "drop",
                        "p (McNemar)",
                        "all but it quantized",
                        "recovered",
                        "p (McNemar)"));
        boolean[] numeric = new boolean[header.size()];
        java.util.Arrays.fill(numeric, 1, numeric.length, true);
        return Html.table("layers", header, numeric, rows);
    }

    /** The seven columns of the layer table, or without the two p columns (the 4th and 7th) when not {@code paired}. */
    private static List<String> columns(boolean paired, List<String> seven) {
        return paired ? seven : List.of(seven.get(0), seven.get(1), seven.get(2), seven.get(4), seven.get(5));
    }

    /** A value of the metric: accuracy in percent, an error or AUC with 4 decimals (as the text report). */
    static String value(Metric m, double v) {
        return m == Metric.TOPK ? Html.format("%.2f%%", v) : Html.format("%.4f", v);
    }

    /** A drop with its sign: points, or percent of the float error. */
    static String drop(Metric m, double d) {
        return Html.format("%+.2f", d) + (Sensitivity.dropUnit(m).equals("%") ? "%" : "");
    }

    private static String unit(Metric m) {
        return Sensitivity.dropUnit(m).equals("%") ? "% of float error" : "points";
    }

    private static String unitNote(Metric m) {
        return "Drops are from float: positive is worse ("
                + (Sensitivity.dropUnit(m).equals("%") ? "percent of the float error" : "points") + ").";
    }
}
