package dev.quanta;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ByteCountsTest {
    @Test
    void iecUnitsWithOneDecimalAndPlainBytesBelowOneKiB() {
        assertThat(ByteCounts.iec(0)).isEqualTo("0 bytes");
        assertThat(ByteCounts.iec(1023)).isEqualTo("1023 bytes");
        assertThat(ByteCounts.iec(1024)).isEqualTo("1.0 KiB");
        assertThat(ByteCounts.iec(1536)).isEqualTo("1.5 KiB");
        assertThat(ByteCounts.iec(1024L * 1024 - 1)).isEqualTo("1024.0 KiB");
        assertThat(ByteCounts.iec(7_838_315_315L)).isEqualTo("7.3 GiB");
        assertThat(ByteCounts.iec(Long.MAX_VALUE)).isEqualTo("8.0 EiB");
    }

    @Test
    void scaledStopsAtItsLastUnit() {
        assertThat(ByteCounts.scaled(407_081, "B", "%.2f %s", "KB", "MB", "GB")).isEqualTo("397.54 KB");
        assertThat(ByteCounts.scaled(5L << 40, "B", "%.2f %s", "KB", "MB", "GB"))
                .isEqualTo("5120.00 GB");
        assertThat(ByteCounts.scaled(12, "B", "%.2f %s", "KB")).isEqualTo("12 B");
    }
}
