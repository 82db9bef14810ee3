package dev.quanta.onnx;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The state of one import that translators work on: every ONNX value name bound to an IR tensor and its
 * {@link OnnxLayout}, the IR ops emitted so far, and the layout helpers.
 *
 * <p>Layout API: {@link #onnx} gives a value in ONNX order and {@link #channelsLast} in channels-last order, each
 * adding at most one TRANSPOSE per value (cached; a constant is permuted at import time instead; a transpose that
 * moves no element is a RESHAPE). {@link #define} binds a node output with the layout its IR tensor has;
 * {@link #axis} maps an ONNX axis onto the IR tensor of a value.
 */
public final class OnnxContext {
    /** An ONNX value as imported: its IR tensor and that tensor's axis order. */
    public record Value(Tensor tensor, OnnxLayout layout) {
        public boolean channelsLast() {
            return layout == OnnxLayout.CHANNELS_LAST;
        }
    }

    private final Path file;
    private final int opset;
    private final Map<String, Value> values = new HashMap<>();
    private final Map<String, Tensor> onnxCache = new HashMap<>();
    private final Map<String, Tensor> channelsLastCache = new HashMap<>();
    private final List<Op> ops = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private OnnxNode node;

    /**
     * The most bytes of constants one import may compute from small inputs (ConstantOfShape fills, folded results,
     * expanded weights), all together: as much as the largest float32 tensor the IR allows (4 · 2^28 bytes, 1 GiB), so
     * that a file cannot make the import allocate several such tensors before some later node is refused.
     */
    public static final long COMPUTED_CONSTANTS_BUDGET = 4 * Shape.MAX_ELEMENTS;

    private long computedBytes;

    OnnxContext(Path file, int opset) {
        this.file = file;
        this.opset = opset;
    }

    public Path file() {
        return file;
    }

    public int opset() {
        return opset;
    }

    /** The node being translated (ops emitted now carry its origin). */
    public OnnxNode node() {
        return node;
    }

    void setNode(OnnxNode n) {
        this.node = n;
    }

    List<Op> ops() {
        return ops;
    }

    /**
     * Charges {@code bytes} of constants the current node is about to compute against
     * {@link #COMPUTED_CONSTANTS_BUDGET}, before they are allocated; the node's one-line error when the running total
     * would pass it.
     */
    public void reserveComputed(long bytes, String what) {
        if (bytes < 0 || computedBytes + bytes > COMPUTED_CONSTANTS_BUDGET) {
            throw node.unsupported(
                    what + " (" + bytes + " bytes) would bring the constants computed while importing to "
                            + (computedBytes + bytes) + " bytes, more than the budget of " + COMPUTED_CONSTANTS_BUDGET
                            + " bytes");
        }
        computedBytes += bytes;
    }

    /** The bytes of constants computed so far ({@link #reserveComputed}). */
    public long computedBytes() {
        return computedBytes;
    }

    /** Whether a value of this name exists. */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /** The value bound to {@code name}. */
    public Value value(String name) {
        Value v = values.get(name);
        if (v == null) {
            throw node != null
                    ? node.bad("input '" + name + "' is not produced by any earlier node, initializer or graph input")
                    : OnnxReader.error(file, "value '" + name + "' is not defined");
        }
        return v;
    }

    /** Binds node output {@code name} to {@code t} in {@code layout}. */
    public void define(String name, Tensor t, OnnxLayout layout) {
        if (layout == OnnxLayout.CHANNELS_LAST && t.shape().rank() < 3) {
            layout = OnnxLayout.ONNX;
        }
        values.put(name, new Value(t, layout));
        onnxCache.remove(name);
        channelsLastCache.remove(name);
    }

    /** Binds {@code name} to {@code t} in ONNX order. */
    public void define(String name, Tensor t) {
        define(name, t, OnnxLayout.ONNX);
    }

    /** The rank of a value. */
    public int rank(String name) {
        return value(name).tensor().shape().rank();
    }

    /** The shape of a value in ONNX order. */
    public Shape onnxShape(String name) {
        Value v = value(name);
        Shape s = v.tensor().shape();
        return v.channelsLast() ? Shape.of(OnnxLayout.permute(s.dims(), OnnxLayout.toOnnx(s.rank()))) : s;
    }

    public DType dtype(String name) {
        return value(name).tensor().dtype();
    }

    public boolean isConstant(String name) {
        return value(name).tensor().isConstant();
    }

    /** The data of a constant value in ONNX order; the node's error when it is not constant. */
    public TensorData constantData(String name, String what) {
        if (!isConstant(name)) {
            throw node.unsupported(what + " must be a constant (an initializer or computed from constants)");
        }
        return onnx(name).data();
    }

    /** An integer constant's values. */
    public long[] constantLongs(String name, String what) {
        TensorData d = constantData(name, what);
        if (d.dtype() == DType.FLOAT32 || d.dtype() == DType.FLOAT16) {
            throw node.bad(what + " must be an integer tensor, is " + d.dtype());
        }
        return OnnxTensors.longs(d);
    }

    /** A float constant's values. */
    public float[] constantFloats(String name, String what) {
        return OnnxTensors.floats(constantData(name, what));
    }

    /** The IR axis of ONNX axis {@code axis} (negative counts from the end) of value {@code name}. */
    public int axis(String name, long axis) {
        int r = rank(name);
        long a = axis < 0 ? axis + r : axis;
        if (a < 0 || a >= r) {
            throw node.bad("axis " + axis + " is out of range for rank " + r);
        }
        return value(name).channelsLast() ? OnnxLayout.channelsLastAxis((int) a, r) : (int) a;
    }

    /** The value in ONNX order (one cached TRANSPOSE back when it is channels-last). */
    public Tensor onnx(String name) {
        Value v = value(name);
        if (!v.channelsLast()) {
            return v.tensor();
        }
        Tensor cached = onnxCache.get(name);
        if (cached == null) {
            cached = transpose(v.tensor(), OnnxLayout.toOnnx(v.tensor().shape().rank()), name);
            onnxCache.put(name, cached);
        }
        return cached;
    }

    /** The value channels-last (one cached TRANSPOSE when it is in ONNX order; constants are permuted here). */
    public Tensor channelsLast(String name) {
        Value v = value(name);
        if (v.channelsLast()) {
            return v.tensor();
        }
        int rank = v.tensor().shape().rank();
        if (rank < 3) {
            throw node.bad("needs a value of rank 3 or more, '" + name + "' has rank " + rank);
        }
        Tensor cached = channelsLastCache.get(name);
        if (cached == null) {
            cached = transpose(v.tensor(), OnnxLayout.toChannelsLast(rank), name);
            channelsLastCache.put(name, cached);
        }
        return cached;
    }

    /**
     * {@code t} transposed by {@code perm}: a permuted constant for a constant, a RESHAPE when no element moves,
     * else a TRANSPOSE op.
     */
    public Tensor transpose(Tensor t, int[] perm, String baseName) {
        int[] dims = t.shape().dims();
        if (t.isConstant()) {
            return constant(
                    baseName + "_perm",
                    Shape.of(OnnxLayout.permute(dims, perm)),
                    t.dtype(),
                    OnnxLayout.permute(t.data(), dims, perm));
        }
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) {
            identity &= perm[i] == i;
        }
        if (identity) {
            return t;
        }
        if (!t.shape().isDynamic() && OnnxLayout.isPureReshape(dims, perm)) {
            return emit(
                    baseName + "_reshaped",
                    OpType.RESHAPE,
                    new OpAttributes.Reshape(OnnxLayout.permute(dims, perm)),
                    t.dtype(),
                    t);
        }
        return emit(baseName + "_transposed", OpType.TRANSPOSE, new OpAttributes.Transpose(perm), t.dtype(), t);
    }

    /** {@code t} reshaped to {@code dims} (a RESHAPE op, or new constant data). */
    public Tensor reshape(Tensor t, int[] dims, String baseName) {
        if (t.isConstant()) {
            return constant(baseName, Shape.of(dims), t.dtype(), t.data());
        }
        if (Arrays.equals(t.shape().dims(), dims)) {
            return t;
        }
        return emit(baseName, OpType.RESHAPE, new OpAttributes.Reshape(dims), t.dtype(), t);
    }

    /** A new constant tensor. */
    public Tensor constant(String baseName, Shape shape, DType dtype, TensorData data) {
        return new Tensor(unique(baseName), shape, dtype, data, null, dtype == DType.FLOAT32);
    }

    /** A new float32 constant. */
    public Tensor constant(String baseName, Shape shape, float[] values) {
        return constant(baseName, shape, DType.FLOAT32, TensorData.ofFloats(values));
    }

    /**
     * Emits an op of the current node with one output named {@code name} (made unique) of type {@code outType}, its
     * shape inferred.
     */
    public Tensor emit(String name, OpType type, OpAttributes attrs, DType outType, Tensor... inputs) {
        return emitAll(name, type, attrs, outType, inputs).get(0);
    }

    /** Emits an op of the current node and returns all its outputs (SPLIT and the like). */
    public List<Tensor> emitAll(String name, OpType type, OpAttributes attrs, DType outType, Tensor... inputs) {
        List<Tensor> in = Arrays.asList(inputs);
        List<Shape> shapes;
        try {
            shapes = ShapeInference.inferAll(type, attrs, in);
        } catch (IllegalArgumentException
                | IllegalStateException
                | ClassCastException
                | ArrayIndexOutOfBoundsException e) {
            throw node.bad(type + " of inputs " + in + ": " + e.getMessage());
        }
        List<Tensor> outs = new ArrayList<>();
        QuantParams kept = keptQuantParams(type, outType, in);
        for (int i = 0; i < shapes.size(); i++) {
            outs.add(new Tensor(
                    unique(shapes.size() == 1 ? name : name + "_" + i), shapes.get(i), outType, null, kept, false));
        }
        Origin origin = node != null ? node.origin() : new Origin(name, "Transpose");
        ops.add(new Op(outs.get(0).name(), type, in, outs, attrs, origin));
        return outs;
    }

    /**
     * The per-tensor parameters of an integer input that an op moving values without changing them (TRANSPOSE,
     * RESHAPE, SQUEEZE, EXPAND_DIMS) passes on to its output of the same type, as a Transpose between a QuantizeLinear
     * and a DequantizeLinear does; else null.
     */
    private static QuantParams keptQuantParams(OpType type, DType outType, List<Tensor> in) {
        boolean movesValues = type == OpType.TRANSPOSE
                || type == OpType.RESHAPE
                || type == OpType.SQUEEZE
                || type == OpType.EXPAND_DIMS;
        if (!movesValues || in.isEmpty() || outType == DType.FLOAT32) {
            return null;
        }
        Tensor x = in.get(0);
        return x.dtype() == outType && x.quant() != null && x.quant().isPerTensor() ? x.quant() : null;
    }

    /** A tensor name not used yet: {@code base}, else {@code base_1}, … */
    public String unique(String base) {
        String candidate = base;
        for (int i = 1; !names.add(candidate); i++) {
            candidate = base + "_" + i;
        }
        return candidate;
    }
}
