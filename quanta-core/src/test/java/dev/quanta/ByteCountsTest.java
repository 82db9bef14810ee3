package dev.quanta;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class ByteCountsTest {
    @Test
    void iecUnitsWithOneDecimalAndPlainBytesBelowOneKiB() {
        long[] counts = {0, 1023, 1024, 1536, 1024 * 1024 - 1, 7_838_315_315L, Long.MAX_VALUE};
        assertThat(LongStream.of(counts).mapToObj(ByteCounts::iec))
                .containsExactly("0 bytes", "1023 bytes", "1.0 KiB", "1.5 KiB", "1024.0 KiB", "7.3 GiB", "8.0 EiB");
    }

    @Test
    void scaledStopsAtItsLastUnit() {
        long[] counts = {12, 407_081, 5L << 40};
        assertThat(LongStream.of(counts).mapToObj(n -> ByteCounts.scaled(n, "B", "%.2f %s", "KB", "MB", "GB")))
                .containsExactly("12 B", "397.54 KB", "5120.00 GB");
    }
}
