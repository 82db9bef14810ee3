package dev.quanta.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.ModelComparison;
import dev.quanta.quantize.CalibrationReport;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.LayerError;
import dev.quanta.quantize.LayerReport;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationReport;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.quantize.TensorCalibration;
import dev.quanta.quantize.TensorHistogram;
import dev.quanta.quantize.TensorRange;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTML report builder: escaping, one bar per layer or display bin, the numbers shown, the atomic write. */
class HtmlReportTest {
    private static final String HOSTILE = "<script>alert('x')</script>&\"conv\"";

    @TempDir
    Path tmp;

    private static int count(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    void chartNumbersHaveFourSignificantDigitsWithoutTrailingZeros() {
        assertThat(Html.number(0)).isEqualTo("0");
        assertThat(Html.number(4)).isEqualTo("4");
        assertThat(Html.number(-0.0078125)).isEqualTo("-0.007813");
        assertThat(Html.number(123456)).isEqualTo("1.235e+05");
        assertThat(Html.number(Double.POSITIVE_INFINITY)).isEqualTo("∞");
    }

    @Test
    void escapesEverySpecialCharacterAndControlCharacters() {
        assertThat(Html.escape("<a href=\"x\">'&'</a>"))
                .isEqualTo("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assertThat(Html.escape("a\u0000b\tc\nd\u007f")).isEqualTo("a\uFFFDb\tc\nd\uFFFD");
        assertThat(Html.escape(null)).isEmpty();
    }

    private static ModelComparison.Result comparison(List<LayerError> layers, boolean latency) {
        // the float model gets samples 0-179 right, the quantized one 4-179
        boolean[] floatHits = new boolean[200];
        boolean[] quantizedHits = new boolean[200];
        java.util.Arrays.fill(floatHits, 0, 180, true);
        java.util.Arrays.fill(quantizedHits, 4, 180, true);
        EvaluationResult f = new EvaluationResult(
                200,
                "sparse_categorical_crossentropy",
                false,
                0.31234,
                1,
                180,
                1.0,
                new int[200],
                floatHits,
                List.of());
        EvaluationResult q = new EvaluationResult(
                200,
                "sparse_categorical_crossentropy",
                false,
                0.35678,
                1,
                176,
                1.0,
                new int[200],
                quantizedHits,
                List.of());
        var b = latency
                ? new dev.quanta.runtime.Benchmark.Result(50, 1, 1, 1, 812.5, 900, 950, 820, 1200, 0, 0, List.of())
                : null;
        var bq = latency
                ? new dev.quanta.runtime.Benchmark.Result(50, 1, 1, 1, 301.25, 320, 330, 305, 3300, 0, 0, List.of())
                : null;
        return new ModelComparison.Result(f, q, 0.97, 123_456, 34_567, b, bq, layers, null, null);
    }

    private static List<LayerError> layers() {
        return List.of(
                new LayerError("t1", HOSTILE, "CONV_2D", 100, 12.5, 0.1, 0.02, 0.4, 0.0123),
                new LayerError("t2", "dense", "FULLY_CONNECTED", 100, 25.75, 0.01, 0.01, 0.05, 0),
                new LayerError("t3", "same", "RESHAPE", 100, Double.POSITIVE_INFINITY, 0, Double.NaN, 0));
    }

    @Test
    void comparisonPageHasOneBarPerLayerTheWorstHighlightedAndTheNumbers() {
        String html = ComparisonHtml.page("float <1>.h5", "int8.tflite", comparison(layers(), true))
                .render();
        assertThat(html).doesNotContain("<script").doesNotContain("alert('x')");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;conv&quot;");
        assertThat(html).contains("float &lt;1&gt;.h5");
        assertThat(count(html, "<rect class=\"bar[ \"]")).isEqualTo(3);
        assertThat(count(html, "<rect class=\"bar worst\"")).isEqualTo(1);
        assertThat(html).containsPattern("<rect class=\"bar worst\"[^>]*><title>&lt;script&gt;");
        // the summary: accuracy, loss, size and latency of both models
        assertThat(html)
                .contains("90.00%", "88.00%", "0.3123", "0.3568", "123,456", "34,567", "812.5", "301.3")
                .contains("latency p50")
                .contains("Accuracy drop +2.00 points; top-1 agreement 97.00%.");
        // the per-layer table
        assertThat(html).contains("12.50 dB", "25.75 dB", "∞ dB", "1.230%", "5.000");
        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("src=");
    }

    @Test
    void latencyNotMeasuredLeavesItsColumnOut() {
        String html = ComparisonHtml.page("a.h5", "b.tflite", comparison(layers(), false))
                .render();
        assertThat(html).doesNotContain("latency p50").contains("Latency was not measured.");
    }

    @Test
    void reconstructionComparisonShowsAucAndWindowErrorsWithoutAccuracy() {
        var fr = new dev.quanta.eval.ReconstructionResult(
                dev.quanta.eval.Metric.AUC,
                6,
                9.707,
                2.5,
                new double[6],
                List.of("a", "b"),
                new double[] {1, 2},
                new int[] {0, 1},
                0.875,
                1,
                List.of());
        var qr = new dev.quanta.eval.ReconstructionResult(
                dev.quanta.eval.Metric.AUC,
                6,
                10.24,
                2.75,
                new double[6],
                List.of("a", "b"),
                new double[] {1, 2},
                new int[] {0, 1},
                0.75,
                1,
                List.of());
        var c = new ModelComparison.Result(null, null, Double.NaN, 1000, 300, null, null, layers(), fr, qr);
        String html = ComparisonHtml.page("ad.h5", "ad_int8.tflite", c).render();
        assertThat(html)
                .contains("<th class=\"num\">AUC</th>", "0.8750", "0.7500", "AUC drop +0.1250.")
                .contains("9.70700", "10.2400", "2.50000", "2.75000")
                .doesNotContain("accuracy")
                .contains("Latency was not measured.");
        assertThat(count(html, "<rect class=\"bar[ \"]")).isEqualTo(3);
    }

    @Test
    void barChartSpansNegativeValuesAndInfinity() {
        BarChart chart = new BarChart("c", "dB")
                .bar("neg", -10, "-10", false)
                .bar("pos", 30, "30", true)
                .bar("inf", Double.POSITIVE_INFINITY, "inf", false)
                .bar("nan", Double.NaN, "n/a", false);
        String svg = chart.render();
        assertThat(count(svg, "<rect class=\"bar")).isEqualTo(4);
        // axis from -10 to 30 over the plot width: 0 at a quarter, the +∞ bar as long as the 30 one
        Matcher m = Pattern.compile("<rect class=\"bar[^\"]*\" x=\"([0-9.]+)\" y=\"[0-9]+\" width=\"([0-9.]+)\"")
                .matcher(svg);
        double[][] xw = new double[4][];
        for (int i = 0; i < 4 && m.find(); i++) {
            xw[i] = new double[] {Double.parseDouble(m.group(1)), Double.parseDouble(m.group(2))};
        }
        double zero = BarChart.LABEL_WIDTH + BarChart.PLOT_WIDTH / 4.0;
        assertThat(xw[0]).containsExactly(BarChart.LABEL_WIDTH, zero - BarChart.LABEL_WIDTH);
        assertThat(xw[1]).containsExactly(zero, BarChart.PLOT_WIDTH * 0.75);
        assertThat(xw[2]).containsExactly(zero, BarChart.PLOT_WIDTH * 0.75);
        assertThat(xw[3][1]).isZero();
    }

    private static TensorHistogram histogram() {
        TensorHistogram h = new TensorHistogram();
        float[] v = new float[1000];
        for (int i = 0; i < v.length; i++) {
            v[i] = i < 500 ? 0 : (i - 500) / 100f; // 500 zeros, then 0 .. 4.99
        }
        h.add(v);
        return h;
    }

    @Test
    void histogramHasAFixedNumberOfBarsAndKeepsEveryCount() {
        TensorHistogram h = histogram();
        long[] bins = HistogramChart.rebin(h, 0, 5, HistogramChart.BARS);
        assertThat(bins).hasSize(HistogramChart.BARS);
        assertThat(java.util.Arrays.stream(bins).sum()).isEqualTo(1000);
        assertThat(bins[0]).isGreaterThanOrEqualTo(500);
        String svg = HistogramChart.render("relu", h, 0, 4);
        assertThat(count(svg, "<rect class=\"bar\"")).isEqualTo(HistogramChart.BARS);
        assertThat(count(svg, "<line class=\"clip\"")).isEqualTo(2);
        assertThat(svg).contains("chosen [0, 4]");
    }

    private static QuantizationReport quantization(boolean withHistograms) {
        TensorHistogram h = withHistograms ? histogram() : null;
        List<TensorCalibration> tensors = List.of(
                new TensorCalibration("input", "percentile", new TensorRange(-1, 1), new TensorRange(-1, 1), 0, h),
                new TensorCalibration(HOSTILE, "percentile", new TensorRange(0, 4.99f), new TensorRange(0, 4), 0.1, h));
        return new QuantizationReport(
                QuantizationMode.INT8,
                null,
                QuantizationScheme.SYMMETRIC,
                Granularity.PER_CHANNEL,
                IoType.FLOAT,
                100,
                List.of(
                        new LayerReport(
                                HOSTILE, "CONV_2D", "int8", "int8", "scale=0.0157 zp=-128", "8 scales", false, null),
                        new LayerReport(
                                "lstm",
                                "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                "float32",
                                "float32",
                                "float",
                                null,
                                true,
                                "no <integer> kernel")),
                40_000,
                10_500,
                0.25,
                new CalibrationReport(Calibrator.PERCENTILE, 99.9, tensors));
    }

    @Test
    void quantizationPageDrawsOneHistogramPerCalibratedTensor() {
        String html = QuantizationHtml.page(quantization(true), "m.h5", "m_int8.tflite", 160_000, 42_000)
                .render();
        assertThat(html).doesNotContain("<script").doesNotContain("<integer>").contains("no &lt;integer&gt; kernel");
        assertThat(count(html, "<svg class=\"chart histogram\"")).isEqualTo(2);
        assertThat(count(html, "<rect class=\"bar\"")).isEqualTo(2 * HistogramChart.BARS);
        assertThat(html)
                .contains("percentile 99.9 on 100 samples", "160,000 B -&gt; 42,000 B", "3.81x smaller")
                .contains("10.0000%", "[0.00000, 4.99000]", "left in float: no &lt;integer&gt; kernel");
    }

    @Test
    void quantizationPageWithoutHistogramsShowsTheRangesAndSaysSo() {
        String html = QuantizationHtml.page(quantization(false), "m.h5", "m_int8.tflite", 160_000, 42_000)
                .render();
        assertThat(html).doesNotContain("<svg").contains("[0.00000, 4.00000]").contains("No histograms were kept");
    }

    @Test
    void writesTheFileWholeAndRefusesADirectory() throws Exception {
        Path out = tmp.resolve("r.html");
        HtmlPage page = new HtmlPage("t & u").section("s", "<h>", "<p>x</p>\n");
        page.write(out);
        String html = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(html).isEqualTo(page.render()).startsWith("<!DOCTYPE html>").contains("<title>t &amp; u</title>");
        assertThat(html).contains("<h2>&lt;h&gt;</h2>");
        try (var files = Files.list(tmp)) {
            assertThat(files).containsExactly(out);
        }
        assertThatThrownBy(() -> page.write(tmp))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("directory");
        assertThatThrownBy(() -> page.section("bad id\"", "x", "")).isInstanceOf(IllegalArgumentException.class);
    }
}
