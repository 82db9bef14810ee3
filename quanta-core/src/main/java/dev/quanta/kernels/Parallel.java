package dev.quanta.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Splits a loop {@code [0, n)} into contiguous ranges run on a fixed set of threads: the calling thread and
 * {@code threads − 1} daemon workers that live as long as this object. Owned by one interpreter; not for
 * concurrent use, and a body must not call {@link #forRange} itself.
 *
 * <p>A call allocates nothing: the caller publishes the job (body, size, number of parts) in fields under a
 * sequence number (odd while being written, even once published), wakes the workers it needs, runs part 0 itself
 * and waits (spinning briefly, then parked) until the count of unfinished parts reaches zero; idle workers also
 * spin briefly before they park. Nobody spins while the open splitters have more threads than there are CPUs
 * (several multi-threaded interpreters serving at once), where spinning would steal the CPUs doing the work.
 * Part p of P is {@code [n·p/P, n·(p+1)/P)}. The caller runs part 0; parts 1 .. P−1 go to whoever claims them
 * first (one atomic counter per job, tagged with the job's sequence number): the workers, and the caller itself
 * once its own part is done. So a worker that the operating system has not scheduled (a busy shared machine) never
 * holds the caller up: the caller does that part too, and a run costs at most about what one thread would take.
 * Which thread runs a part never changes what the part computes.
 *
 * <p>{@link #close} stops the workers; after it every method throws {@link IllegalStateException}. Each
 * {@link #of} returns a new splitter, so closing one never affects another.
 */
public final class Parallel implements AutoCloseable {
    /** A body over the index range {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int from, int to);
    }

    private static final AtomicInteger POOL_ID = new AtomicInteger();
    /**
     * Busy-wait rounds (a few microseconds) before a thread parks: consecutive kernels of one run follow each other
     * closely, and waking a parked thread costs tens of microseconds.
     */
    private static final int SPINS = 2000;
    /** Threads of all open multi-threaded splitters (callers included); spinning only pays while they fit the CPUs. */
    private static final AtomicInteger THREADS_IN_USE = new AtomicInteger();

    private static final int CPUS = Runtime.getRuntime().availableProcessors();

    private final int threads;
    private final Thread[] workers;
    /** Job sequence number: odd while the caller writes the job fields, even when they are published. */
    private volatile int sequence;

    private RangeBody body;
    private int size;
    private int parts;
    private Thread caller;
    private final AtomicInteger unfinished = new AtomicInteger();
    /** The current job's next unclaimed part (low 32 bits) under its sequence number (high 32 bits). */
    private final AtomicLong claims = new AtomicLong();

    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean closed;

    private Parallel(int threads) {
        this.threads = threads;
        this.workers = new Thread[Math.max(0, threads - 1)];
        if (threads > 1) {
            THREADS_IN_USE.addAndGet(threads);
            int id = POOL_ID.incrementAndGet();
            for (int w = 0; w < workers.length; w++) {
                Thread t = new Thread(this::work, "quanta-" + id + "-" + (w + 1));
                t.setDaemon(true);
                workers[w] = t;
            }
            for (Thread t : workers) {
                t.start();
            }
        }
    }

    /**
     * A new splitter over {@code threads} threads (1 runs everything on the caller and starts no thread). The
     * caller bounds {@code threads}: the interpreter's options allow at most {@code Interpreter.MAX_THREADS}.
     */
    public static Parallel of(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("thread count must be at least 1, got " + threads);
        }
        return new Parallel(threads);
    }

    public int threads() {
        ensureOpen();
        return threads;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Parallel is closed");
        }
    }

    /** The worker threads (for tests). */
    Thread[] workerThreads() {
        return workers.clone();
    }

    /**
     * Runs {@code body} over {@code [0, n)} in at most {@code threads} ranges of at least {@code minGrain}
     * indices each.
     */
    public void forRange(int n, int minGrain, RangeBody body) {
        ensureOpen();
        int p = Math.min(threads, Math.max(1, n / Math.max(1, minGrain)));
        if (p <= 1) {
            body.run(0, n);
            return;
        }
        int s = sequence;
        sequence = s + 1; // odd: writing
        this.body = body;
        this.size = n;
        this.parts = p;
        this.caller = Thread.currentThread();
        failure.set(null);
        unfinished.set(p - 1);
        claims.set(((long) (s + 2) << 32) | 1);
        sequence = s + 2; // even: published
        for (int w = 0; w < p - 1; w++) {
            LockSupport.unpark(workers[w]);
        }
        try {
            body.run(0, (int) ((long) n / p));
        } catch (RuntimeException | Error e) {
            failure.compareAndSet(null, e);
        }
        for (int q; (q = claim(s + 2, p)) >= 0; ) { // parts no worker has started yet
            runPart(body, n, p, q);
        }
        int spins = spins();
        for (int spin = 0; unfinished.get() > 0; spin++) {
            if (spin < spins) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        this.body = null;
        Throwable f = failure.getAndSet(null);
        if (f instanceof RuntimeException re) {
            throw re;
        } else if (f instanceof Error err) {
            throw err;
        } else if (f != null) {
            throw new IllegalStateException("parallel kernel failed", f);
        }
    }

    /** Busy-wait rounds before parking: {@link #SPINS} while every splitter thread can have a CPU, else none. */
    private static int spins() {
        return THREADS_IN_USE.get() <= CPUS ? SPINS : 0;
    }

    /** Worker loop: waits for each newly published job and runs its part {@code part} when the job has one. */
    private void work() {
        int seen = 0;
        int idle = 0;
        while (!closed) {
            int s = sequence;
            if (s == seen || (s & 1) != 0) {
                if (idle++ < spins()) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
                continue;
            }
            idle = 0;
            RangeBody b = body;
            int n = size;
            int p = parts;
            Thread c = caller;
            if (sequence != s) {
                continue; // a newer job was being written meanwhile: read again
            }
            seen = s;
            for (int q; (q = claim(s, p)) >= 0; ) {
                if (runPart(b, n, p, q)) {
                    LockSupport.unpark(c);
                }
            }
        }
    }

    /** Claims the next unstarted part of job {@code seq} (of {@code p} parts), or −1 when none is left or the job ended. */
    private int claim(int seq, int p) {
        while (true) {
            long v = claims.get();
            int q = (int) v;
            if ((int) (v >>> 32) != seq || q >= p) {
                return -1;
            }
            if (claims.compareAndSet(v, v + 1)) {
                return q;
            }
        }
    }

    /** Runs part {@code q} of {@code p} over {@code [0, n)}; true when it was the last unfinished part. */
    private boolean runPart(RangeBody b, int n, int p, int q) {
        try {
            b.run((int) ((long) n * q / p), (int) ((long) n * (q + 1) / p));
        } catch (Throwable e) {
            failure.compareAndSet(null, e);
        }
        return unfinished.decrementAndGet() == 0;
    }

    /** Stops the worker threads; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (threads > 1) {
            THREADS_IN_USE.addAndGet(-threads);
        }
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
    }
}
