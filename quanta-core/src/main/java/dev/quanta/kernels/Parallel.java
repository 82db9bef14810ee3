package dev.quanta.kernels;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Splits a loop {@code [0, n)} into contiguous ranges run on a fixed set of threads: the calling thread and
 * {@code threads − 1} daemon workers. Owned by one interpreter; not for concurrent use.
 */
public final class Parallel implements AutoCloseable {
    /** A body over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final AtomicInteger POOL_ID = new AtomicInteger();
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ExecutorService workers;
    private final Future<?>[] pending;

    private Parallel(int threads) {
        this.threads = threads;
        this.pending = new Future<?>[Math.max(0, threads - 1)];
        if (threads > 1) {
            int id = POOL_ID.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            ThreadFactory factory = r -> {
                Thread t = new Thread(r, "quanta-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            };
            this.workers = Executors.newFixedThreadPool(threads - 1, factory);
        } else {
            this.workers = null;
        }
    }

    /** A splitter over {@code threads} threads (1 runs everything on the caller). */
    public static Parallel of(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        return threads == 1 ? SERIAL : new Parallel(threads);
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code threads} ranges of at least {@code minGrain}
     * indices each.
     */
    public void forRange(int n, int minGrain, RangeBody body) {
        int parts = Math.min(threads, Math.max(1, n / Math.max(1, minGrain)));
        if (parts <= 1) {
            body.run(0, n);
            return;
        }
        for (int p = 1; p < parts; p++) {
            int from = (int) ((long) n * p / parts);
            int to = (int) ((long) n * (p + 1) / parts);
            pending[p - 1] = workers.submit(() -> body.run(from, to));
        }
        Throwable failure = null;
        try {
            body.run(0, (int) ((long) n / parts));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (int p = 1; p < parts; p++) {
            try {
                pending[p - 1].get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure == null ? e : failure;
            } catch (java.util.concurrent.ExecutionException e) {
                failure = failure == null ? e.getCause() : failure;
            }
            pending[p - 1] = null;
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error err) {
            throw err;
        } else if (failure != null) {
            throw new IllegalStateException("parallel kernel interrupted", failure);
        }
    }

    @Override
    public void close() {
        if (workers != null) {
            workers.shutdownNow();
        }
    }
}
