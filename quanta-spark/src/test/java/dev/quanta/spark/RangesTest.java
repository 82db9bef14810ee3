package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link QuantaSpark#ranges}: partitions of whole batches that cover every sample once. */
class RangesTest {
    @Test
    void cutsWholeBatchesAsEvenlyAsTheyAllow() {
        // 10,000 samples in batches of 64: 157 batches (the last of 16 samples) over 4 partitions: 39, 39, 39, 40
        List<int[]> r = QuantaSpark.ranges(10_000, 64, 4);
        assertThat(r)
                .containsExactly(
                        new int[] {0, 2496}, new int[] {2496, 4992}, new int[] {4992, 7488}, new int[] {7488, 10_000});
    }

    @Test
    void neverMorePartitionsThanBatches() {
        assertThat(QuantaSpark.ranges(100, 64, 8)).containsExactly(new int[] {0, 64}, new int[] {64, 100});
        assertThat(QuantaSpark.ranges(0, 64, 8)).containsExactly(new int[] {0, 0});
    }
}
