package dev.quanta.report;

import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.PairedComparison;
import dev.quanta.eval.ReconstructionResult;
import dev.quanta.quantize.LayerError;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTML page of {@code evaluate --compare}: the float-vs-quantized table (metric, loss, file size, latency), a
 * bar chart of the per-layer SQNR with the worst layer highlighted, and the per-layer table with saturation.
 * Columns with nothing measured (latency when none was measured, a loss the model does not name) are left out.
 */
public final class ComparisonHtml {
    private ComparisonHtml() {}

    /**
     * The page.
     *
     * @param floatName how to name the float model (its file name)
     * @param quantizedName how to name the quantized model
     */
    public static HtmlPage page(String floatName, String quantizedName, ModelComparison.Result c) {
        HtmlPage page = new HtmlPage("Quanta: " + floatName + " against " + quantizedName);
        page.section("summary", "Float against quantized", summary(floatName, quantizedName, c));
        page.section("sqnr", "Per-layer SQNR", sqnrChart(c.layers()).render() + sqnrNote());
        page.section("layers", "Per-layer error", layerTable(c.layers()));
        return page;
    }

    /** The float-vs-quantized table. */
    static String summary(String floatName, String quantizedName, ModelComparison.Result c) {
        List<String> header = new ArrayList<>(List.of("model", "file"));
        List<List<String>> rows = new ArrayList<>();
        List<String> f = new ArrayList<>(List.of("float", floatName));
        List<String> q = new ArrayList<>(List.of("quantized", quantizedName));
        String note;
        if (c.floatResult() != null) {
            EvaluationResult fr = c.floatResult();
            EvaluationResult qr = c.quantizedResult();
            header.add("samples");
            f.add(Long.toString(fr.samples()));
            q.add(Long.toString(qr.samples()));
            header.add("accuracy (top-" + fr.topK() + ")");
            f.add(Html.format("%.2f%%", 100 * fr.accuracy()));
            q.add(Html.format("%.2f%%", 100 * qr.accuracy()));
            if (fr.lossName() != null) {
                header.add("loss (" + fr.lossName() + ")");
                f.add(Html.format("%.4f", fr.loss()));
                q.add(Html.format("%.4f", qr.loss()));
            }
            PairedComparison p = c.paired();
            note = Html.format(
                    "Accuracy drop %+.2f points; top-1 agreement %.2f%%. Paired by sample: %d right only in float, %d"
                            + " only quantized (McNemar's exact test p = %.2g: %s).",
                    100 * c.accuracyDrop(),
                    100 * c.agreement(),
                    p.onlyFirst(),
                    p.onlySecond(),
                    p.p(),
                    p.significant()
                            ? "the difference is more than sampling noise"
                            : "these samples cannot tell the two apart");
        } else {
            ReconstructionResult fr = c.floatReconstruction();
            ReconstructionResult qr = c.quantizedReconstruction();
            header.add("windows");
            f.add(Long.toString(fr.samples()));
            q.add(Long.toString(qr.samples()));
            boolean auc = !Double.isNaN(fr.auc());
            if (auc) {
                header.add("AUC");
                f.add(Html.format("%.4f", fr.auc()));
                q.add(Html.format("%.4f", qr.auc()));
            }
            header.add("mean window MSE");
            f.add(Html.format("%.6g", fr.meanMse()));
            q.add(Html.format("%.6g", qr.meanMse()));
            header.add("mean window MAE");
            f.add(Html.format("%.6g", fr.meanMae()));
            q.add(Html.format("%.6g", qr.meanMae()));
            note = auc ? Html.format("AUC drop %+.4f.", fr.auc() - qr.auc()) : "";
        }
        if (c.floatBytes() >= 0) {
            header.add("size (bytes)");
            f.add(Html.format("%,d", c.floatBytes()));
            q.add(Html.format("%,d", c.quantizedBytes()));
        }
        if (c.floatLatency() != null) {
            header.add("latency p50 (µs)");
            f.add(Html.format("%.1f", c.floatLatency().p50()));
            q.add(Html.format("%.1f", c.quantizedLatency().p50()));
        }
        rows.add(f);
        rows.add(q);
        boolean[] numeric = new boolean[header.size()];
        for (int i = 2; i < numeric.length; i++) {
            numeric[i] = true;
        }
        String table = Html.table("summary", header, numeric, rows);
        String latency = c.floatLatency() == null ? " Latency was not measured." : "";
        return table + "<p class=\"note\">" + Html.escape(note + latency) + "</p>\n";
    }

    /** One bar per compared layer, in the table's order (worst first), the worst highlighted. */
    public static BarChart sqnrChart(List<LayerError> layers) {
        BarChart chart = new BarChart("per-layer SQNR", "dB");
        double worst = Double.POSITIVE_INFINITY;
        for (LayerError l : layers) {
            if (!Double.isNaN(l.sqnrDb())) {
                worst = Math.min(worst, l.sqnrDb());
            }
        }
        boolean marked = false;
        for (LayerError l : layers) {
            boolean isWorst = !marked && l.sqnrDb() == worst;
            marked |= isWorst;
            chart.bar(l.layer(), l.sqnrDb(), sqnr(l.sqnrDb()), isWorst);
        }
        return chart;
    }

    private static String sqnrNote() {
        return "<p class=\"note\">SQNR = 10·log10(Σf² / Σ(f − q)²) of each layer's output over the compared "
                + "samples; higher is better, the worst layer is in red.</p>\n";
    }

    static String sqnr(double db) {
        return Double.isNaN(db) ? "n/a" : Double.isInfinite(db) ? "∞ dB" : Html.format("%.2f dB", db);
    }

    /** The per-layer table, as the text report has it. */
    static String layerTable(List<LayerError> layers) {
        List<List<String>> rows = new ArrayList<>();
        for (LayerError l : layers) {
            rows.add(List.of(
                    l.layer(),
                    l.op(),
                    sqnr(l.sqnrDb()),
                    Html.format("%.4g", l.rmse()),
                    Double.isNaN(l.scale()) ? "-" : Html.format("%.3f", l.rmseOverScale()),
                    Html.format("%.4g", l.maxAbs()),
                    Double.isNaN(l.saturation()) ? "-" : Html.format("%.3f%%", 100 * l.saturation())));
        }
        return Html.table(
                        "layers",
                        List.of("layer", "op", "SQNR", "RMSE", "RMSE/scale", "max |err|", "saturated"),
                        new boolean[] {false, false, true, true, true, true, true},
                        rows)
                + "<p class=\"note\">RMSE/scale about 0.289 is rounding alone; saturated: the share of values "
                + "clipped at the ends of the quantized range.</p>\n";
    }
}
