package dev.quanta.runtime;

import dev.quanta.kernels.Simd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What a speed measurement ran on: the CPU model and its SIMD features, the CPU count, the JDK and the kernels'
 * vector width. Benchmarks print it beside their numbers, because this kind of machine changes from day to day
 * (AVX2 one day, AVX-512 the next) and only ratios measured side by side on one of them compare.
 *
 * @param cpu the CPU model ({@code /proc/cpuinfo}'s "model name"), else {@code os.arch}
 * @param simdFeatures the vector features the CPU reports that matter to the kernels (avx2, avx512f, avx512_vnni,
 *     asimd ...), in the order the CPU lists them
 * @param cpus the processors available to this JVM
 * @param jdk the running JDK's version
 * @param kernels {@link Simd#describe()}
 */
public record Machine(String cpu, List<String> simdFeatures, int cpus, String jdk, String kernels) {
    private static final Set<String> FEATURES = Set.of(
            "sse4_2",
            "avx",
            "avx2",
            "fma",
            "avx512f",
            "avx512bw",
            "avx512vl",
            "avx512_vnni",
            "avx_vnni",
            "avx512_bf16",
            "avx512_fp16",
            "amx_int8",
            "asimd",
            "asimddp",
            "sve",
            "sve2",
            "i8mm");

    /** This machine, read once per call ({@code /proc/cpuinfo} on Linux; elsewhere the architecture only). */
    public static Machine current() {
        String cpu = System.getProperty("os.arch");
        List<String> features = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            String model = null;
            String flags = null;
            for (String line : lines) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (model == null && (key.equals("model name") || key.equals("Model") || key.equals("CPU part"))) {
                    model = value;
                } else if (flags == null && (key.equals("flags") || key.equals("Features"))) {
                    flags = value;
                }
            }
            if (model != null && !model.isEmpty()) {
                cpu = model;
            }
            if (flags != null) {
                for (String f : flags.split("\\s+")) {
                    if (FEATURES.contains(f.toLowerCase(Locale.ROOT))) {
                        features.add(f);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: the architecture alone
        }
        return new Machine(
                cpu,
                List.copyOf(features),
                Runtime.getRuntime().availableProcessors(),
                Runtime.version().toString(),
                Simd.describe());
    }

    /** One line: {@code "AMD EPYC (avx2 avx512f ...), 2 CPUs, JDK 25.0.3+9-LTS, kernels: Vector API, 512-bit ..."}. */
    public String describe() {
        return String.format(
                Locale.ROOT,
                "%s (%s), %d CPU%s, JDK %s, kernels: %s",
                cpu,
                simdFeatures.isEmpty() ? "no SIMD features listed" : String.join(" ", simdFeatures),
                cpus,
                cpus == 1 ? "" : "s",
                jdk,
                kernels);
    }
}
