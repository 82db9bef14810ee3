package dev.quanta.runtime;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Dequantize;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs a {@link Model} in pure Java, shaped like TensorFlow Lite's Java {@code Interpreter}.
 *
 * <p>Preparation (on first run or after {@link #resizeInput}) fixes every tensor's shape, plans the activation
 * buffers and binds a kernel per op, packing weights for it; {@link #run} then only computes (the interpreter
 * allocates nothing per run; a few kernels still make a small lambda per call). A dynamic batch dimension starts at
 * 1. Results do not depend on {@link Options#withNumThreads}.
 *
 * <p>Buffer planning: model inputs and outputs get arrays of their own; an intermediate tensor takes, in op order,
 * an array of the same Java type and length whose previous tensor was last read by an earlier op, else a new one.
 * Intermediate values are therefore overwritten during a run, and {@link #readTensor} refuses them unless the
 * interpreter was made with {@link Options#withPreserveAllTensors} (as TFLite's
 * {@code experimental_preserve_all_tensors}), which gives every tensor its own array.
 *
 * <p>An interpreter is not thread-safe: use one per thread. Close it to stop its worker threads and release its
 * buffers; after {@link #close} every method throws {@code IllegalStateException("interpreter is closed")}.
 * Kernels with state across runs (tflite-micro's audio front end) keep it per interpreter; see
 * {@link #resetVariableTensors}.
 */
public final class Interpreter implements AutoCloseable {

    /** Threads one interpreter may use per CPU: {@link #MAX_THREADS} is this many times the CPU count. */
    public static final int THREADS_PER_CPU = 8;

    /**
     * The most threads an interpreter (or a benchmark's interpreters together) may use: {@link #THREADS_PER_CPU}
     * times the CPUs this JVM sees. More only adds switching between threads that have no CPU to run on.
     */
    public static final int MAX_THREADS = THREADS_PER_CPU * Runtime.getRuntime().availableProcessors();

    /** The largest tensor an interpreter allocates (2^28 elements: 1 GiB of float32). */
    public static final long MAX_TENSOR_ELEMENTS = Shape.MAX_ELEMENTS;

    /**
     * Interpreter settings, immutable: start from {@link #defaults()} and change one setting per wither, which
     * refuses a value out of range with an {@link IllegalArgumentException} naming the setting.
     */
    public static final class Options {
        private static final Options DEFAULTS = new Options(1, QuantizedPath.XNNPACK, false);

        private final int numThreads;
        private final QuantizedPath kernelPath;
        private final boolean preserveAllTensors;

        private Options(int numThreads, QuantizedPath kernelPath, boolean preserveAllTensors) {
            if (numThreads < 1 || numThreads > MAX_THREADS) {
                throw new IllegalArgumentException("numThreads must be between 1 and " + MAX_THREADS + " ("
                        + THREADS_PER_CPU + " per CPU), got " + numThreads);
            }
            if (kernelPath == null) {
                throw new IllegalArgumentException("kernelPath must not be null");
            }
            this.numThreads = numThreads;
            this.kernelPath = kernelPath;
            this.preserveAllTensors = preserveAllTensors;
        }

        /** One thread, the XNNPACK integer path, intermediate tensors sharing storage. */
        public static Options defaults() {
            return DEFAULTS;
        }

        /** Threads used inside one inference, 1 to {@link #MAX_THREADS} (default 1). */
        public Options withNumThreads(int threads) {
            return new Options(threads, kernelPath, preserveAllTensors);
        }

        /**
         * Which of the official runtime's integer paths the integer kernels reproduce bit for bit: XNNPACK (its
         * default, and Quanta's) or its built-in kernels.
         */
        public Options withKernelPath(QuantizedPath path) {
            return new Options(numThreads, path, preserveAllTensors);
        }

        /**
         * True gives every tensor its own array, so {@link #readTensor} can read any intermediate tensor after a run
         * (layer comparison, calibration); false (the default) lets intermediate tensors whose lifetimes do not
         * overlap share arrays, which needs less memory and cache.
         */
        public Options withPreserveAllTensors(boolean preserve) {
            return new Options(numThreads, kernelPath, preserve);
        }

        public int numThreads() {
            return numThreads;
        }

        public QuantizedPath kernelPath() {
            return kernelPath;
        }

        public boolean preserveAllTensors() {
            return preserveAllTensors;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options other
                    && numThreads == other.numThreads
                    && kernelPath == other.kernelPath
                    && preserveAllTensors == other.preserveAllTensors;
        }

        @Override
        public int hashCode() {
            return 31 * (31 * numThreads + kernelPath.hashCode()) + Boolean.hashCode(preserveAllTensors);
        }

        @Override
        public String toString() {
            return "Interpreter.Options[numThreads=" + numThreads + ", kernelPath=" + kernelPath
                    + ", preserveAllTensors=" + preserveAllTensors + "]";
        }
    }

    private final Model model;
    private final Parallel parallel;
    private final QuantizedPath kernelPath;
    private final boolean preserveAllTensors;
    private final int[][] inputDims;
    private final Map<Tensor, int[]> shapes = new IdentityHashMap<>();
    private final Map<Tensor, Object> buffers = new IdentityHashMap<>();
    /** Intermediate tensors planned into shared storage: their values do not survive the run. */
    private final Set<Tensor> sharedTensors = Collections.newSetFromMap(new IdentityHashMap<>());
    /** The kernels in run order (an array: the run loop allocates no iterator). */
    private Kernel[] kernelArray = new Kernel[0];
    /** Per kernel: the interpreter's splitter, or {@link #serial} for ops too small to share ({@link #MIN_PARALLEL_WORK}). */
    private Parallel[] kernelSplitters = new Parallel[0];
    /** Runs everything on the calling thread. */
    private final Parallel serial = Parallel.of(1);

    private Tensor[] inputTensors = new Tensor[0];
    private Object[] inputBuffers = new Object[0];
    private Tensor[] outputTensors = new Tensor[0];
    private Object[] outputBuffers = new Object[0];
    private long activationBytes;
    private final List<Kernel> kernels = new ArrayList<>();
    /** The op of each kernel, in order (folded constant ops have none). */
    private final List<Op> kernelOps = new ArrayList<>();

    private boolean profiling;
    private long[] opNanos = new long[0];
    private long profiledRuns;
    private boolean prepared;
    private volatile boolean closed;

    public Interpreter(Model model) {
        this(model, Options.defaults());
    }

    public Interpreter(Model model, Options options) {
        this.model = model;
        this.parallel = Parallel.of(options.numThreads());
        this.kernelPath = options.kernelPath();
        this.preserveAllTensors = options.preserveAllTensors();
        this.inputDims = new int[model.inputs().size()][];
        for (int i = 0; i < inputDims.length; i++) {
            int[] d = model.inputs().get(i).shape().dims();
            for (int k = 0; k < d.length; k++) {
                if (d[k] == Shape.DYNAMIC) {
                    d[k] = 1;
                }
            }
            inputDims[i] = d;
        }
    }

    public Model model() {
        ensureOpen();
        return model;
    }

    public int getInputTensorCount() {
        ensureOpen();
        return model.inputs().size();
    }

    public int getOutputTensorCount() {
        ensureOpen();
        return model.outputs().size();
    }

    /** The i-th input with its current concrete shape. */
    public TensorInfo getInputTensor(int i) {
        ensureOpen();
        Tensor t = model.inputs().get(i);
        return new TensorInfo(t.name(), inputDims[i], t.dtype(), t.quant());
    }

    /** The i-th output with its concrete shape for the current input shapes. */
    public TensorInfo getOutputTensor(int i) {
        allocateTensors();
        Tensor t = model.outputs().get(i);
        return new TensorInfo(t.name(), shapes.get(t), t.dtype(), t.quant());
    }

    /**
     * Changes the shape of input {@code i} (for example its batch); tensors are re-allocated on the next run.
     *
     * @throws IllegalArgumentException when the rank differs, a fixed dimension would change, or the input would
     *     hold more than {@link #MAX_TENSOR_ELEMENTS} elements
     */
    public void resizeInput(int i, int[] dims) {
        ensureOpen();
        Shape declared = model.inputs().get(i).shape();
        if (dims.length != declared.rank()) {
            throw new IllegalArgumentException(
                    "input " + i + " has rank " + declared.rank() + ", cannot resize to " + Arrays.toString(dims));
        }
        for (int k = 0; k < dims.length; k++) {
            if (dims[k] < 1 || (declared.dim(k) != Shape.DYNAMIC && declared.dim(k) != dims[k])) {
                throw new IllegalArgumentException(
                        "cannot resize input " + i + " of shape " + declared + " to " + Arrays.toString(dims));
            }
        }
        long elements = elementCount(dims);
        if (elements > MAX_TENSOR_ELEMENTS) {
            throw new IllegalArgumentException("cannot resize input " + i + " ('"
                    + model.inputs().get(i).name()
                    + "') to " + Arrays.toString(dims) + ": " + describeCount(elements) + " elements, more than the "
                    + MAX_TENSOR_ELEMENTS + " an interpreter tensor may hold");
        }
        if (!Arrays.equals(inputDims[i], dims)) {
            inputDims[i] = dims.clone();
            prepared = false;
        }
    }

    /**
     * Fixes shapes, plans buffers (see the class comment) and binds kernels; runs implicitly before the first
     * inference.
     */
    public void allocateTensors() {
        ensureOpen();
        if (prepared) {
            return;
        }
        shapes.clear();
        buffers.clear();
        sharedTensors.clear();
        kernels.clear();
        kernelOps.clear();
        activationBytes = 0;
        List<Op> ops = model.ops();
        // the index of the last op reading each tensor; model inputs and outputs are never shared
        Map<Tensor, Integer> lastUse = new IdentityHashMap<>();
        for (int i = 0; i < ops.size(); i++) {
            for (Tensor t : ops.get(i).inputs()) {
                lastUse.put(t, i);
            }
        }
        Set<Tensor> ownStorage = Collections.newSetFromMap(new IdentityHashMap<>());
        ownStorage.addAll(model.inputs());
        ownStorage.addAll(model.outputs());
        Arena arena = new Arena();
        Map<Tensor, Tensor> concrete = new IdentityHashMap<>();
        for (int i = 0; i < inputDims.length; i++) {
            Tensor t = model.inputs().get(i);
            Shape shape = Shape.of(inputDims[i]);
            long elements = elementCount(inputDims[i]);
            if (elements > MAX_TENSOR_ELEMENTS) {
                throw new QuantaException("model '" + model.name() + "': input " + t.name() + " of shape " + shape
                        + " is larger than " + MAX_TENSOR_ELEMENTS + " elements");
            }
            concrete.put(t, t.withShape(shape));
            shapes.put(t, inputDims[i].clone());
            buffers.put(t, arena.allocate(t.dtype(), (int) elements));
        }
        Set<Tensor> folded = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int opIndex = 0; opIndex < ops.size(); opIndex++) {
            Op op = ops.get(opIndex);
            List<Tensor> ins = new ArrayList<>(op.inputs().size());
            boolean allConstant = true;
            for (Tensor t : op.inputs()) {
                if (t.isConstant()) {
                    if (!buffers.containsKey(t)) {
                        buffers.put(t, model.derived(t, () -> Buffers.of(t)));
                        shapes.put(t, t.shape().dims());
                    }
                    ins.add(t);
                } else {
                    allConstant &= folded.contains(t);
                    ins.add(concrete.get(t));
                }
            }
            List<Shape> outs;
            try {
                outs = ShapeInference.inferAll(op.type(), op.attributes(), ins);
            } catch (IllegalArgumentException | IllegalStateException e) {
                throw new QuantaException("model '" + model.name() + "': " + op.describe() + ": " + e.getMessage(), e);
            }
            for (int k = 0; k < outs.size(); k++) {
                Shape out = outs.get(k);
                if (out.elementCount() > MAX_TENSOR_ELEMENTS) {
                    throw new QuantaException("model '" + model.name() + "': " + op.describe() + ": output " + out
                            + " has " + out.elementCount() + " elements, more than the " + MAX_TENSOR_ELEMENTS
                            + " an interpreter tensor may hold");
                }
                Tensor o = op.output(k);
                concrete.put(o, o.withShape(out));
                shapes.put(o, out.dims());
            }
            if (allConstant && outs.size() == 1 && !op.type().isSignal()) {
                // constant folding (e.g. DEQUANTIZE of float16 weights): computed once, shared by every
                // interpreter of the model, and read by the next kernels as weights
                Tensor o = op.output(0);
                Shape out = outs.get(0);
                buffers.put(o, model.derived(o, () -> fold(op, out)));
                folded.add(o);
                continue;
            }
            // outputs first, then the inputs read for the last time are released: an op never writes the array
            // it reads
            for (int k = 0; k < outs.size(); k++) {
                Tensor o = op.output(k);
                int n = Math.toIntExact(outs.get(k).elementCount());
                if (preserveAllTensors || ownStorage.contains(o)) {
                    buffers.put(o, arena.allocate(o.dtype(), n));
                } else {
                    buffers.put(o, arena.take(o.dtype(), n));
                    sharedTensors.add(o);
                }
            }
            try {
                kernels.add(Kernels.create(op, buffers::get, shapes::get, kernelPath));
                kernelOps.add(op);
            } catch (UnsupportedOperationException e) {
                throw new QuantaException("model '" + model.name() + "': " + e.getMessage(), e);
            } catch (QuantaException e) {
                throw e;
            } catch (RuntimeException e) {
                // constants whose sizes contradict the op (a corrupted file that still parses)
                throw new QuantaException(
                        "model '" + model.name() + "': " + op.describe() + ": inconsistent " + op.type() + " (" + e
                                + ")",
                        e);
            }
            releaseAfter(op.inputs(), opIndex, lastUse, arena);
            releaseAfter(op.outputs(), opIndex, lastUse, arena); // outputs nobody reads
        }
        activationBytes = arena.bytes;
        kernelArray = kernels.toArray(Kernel[]::new);
        kernelSplitters = new Parallel[kernelArray.length];
        for (int k = 0; k < kernelArray.length; k++) {
            kernelSplitters[k] = work(kernelOps.get(k)) >= MIN_PARALLEL_WORK ? parallel : serial;
        }
        inputTensors = model.inputs().toArray(Tensor[]::new);
        outputTensors = model.outputs().toArray(Tensor[]::new);
        inputBuffers = new Object[inputTensors.length];
        for (int i = 0; i < inputTensors.length; i++) {
            inputBuffers[i] = buffers.get(inputTensors[i]);
        }
        outputBuffers = new Object[outputTensors.length];
        for (int i = 0; i < outputTensors.length; i++) {
            outputBuffers[i] = buffers.get(outputTensors[i]);
        }
        opNanos = new long[kernels.size()];
        profiledRuns = 0;
        prepared = true;
    }

    /** Returns to the arena the arrays of the shared tensors in {@code tensors} that no op after {@code op} reads. */
    private void releaseAfter(List<Tensor> tensors, int op, Map<Tensor, Integer> lastUse, Arena arena) {
        for (Tensor t : tensors) {
            if (sharedTensors.contains(t) && lastUse.getOrDefault(t, -1) <= op) {
                Object array = buffers.get(t);
                arena.release(array); // a tensor read twice by the same op is released once
            }
        }
    }

    /**
     * The arrays of one allocation: {@link #take} reuses a released array of the same Java type and exact length
     * (kernels size their loops from array lengths), else allocates; {@link #bytes} counts what was allocated.
     */
    private static final class Arena {
        private record Key(Class<?> type, int length) {}

        private final Map<Key, ArrayDeque<Object>> free = new HashMap<>();
        private final Set<Object> released = Collections.newSetFromMap(new IdentityHashMap<>());
        long bytes;

        Object allocate(DType dtype, int elements) {
            Object array = Buffers.allocate(dtype, elements);
            bytes += (long) elements * elementBytes(array);
            return array;
        }

        Object take(DType dtype, int elements) {
            Object probe = Buffers.allocate(dtype, 0);
            ArrayDeque<Object> pool = free.get(new Key(probe.getClass(), elements));
            if (pool != null && !pool.isEmpty()) {
                Object array = pool.pop();
                released.remove(array);
                return array;
            }
            return allocate(dtype, elements);
        }

        void release(Object array) {
            if (released.add(array)) {
                free.computeIfAbsent(new Key(array.getClass(), Buffers.length(array)), k -> new ArrayDeque<>())
                        .push(array);
            }
        }

        private static int elementBytes(Object array) {
            return switch (array) {
                case byte[] b -> 1;
                case short[] s -> 2;
                case float[] f -> 4;
                case int[] i -> 4;
                case long[] l -> 8;
                case double[] d -> 8;
                case boolean[] z -> 1;
                default -> throw new IllegalStateException("unexpected buffer " + array.getClass());
            };
        }
    }

    /**
     * The bytes of the arrays this interpreter allocated for its input, intermediate and output tensors (constants
     * and packed weights excluded): with buffer planning, less than the sum of the tensors' sizes.
     */
    public long activationBytes() {
        allocateTensors();
        return activationBytes;
    }

    /**
     * The time one op took per run, averaged over the runs since profiling was switched on (or the tensors were
     * last re-allocated).
     *
     * @param layer the op's source layer name
     * @param type the op type as the source names it (TFLite op or Keras layer class)
     */
    public record OpTiming(String layer, String type, long runs, double meanMicros) {}

    /**
     * Times every op of each following run (a {@code System.nanoTime} pair per op, which adds a little to the
     * run); {@link #opTimings} reads the result. Switching it on clears earlier timings.
     */
    public void setProfiling(boolean on) {
        allocateTensors();
        profiling = on;
        java.util.Arrays.fill(opNanos, 0);
        profiledRuns = 0;
    }

    /**
     * The largest magnitude an internal state of {@code op}'s kernel has reached since the tensors were last
     * allocated (the float LSTM's cell state), or NaN when the op keeps none.
     */
    public float stateAbsMax(Op op) {
        allocateTensors();
        int k = kernelOps.indexOf(op);
        return k < 0 ? Float.NaN : kernels.get(k).stateAbsMax();
    }

    /** Mean time per run of every op that ran a kernel, in graph order; empty before a profiled run. */
    public List<OpTiming> opTimings() {
        ensureOpen();
        List<OpTiming> out = new ArrayList<>();
        if (profiledRuns == 0) {
            return out;
        }
        for (int i = 0; i < kernelOps.size(); i++) {
            Op op = kernelOps.get(i);
            out.add(new OpTiming(
                    op.origin().layerName(), op.origin().layerClass(), profiledRuns, opNanos[i] / 1e3 / profiledRuns));
        }
        return out;
    }

    /**
     * Clears the state that stateful kernels carry from one run to the next, as a fresh interpreter has it. Only
     * tflite-micro's spectral subtraction (the noise estimate of its audio front end) keeps such state; call this
     * between independent audio clips. (TFLite's Java {@code Interpreter} has the same method for variable
     * tensors; Quanta's LSTM starts from zero states on every run and needs no reset.)
     */
    public void resetVariableTensors() {
        ensureOpen();
        if (prepared) {
            for (Kernel k : kernels) {
                k.reset();
            }
        }
    }

    /** Evaluates an op whose inputs are all constant (or folded) into a fresh array. */
    private Object fold(Op op, Shape out) {
        Tensor o = op.output(0);
        Object result = Buffers.allocate(o.dtype(), Math.toIntExact(out.elementCount()));
        Map<Tensor, Object> local = new IdentityHashMap<>(buffers);
        local.put(o, result);
        try {
            Kernels.create(op, local::get, shapes::get, kernelPath).run(parallel);
        } catch (UnsupportedOperationException e) {
            throw new QuantaException("model '" + model.name() + "': " + e.getMessage(), e);
        }
        return result;
    }

    /**
     * Runs a model with one input and one output; both are flat row-major arrays of the current shapes, of the
     * tensor's Java type ({@code float[]} for FLOAT32, {@code byte[]} for INT8/UINT8, {@code short[]} for INT16,
     * {@code int[]} for INT32).
     */
    public void run(Object input, Object output) {
        allocateTensors();
        if (inputTensors.length != 1) {
            throw new IllegalArgumentException("model has " + inputTensors.length + " inputs, got 1");
        }
        copyIn(0, input);
        runKernels();
        if (outputTensors.length > 0 && output != null) {
            copyOut(0, output);
        }
    }

    /** Runs the model; {@code outputs[i]} may be null to skip copying output i. */
    public void runForMultipleInputsOutputs(Object[] inputs, Object[] outputs) {
        allocateTensors();
        if (inputs.length != inputTensors.length) {
            throw new IllegalArgumentException("model has " + inputTensors.length + " inputs, got " + inputs.length);
        }
        for (int i = 0; i < inputs.length; i++) {
            copyIn(i, inputs[i]);
        }
        runKernels();
        for (int i = 0; i < outputs.length && i < outputTensors.length; i++) {
            if (outputs[i] != null) {
                copyOut(i, outputs[i]);
            }
        }
    }

    private void copyIn(int i, Object input) {
        Object dst = inputBuffers[i];
        if (input == null || input.getClass() != dst.getClass() || Buffers.length(input) != Buffers.length(dst)) {
            checkArray("input " + i, inputTensors[i], input, dst);
        }
        System.arraycopy(input, 0, dst, 0, Buffers.length(dst));
    }

    private void copyOut(int i, Object output) {
        Object src = outputBuffers[i];
        if (output.getClass() != src.getClass() || Buffers.length(output) != Buffers.length(src)) {
            checkArray("output " + i, outputTensors[i], output, src);
        }
        System.arraycopy(src, 0, output, 0, Buffers.length(src));
    }

    private void runKernels() {
        Kernel[] ks = kernelArray;
        Parallel[] splitters = kernelSplitters;
        if (profiling) {
            for (int k = 0; k < ks.length; k++) {
                long t0 = System.nanoTime();
                ks[k].run(splitters[k]);
                opNanos[k] += System.nanoTime() - t0;
            }
            profiledRuns++;
        } else {
            for (int k = 0; k < ks.length; k++) {
                ks[k].run(splitters[k]);
            }
        }
    }

    /**
     * Work of an op below which it runs on the calling thread alone, whatever the thread count: handing a part to
     * another thread and waiting for it costs about a microsecond when that thread is spinning, tens when it was
     * parked, while 2^16 multiply-adds take a few microseconds in the SIMD kernels. Results do not depend on it.
     */
    static final long MIN_PARALLEL_WORK = 1L << 16;

    /**
     * The work of {@code op} as this interpreter's shapes give it: multiply-adds for CONV_2D (outputs·kh·kw·C),
     * DEPTHWISE_CONV_2D (outputs·kh·kw) and FULLY_CONNECTED (outputs·K), else the number of output values.
     */
    long work(Op op) {
        long outputs = 0;
        for (Tensor t : op.outputs()) {
            int[] shape = shapes.get(t);
            outputs += shape == null ? 0 : elementCount(shape);
        }
        if (op.inputs().size() < 2 || op.input(1) == null || shapes.get(op.input(1)) == null) {
            return outputs;
        }
        int[] w = shapes.get(op.input(1));
        return switch (op.type()) {
            case CONV_2D -> w.length == 4 ? outputs * w[1] * w[2] * w[3] : outputs;
            case DEPTHWISE_CONV_2D -> w.length == 4 ? outputs * w[1] * w[2] : outputs;
            case FULLY_CONNECTED -> w.length == 2 ? outputs * w[1] : outputs;
            default -> outputs;
        };
    }

    /** How many of the prepared kernels may use more than one thread (for tests). */
    int parallelKernelCount() {
        int n = 0;
        for (Parallel p : kernelSplitters) {
            n += p == serial ? 0 : 1;
        }
        return n;
    }

    private void checkArray(String what, Tensor t, Object given, Object own) {
        if (given == null || given.getClass() != own.getClass()) {
            throw new IllegalArgumentException(what + " ('" + t.name() + "') is " + t.dtype() + " and needs a "
                    + own.getClass().getSimpleName() + ", got "
                    + (given == null ? "null" : given.getClass().getSimpleName()));
        }
        if (Buffers.length(given) != Buffers.length(own)) {
            throw new IllegalArgumentException(what + " needs " + Buffers.length(own) + " values for shape "
                    + Arrays.toString(shapes.get(t)) + ", got " + Buffers.length(given));
        }
    }

    /**
     * A copy of a tensor's array from the last run: an input, an output or a constant, and any intermediate
     * activation when the interpreter preserves all tensors.
     *
     * @throws IllegalStateException for an intermediate tensor whose storage other tensors reuse (the interpreter
     *     was made without {@link Options#withPreserveAllTensors})
     */
    public Object readTensor(Tensor t) {
        Object b = readable(t);
        int n = Buffers.length(b);
        Object copy = java.lang.reflect.Array.newInstance(b.getClass().getComponentType(), n);
        System.arraycopy(b, 0, copy, 0, n);
        return copy;
    }

    /**
     * The real values of a tensor from the last run (quantized values are dequantized); which tensors are readable
     * is as for {@link #readTensor}.
     */
    public float[] readTensorAsFloats(Tensor t) {
        Object b = readable(t);
        return Dequantize.toFloats(b, t.dtype(), t.quant(), shapes.get(t));
    }

    private Object readable(Tensor t) {
        allocateTensors();
        Object b = buffers.get(t);
        if (b == null) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not part of this model");
        }
        if (sharedTensors.contains(t)) {
            throw new IllegalStateException("tensor " + t.name() + " is an intermediate tensor whose storage later "
                    + "ops reuse; make the interpreter with Options.withPreserveAllTensors(true) to read it");
        }
        return b;
    }

    /** The array the interpreter holds for {@code t} (not a copy); for tests of buffer sharing. */
    Object bufferOf(Tensor t) {
        allocateTensors();
        return buffers.get(t);
    }

    /** The concrete shape of any tensor for the current input shapes. */
    public int[] tensorShape(Tensor t) {
        allocateTensors();
        int[] s = shapes.get(t);
        if (s == null) {
            throw new IllegalArgumentException("tensor " + t.name() + " is not part of this model");
        }
        return s.clone();
    }

    /** The product of {@code dims} computed in long, or {@link Long#MAX_VALUE} when even that overflows. */
    static long elementCount(int[] dims) {
        long n = 1;
        for (int d : dims) {
            try {
                n = Math.multiplyExact(n, (long) d);
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return n;
    }

    /** An element count for a message; {@link Long#MAX_VALUE} stands for one that overflowed. */
    static String describeCount(long elements) {
        return elements == Long.MAX_VALUE ? "more than 2^63" : Long.toString(elements);
    }

    /**
     * Refuses a closed interpreter. {@link #allocateTensors} calls it first, so the methods that start with
     * {@code allocateTensors()} (every run among them) are checked once, there.
     */
    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("interpreter is closed");
        }
    }

    /**
     * Stops this interpreter's worker threads and drops its buffers and kernels; idempotent. Other interpreters of
     * the same model are not affected.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        parallel.close();
        serial.close();
        shapes.clear();
        buffers.clear();
        sharedTensors.clear();
        kernels.clear();
        kernelOps.clear();
        kernelArray = new Kernel[0];
        inputBuffers = new Object[0];
        outputBuffers = new Object[0];
        prepared = false;
    }
}
