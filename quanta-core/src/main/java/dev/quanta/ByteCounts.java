package dev.quanta;

import java.util.Locale;

/** Byte counts for messages and tables, in binary units: each unit is 1024 of the one before. */
public final class ByteCounts {
    private static final String[] IEC = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

    private ByteCounts() {}

    /** {@code n} in KiB, MiB, GiB ... with one decimal, e.g. {@code 7.3 GiB}; below 1 KiB, e.g. {@code 300 bytes}. */
    public static String iec(long n) {
        return scaled(n, "bytes", "%.1f %s", IEC);
    }

    /**
     * {@code n} divided by 1024 for each of {@code units} while it stays at least 1024, and printed by {@code format}
     * from the quotient and the unit reached (e.g. {@code "%.2f %s"} gives {@code 397.54 KB}); below 1024 it is
     * {@code n} and {@code byteUnit} (e.g. {@code 300 B}).
     */
    public static String scaled(long n, String byteUnit, String format, String... units) {
        if (n < 1024) {
            return n + " " + byteUnit;
        }
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, format, v, units[u]);
    }
}
