package dev.quanta.kernels;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteAffineQuantization;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.InterpreterOptions;
import org.bytedeco.tensorflowlite.RegistrationNodePair;
import org.bytedeco.tensorflowlite.TfLiteAffineQuantization;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * Test-only access to the official TFLite runtime below what {@code TfliteOracle} offers: every tensor of a
 * model (with the built-in kernels and {@code SetPreserveAllTensors}, intermediate activations survive
 * {@code Invoke}), an IR {@link Model} built from the interpreter's own view of the graph (so kernels can be tested
 * against the oracle before a {@code .tflite} reader exists), and {@link #withOutput} to make any tensor the
 * model's output, which exposes the XNNPACK path's intermediate values too.
 */
final class NativeTflite implements AutoCloseable {
    private BytePointer buffer;
    private FlatBufferModel model;
    private Pointer resolver;
    private InterpreterOptions options;
    private InterpreterBuilder builder;
    private Interpreter interpreter;
    private final Map<Integer, Tensor> irTensors = new HashMap<>();
    private final Map<Tensor, Integer> indexOf = new IdentityHashMap<>();

    NativeTflite(byte[] bytes, boolean xnnpack) {
        dev.quanta.testing.FastTier.refuseOracle();
        buffer = new BytePointer(bytes.length);
        buffer.put(bytes);
        model = FlatBufferModel.VerifyAndBuildFromBuffer(buffer, bytes.length);
        if (model == null || model.isNull()) {
            throw new IllegalStateException("TFLite rejected the model");
        }
        options = new InterpreterOptions();
        options.SetPreserveAllTensors(true);
        if (xnnpack) {
            BuiltinOpResolver r = new BuiltinOpResolver();
            resolver = r;
            builder = new InterpreterBuilder(model, r, options);
        } else {
            BuiltinOpResolverWithoutDefaultDelegates r = new BuiltinOpResolverWithoutDefaultDelegates();
            resolver = r;
            builder = new InterpreterBuilder(model, r, options);
        }
        builder.SetNumThreads(1);
        interpreter = new Interpreter((Pointer) null);
        if (builder.apply(interpreter) != kTfLiteOk || interpreter.isNull()) {
            throw new IllegalStateException("InterpreterBuilder failed");
        }
        if (interpreter.AllocateTensors() != kTfLiteOk) {
            throw new IllegalStateException("AllocateTensors failed");
        }
    }

    /** A copy of {@code model} whose (single) output is tensor {@code tensorIndex} of subgraph 0. */
    static byte[] withOutput(byte[] model, int tensorIndex) {
        ByteBuffer b = ByteBuffer.wrap(model.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int root = b.getInt(0);
        int subgraphs = vectorField(b, root, 2);
        int subgraph0 = subgraphs + 4 + b.getInt(subgraphs + 4);
        int outputs = vectorField(b, subgraph0, 2);
        if (b.getInt(outputs) < 1) {
            throw new IllegalStateException("model has no outputs");
        }
        b.putInt(outputs + 4, tensorIndex);
        return b.array();
    }

    /** Position of the vector that field {@code field} of the table at {@code table} points to. */
    private static int vectorField(ByteBuffer b, int table, int field) {
        int vtable = table - b.getInt(table);
        int vtableSize = b.getShort(vtable) & 0xFFFF;
        int entry = 4 + 2 * field;
        if (entry >= vtableSize) {
            throw new IllegalStateException("field " + field + " absent");
        }
        int off = b.getShort(vtable + entry) & 0xFFFF;
        if (off == 0) {
            throw new IllegalStateException("field " + field + " absent");
        }
        int pos = table + off;
        return pos + b.getInt(pos);
    }

    /** True when some node of the execution plan is a delegate kernel (XNNPACK took part of the graph). */
    boolean delegated() {
        IntPointer plan = interpreter.execution_plan();
        for (long p = 0; p < plan.limit(); p++) {
            RegistrationNodePair pair = interpreter.node_and_registration(plan.get(p));
            if (pair.second().builtin_code()
                    == org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteBuiltinDelegate) {
                return true;
            }
        }
        Reference.reachabilityFence(this);
        return false;
    }

    /** Fills input {@code i} from a byte[], short[] or float[] array. */
    void setInputArray(int i, Object data) {
        TfLiteTensor t = interpreter.input_tensor(i);
        if (data instanceof byte[] b) {
            t.data().raw().capacity(b.length).put(b);
        } else if (data instanceof short[] s) {
            t.data().i16().capacity(s.length).put(s);
        } else if (data instanceof float[] f) {
            t.data().f().capacity(f.length).put(f);
        } else {
            throw new IllegalArgumentException(data.getClass().toString());
        }
        Reference.reachabilityFence(this);
    }

    /** Output {@code i} as a byte[], short[] or float[] array like {@code like}. */
    Object outputArray(int i, Object like) {
        TfLiteTensor t = interpreter.output_tensor(i);
        int n = Buffers.length(like);
        Object out;
        if (like instanceof byte[]) {
            byte[] b = new byte[n];
            t.data().raw().capacity(n).get(b);
            out = b;
        } else if (like instanceof short[]) {
            short[] s = new short[n];
            t.data().i16().capacity(n).get(s);
            out = s;
        } else {
            float[] f = new float[n];
            t.data().f().capacity(n).get(f);
            out = f;
        }
        Reference.reachabilityFence(this);
        return out;
    }

    void setInput(short[] data) {
        TfLiteTensor t = interpreter.input_tensor(0);
        t.data().i16().capacity(data.length).put(data);
        Reference.reachabilityFence(this);
    }

    int inputIndex() {
        return interpreter.inputs().get(0);
    }

    int outputIndex() {
        return interpreter.outputs().get(0);
    }

    void setInput(byte[] data) {
        TfLiteTensor t = interpreter.input_tensor(0);
        t.data().raw().capacity(data.length).put(data);
        Reference.reachabilityFence(this);
    }

    void setInput(float[] data) {
        TfLiteTensor t = interpreter.input_tensor(0);
        t.data().f().capacity(data.length).put(data);
        Reference.reachabilityFence(this);
    }

    void invoke() {
        if (interpreter.Invoke() != kTfLiteOk) {
            throw new IllegalStateException("Invoke failed");
        }
        Reference.reachabilityFence(this);
    }

    /** The raw bytes of tensor {@code index} (after Invoke, for intermediates). */
    byte[] tensorBytes(int index) {
        TfLiteTensor t = interpreter.tensor(index);
        byte[] out = new byte[(int) t.bytes()];
        t.data().raw().capacity(out.length).get(out);
        Reference.reachabilityFence(this);
        return out;
    }

    Integer index(Tensor t) {
        return indexOf.get(t);
    }

    /** The interpreter's graph as an IR model (execution plan order; built-in resolver only). */
    Model toIr(String name) {
        List<Op> ops = new ArrayList<>();
        IntPointer plan = interpreter.execution_plan();
        for (long p = 0; p < plan.limit(); p++) {
            int nodeIndex = plan.get(p);
            RegistrationNodePair pair = interpreter.node_and_registration(nodeIndex);
            TfLiteNode node = pair.first();
            int code = pair.second().builtin_code();
            List<Tensor> ins = new ArrayList<>();
            TfLiteIntArray in = node.inputs();
            for (int k = 0; k < in.size(); k++) {
                if (in.data(k) >= 0) {
                    ins.add(tensor(in.data(k)));
                }
            }
            Tensor out = tensor(node.outputs().data(0));
            Pointer data = node.builtin_data();
            IntPointer ip = data == null || data.isNull() ? null : new IntPointer(data);
            OpType type;
            OpAttributes attrs;
            switch (code) {
                case 3 -> {
                    type = OpType.CONV_2D;
                    attrs = new OpAttributes.Conv2D(
                            padding(ip.get(0)), ip.get(2), ip.get(1), ip.get(5), ip.get(4), activation(ip.get(3)));
                    ins = ins.subList(0, Math.min(3, ins.size()));
                }
                case 4 -> {
                    type = OpType.DEPTHWISE_CONV_2D;
                    attrs = new OpAttributes.DepthwiseConv2D(
                            padding(ip.get(0)),
                            ip.get(2),
                            ip.get(1),
                            ip.get(6),
                            ip.get(5),
                            ip.get(3),
                            activation(ip.get(4)));
                }
                case 9 -> {
                    type = OpType.FULLY_CONNECTED;
                    attrs = new OpAttributes.FullyConnected(activation(ip.get(0)));
                }
                case 0 -> {
                    type = OpType.ADD;
                    attrs = new OpAttributes.Add(activation(ip.get(0)));
                }
                case 1, 17 -> {
                    type = code == 1 ? OpType.AVERAGE_POOL_2D : OpType.MAX_POOL_2D;
                    attrs = new OpAttributes.Pool2D(
                            padding(ip.get(0)), ip.get(4), ip.get(3), ip.get(2), ip.get(1), activation(ip.get(5)));
                }
                case 22 -> {
                    type = OpType.RESHAPE;
                    attrs = new OpAttributes.Reshape(out.shape().dims());
                    ins = ins.subList(0, 1);
                }
                case 25 -> {
                    type = OpType.SOFTMAX;
                    attrs = new OpAttributes.Softmax(new FloatPointer(data).get(0));
                }
                case 14 -> {
                    type = OpType.LOGISTIC;
                    attrs = OpAttributes.None.INSTANCE;
                }
                case 28 -> {
                    type = OpType.TANH;
                    attrs = OpAttributes.None.INSTANCE;
                }
                case 114 -> {
                    type = OpType.QUANTIZE;
                    attrs = OpAttributes.None.INSTANCE;
                }
                case 6 -> {
                    type = OpType.DEQUANTIZE;
                    attrs = OpAttributes.None.INSTANCE;
                }
                default -> throw new UnsupportedOperationException("builtin op " + code);
            }
            ops.add(new Op(out.name(), type, ins, List.of(out), attrs, new Origin(out.name(), type.name())));
        }
        List<Tensor> inputs = List.of(tensor(inputIndex()));
        List<Tensor> outputs = List.of(tensor(outputIndex()));
        Reference.reachabilityFence(this);
        return new Model(name, inputs, outputs, ops, ModelMetadata.inMemory());
    }

    private static Padding padding(int p) {
        return p == 1 ? Padding.SAME : Padding.VALID;
    }

    private static Activation activation(int a) {
        return switch (a) {
            case 0 -> Activation.NONE;
            case 1 -> Activation.RELU;
            case 2 -> Activation.RELU_N1_TO_1;
            case 3 -> Activation.RELU6;
            default -> throw new UnsupportedOperationException("fused activation " + a);
        };
    }

    private Tensor tensor(int index) {
        Tensor cached = irTensors.get(index);
        if (cached != null) {
            return cached;
        }
        TfLiteTensor t = interpreter.tensor(index);
        DType dtype = switch (t.type()) {
            case 1 -> DType.FLOAT32;
            case 2 -> DType.INT32;
            case 3 -> DType.UINT8;
            case 4 -> DType.INT64;
            case 6 -> DType.BOOL;
            case 7 -> DType.INT16;
            case 9 -> DType.INT8;
            case 10 -> DType.FLOAT16;
            default -> throw new UnsupportedOperationException("tensor type " + t.type());
        };
        TfLiteIntArray d = t.dims();
        int[] dims = new int[d.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = d.data(i);
        }
        QuantParams quant = null;
        if (t.quantization().type() == kTfLiteAffineQuantization) {
            TfLiteAffineQuantization q =
                    new TfLiteAffineQuantization(t.quantization().params());
            int n = q.scale().size();
            float[] scales = new float[n];
            long[] zps = new long[n];
            for (int i = 0; i < n; i++) {
                scales[i] = q.scale().data(i);
                zps[i] = q.zero_point().size() == n
                        ? q.zero_point().data(i)
                        : q.zero_point().data(0);
            }
            quant = n == 1
                    ? QuantParams.perTensor(scales[0], zps[0])
                    : QuantParams.perAxis(scales, zps, q.quantized_dimension());
        }
        TensorData data = null;
        if (t.allocation_type() == 1 /* kTfLiteMmapRo */) {
            data = TensorData.ofBytes(dtype, tensorBytes(index));
        }
        String name =
                t.name() == null || t.name().isNull() ? "t" + index : t.name().getString();
        Tensor ir = new Tensor(name + "#" + index, Shape.of(dims), dtype, data, quant, false);
        irTensors.put(index, ir);
        indexOf.put(ir, index);
        Reference.reachabilityFence(this);
        return ir;
    }

    @Override
    public void close() {
        if (interpreter != null) {
            interpreter.close();
            interpreter = null;
        }
        if (builder != null) {
            builder.close();
            builder = null;
        }
        if (resolver != null) {
            resolver.close();
            resolver = null;
        }
        if (options != null) {
            options.close();
            options = null;
        }
        if (model != null) {
            model.close();
            model = null;
        }
        if (buffer != null) {
            buffer.close();
            buffer = null;
        }
    }
}
