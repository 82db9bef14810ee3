package dev.quanta.onnx;

import com.google.protobuf.ByteString;
import dev.quanta.QuantaException;
import dev.quanta.files.AtomicFiles;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.TensorShapeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes an IR {@link Model} as an ONNX model (IR version {@value #IR_VERSION}, opset {@value #OPSET} of the default
 * domain).
 *
 * <p>Float ops become their ONNX operators. A quantized model becomes a QDQ graph as ONNX Runtime's
 * {@code quantize_static} writes it: each quantized activation is the float result of its op followed by a
 * QuantizeLinear/DequantizeLinear pair with the IR's scale and zero point ({@code real = scale × (q − zp)}); quantized
 * constants (weights, int32 biases) are integer initializers read through DequantizeLinear (per axis where the IR is;
 * the axis follows the weight's ONNX layout); fused activations are Relu or Clip nodes before the output's
 * QuantizeLinear. Integer graph inputs and outputs stay integer.
 *
 * <p>Layout: the IR is NHWC with TFLite weight layouts, ONNX's spatial operators are NCHW. The graph's inputs and
 * outputs keep the IR shapes; inside, every rank-4 value is tracked as NHWC or NCHW and one Transpose is inserted where
 * an op needs the other layout (before the first convolution, before a reshape that changes the element order). Axes
 * of axis-carrying ops are remapped and constant weights are transposed at write time.
 */
public final class OnnxWriter {
    /** The ONNX IR version written (ONNX 1.13 to 1.14 read it; ONNX Runtime 1.14 and later). */
    public static final int IR_VERSION = 8;

    /** The opset of the default domain written: the first with HardSwish and LayerNormalization, per-axis Q/DQ. */
    public static final int OPSET = 17;

    private OnnxWriter() {}

    /**
     * How the ONNX file is written.
     *
     * @param uint8Activations write int8 activations as uint8 with the zero point moved by 128 ({@code q_u8 = q_s8 +
     *     128}, the same real values): ONNX Runtime's U8S8 format, whose QDQ nodes it fuses into integer kernels on
     *     x86-64 (there it converts only Q/DQ pairs with one reader from int8, and runs the others in float). Integer
     *     graph inputs and outputs keep their type.
     */
    public record Options(boolean uint8Activations) {
        /** Activations as the IR quantizes them. */
        public static Options defaults() {
            return new Options(false);
        }

        public Options withUint8Activations(boolean on) {
            return new Options(on);
        }
    }

    /** Writes {@code model} to {@code out} atomically (temporary file, then move), with default options. */
    public static void write(Model model, Path out) {
        write(model, out, Options.defaults());
    }

    /** Writes {@code model} to {@code out} atomically (temporary file, then move). */
    public static void write(Model model, Path out, Options options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        AtomicFiles.requireWritableTarget(out);
        AtomicFiles.requireNotAnInput(
                out, Collections.singletonMap("model source", model.metadata().sourceFile()));
        AtomicFiles.writeBytes(out, toBytes(model, options));
    }

    /** The serialized ONNX model of {@code model}, default options. */
    public static byte[] toBytes(Model model) {
        return toBytes(model, Options.defaults());
    }

    /** The serialized ONNX model of {@code model}. */
    public static byte[] toBytes(Model model, Options options) {
        return toProto(model, options).toByteArray();
    }

    /** The ONNX model of {@code model}, default options. */
    public static ModelProto toProto(Model model) {
        return toProto(model, Options.defaults());
    }

    /**
     * The ONNX model of {@code model}.
     *
     * @throws QuantaException naming the op when it has no ONNX form here
     */
    public static ModelProto toProto(Model model, Options options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        GraphEmitter emitter = new GraphEmitter(model, options);
        GraphProto graph = emitter.emit();
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET));
        if (emitter.usesContribDomain) {
            m.addOpsetImport(
                    OperatorSetIdProto.newBuilder().setDomain(CONTRIB_DOMAIN).setVersion(1));
        }
        return m.setProducerName("quanta")
                .setProducerVersion("0.1")
                .setGraph(graph)
                .build();
    }

    /**
     * ONNX Runtime's domain of contributed operators, whose QuantizeLinear and DequantizeLinear take int16 before opset
     * 21: where the 16x8 mode's int16 activations are quantized.
     */
    public static final String CONTRIB_DOMAIN = "com.microsoft";

    /** Whether a rank-4 value is stored in the IR's order (NHWC) or channels first (NCHW). */
    enum Layout {
        NATIVE,
        CHANNELS_FIRST
    }

    /** NHWC → NCHW: output axis i is input axis {@code TO_NCHW[i]}. */
    static final int[] TO_NCHW = {0, 3, 1, 2};

    /** NCHW → NHWC. */
    static final int[] TO_NHWC = {0, 2, 3, 1};

    /** ONNX TensorProto.DataType of an IR element type. */
    static int onnxType(DType t) {
        return switch (t) {
            case FLOAT32, FLOAT16 -> 1; // float16 constants are widened at write time
            case UINT8 -> 2;
            case INT8 -> 3;
            case INT16 -> 5;
            case INT32 -> 6;
            case INT64 -> 7;
            case BOOL -> 9;
            case UINT32 -> 12;
            case UINT64 -> 13;
        };
    }

    /** The IR axis {@code axis} (negative counts from the end) of a rank-{@code rank} value, in {@code layout}. */
    static int axisIn(int axis, int rank, Layout layout) {
        int a = axis < 0 ? axis + rank : axis;
        if (layout == Layout.CHANNELS_FIRST && rank == 4) {
            return TO_NHWC[a];
        }
        return a;
    }

    /** {@code dims} permuted: result[i] = dims[perm[i]]. */
    static int[] permute(int[] dims, int[] perm) {
        int[] r = new int[perm.length];
        for (int i = 0; i < perm.length; i++) {
            r[i] = dims[perm[i]];
        }
        return r;
    }

    /** Row-major elements of {@code elementBytes} each, of shape {@code dims}, transposed by {@code perm}. */
    static byte[] transposeBytes(byte[] data, int[] dims, int[] perm, int elementBytes) {
        int rank = dims.length;
        int[] outDims = permute(dims, perm);
        int[] inStrides = new int[rank];
        int s = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = s;
            s *= dims[i];
        }
        byte[] out = new byte[data.length];
        int[] index = new int[rank];
        int n = data.length / elementBytes;
        for (int o = 0; o < n; o++) {
            int from = 0;
            for (int i = 0; i < rank; i++) {
                from += index[i] * inStrides[perm[i]];
            }
            System.arraycopy(data, from * elementBytes, out, o * elementBytes, elementBytes);
            for (int i = rank - 1; i >= 0; i--) {
                if (++index[i] < outDims[i]) {
                    break;
                }
                index[i] = 0;
            }
        }
        return out;
    }

    /**
     * Whether the QuantizeLinear of {@code out} makes activation {@code a} before it change nothing: Q is monotonic
     * and clamps to [qmin, qmax], so Clip(min, max) then Q equals Q when {@code Q(min) ≤ qmin} and
     * {@code Q(max) ≥ qmax}, with {@code Q(x) = rint(x / s) + zp} (ReLU: min 0, max +∞).
     */
    static boolean clampedByQuantization(Activation a, Tensor out) {
        if (!isQuantizedActivation(out) || !out.quant().isPerTensor()) {
            return false;
        }
        long qmin = switch (out.dtype()) {
            case UINT8 -> 0;
            case INT8 -> -128;
            default -> -32768;
        };
        long qmax = switch (out.dtype()) {
            case UINT8 -> 255;
            case INT8 -> 127;
            default -> 32767;
        };
        float s = out.quant().scale();
        long zp = out.quant().zeroPoint();
        boolean low = Math.rint(a.min() / s) + zp <= qmin;
        boolean high = Float.isInfinite(a.max()) || Math.rint(a.max() / s) + zp >= qmax;
        return low && high;
    }

    /** An int8, uint8 or int16 activation with quantization parameters. */
    static boolean isQuantizedActivation(Tensor t) {
        return t.quant() != null
                && !t.isConstant()
                && (t.dtype() == DType.INT8 || t.dtype() == DType.UINT8 || t.dtype() == DType.INT16);
    }

    /** The integer type and parameters a quantized activation is written with. */
    record IntegerForm(DType type, QuantParams quant) {
        /** As the IR has it, or int8 as uint8 (zero point + 128) with {@link Options#uint8Activations}. */
        static IntegerForm of(Tensor t, Options options) {
            QuantParams q = t.quant();
            if (options.uint8Activations() && t.dtype() == DType.INT8 && q.isPerTensor()) {
                return new IntegerForm(DType.UINT8, QuantParams.perTensor(q.scale(), q.zeroPoint() + 128));
            }
            return new IntegerForm(t.dtype(), q);
        }
    }

    /** Builds the graph: one pass over the IR ops in order. */
    private static final class GraphEmitter {
        private final Model model;
        private final GraphProto.Builder graph = GraphProto.newBuilder();
        private final Set<String> names = new HashSet<>();
        private final Map<Tensor, EnumMap<Layout, String>> values = new IdentityHashMap<>();
        private final Map<Tensor, Layout> firstLayout = new IdentityHashMap<>();
        /** Quantized activations: the integer value (QuantizeLinear's output or an integer graph input) per layout. */
        private final Map<Tensor, EnumMap<Layout, String>> integerValues = new IdentityHashMap<>();

        private final Map<Object, String> constants = new HashMap<>();
        private int nodeCount;

        private final Options options;
        /** Whether a Q/DQ node is in {@link #CONTRIB_DOMAIN} (int16). */
        boolean usesContribDomain;
        /** Quantized activations: the type and parameters of their integer value as written. */
        private final Map<Tensor, IntegerForm> forms = new IdentityHashMap<>();

        GraphEmitter(Model model, Options options) {
            this.model = model;
            this.options = options;
            for (Tensor t : model.inputs()) {
                names.add(t.name());
            }
            for (Tensor t : model.outputs()) {
                names.add(t.name());
            }
        }

        GraphProto emit() {
            graph.setName(model.name().isEmpty() ? "quanta" : model.name());
            for (Tensor in : model.inputs()) {
                graph.addInput(valueInfo(in.name(), in.dtype(), in.shape().dims()));
                if (isQuantizedActivation(in)) {
                    forms.put(in, new IntegerForm(in.dtype(), in.quant()));
                    recordInteger(in, in.name(), Layout.NATIVE);
                } else {
                    record(in, in.name(), Layout.NATIVE);
                }
            }
            for (Op op : model.ops()) {
                emitOp(op);
            }
            for (Tensor out : model.outputs()) {
                if (isQuantizedActivation(out) && forms.get(out).type() == out.dtype()) {
                    node("Identity", List.of(layoutOf(integerValues, out, Layout.NATIVE)), out.name());
                } else if (isQuantizedActivation(out)) { // written as uint8 inside: back to the IR's int8
                    qdq(
                            "QuantizeLinear",
                            List.of(value(out, Layout.NATIVE), scale(out.quant()), zeroPoint(out.quant(), out.dtype())),
                            out.name(),
                            out.dtype());
                } else {
                    node("Identity", List.of(value(out, Layout.NATIVE)), out.name());
                }
                graph.addOutput(valueInfo(out.name(), out.dtype(), out.shape().dims()));
            }
            return graph.build();
        }

        // ------------------------------------------------------------------ ops

        private void emitOp(Op op) {
            switch (op.type()) {
                case CONV_2D, DEPTHWISE_CONV_2D -> convolution(op);
                case FULLY_CONNECTED -> fullyConnected(op);
                case AVERAGE_POOL_2D, MAX_POOL_2D -> pool(op);
                case MEAN -> mean(op);
                case RESHAPE, SQUEEZE, EXPAND_DIMS -> reshape(op);
                case SOFTMAX, LOG_SOFTMAX -> softmax(op);
                case ADD, SUB, MUL, DIV, MINIMUM, MAXIMUM -> binary(op);
                case RELU, RELU6, RELU_N1_TO_1, RELU_0_TO_1 -> unary(op);
                case LOGISTIC, TANH, LEAKY_RELU, HARD_SWISH, ABS, NEG, EXP, LOG, SQRT, FLOOR, CEIL, ELU -> unary(op);
                case IDENTITY, QUANTIZE, DEQUANTIZE -> passThrough(op);
                case BATCH_NORM -> batchNorm(op);
                case CONCATENATION -> concatenation(op);
                case PAD -> pad(op);
                case TRANSPOSE -> transpose(op);
                default -> throw unsupported(op, "has no ONNX form in Quanta's writer");
            }
        }

        private static QuantaException unsupported(Op op, String why) {
            return new QuantaException(
                    "cannot write ONNX: " + op.describe() + ", op " + op.type() + " '" + op.name() + "' " + why);
        }

        /** CONV_2D (weights OHWI → OIHW) and DEPTHWISE_CONV_2D (weights [1, kh, kw, C·m] → [C·m, 1, kh, kw], group C). */
        private void convolution(Op op) {
            OpAttributes.Convolution a = (OpAttributes.Convolution) op.attributes();
            Tensor x = op.input(0);
            Tensor w = op.input(1);
            requireRank(op, x, 4);
            String in = value(x, Layout.CHANNELS_FIRST);
            boolean depthwise = op.type() == OpType.DEPTHWISE_CONV_2D;
            int[] wd = w.shape().dims();
            String weights = depthwise ? constant(w, new int[] {3, 0, 1, 2}) : constant(w, TO_NCHW);
            int kh = wd[1];
            int kw = wd[2];
            int inH = x.shape().dim(1);
            int inW = x.shape().dim(2);
            List<String> inputs = new ArrayList<>(List.of(in, weights));
            if (op.inputs().size() > 2 && op.input(2) != null) {
                inputs.add(constant(op.input(2), null));
            }
            NodeProto.Builder n = nodeBuilder("Conv", inputs, fresh(op.output(0).name() + "_conv"));
            n.addAttribute(ints("kernel_shape", kh, kw));
            n.addAttribute(ints("strides", a.strideH(), a.strideW()));
            n.addAttribute(ints("dilations", a.dilationH(), a.dilationW()));
            n.addAttribute(ints("pads", pads(a.padding(), inH, inW, kh, kw, a)));
            if (depthwise) {
                n.addAttribute(intAttr("group", x.shape().dim(3)));
            }
            graph.addNode(n);
            String y = activation(n.getOutput(0), a.activation(), op.output(0));
            define(op.output(0), y, Layout.CHANNELS_FIRST);
        }

        /** ONNX pads {top, left, bottom, right} of TensorFlow padding on an {@code inH × inW} input. */
        private static long[] pads(Padding p, int inH, int inW, int kh, int kw, OpAttributes.Convolution a) {
            return padsOf(p, inH, inW, kh, kw, a.strideH(), a.strideW(), a.dilationH(), a.dilationW());
        }

        private static long[] padsOf(Padding p, int inH, int inW, int kh, int kw, int sh, int sw, int dh, int dw) {
            if (p == Padding.VALID) {
                return new long[] {0, 0, 0, 0};
            }
            int top = p.padBefore(inH, kh, sh, dh);
            int left = p.padBefore(inW, kw, sw, dw);
            int totalH = Math.max((p.outputSize(inH, kh, sh, dh) - 1) * sh + (kh - 1) * dh + 1 - inH, 0);
            int totalW = Math.max((p.outputSize(inW, kw, sw, dw) - 1) * sw + (kw - 1) * dw + 1 - inW, 0);
            return new long[] {top, left, totalH - top, totalW - left};
        }

        /** FULLY_CONNECTED: Gemm(x, W, b) with transB = 1 (the IR's weights are [out, in]); x flattened to 2-D first. */
        private void fullyConnected(Op op) {
            OpAttributes.FullyConnected a = op.attrs(OpAttributes.FullyConnected.class);
            Tensor x = op.input(0);
            Tensor w = op.input(1);
            String in = value(x, Layout.NATIVE);
            int depth = w.shape().dim(1);
            if (x.shape().rank() != 2) {
                String flat = fresh(x.name() + "_2d");
                node("Reshape", List.of(in, int64Constant(new long[] {-1, depth})), flat);
                in = flat;
            }
            List<String> inputs = new ArrayList<>(List.of(in, constant(w, null)));
            if (op.inputs().size() > 2 && op.input(2) != null) {
                inputs.add(constant(op.input(2), null));
            }
            NodeProto.Builder n = nodeBuilder("Gemm", inputs, fresh(op.output(0).name() + "_gemm"));
            n.addAttribute(intAttr("transB", 1));
            graph.addNode(n);
            String y = activation(n.getOutput(0), a.activation(), op.output(0));
            Shape outShape = op.output(0).shape();
            if (outShape.rank() != 2) {
                String shaped = fresh(op.output(0).name() + "_shaped");
                node("Reshape", List.of(y, int64Constant(reshapeTarget(outShape))), shaped);
                y = shaped;
            }
            define(op.output(0), y, Layout.NATIVE);
        }

        /** AVERAGE_POOL_2D (padding excluded from the average, as TFLite) and MAX_POOL_2D, NCHW. */
        private void pool(Op op) {
            OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
            Tensor x = op.input(0);
            requireRank(op, x, 4);
            String in = value(x, Layout.CHANNELS_FIRST);
            String kind = op.type() == OpType.MAX_POOL_2D ? "MaxPool" : "AveragePool";
            NodeProto.Builder n =
                    nodeBuilder(kind, List.of(in), fresh(op.output(0).name() + "_pool"));
            n.addAttribute(ints("kernel_shape", a.filterH(), a.filterW()));
            n.addAttribute(ints("strides", a.strideH(), a.strideW()));
            n.addAttribute(ints(
                    "pads",
                    padsOf(
                            a.padding(),
                            x.shape().dim(1),
                            x.shape().dim(2),
                            a.filterH(),
                            a.filterW(),
                            a.strideH(),
                            a.strideW(),
                            1,
                            1)));
            graph.addNode(n);
            define(op.output(0), activation(n.getOutput(0), a.activation(), op.output(0)), Layout.CHANNELS_FIRST);
        }

        /** MEAN: GlobalAveragePool for the spatial axes of a rank-4 value kept as size 1, else ReduceMean. */
        private void mean(Op op) {
            OpAttributes.Mean a = op.attrs(OpAttributes.Mean.class);
            Tensor x = op.input(0);
            int rank = x.shape().rank();
            int[] axes = Arrays.stream(a.axes())
                    .map(v -> v < 0 ? v + rank : v)
                    .sorted()
                    .distinct()
                    .toArray();
            boolean spatial = rank == 4 && Arrays.equals(axes, new int[] {1, 2});
            Layout layout = spatial ? Layout.CHANNELS_FIRST : Layout.NATIVE;
            String in = value(x, layout);
            String out = fresh(op.output(0).name() + "_mean");
            if (spatial && a.keepDims()) {
                node("GlobalAveragePool", List.of(in), out);
                define(op.output(0), out, Layout.CHANNELS_FIRST);
                return;
            }
            long[] onnxAxes = new long[axes.length];
            for (int i = 0; i < axes.length; i++) {
                onnxAxes[i] = axisIn(axes[i], rank, layout);
            }
            NodeProto.Builder n = nodeBuilder("ReduceMean", List.of(in), out);
            n.addAttribute(ints("axes", onnxAxes));
            n.addAttribute(intAttr("keepdims", a.keepDims() ? 1 : 0));
            graph.addNode(n);
            define(op.output(0), out, a.keepDims() ? layout : Layout.NATIVE);
        }

        /**
         * RESHAPE, SQUEEZE and EXPAND_DIMS as Reshape to the IR's output shape. A channels-first input is reshaped
         * without going back to NHWC when both orders agree (H·W = 1 or C = 1).
         */
        private void reshape(Op op) {
            Tensor x = op.input(0);
            Layout layout = Layout.NATIVE;
            if (x.shape().rank() == 4 && available(x) == Layout.CHANNELS_FIRST) {
                int[] d = x.shape().dims();
                if ((d[1] == 1 && d[2] == 1) || d[3] == 1) {
                    layout = Layout.CHANNELS_FIRST;
                }
            }
            String in = value(x, layout);
            String out = fresh(op.output(0).name() + "_reshape");
            node("Reshape", List.of(in, int64Constant(reshapeTarget(op.output(0).shape()))), out);
            define(op.output(0), out, Layout.NATIVE);
        }

        /** The Reshape target of an IR shape: the dynamic batch as -1. */
        private static long[] reshapeTarget(Shape s) {
            long[] r = new long[s.rank()];
            for (int i = 0; i < r.length; i++) {
                r[i] = s.dim(i) == Shape.DYNAMIC ? -1 : s.dim(i);
            }
            return r;
        }

        /** SOFTMAX (x·beta first when beta ≠ 1) and LOG_SOFTMAX along the last IR axis. */
        private void softmax(Op op) {
            Tensor x = op.input(0);
            Layout layout = available(x);
            String in = value(x, layout);
            if (op.attributes() instanceof OpAttributes.Softmax s && s.beta() != 1f) {
                String scaled = fresh(x.name() + "_beta");
                node("Mul", List.of(in, floatConstant(new float[] {s.beta()}, new int[0])), scaled);
                in = scaled;
            }
            String kind = op.type() == OpType.SOFTMAX ? "Softmax" : "LogSoftmax";
            NodeProto.Builder n =
                    nodeBuilder(kind, List.of(in), fresh(op.output(0).name() + "_softmax"));
            n.addAttribute(intAttr("axis", axisIn(-1, x.shape().rank(), layout)));
            graph.addNode(n);
            define(op.output(0), n.getOutput(0), layout);
        }

        /** ADD, SUB, MUL, DIV, MINIMUM and MAXIMUM with numpy broadcasting, then the fused activation. */
        private void binary(Op op) {
            Layout layout = elementwiseLayout(op);
            List<String> inputs = new ArrayList<>();
            for (Tensor t : op.inputs()) {
                inputs.add(
                        t.isConstant()
                                ? constantIn(t, layout, op.output(0).shape().rank())
                                : value(t, layout));
            }
            String kind = switch (op.type()) {
                case ADD -> "Add";
                case SUB -> "Sub";
                case MUL -> "Mul";
                case DIV -> "Div";
                case MINIMUM -> "Min";
                default -> "Max";
            };
            String out = fresh(op.output(0).name() + "_" + kind.toLowerCase(Locale.ROOT));
            node(kind, inputs, out);
            define(op.output(0), activation(out, fusedActivation(op), op.output(0)), layout);
        }

        /** The layout an element-wise op works in: channels first when its rank-4 inputs are already. */
        private Layout elementwiseLayout(Op op) {
            int rank = op.output(0).shape().rank();
            if (rank != 4) {
                return Layout.NATIVE;
            }
            Layout chosen = null;
            for (Tensor t : op.inputs()) {
                if (t.isConstant()) {
                    continue;
                }
                if (t.shape().rank() != 4) {
                    return Layout.NATIVE;
                }
                if (chosen == null) {
                    chosen = available(t);
                }
            }
            return chosen == null ? Layout.NATIVE : chosen;
        }

        private static Activation fusedActivation(Op op) {
            return switch (op.attributes()) {
                case OpAttributes.Add a -> a.activation();
                case OpAttributes.Arithmetic a -> a.activation();
                case OpAttributes.Concatenation a -> a.activation();
                default -> Activation.NONE;
            };
        }

        /** One-input activations and math functions; their layout follows the input (or the consumers' need). */
        private void unary(Op op) {
            Tensor x = op.input(0);
            Layout layout = unaryLayout(x, op.output(0));
            String in = value(x, layout);
            String out = fresh(op.output(0).name() + "_" + op.type().name().toLowerCase(Locale.ROOT));
            switch (op.type()) {
                case RELU -> node("Relu", List.of(in), out);
                case RELU6 -> clip(in, 0f, 6f, out);
                case RELU_N1_TO_1 -> clip(in, -1f, 1f, out);
                case RELU_0_TO_1 -> clip(in, 0f, 1f, out);
                case LOGISTIC -> node("Sigmoid", List.of(in), out);
                case TANH -> node("Tanh", List.of(in), out);
                case HARD_SWISH -> node("HardSwish", List.of(in), out);
                case ABS -> node("Abs", List.of(in), out);
                case NEG -> node("Neg", List.of(in), out);
                case EXP -> node("Exp", List.of(in), out);
                case LOG -> node("Log", List.of(in), out);
                case SQRT -> node("Sqrt", List.of(in), out);
                case FLOOR -> node("Floor", List.of(in), out);
                case CEIL -> node("Ceil", List.of(in), out);
                case ELU -> node("Elu", List.of(in), out);
                case LEAKY_RELU -> {
                    NodeProto.Builder n = nodeBuilder("LeakyRelu", List.of(in), out);
                    n.addAttribute(floatAttr(
                            "alpha", op.attrs(OpAttributes.LeakyRelu.class).alpha()));
                    graph.addNode(n);
                }
                default -> throw unsupported(op, "has no ONNX form in Quanta's writer");
            }
            define(op.output(0), out, layout);
        }

        /**
         * The layout of a one-input op: the input's, except that an input available only as NHWC whose result feeds a
         * spatial op is transposed first (so that the transpose sits at the float graph input, before any Q/DQ).
         */
        private Layout unaryLayout(Tensor in, Tensor out) {
            Layout have = available(in);
            if (have == Layout.NATIVE && in.shape().rank() == 4 && feedsSpatialOp(out)) {
                return Layout.CHANNELS_FIRST;
            }
            return have;
        }

        private boolean feedsSpatialOp(Tensor t) {
            for (Op c : model.consumers(t)) {
                switch (c.type()) {
                    case CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D, BATCH_NORM -> {
                        if (c.input(0) == t) {
                            return true;
                        }
                    }
                    default -> {}
                }
            }
            return false;
        }

        /** IDENTITY, QUANTIZE and DEQUANTIZE: the float value carries over; {@link #define} adds the Q/DQ pair. */
        private void passThrough(Op op) {
            Tensor x = op.input(0);
            if (x.isConstant()) {
                define(op.output(0), constant(x, null), Layout.NATIVE);
                return;
            }
            Layout layout = unaryLayout(x, op.output(0));
            define(op.output(0), value(x, layout), layout);
        }

        /** BATCH_NORM over the channel axis: BatchNormalization (channels at axis 1). */
        private void batchNorm(Op op) {
            OpAttributes.BatchNorm a = op.attrs(OpAttributes.BatchNorm.class);
            Tensor x = op.input(0);
            int rank = x.shape().rank();
            int axis = a.axis() < 0 ? a.axis() + rank : a.axis();
            Layout layout;
            if (rank == 4 && axis == 3) {
                layout = Layout.CHANNELS_FIRST;
            } else if (axis == 1 && rank != 4) {
                layout = Layout.NATIVE;
            } else {
                throw unsupported(op, "normalizes axis " + a.axis() + " of a rank-" + rank + " tensor");
            }
            int channels = x.shape().dim(axis);
            int k = 1;
            String gamma;
            if (a.hasGamma()) {
                gamma = constant(op.input(k++), null);
            } else {
                float[] ones = new float[channels];
                Arrays.fill(ones, 1f);
                gamma = floatConstant(ones, new int[] {channels});
            }
            String beta = a.hasBeta()
                    ? constant(op.input(k++), null)
                    : floatConstant(new float[channels], new int[] {channels});
            String mean = constant(op.input(k++), null);
            String variance = constant(op.input(k), null);
            NodeProto.Builder n = nodeBuilder(
                    "BatchNormalization",
                    List.of(value(x, layout), gamma, beta, mean, variance),
                    fresh(op.output(0).name() + "_bn"));
            n.addAttribute(floatAttr("epsilon", a.epsilon()));
            graph.addNode(n);
            define(op.output(0), n.getOutput(0), layout);
        }

        /** CONCATENATION along the IR axis, remapped to the layout of the first non-constant input. */
        private void concatenation(Op op) {
            OpAttributes.Concatenation a = op.attrs(OpAttributes.Concatenation.class);
            int rank = op.output(0).shape().rank();
            Layout layout = elementwiseLayout(op);
            List<String> inputs = new ArrayList<>();
            for (Tensor t : op.inputs()) {
                inputs.add(t.isConstant() ? constantIn(t, layout, rank) : value(t, layout));
            }
            NodeProto.Builder n =
                    nodeBuilder("Concat", inputs, fresh(op.output(0).name() + "_concat"));
            n.addAttribute(intAttr("axis", axisIn(a.axis(), rank, layout)));
            graph.addNode(n);
            define(op.output(0), activation(n.getOutput(0), a.activation(), op.output(0)), layout);
        }

        /** PAD with zeros (in a QDQ graph the zero quantizes to the zero point, as TFLite pads). */
        private void pad(Op op) {
            int[][] p = op.attrs(OpAttributes.Pad.class).paddings();
            Tensor x = op.input(0);
            int rank = x.shape().rank();
            Layout layout = available(x);
            long[] pads = new long[2 * rank];
            for (int i = 0; i < rank; i++) {
                int onnxAxis = axisIn(i, rank, layout);
                pads[onnxAxis] = p[i][0];
                pads[rank + onnxAxis] = p[i][1];
            }
            String out = fresh(op.output(0).name() + "_pad");
            node("Pad", List.of(value(x, layout), int64Constant(pads)), out);
            define(op.output(0), out, layout);
        }

        private void transpose(Op op) {
            int[] perm = op.attrs(OpAttributes.Transpose.class).perm();
            String out = fresh(op.output(0).name() + "_transpose");
            NodeProto.Builder n = nodeBuilder("Transpose", List.of(value(op.input(0), Layout.NATIVE)), out);
            n.addAttribute(ints("perm", Arrays.stream(perm).asLongStream().toArray()));
            graph.addNode(n);
            define(op.output(0), out, Layout.NATIVE);
        }

        /**
         * A fused activation as its own node after {@code x}; the name of the result. Left out when the output's
         * QuantizeLinear clamps as it would ({@link #clampedByQuantization}), as ONNX Runtime's quantizer leaves it
         * out.
         */
        private String activation(String x, Activation a, Tensor result) {
            if (a == Activation.NONE || clampedByQuantization(a, result)) {
                return x;
            }
            String out = fresh(x + "_" + a.name().toLowerCase(Locale.ROOT));
            switch (a) {
                case RELU -> node("Relu", List.of(x), out);
                case RELU6 -> clip(x, 0f, 6f, out);
                case RELU_N1_TO_1 -> clip(x, -1f, 1f, out);
                default -> throw new IllegalStateException(a.name());
            }
            return out;
        }

        private void clip(String x, float min, float max, String out) {
            node(
                    "Clip",
                    List.of(
                            x,
                            floatConstant(new float[] {min}, new int[0]),
                            floatConstant(new float[] {max}, new int[0])),
                    out);
        }

        private static void requireRank(Op op, Tensor t, int rank) {
            if (t.shape().rank() != rank) {
                throw unsupported(op, "reads a rank-" + t.shape().rank() + " input; ONNX export needs rank " + rank);
            }
        }

        // ------------------------------------------------------------------ values and layouts

        /**
         * Records that {@code floatName} (an op's float result, in {@code layout}) is the value of {@code t}; for a
         * quantized activation, adds its QuantizeLinear with the IR's parameters: each reader then gets its own
         * DequantizeLinear ({@link #value}), as ONNX Runtime's QDQ fusion wants one per consumer.
         */
        private void define(Tensor t, String floatName, Layout layout) {
            Layout l = t.shape().rank() == 4 ? layout : Layout.NATIVE;
            if (isQuantizedActivation(t)) {
                IntegerForm f = IntegerForm.of(t, options);
                forms.put(t, f);
                String q = fresh(t.name() + "_quantized");
                qdq(
                        "QuantizeLinear",
                        List.of(floatName, scale(f.quant()), zeroPoint(f.quant(), f.type())),
                        q,
                        f.type());
                recordInteger(t, q, l);
            } else {
                record(t, floatName, l);
            }
        }

        private void record(Tensor t, String name, Layout layout) {
            values.computeIfAbsent(t, k -> new EnumMap<>(Layout.class)).put(layout, name);
            firstLayout.putIfAbsent(t, layout);
        }

        private void recordInteger(Tensor t, String name, Layout layout) {
            integerValues.computeIfAbsent(t, k -> new EnumMap<>(Layout.class)).put(layout, name);
            firstLayout.putIfAbsent(t, layout);
        }

        /**
         * The value of {@code t} in {@code layout} from {@code byLayout}, transposing (once, cached) from the layout
         * it has.
         */
        private String layoutOf(Map<Tensor, EnumMap<Layout, String>> byLayout, Tensor t, Layout layout) {
            EnumMap<Layout, String> m = byLayout.get(t);
            if (m == null) {
                throw new IllegalStateException("tensor " + t.name() + " has no value yet");
            }
            Layout want = t.shape().rank() == 4 ? layout : Layout.NATIVE;
            String have = m.get(want);
            if (have != null) {
                return have;
            }
            Layout from = want == Layout.NATIVE ? Layout.CHANNELS_FIRST : Layout.NATIVE;
            String out = fresh(m.get(from) + (want == Layout.NATIVE ? "_nhwc" : "_nchw"));
            NodeProto.Builder n = nodeBuilder("Transpose", List.of(m.get(from)), out);
            n.addAttribute(ints(
                    "perm",
                    Arrays.stream(want == Layout.NATIVE ? TO_NHWC : TO_NCHW)
                            .asLongStream()
                            .toArray()));
            graph.addNode(n);
            m.put(want, out);
            return out;
        }

        /** The layout {@code t} was first produced in. */
        private Layout available(Tensor t) {
            return firstLayout.getOrDefault(t, Layout.NATIVE);
        }

        /**
         * The float value of {@code t} in {@code layout}: for a quantized activation, a new DequantizeLinear of its
         * integer value (transposed in the integer domain when the layout differs); else the float value, transposed
         * once when needed.
         */
        private String value(Tensor t, Layout layout) {
            if (t.isConstant()) {
                return constantIn(t, layout, t.shape().rank());
            }
            if (integerValues.containsKey(t)) {
                String q = layoutOf(integerValues, t, layout);
                IntegerForm f = forms.get(t);
                String dq = fresh(t.name() + "_dequantized");
                qdq("DequantizeLinear", List.of(q, scale(f.quant()), zeroPoint(f.quant(), f.type())), dq, f.type());
                return dq;
            }
            return layoutOf(values, t, layout);
        }

        /**
         * Constant {@code t} as an operand of an element-wise op in {@code layout} on rank-{@code rank} values: in
         * NCHW, its shape is first padded with leading ones to rank 4 (numpy broadcasting aligns trailing axes) and
         * then permuted.
         */
        private String constantIn(Tensor t, Layout layout, int rank) {
            if (layout != Layout.CHANNELS_FIRST || rank != 4 || t.shape().elementCount() == 1) {
                return constant(t, null);
            }
            int[] d = t.shape().dims();
            if (d.length > 4) {
                throw new QuantaException("cannot write ONNX: constant " + t.name() + " has rank " + d.length);
            }
            int[] padded = new int[4];
            Arrays.fill(padded, 1);
            System.arraycopy(d, 0, padded, 4 - d.length, d.length);
            return constant(t.withShape(Shape.of(padded)), TO_NCHW, t);
        }

        // ------------------------------------------------------------------ constants

        private String constant(Tensor t, int[] perm) {
            return constant(t, perm, t);
        }

        /**
         * Initializer of constant {@code t} (its data transposed by {@code perm} when not null). A quantized
         * constant is its integer initializer read through DequantizeLinear (per-axis axis permuted along); a
         * float16 one is widened. Cached per source tensor and permutation.
         */
        private String constant(Tensor t, int[] perm, Tensor source) {
            Object key = List.of(source, Arrays.toString(t.shape().dims()), Arrays.toString(perm));
            String cached = constants.get(key);
            if (cached != null) {
                return cached;
            }
            int[] dims = t.shape().dims();
            byte[] data = t.data().bytes();
            DType type = t.dtype();
            if (type == DType.FLOAT16) {
                ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer out = ByteBuffer.allocate(data.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < data.length / 2; i++) {
                    out.putFloat(Float.float16ToFloat(in.getShort(2 * i)));
                }
                data = out.array();
                type = DType.FLOAT32;
            }
            QuantParams q = t.quant();
            if (type == DType.INT64 && q != null) { // the 16x8 mode's int64 bias: DequantizeLinear takes no int64
                data = dequantizedInt64(data, dims, q);
                type = DType.FLOAT32;
                q = null;
            }
            if (perm != null) {
                data = transposeBytes(data, dims, perm, type.byteSize());
                dims = permute(dims, perm);
                if (q != null && !q.isPerTensor()) {
                    int axis = -1;
                    for (int i = 0; i < perm.length; i++) {
                        if (perm[i] == q.axis()) {
                            axis = i;
                        }
                    }
                    q = QuantParams.perAxis(q.scales(), q.zeroPoints(), axis);
                }
            }
            String name = fresh(source.name());
            graph.addInitializer(TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(onnxType(type))
                    .addAllDims(Arrays.stream(dims).asLongStream().boxed().toList())
                    .setRawData(ByteString.copyFrom(data)));
            String result = name;
            if (q != null && type != DType.FLOAT32) {
                result = fresh(source.name() + "_dequantized");
                NodeProto.Builder n =
                        nodeBuilder("DequantizeLinear", List.of(name, scale(q), zeroPoint(q, type)), result);
                if (!q.isPerTensor()) {
                    n.addAttribute(intAttr("axis", q.axis()));
                }
                if (type == DType.INT16) {
                    n.setDomain(CONTRIB_DOMAIN);
                    usesContribDomain = true;
                }
                graph.addNode(n);
            }
            constants.put(key, result);
            return result;
        }

        /** The scale initializer of {@code q}: a scalar per tensor, 1-D per axis. */
        private String scale(QuantParams q) {
            return constants.computeIfAbsent(List.of("scale", q), k -> {
                float[] s = q.scales();
                return floatConstantNamed("scale", s, q.isPerTensor() ? new int[0] : new int[] {s.length});
            });
        }

        /** The zero-point initializer of {@code q}, of the quantized type. */
        private String zeroPoint(QuantParams q, DType type) {
            return constants.computeIfAbsent(List.of("zero_point", q, type), k -> {
                long[] z = q.zeroPoints();
                ByteBuffer b = ByteBuffer.allocate(z.length * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
                for (long v : z) {
                    switch (type) {
                        case INT8, UINT8 -> b.put((byte) v);
                        case INT16 -> b.putShort((short) v);
                        case INT32 -> b.putInt((int) v);
                        default -> throw new QuantaException("cannot write ONNX: zero point of type " + type);
                    }
                }
                String name = fresh("zero_point");
                graph.addInitializer(TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(onnxType(type))
                        .addAllDims(q.isPerTensor() ? List.of() : List.of((long) z.length))
                        .setRawData(ByteString.copyFrom(b.array())));
                return name;
            });
        }

        private String floatConstant(float[] v, int[] dims) {
            return constants.computeIfAbsent(
                    List.of("float", Arrays.toString(v), Arrays.toString(dims)),
                    k -> floatConstantNamed("const", v, dims));
        }

        private String floatConstantNamed(String base, float[] v, int[] dims) {
            ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putFloat(f);
            }
            String name = fresh(base);
            graph.addInitializer(TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(1)
                    .addAllDims(Arrays.stream(dims).asLongStream().boxed().toList())
                    .setRawData(ByteString.copyFrom(b.array())));
            return name;
        }

        private String int64Constant(long[] v) {
            return constants.computeIfAbsent(List.of("int64", Arrays.toString(v)), k -> {
                ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (long x : v) {
                    b.putLong(x);
                }
                String name = fresh("shape");
                graph.addInitializer(TensorProto.newBuilder()
                        .setName(name)
                        .setDataType(7)
                        .addDims(v.length)
                        .setRawData(ByteString.copyFrom(b.array())));
                return name;
            });
        }

        // ------------------------------------------------------------------ protobuf helpers

        /** A name not used before, from {@code base}. */
        private String fresh(String base) {
            String b = base.isEmpty() ? "value" : base;
            String name = b;
            for (int i = 1; names.contains(name); i++) {
                name = b + "_" + i;
            }
            names.add(name);
            return name;
        }

        private NodeProto.Builder nodeBuilder(String opType, List<String> inputs, String output) {
            return NodeProto.newBuilder()
                    .setOpType(opType)
                    .setName(opType + "_" + nodeCount++)
                    .addAllInput(inputs)
                    .addOutput(output);
        }

        /** A QuantizeLinear or DequantizeLinear of {@code type}: int16 ones in {@link #CONTRIB_DOMAIN}. */
        private void qdq(String opType, List<String> inputs, String output, DType type) {
            NodeProto.Builder n = nodeBuilder(opType, inputs, output);
            if (type == DType.INT16) {
                n.setDomain(CONTRIB_DOMAIN);
                usesContribDomain = true;
            }
            graph.addNode(n);
        }

        /** Little-endian float32 bytes of {@code real = s[c] × (q − zp[c])} over int64 {@code data}. */
        private static byte[] dequantizedInt64(byte[] data, int[] dims, QuantParams q) {
            ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
            int n = data.length / 8;
            ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
            float[] scales = q.scales();
            long[] zps = q.zeroPoints();
            int inner = 1;
            for (int i = q.isPerTensor() ? dims.length : q.axis() + 1; i < dims.length; i++) {
                inner *= dims[i];
            }
            for (int i = 0; i < n; i++) {
                int c = q.isPerTensor() ? 0 : (i / inner) % scales.length;
                out.putFloat((float) ((double) scales[c] * (in.getLong(8 * i) - zps[c])));
            }
            return out.array();
        }

        private void node(String opType, List<String> inputs, String output) {
            graph.addNode(nodeBuilder(opType, inputs, output));
        }

        private static AttributeProto intAttr(String name, long v) {
            return AttributeProto.newBuilder()
                    .setName(name)
                    .setType(AttributeProto.AttributeType.INT)
                    .setI(v)
                    .build();
        }

        private static AttributeProto floatAttr(String name, float v) {
            return AttributeProto.newBuilder()
                    .setName(name)
                    .setType(AttributeProto.AttributeType.FLOAT)
                    .setF(v)
                    .build();
        }

        private static AttributeProto ints(String name, long... v) {
            AttributeProto.Builder a =
                    AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
            for (long x : v) {
                a.addInts(x);
            }
            return a.build();
        }

        private static ValueInfoProto valueInfo(String name, DType type, int[] dims) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (int d : dims) {
                shape.addDim(
                        d == Shape.DYNAMIC
                                ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                                : TensorShapeProto.Dimension.newBuilder().setDimValue(d));
            }
            return ValueInfoProto.newBuilder()
                    .setName(name)
                    .setType(TypeProto.newBuilder()
                            .setTensorType(TypeProto.Tensor.newBuilder()
                                    .setElemType(onnxType(type))
                                    .setShape(shape)))
                    .build();
        }
    }
}
