package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.spark.ExecutorCache.ModelBytes;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link ExecutorCache}'s interpreter pools are bounded: an executor that serves pool after pool keeps the
 * {@link ExecutorCache#KEPT_POOLS} most recently used, and one pushed out is closed when its last run ends, not while
 * a run uses it.
 */
@UsesFixtures
class ExecutorCacheTest {
    private static final float[] BLANK = new float[784];

    @Test
    void poolsPushedOutOfTheCacheAreClosedWhenTheirLastRunEnds() {
        ModelBytes mnist = ModelBytes.read(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        // pool sizes 11.. (no other test uses them): each size is a pool of its own
        int first = 11;
        float[] expected = ExecutorCache.predict(mnist, first, List.of(BLANK)).get(0);
        assertThat(expected).hasSize(10);

        ExecutorCache.Lease held = ExecutorCache.lease(mnist, first);
        List<ExecutorCache.Lease> later = new ArrayList<>();
        for (int size = first + 1; size <= first + ExecutorCache.KEPT_POOLS; size++) {
            later.add(ExecutorCache.lease(mnist, size));
        }
        // the pool of size 11 is the least recently used of 5: pushed out, but still open for the run holding it
        assertThat(ExecutorCache.keepsPool(mnist, first)).isFalse();
        for (int size = first + 1; size <= first + ExecutorCache.KEPT_POOLS; size++) {
            assertThat(ExecutorCache.keepsPool(mnist, size))
                    .as("pool of %d", size)
                    .isTrue();
        }
        assertThat(BatchPredictor.run(held.pool(), List.of(BLANK)).get(0)).isEqualTo(expected);

        held.close();
        assertThatThrownBy(() -> BatchPredictor.run(held.pool(), List.of(BLANK)))
                .hasMessageContaining("closed");
        held.close(); // a second close changes nothing

        // the kept pools are open; a pool pushed out while unused is closed at once
        ExecutorCache.Lease oldest = later.get(0);
        later.forEach(ExecutorCache.Lease::close);
        assertThat(BatchPredictor.run(oldest.pool(), List.of(BLANK)).get(0)).isEqualTo(expected);
        ExecutorCache.predict(mnist, first + ExecutorCache.KEPT_POOLS + 1, List.of(BLANK));
        assertThat(ExecutorCache.keepsPool(mnist, first + 1)).isFalse();
        assertThatThrownBy(() -> BatchPredictor.run(oldest.pool(), List.of(BLANK)))
                .hasMessageContaining("closed");
        // and is made again when asked for
        assertThat(ExecutorCache.predict(mnist, first + 1, List.of(BLANK)).get(0))
                .isEqualTo(expected);
    }
}
