package dev.quanta.kernels;

import java.util.Locale;

/**
 * Whether the fast (SIMD) kernels run, and at which vector width. The fast kernels use the JDK Vector API (module
 * {@code jdk.incubator.vector}); the scalar kernels stay the reference and run instead when
 *
 * <ul>
 *   <li>the module is not in the boot layer (the JVM was started without {@code --add-modules
 *       jdk.incubator.vector}; {@code ./quanta} and the tests add it), or</li>
 *   <li>the environment variable {@code QUANTA_SIMD} (or the system property {@code quanta.simd}, which wins) is
 *       {@code off}.</li>
 * </ul>
 *
 * {@code QUANTA_SIMD=128|256|512} caps the vector width in bits (for example to measure the AVX2 width on an
 * AVX-512 machine); {@code on} or unset takes the JDK's preferred width for this CPU, chosen at run time (AVX2:
 * 256, AVX-512: 512, NEON: 128). The state is read once, when the first kernel is made.
 */
public final class Simd {
    private static final String MODULE = "jdk.incubator.vector";
    private static final State STATE = detect();

    private Simd() {}

    /** The fast path's state: on with a width in bits, or off with the reason. */
    public record State(boolean enabled, int bits, String reason) {}

    /** True when kernels take the SIMD fast path. */
    public static boolean enabled() {
        return STATE.enabled();
    }

    /** The vector width in bits the fast kernels use (0 when off). */
    public static int bits() {
        return STATE.bits();
    }

    /** One line for reports: {@code "Vector API, 512-bit (16 float lanes)"} or {@code "off (...)"}. */
    public static String describe() {
        return STATE.enabled()
                ? String.format(Locale.ROOT, "Vector API, %d-bit (%d float lanes)", STATE.bits(), STATE.bits() / 32)
                : "off (" + STATE.reason() + ")";
    }

    static State detect() {
        String setting = System.getProperty("quanta.simd");
        if (setting == null) {
            setting = System.getenv("QUANTA_SIMD");
        }
        return detect(setting, ModuleLayer.boot().findModule(MODULE).isPresent());
    }

    /** The state for a QUANTA_SIMD {@code setting} (null: unset) when the module is or is not present. */
    static State detect(String setting, boolean modulePresent) {
        String s = setting == null ? "on" : setting.trim().toLowerCase(Locale.ROOT);
        int cap;
        switch (s) {
            case "off", "false", "0", "scalar" -> {
                return new State(false, 0, "QUANTA_SIMD=" + setting);
            }
            case "", "on", "true", "auto" -> cap = Integer.MAX_VALUE;
            case "128", "256", "512" -> cap = Integer.parseInt(s);
            default ->
                throw new IllegalArgumentException(
                        "QUANTA_SIMD must be on, off, 128, 256 or 512, got '" + setting + "'");
        }
        if (!modulePresent) {
            return new State(false, 0, "the JVM runs without --add-modules " + MODULE);
        }
        int preferred = Probe.preferredBits();
        int bits = Math.min(preferred, cap);
        if (bits < 128) {
            return new State(false, 0, "the CPU's vectors are narrower than 128 bits");
        }
        return new State(true, bits, "");
    }

    /** Touches the Vector API only when the module is present. */
    private static final class Probe {
        static int preferredBits() {
            return jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
        }
    }
}
