package dev.quanta.report;

import java.util.List;
import java.util.Locale;

/** Small helpers for writing HTML by hand: escaping and number formatting (always {@link Locale#ROOT}). */
public final class Html {
    private Html() {}

    /**
     * {@code text} safe in element content and in double-quoted attribute values: {@code & < > " '} become
     * character references, and control characters other than tab, newline and carriage return become U+FFFD
     * (they are not allowed in HTML). Null becomes the empty string.
     */
    public static String escape(String text) {
        if (text == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
                        sb.append('\uFFFD');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** {@code String.format} in {@link Locale#ROOT}. */
    public static String format(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /**
     * A number for a chart label: four significant digits without trailing zeros ({@code 0}, {@code 4},
     * {@code 0.0078}, {@code 1.235e+05}); {@code ∞}, {@code -∞} and {@code NaN} as such.
     */
    public static String number(double v) {
        if (!Double.isFinite(v)) {
            return Double.isNaN(v) ? "NaN" : v > 0 ? "∞" : "-∞";
        }
        if (v == 0) {
            return "0";
        }
        String s = format("%.4g", v);
        int e = s.indexOf('e');
        String mantissa = e < 0 ? s : s.substring(0, e);
        if (mantissa.contains(".")) {
            mantissa = mantissa.replaceAll("0+$", "").replaceAll("\\.$", "");
        }
        return e < 0 ? mantissa : mantissa + s.substring(e);
    }

    /** A number for an SVG attribute: at most two decimals, no exponent. */
    static String coord(double v) {
        return format("%.2f", v);
    }

    /**
     * A table: {@code header} and each row's cells are escaped; a row's cells beyond the header are dropped.
     *
     * @param cssClass the table's class attribute, or null
     * @param numeric per column, whether it holds numbers (right-aligned); may be shorter than the header
     */
    public static String table(String cssClass, List<String> header, boolean[] numeric, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append("<table")
                .append(cssClass == null ? "" : " class=\"" + escape(cssClass) + "\"")
                .append(">\n<thead><tr>");
        for (int i = 0; i < header.size(); i++) {
            sb.append("<th")
                    .append(numeric(numeric, i))
                    .append('>')
                    .append(escape(header.get(i)))
                    .append("</th>");
        }
        sb.append("</tr></thead>\n<tbody>\n");
        for (List<String> row : rows) {
            sb.append("<tr>");
            for (int i = 0; i < Math.min(row.size(), header.size()); i++) {
                sb.append("<td")
                        .append(numeric(numeric, i))
                        .append('>')
                        .append(escape(row.get(i)))
                        .append("</td>");
            }
            sb.append("</tr>\n");
        }
        return sb.append("</tbody>\n</table>\n").toString();
    }

    private static String numeric(boolean[] numeric, int column) {
        return numeric != null && column < numeric.length && numeric[column] ? " class=\"num\"" : "";
    }
}
