package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link QuantaSpark#ranges}: partitions of whole batches that cover every sample once; {@link QuantaSpark#partitions}:
 * how many.
 */
class RangesTest {
    @Test
    void cutsWholeBatchesAsEvenlyAsTheyAllow() {
        // 10,000 samples in batches of 64: 157 batches (the last of 16 samples) over 4 partitions: 39, 39, 39, 40
        List<int[]> r = QuantaSpark.ranges(10_000, 64, 4);
        assertThat(r)
                .containsExactly(
                        new int[] {0, 2496}, new int[] {2496, 4992}, new int[] {4992, 7488}, new int[] {7488, 10_000});
    }

    /** Two per core, or more when a task would hold more than 64 MiB of samples (4 bytes per value). */
    @Test
    void partitionsGrowWithTheDataSoATaskHoldsAtMost64MiB() {
        // MNIST 10k: 31.36 MB of floats fit 4 partitions of 2 cores
        assertThat(QuantaSpark.partitions(2, 10_000, 784)).isEqualTo(4);
        // 100k: 313.6 MB = 4.67 x 64 MiB -> 5; 1M: 3,136 MB -> 47 (46.7); exactly 64 MiB -> 1 (one core: 2)
        assertThat(QuantaSpark.partitions(2, 100_000, 784)).isEqualTo(5);
        assertThat(QuantaSpark.partitions(2, 1_000_000, 784)).isEqualTo(47);
        assertThat(QuantaSpark.partitions(1, 16L << 20, 1)).isEqualTo(2);
        assertThat(QuantaSpark.partitions(0, 16L << 20, 1)).isEqualTo(1);
        assertThat(QuantaSpark.partitions(0, (16L << 20) + 1, 1)).isEqualTo(2);
        assertThat(QuantaSpark.partitions(2, Long.MAX_VALUE / 2, 1000)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void neverMorePartitionsThanBatches() {
        assertThat(QuantaSpark.ranges(100, 64, 8)).containsExactly(new int[] {0, 64}, new int[] {64, 100});
        assertThat(QuantaSpark.ranges(0, 64, 8)).containsExactly(new int[] {0, 0});
    }
}
