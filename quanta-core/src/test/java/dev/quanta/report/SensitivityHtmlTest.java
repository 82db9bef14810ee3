package dev.quanta.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.eval.Metric;
import dev.quanta.tuning.Sensitivity;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The sensitivity page: one bar per layer in the result's order, the first highlighted, text escaped. */
class SensitivityHtmlTest {
    private static final String HOSTILE = "<script>alert('x')</script>&\"conv\"";

    private static int count(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static Sensitivity.Result accuracy() {
        return new Sensitivity.Result(
                Metric.TOPK,
                200,
                100.0,
                61.5,
                38.5,
                1.2e-23,
                List.of(
                        new Sensitivity.Layer(HOSTILE, 62.0, 38.0, 99.5, 38.0, 3.4e-23, 5.6e-23),
                        new Sensitivity.Layer("dense_1", 100.0, 0.0, 62.0, 0.5, 1.0, 1.0),
                        new Sensitivity.Layer("dense_2", 99.5, 0.5, 61.0, -0.5, 1.0, 1.0)));
    }

    @Test
    void oneBarPerLayerMostSensitiveFirstAndHighlighted() {
        String html = SensitivityHtml.page("outlier.tflite", "Sensitivity of outlier.tflite", accuracy())
                .render();
        assertThat(count(html, "<rect class=\"bar")).isEqualTo(3);
        assertThat(count(html, "<rect class=\"bar worst\"")).isEqualTo(1);
        assertThat(html).containsPattern("<rect class=\"bar worst\"[^>]*><title>&lt;script&gt;[^<]*: \\+38\\.00<");
        assertThat(html.indexOf("<title>dense_1: +0.50</title>"))
                .isPositive()
                .isLessThan(html.indexOf("<title>dense_2: -0.50</title>"));
        // summary and table: the text report's numbers
        assertThat(html)
                .contains("<td class=\"num\">100.00%</td>")
                .contains("<td class=\"num\">61.50%</td>")
                .contains("<td class=\"num\">+38.50</td>")
                .contains("<td class=\"num\">99.50%</td>")
                .contains(">p (McNemar)</th>")
                .contains("<td class=\"num\">3.4e-23</td>")
                .contains("<td class=\"num\">5.6e-23</td>");
        assertThat(count(html, "<tr>")).isEqualTo(1 + 1 + 1 + 3);
        // the negative recovered value draws left of the zero line, so the axis starts below 0
        assertThat(html).contains(">-0.5</text>");
    }

    @Test
    void escapesTheLayerNameTheModelNameAndTheSettings() {
        String html =
                SensitivityHtml.page(HOSTILE, "settings " + HOSTILE, accuracy()).render();
        assertThat(html).doesNotContain("<script").doesNotContain("\"conv\"");
        assertThat(html).contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;conv&quot;");
    }

    @Test
    void reconstructionDropsAreInPercentOfTheFloatError() {
        Sensitivity.Result r = new Sensitivity.Result(
                Metric.MSE,
                50,
                0.02,
                0.025,
                25.0,
                Double.NaN,
                List.of(new Sensitivity.Layer("enc", 0.024, 20.0, 0.021, 20.0, Double.NaN, Double.NaN)));
        String html = SensitivityHtml.page("ad.h5", "s", r).render();
        assertThat(count(html, "<rect class=\"bar")).isEqualTo(1);
        assertThat(html)
                .contains("<td class=\"num\">0.0200</td>")
                .contains("<td class=\"num\">+25.00%</td>")
                .contains("<title>enc: +20.00%</title>")
                .contains("% of float error</text>")
                .doesNotContain("McNemar");
    }
}
