package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreModels;
import org.junit.jupiter.api.Test;

/** Benchmark settings: one idiom (defaults and withers), limits named by setting, checks before measuring. */
class BenchmarkTest {
    private static final long GIB = 1L << 30;

    /** x (batch, 28, 28) → RELU. */
    private static Model relu() {
        ModelBuilder b = new ModelBuilder("relu");
        Tensor x = b.input("x", Shape.batched(28, 28));
        return b.output(CoreModels.relu(b, "r", x)).build(ModelMetadata.inMemory());
    }

    @Test
    void withersChangeOneSettingAndLeaveTheDefaultsAlone() {
        int[] shape = {3, 28, 28};
        Benchmark.Options o = Benchmark.Options.defaults()
                .withWarmup(5)
                .withRuns(50)
                .withThreads(2)
                .withParallel(2)
                .withBatch(4)
                .withInputShape(shape)
                .withProfile(true);
        shape[0] = 99; // the options keep their own copy
        assertThat(o.warmup()).isEqualTo(5);
        assertThat(o.runs()).isEqualTo(50);
        assertThat(o.threads()).isEqualTo(2);
        assertThat(o.parallel()).isEqualTo(2);
        assertThat(o.batch()).isEqualTo(4);
        assertThat(o.inputShape()).containsExactly(3, 28, 28);
        assertThat(o.profile()).isTrue();
        Benchmark.Options d = Benchmark.Options.defaults();
        assertThat(new int[] {d.warmup(), d.runs(), d.threads(), d.parallel(), d.batch()})
                .containsExactly(20, 200, 1, 1, 1);
        assertThat(d.inputShape()).isNull();
        assertThat(d.profile()).isFalse();
        assertThat(o)
                .isEqualTo(Benchmark.Options.defaults()
                        .withWarmup(5)
                        .withRuns(50)
                        .withThreads(2)
                        .withParallel(2)
                        .withBatch(4)
                        .withInputShape(new int[] {3, 28, 28})
                        .withProfile(true));
    }

    @Test
    void settingsOutOfRangeAreRefusedNamingTheSetting() {
        Benchmark.Options d = Benchmark.Options.defaults();
        int max = Interpreter.MAX_THREADS;
        assertThatThrownBy(() -> d.withRuns(2_000_000_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark runs must be between 1 and 10000000, got 2000000000");
        assertThatThrownBy(() -> d.withRuns(0)).hasMessageStartingWith("Benchmark runs must be between 1");
        assertThatThrownBy(() -> d.withWarmup(-1))
                .hasMessage("Benchmark warmup must be between 0 and 10000000, got -1");
        assertThatThrownBy(() -> d.withThreads(100_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark threads must be between 1 and " + max + " (8 per CPU), got 100000");
        assertThatThrownBy(() -> d.withParallel(0)).hasMessageStartingWith("Benchmark parallel must be between 1");
        assertThatThrownBy(() -> d.withParallel(max).withThreads(2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark parallel " + max + " with Benchmark threads 2 makes " + 2 * max
                        + " threads, more than the " + max + " allowed (8 per CPU)");
        assertThatThrownBy(() -> d.withBatch(2_000_000_000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark batch must be between 1 and 268435456, got 2000000000");
        assertThatThrownBy(() -> d.withInputShape(new int[] {1, 100_000, 100_000, 3}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark inputShape [1, 100000, 100000, 3] has 30000000000 elements, more than the "
                        + "268435456 an interpreter tensor may hold");
        assertThatThrownBy(() -> d.withInputShape(new int[] {3, 0, 28}))
                .hasMessageStartingWith("Benchmark inputShape must have dimensions of at least 1");
        assertThatThrownBy(() -> d.withInputShape(new int[0]))
                .hasMessageStartingWith("Benchmark inputShape must have dimensions of at least 1");
    }

    @Test
    void planRefusesWhatTheModelCannotTakeBeforeAnythingRuns() {
        Model m = relu();
        // 2^20 × 28 × 28 elements: the batch alone is allowed, the input it makes is not
        Benchmark.Options big = Benchmark.Options.defaults().withBatch(1 << 20);
        assertThatThrownBy(() -> Benchmark.plan(m, big, 64 * GIB))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Benchmark batch 1048576: cannot resize input 0 ('x') to [1048576, 28, 28]: "
                        + "822083584 elements, more than the 268435456");
        assertThatThrownBy(() -> Benchmark.check(m, Benchmark.Options.defaults().withInputShape(new int[] {2, 28})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("Benchmark inputShape [2, 28]: input 0 has rank 3");
        // heap: 10^7 runs keep 160 MB of latencies; 10^5 × 784 float inputs, and a copy per interpreter
        Benchmark.Options runs = Benchmark.Options.defaults().withRuns(10_000_000);
        assertThat(Benchmark.plan(m, runs, GIB)).containsExactly(1, 28, 28);
        assertThatThrownBy(() -> Benchmark.plan(m, runs, 256L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark runs 10000000 need 153 MiB of heap for their latencies, more than half the "
                        + "256 MiB heap");
        Benchmark.Options wide = Benchmark.Options.defaults().withBatch(100_000).withParallel(2);
        assertThat(Benchmark.plan(m, wide, 4 * GIB)).containsExactly(100_000, 28, 28);
        assertThatThrownBy(() -> Benchmark.plan(m, wide, 512L << 20))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Benchmark batch 100000 with Benchmark parallel 2 needs 898 MiB of heap for its inputs, "
                        + "more than half the 512 MiB heap");
    }

    @Test
    void runMeasuresWithTheCheckedSettings() {
        Model m = relu();
        Benchmark.Options o = Benchmark.Options.defaults()
                .withWarmup(2)
                .withRuns(7)
                .withBatch(3)
                .withParallel(2);
        Benchmark.check(m, o);
        Benchmark.Result r = Benchmark.run(m, o);
        assertThat(r.runs()).isEqualTo(7);
        assertThat(r.batch()).isEqualTo(3);
        assertThat(r.parallel()).isEqualTo(2);
        assertThat(r.p99()).isGreaterThanOrEqualTo(r.p50()).isPositive();
    }

    @Test
    void oneInterpreterCountsItsAllocationsAndTheLiveHeap() {
        Model m = relu();
        Benchmark.Result one =
                Benchmark.run(m, Benchmark.Options.defaults().withWarmup(3000).withRuns(2000));
        // the ReLU chain's run allocates nothing once warm (RunAllocationTest); a few bytes of JIT noise at most
        assertThat(one.allocatedBytesPerRun()).isBetween(0L, 64L);
        assertThat(one.liveHeapBytes())
                .isPositive()
                .isLessThan(Runtime.getRuntime().totalMemory() + 1);
        Benchmark.Result two =
                Benchmark.run(m, Benchmark.Options.defaults().withRuns(5).withParallel(2));
        assertThat(two.allocatedBytesPerRun()).as("not counted across threads").isEqualTo(-1);
    }
}
