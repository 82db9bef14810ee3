package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The README's op table is the kernel registry ({@link Kernels#registry()}) rendered as Markdown: this test fails
 * when README.md (the repository root's) holds anything else between its {@code op-table} markers, and with
 * {@code -Dquanta.writeOpTable=true} rewrites that section instead.
 */
class OpTableTest {
    static final String START = "<!-- op-table:start -->";
    static final String END = "<!-- op-table:end -->";
    static final String REFRESH = "./run-tests -pl quanta-core -Dtest=OpTableTest -Dquanta.writeOpTable=true";

    /** The activation types with a column of their own, in column order. */
    private static final DType[] COLUMNS = {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16};

    /** "both", "XNNPACK" or "built-in": the TFLite paths a row reproduces. */
    static String paths(KernelSupport row) {
        if (row.onBothPaths()) {
            return "both";
        }
        Set<QuantizedPath> p = row.paths();
        return p.contains(QuantizedPath.XNNPACK) ? "XNNPACK" : "built-in";
    }

    /** The table: one line per op, a column per activation type, hybrid, and the other types. */
    static String render(List<KernelSupport> rows) {
        Map<OpType, List<KernelSupport>> byOp = new TreeMap<>();
        for (KernelSupport r : rows) {
            byOp.computeIfAbsent(r.op(), k -> new ArrayList<>()).add(r);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| op | float32 | int8 | uint8 | int16 | hybrid | other types |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        for (Map.Entry<OpType, List<KernelSupport>> e : byOp.entrySet()) {
            Map<DType, String> cells = new EnumMap<>(DType.class);
            String hybrid = "";
            List<String> others = new ArrayList<>();
            List<KernelSupport> ordered = new ArrayList<>(e.getValue());
            ordered.sort(java.util.Comparator.comparing(KernelSupport::type)); // rows may come in any order
            for (KernelSupport r : ordered) {
                if (r.hybrid()) {
                    hybrid = paths(r);
                } else if (List.of(COLUMNS).contains(r.type())) {
                    cells.put(r.type(), paths(r));
                } else {
                    others.add(r.type().name().toLowerCase() + (r.onBothPaths() ? "" : " (" + paths(r) + ")"));
                }
            }
            sb.append("| ").append(e.getKey());
            for (DType t : COLUMNS) {
                sb.append(" | ").append(cells.getOrDefault(t, ""));
            }
            sb.append(" | ")
                    .append(hybrid)
                    .append(" | ")
                    .append(String.join(", ", others))
                    .append(" |\n");
        }
        return sb.toString();
    }

    /** The README section between the markers: a note on how to read the table, then the table. */
    static String section(List<KernelSupport> rows) {
        return START + "\n"
                + "<!-- generated from Kernels.registry() by OpTableTest; refresh with " + REFRESH + " -->\n\n"
                + render(rows) + "\n" + END;
    }

    private static Path readme() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("README.md");
            if (Files.exists(candidate) && Files.exists(dir.resolve("quanta-core"))) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError(
                "no README.md beside quanta-core above " + Path.of("").toAbsolutePath());
    }

    @Test
    void theReadmeHoldsTheTableOfTheRegistry() throws IOException {
        Path readme = readme();
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int start = text.indexOf(START);
        int end = text.indexOf(END);
        assertThat(start).as("%s has a line %s", readme, START).isNotNegative();
        assertThat(end).as("%s has a line %s after %s", readme, END, START).isGreaterThan(start);
        String current = text.substring(start, end + END.length());
        String wanted = section(Kernels.registry());
        if (Boolean.getBoolean("quanta.writeOpTable")) {
            Files.writeString(
                    readme,
                    text.substring(0, start) + wanted + text.substring(end + END.length()),
                    StandardCharsets.UTF_8);
            return;
        }
        assertThat(current)
                .as("README.md's op table is not the kernel registry's; refresh it with " + REFRESH)
                .isEqualTo(wanted);
    }

    @Test
    void aRowShowsItsPathsInItsTypesColumn() {
        List<KernelSupport> rows = List.of(
                KernelSupport.bothPaths(OpType.ADD, DType.INT8, "a"),
                new KernelSupport(OpType.ADD, DType.INT32, Set.of(QuantizedPath.BUILTIN), "b"),
                KernelSupport.hybrid(OpType.FULLY_CONNECTED, Set.of(QuantizedPath.BUILTIN), "c"),
                new KernelSupport(OpType.FULLY_CONNECTED, DType.UINT8, Set.of(QuantizedPath.XNNPACK), "d"));
        assertThat(render(rows))
                .isEqualTo("| op | float32 | int8 | uint8 | int16 | hybrid | other types |\n"
                        + "|---|---|---|---|---|---|---|\n"
                        + "| FULLY_CONNECTED |  |  | XNNPACK |  | built-in |  |\n"
                        + "| ADD |  | both |  |  |  | int32 (built-in) |\n");
    }
}
