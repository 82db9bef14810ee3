package dev.quanta.report;

import dev.quanta.files.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A self-contained HTML page: a title, then sections of a heading and body, styled by inline CSS. The page has no
 * script and loads nothing (its Content-Security-Policy forbids both), so it opens the same offline, from a mail
 * attachment or from a CI artifact. A new kind of report (a sensitivity chart, say) is one more
 * {@link #section} with a {@link BarChart} in it.
 */
public final class HtmlPage {
    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:.5em 0}th,td{padding:.2em .6em;border-bottom:1px solid #eee;\
            text-align:left;vertical-align:top}th{background:#f4f4f4}td.num,th.num{text-align:right;\
            font-variant-numeric:tabular-nums}p.note{color:#555}
            svg{display:block;margin:.5em 0;font:11px system-ui,sans-serif}
            .bar{fill:#4a7bb7}.bar.worst{fill:#d9534f}.clip{stroke:#d9534f;stroke-width:1.5}
            .axis{stroke:#888}.zero{stroke:#222}figure{margin:1em 0}figcaption{font-weight:600}
            """;

    private final String title;
    private final List<String> sections = new ArrayList<>();

    /** An empty page with {@code title} (escaped). */
    public HtmlPage(String title) {
        this.title = title;
    }

    /**
     * Adds a section: {@code heading} is escaped, {@code bodyHtml} is taken as HTML (build it with {@link Html},
     * {@link BarChart} and {@link HistogramChart}, which escape what they are given).
     *
     * @param id the section's id attribute (letters, digits and dashes)
     */
    public HtmlPage section(String id, String heading, String bodyHtml) {
        if (!id.matches("[A-Za-z][A-Za-z0-9-]*")) {
            throw new IllegalArgumentException("section id must be letters, digits and dashes, not '" + id + "'");
        }
        sections.add(
                "<section id=\"" + id + "\">\n<h2>" + Html.escape(heading) + "</h2>\n" + bodyHtml + "</section>\n");
        return this;
    }

    /** The whole page. */
    public String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'; img-src data:\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<link rel=\"icon\" href=\"data:,\">\n")
                .append("<title>")
                .append(Html.escape(title))
                .append("</title>\n<style>\n")
                .append(STYLE)
                .append("</style>\n</head>\n<body>\n<h1>")
                .append(Html.escape(title))
                .append("</h1>\n");
        sections.forEach(sb::append);
        return sb.append("<p class=\"note\">Written by Quanta.</p>\n</body>\n</html>\n")
                .toString();
    }

    /**
     * Writes the page to {@code target} in UTF-8, atomically ({@link AtomicFiles#writeBytes}): a reader sees the
     * old file or the whole new one.
     *
     * @throws dev.quanta.QuantaException naming {@code target} when it cannot be written
     */
    public void write(Path target) {
        AtomicFiles.writeBytes(target, render().getBytes(StandardCharsets.UTF_8));
    }
}
