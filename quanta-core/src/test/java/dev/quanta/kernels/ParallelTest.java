package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The loop splitter: every index exactly once, failures reported, reuse after failure, workers end on close. */
class ParallelTest {

    /** Runs a loop of {@code n} indices in parts of {@code grain} on {@code p}: each index must run exactly once. */
    private static void assertEachIndexRunsOnce(Parallel p, int n, int grain, String context) {
        AtomicIntegerArray seen = new AtomicIntegerArray(Math.max(1, n));
        p.forRange(n, grain, (from, to) -> {
            for (int i = from; i < to; i++) {
                seen.incrementAndGet(i);
            }
        });
        for (int i = 0; i < n; i++) { // an assertion per index took most of the time of the many-calls test
            if (seen.get(i) != 1) {
                fail("%s, n %d: index %d ran %d times, not once".formatted(context, n, i, seen.get(i)));
            }
        }
    }

    @Test
    void everyIndexRunsExactlyOnceOverManyCalls() {
        SplittableRandom r = new SplittableRandom(11);
        for (int threads = 1; threads <= 4; threads++) {
            try (Parallel p = Parallel.of(threads)) {
                for (int call = 0; call < 3000; call++) {
                    int n = r.nextInt(0, 2000);
                    int grain = 1 + r.nextInt(64);
                    assertEachIndexRunsOnce(p, n, grain, "threads " + threads + ", call " + call);
                }
            }
        }
    }

    /**
     * More splitter threads than CPUs, driven from several callers at once: workers are often not scheduled when a
     * job is published, so callers run their parts; every index still runs exactly once in every job.
     */
    @Test
    void callersRunThePartsOfWorkersThatAreNotScheduled() throws Exception {
        int callers = 4;
        java.util.List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.ConcurrentLinkedQueue<Throwable> failures =
                new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicInteger partsOnCallers = new java.util.concurrent.atomic.AtomicInteger();
        for (int c = 0; c < callers; c++) {
            int seed = c;
            Thread t = new Thread(() -> {
                SplittableRandom r = new SplittableRandom(seed);
                try (Parallel p = Parallel.of(3)) {
                    Thread me = Thread.currentThread();
                    for (int call = 0; call < 2000; call++) {
                        int n = r.nextInt(3, 600);
                        AtomicIntegerArray seen = new AtomicIntegerArray(n);
                        p.forRange(n, 1, (from, to) -> {
                            if (from > 0 && Thread.currentThread() == me) {
                                partsOnCallers.incrementAndGet(); // a part beyond the caller's own part 0
                            }
                            for (int i = from; i < to; i++) {
                                seen.incrementAndGet(i);
                            }
                        });
                        for (int i = 0; i < n; i++) {
                            if (seen.get(i) != 1) {
                                throw new AssertionError("call " + call + ": index " + i + " ran " + seen.get(i));
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        // 12 splitter threads on this machine's CPUs: callers regularly find parts no worker has started
        assertThat(partsOnCallers.get()).isPositive();
    }

    @Test
    void aFailingPartIsRethrownAndTheSplitterStaysUsable() {
        try (Parallel p = Parallel.of(3)) {
            for (int failing = 0; failing < 3; failing++) {
                int bad = failing;
                assertThatThrownBy(() -> p.forRange(300, 1, (from, to) -> {
                            if (from == 100 * bad) {
                                throw new IllegalArgumentException("part " + bad);
                            }
                        }))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("part " + bad);
                assertEachIndexRunsOnce(p, 300, 1, "after part " + bad + " failed");
            }
        }
    }

    @Test
    void workersEndWhenClosed() throws InterruptedException {
        Parallel p = Parallel.of(3);
        p.forRange(10, 1, (from, to) -> {});
        Thread[] workers = p.workerThreads();
        assertThat(workers).hasSize(2).allMatch(Thread::isAlive).allMatch(Thread::isDaemon);
        p.close();
        for (Thread t : workers) {
            t.join(5000);
            assertThat(t.isAlive()).as(t.getName()).isFalse();
        }
        assertThatThrownBy(() -> p.forRange(10, 1, (from, to) -> {})).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aClosedSplitterRefusesEveryCallAndClosingOneNeverAffectsAnother() {
        for (int threads : new int[] {1, 3}) {
            Parallel closed = Parallel.of(threads);
            Parallel other = Parallel.of(threads);
            assertThat(other).isNotSameAs(closed);
            closed.close();
            closed.close(); // idempotent
            // even a loop small enough to run on the caller alone
            assertThatThrownBy(() -> closed.forRange(10, 100, (from, to) -> {}))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("Parallel is closed");
            assertThatThrownBy(() -> closed.forRange(300, 1, (from, to) -> {}))
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("Parallel is closed");
            assertThatThrownBy(closed::threads)
                    .isExactlyInstanceOf(IllegalStateException.class)
                    .hasMessage("Parallel is closed");
            assertEachIndexRunsOnce(other, 300, 1, "another splitter of " + threads + " threads");
            assertThat(other.threads()).isEqualTo(threads);
            other.close();
        }
    }
}
