package dev.quanta.runtime;

import dev.quanta.ir.Model;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A thread-safe way to serve one {@link Model} from many threads: a fixed set of {@link Interpreter}s, each lent to
 * one request at a time.
 *
 * <p><b>Why not one interpreter for all threads.</b> An interpreter owns one buffer per tensor: a run copies its
 * inputs into the input buffers, every kernel overwrites its output buffer, and the outputs are copied out at the
 * end. Two threads running one interpreter at once (a thread pool over a single interpreter) overwrite each other's
 * inputs and activations in the middle of a run, and one request can return another's scores, or a mix of both,
 * without any error. A lock around the interpreter would make that safe, but then only one request runs at a time.
 * The pool gives every concurrent request an interpreter of its own; the interpreters share the model's constants
 * (packed weights included), so {@code size} interpreters cost {@code size} sets of activation buffers, not
 * {@code size} copies of the weights.
 *
 * <p><b>What the pool guarantees.</b>
 * <ul>
 *   <li>{@link #run} and {@link #map} may be called from any number of threads at once. A request borrows an idle
 *       interpreter, waiting while all {@link #size} are busy, and returns it when it ends, failed or not.
 *   <li>Results are fresh arrays that belong to the caller: no later request writes into them.
 *   <li>A request's result is bit for bit the one a fresh single interpreter with the same options gives for the
 *       same input, whichever interpreter of the pool serves it and whatever runs beside it: before each request
 *       the interpreter's state is cleared ({@link Interpreter#resetVariableTensors}), so not even a stateful
 *       kernel (the audio front end's noise estimate) carries anything from one request to the next.
 *   <li>A request refused for its input (wrong count, array type or length) fails alone, with an
 *       {@link IllegalArgumentException}, before the interpreter computes anything; the interpreter goes back to
 *       the pool and serves the next request normally.
 * </ul>
 *
 * <p><b>Batches.</b> When an input's first dimension is dynamic (Keras models, and TFLite graph inputs, have a
 * dynamic batch), a request may carry any whole number of samples of it: the interpreter serving it is resized to
 * that batch. A change of batch re-prepares that interpreter (buffers and kernels), so keep batch sizes steady.
 * Other inputs take exactly the model's shape.
 *
 * <p><b>Closing.</b> {@link #close} refuses new requests, wakes the requests waiting for an interpreter (they fail
 * with {@code IllegalStateException("pool is closed")}), then <em>waits</em> for the requests already running to
 * finish and return their results; only then does it close the interpreters and the pool's threads. It must not
 * be called from inside a request (it would wait for itself). After it, {@link #run} and {@link #map} throw
 * {@code IllegalStateException("pool is closed")}.
 */
public final class InterpreterPool implements AutoCloseable {
    private static final AtomicInteger POOL_ID = new AtomicInteger();

    private final Model model;
    private final int size;
    private final Interpreter.Options options;
    private final List<Interpreter> interpreters;
    /** Per model input: values of one sample when its first dimension is dynamic (a request may batch), else -1. */
    private final int[] sampleValues;
    /** Per model input: the shape a request without a batch of its own runs at (a dynamic dimension as 1). */
    private final int[][] baseDims;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition idleOrClosed = lock.newCondition();
    private final Condition drained = lock.newCondition();
    private final ArrayDeque<Interpreter> idle = new ArrayDeque<>();
    private int busy;
    private boolean closed;
    private boolean released;
    /** The threads of {@link #map} without an executor, started on first use. */
    private ExecutorService executor;

    private InterpreterPool(Model model, int size, Interpreter.Options options) {
        this.model = model;
        this.size = size;
        this.options = options;
        int inputs = model.inputs().size();
        this.sampleValues = new int[inputs];
        this.baseDims = new int[inputs][];
        for (int i = 0; i < inputs; i++) {
            int[] dims = model.inputs().get(i).shape().dims();
            boolean batchable = dims.length > 0 && dims[0] == Shape.DYNAMIC;
            long sample = 1;
            for (int k = 0; k < dims.length; k++) {
                if (k > 0 && dims[k] == Shape.DYNAMIC) {
                    batchable = false;
                }
                if (dims[k] == Shape.DYNAMIC) {
                    dims[k] = 1;
                }
                if (k > 0) {
                    sample *= dims[k];
                }
            }
            sampleValues[i] = batchable && sample <= Interpreter.MAX_TENSOR_ELEMENTS ? (int) sample : -1;
            baseDims[i] = dims;
        }
        List<Interpreter> created = new ArrayList<>(size);
        try {
            for (int p = 0; p < size; p++) {
                Interpreter it = new Interpreter(model, options);
                created.add(it);
                it.allocateTensors(); // a model the interpreter cannot run fails here, not in the first request
            }
        } catch (RuntimeException e) {
            created.forEach(Interpreter::close);
            throw e;
        }
        this.interpreters = List.copyOf(created);
        idle.addAll(created);
    }

    /**
     * A pool of {@code size} interpreters over {@code model}, each with {@code options} (and so each with
     * {@code options.numThreads()} threads inside one inference), all prepared before this returns.
     *
     * @throws IllegalArgumentException when {@code size} is not between 1 and {@link Interpreter#MAX_THREADS}, or
     *     {@code size × options.numThreads()} exceeds {@link Interpreter#MAX_THREADS}
     * @throws dev.quanta.QuantaException when the interpreter cannot prepare the model
     */
    public static InterpreterPool create(Model model, int size, Interpreter.Options options) {
        if (size < 1 || size > Interpreter.MAX_THREADS) {
            throw new IllegalArgumentException("InterpreterPool size must be between 1 and " + Interpreter.MAX_THREADS
                    + " (" + Interpreter.THREADS_PER_CPU + " per CPU), got " + size);
        }
        if ((long) size * options.numThreads() > Interpreter.MAX_THREADS) {
            throw new IllegalArgumentException("InterpreterPool size " + size + " with " + options.numThreads()
                    + " threads per interpreter makes " + (long) size * options.numThreads()
                    + " threads, more than the " + Interpreter.MAX_THREADS + " allowed ("
                    + Interpreter.THREADS_PER_CPU + " per CPU)");
        }
        return new InterpreterPool(model, size, options);
    }

    /** A pool of {@code size} interpreters with {@link Interpreter.Options#defaults()} (one thread each). */
    public static InterpreterPool create(Model model, int size) {
        return create(model, size, Interpreter.Options.defaults());
    }

    public Model model() {
        return model;
    }

    /** The number of interpreters, and so of requests that run at once. */
    public int size() {
        return size;
    }

    public Interpreter.Options options() {
        return options;
    }

    /**
     * Runs one request on an idle interpreter, waiting for one while all are busy.
     *
     * @param inputs one array per model input, of the tensor's Java type ({@code float[]} for FLOAT32,
     *     {@code byte[]} for INT8/UINT8, {@code short[]} for INT16, {@code int[]} for INT32), flat and row-major;
     *     an input with a dynamic first dimension may hold any whole number of samples
     * @return one fresh array per model output, of the output's Java type, for this request's shapes
     * @throws IllegalArgumentException when the inputs do not fit the model (this request only)
     * @throws IllegalStateException when the pool is closed, or the thread is interrupted while it waits
     */
    public Object[] run(Object... inputs) {
        return withInterpreter(it -> runOn(it, inputs));
    }

    /**
     * Lends {@code body} an idle interpreter (waiting for one while all are busy) and takes it back when the body
     * ends, failed or not. The body must not keep the interpreter. Package-private: {@link #run} is the public way
     * in; tests use this to hold an interpreter while they close the pool.
     */
    <R> R withInterpreter(Function<Interpreter, R> body) {
        Interpreter it = borrow();
        try {
            return body.apply(it);
        } finally {
            giveBack(it);
        }
    }

    /**
     * Runs every request of {@code requests} (each as {@link #run} takes it) on the pool's own {@link #size}
     * threads, concurrently, and returns the results in the order of the requests. It returns once every request
     * has ended; if any failed, it throws the exception of the first failed request in that order (the same
     * exception {@link #run} throws for it), with the others' exceptions as suppressed. Not to be called from inside
     * a request of this pool (its threads would wait for themselves).
     */
    public List<Object[]> map(List<Object[]> requests) {
        return map(requests, ownExecutor());
    }

    /**
     * As {@link #map(List)}, with the requests submitted to {@code executor}: each task borrows an interpreter,
     * so an executor with more threads than {@link #size} still runs at most {@link #size} requests at once.
     */
    public List<Object[]> map(List<Object[]> requests, Executor executor) {
        ensureOpen();
        List<CompletableFuture<Object[]>> futures = new ArrayList<>(requests.size());
        for (Object[] request : requests) {
            try {
                futures.add(CompletableFuture.supplyAsync(() -> run(request), executor));
            } catch (RejectedExecutionException e) {
                // the pool's own threads stop when it closes; the requests already submitted still end normally
                ensureOpen();
                throw e;
            }
        }
        List<Object[]> results = new ArrayList<>(requests.size());
        RuntimeException first = null;
        for (CompletableFuture<Object[]> f : futures) {
            try {
                results.add(f.join());
            } catch (CompletionException e) {
                RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
                if (first == null) {
                    first = cause;
                } else if (cause != first) {
                    first.addSuppressed(cause);
                }
            }
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    private Object[] runOn(Interpreter it, Object[] inputs) {
        if (inputs == null || inputs.length != model.inputs().size()) {
            throw new IllegalArgumentException("model '" + model.name() + "' has "
                    + model.inputs().size() + " input(s), the request has " + (inputs == null ? 0 : inputs.length));
        }
        for (int i = 0; i < inputs.length; i++) {
            it.resizeInput(i, requestDims(i, inputs[i]));
        }
        it.resetVariableTensors();
        Object[] outputs = new Object[model.outputs().size()];
        for (int o = 0; o < outputs.length; o++) {
            outputs[o] = it.getOutputTensor(o).newArray();
        }
        it.runForMultipleInputsOutputs(inputs, outputs);
        return outputs;
    }

    /** The shape input {@code i} runs at for {@code array}: its batch from the array's length when it may batch. */
    private int[] requestDims(int i, Object array) {
        Tensor t = model.inputs().get(i);
        Class<?> needed = Buffers.arrayClass(t.dtype());
        if (array == null || array.getClass() != needed) {
            throw new IllegalArgumentException("input " + i + " ('" + t.name() + "') is " + t.dtype() + " and needs a "
                    + needed.getSimpleName() + ", got "
                    + (array == null ? "null" : array.getClass().getSimpleName()));
        }
        int length = Buffers.length(array);
        int sample = sampleValues[i];
        if (sample < 1) {
            return baseDims[i]; // the interpreter checks the length against this shape
        }
        if (length < sample || length % sample != 0) {
            throw new IllegalArgumentException("input " + i + " ('" + t.name() + "') of shape " + t.shape()
                    + " needs a whole number of samples of " + sample + " values, got " + length + " values");
        }
        int[] dims = baseDims[i].clone();
        dims[0] = length / sample;
        return dims;
    }

    private Interpreter borrow() {
        lock.lock();
        try {
            while (!closed && idle.isEmpty()) {
                try {
                    idleOrClosed.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for an interpreter of the pool", e);
                }
            }
            if (closed) {
                throw new IllegalStateException("pool is closed");
            }
            busy++;
            return idle.pop();
        } finally {
            lock.unlock();
        }
    }

    private void giveBack(Interpreter it) {
        lock.lock();
        try {
            idle.push(it);
            busy--;
            idleOrClosed.signal();
            if (busy == 0) {
                drained.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void ensureOpen() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("pool is closed");
            }
        } finally {
            lock.unlock();
        }
    }

    private Executor ownExecutor() {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("pool is closed");
            }
            if (executor == null) {
                int id = POOL_ID.incrementAndGet();
                AtomicInteger n = new AtomicInteger();
                executor = Executors.newFixedThreadPool(size, r -> {
                    Thread t = new Thread(r, "quanta-pool-" + id + "-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            return executor;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Refuses new requests, fails those waiting for an interpreter, waits for the running ones to finish, then
     * closes the interpreters and stops the pool's threads; idempotent (a second call waits like the first).
     */
    @Override
    public void close() {
        ExecutorService threads;
        lock.lock();
        try {
            closed = true;
            idleOrClosed.signalAll();
            while (busy > 0) {
                drained.awaitUninterruptibly();
            }
            if (released) {
                return;
            }
            released = true;
            threads = executor;
        } finally {
            lock.unlock();
        }
        interpreters.forEach(Interpreter::close);
        if (threads != null) {
            threads.shutdown();
            try {
                threads.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "InterpreterPool[model=" + model.name() + ", size=" + size + ", " + options + ", shapes="
                + Arrays.deepToString(baseDims) + "]";
    }
}
