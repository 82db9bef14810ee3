package dev.quanta.bench;

import dev.quanta.kernels.Simd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The facts a benchmark table needs beside it: CPU model and its SIMD flags (from {@code /proc/cpuinfo} on Linux),
 * CPU count, JDK, and the vector width of Quanta's fast kernels ({@link Simd#describe()}).
 */
final class MachineInfo {
    private MachineInfo() {}

    /** The header lines. */
    static List<String> describe() {
        List<String> lines = new ArrayList<>();
        String cpuinfo = read(Path.of("/proc/cpuinfo"));
        lines.add("CPU:   " + cpuModel(cpuinfo) + ", " + Runtime.getRuntime().availableProcessors()
                + " CPU(s) for this JVM, " + System.getProperty("os.arch"));
        lines.add("SIMD:  " + simdFlags(cpuinfo));
        lines.add("JDK:   " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vm.vendor") + ")");
        lines.add("Quanta kernels: " + Simd.describe());
        return lines;
    }

    private static String read(Path p) {
        try {
            return Files.isReadable(p) ? Files.readString(p) : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** The first value of {@code key} in /proc/cpuinfo's text, or null. */
    private static String field(String cpuinfo, String key) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(key)) {
                return line.substring(colon + 1).trim();
            }
        }
        return null;
    }

    static String cpuModel(String cpuinfo) {
        String model = field(cpuinfo, "model name");
        if (model == null) {
            String part = field(cpuinfo, "CPU part"); // ARM: implementer and part number
            String implementer = field(cpuinfo, "CPU implementer");
            model = part == null ? null : "ARM implementer " + implementer + " part " + part;
        }
        return model == null ? "unknown (no /proc/cpuinfo)" : model;
    }

    /**
     * The vector flags among the CPU's: SSE4.x, AVX, AVX2, FMA, every AVX-512 and VNNI/AMX flag on x86; ASIMD
     * (NEON), its dot product, SVE on ARM.
     */
    static String simdFlags(String cpuinfo) {
        String flags = field(cpuinfo, "flags");
        if (flags == null) {
            flags = field(cpuinfo, "Features");
        }
        if (flags == null) {
            return "unknown";
        }
        Set<String> kept = new LinkedHashSet<>();
        for (String f : flags.split("\\s+")) {
            String l = f.toLowerCase(Locale.ROOT);
            if (l.equals("sse4_1")
                    || l.equals("sse4_2")
                    || l.equals("avx")
                    || l.equals("avx2")
                    || l.equals("fma")
                    || l.startsWith("avx512")
                    || l.contains("vnni")
                    || l.startsWith("amx")
                    || l.equals("f16c")
                    || l.equals("asimd")
                    || l.equals("neon")
                    || l.equals("asimddp")
                    || l.equals("asimdhp")
                    || l.startsWith("sve")
                    || l.equals("i8mm")) {
                kept.add(l);
            }
        }
        return kept.isEmpty() ? "none of the vector flags" : String.join(" ", kept);
    }
}
