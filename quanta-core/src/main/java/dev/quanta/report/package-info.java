/**
 * Self-contained HTML reports: one file with inline CSS and inline SVG charts, no script and nothing loaded from
 * elsewhere. {@link dev.quanta.report.HtmlPage} assembles sections; {@link dev.quanta.report.BarChart} and
 * {@link dev.quanta.report.HistogramChart} draw the charts every section uses; {@link
 * dev.quanta.report.ComparisonHtml} and {@link dev.quanta.report.QuantizationHtml} are the pages of {@code evaluate
 * --compare} and {@code quantize}. Every text from a model or a file name goes through {@link
 * dev.quanta.report.Html#escape}.
 */
package dev.quanta.report;
