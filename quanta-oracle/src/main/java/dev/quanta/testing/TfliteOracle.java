package dev.quanta.testing;

import static org.bytedeco.tensorflowlite.global.tensorflowlite.TfLiteTypeGetName;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteBool;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteFloat32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteInt8;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteOk;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt16;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt32;
import static org.bytedeco.tensorflowlite.global.tensorflowlite.kTfLiteUInt8;

import java.lang.ref.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.BuiltinOpResolver;
import org.bytedeco.tensorflowlite.BuiltinOpResolverWithoutDefaultDelegates;
import org.bytedeco.tensorflowlite.FlatBufferModel;
import org.bytedeco.tensorflowlite.Interpreter;
import org.bytedeco.tensorflowlite.InterpreterBuilder;
import org.bytedeco.tensorflowlite.TfLiteIntArray;
import org.bytedeco.tensorflowlite.TfLiteQuantizationParams;
import org.bytedeco.tensorflowlite.TfLiteTensor;

/**
 * The official TFLite runtime (JavaCPP preset {@code org.bytedeco:tensorflow-lite}, C++ API) as a test oracle.
 *
 * <p>One instance owns one interpreter. It is not thread-safe. Close it when done; using it after {@link #close()}
 * throws instead of crashing.
 *
 * <p>Native pitfalls handled here (see {@code shared/docs/ORACLE-NOTES.md}):
 * <ul>
 *   <li>the model, the op resolver, the interpreter builder and, for {@link #open(byte[], Kernels, int)}, the model
 *       buffer are held in fields for the interpreter's whole life, and every method that calls into native code
 *       ends with {@link Reference#reachabilityFence} so none of them can be collected mid-call;</li>
 *   <li>tensor pointers are fetched afresh on every call and never cached across {@code Invoke()};</li>
 *   <li>resources are released in reverse order of creation (interpreter first, buffer last).</li>
 * </ul>
 *
 * <p>Indices {@code i} below are positions in the model's input/output lists (0-based), not tensor indices.
 */
public final class TfliteOracle implements AutoCloseable {

    /** Which kernels run the model. */
    public enum Kernels {
        /** {@code BuiltinOpResolver}: TFLite's default, with the XNNPACK delegate applied. */
        XNNPACK,
        /** {@code BuiltinOpResolverWithoutDefaultDelegates}: TFLite's own built-in (reference/optimized) kernels. */
        BUILTIN
    }

    private final String source;
    private final Kernels kernels;
    private final int threads;
    // Strong references for the interpreter's whole life: dropping any of them can crash the JVM.
    private BytePointer buffer; // only for models loaded from bytes
    private FlatBufferModel model;
    private BuiltinOpResolver resolver;
    private InterpreterBuilder builder;
    private Interpreter interpreter;

    private TfliteOracle(String source, Kernels kernels, int threads, BytePointer buffer, FlatBufferModel model) {
        this.source = source;
        this.kernels = kernels;
        this.threads = threads;
        this.buffer = buffer;
        this.model = model;
    }

    /** Loads a {@code .tflite} file, builds an interpreter with {@code threads} threads and allocates its tensors. */
    public static TfliteOracle open(Path tflite, Kernels kernels, int threads) {
        FastTier.refuseOracle();
        Objects.requireNonNull(tflite, "tflite");
        checkArgs(kernels, threads);
        if (!Files.isRegularFile(tflite)) {
            throw new IllegalArgumentException("no such .tflite file: " + tflite);
        }
        // VerifyAndBuild: a malformed file is rejected with an exception instead of crashing the JVM later.
        FlatBufferModel model =
                FlatBufferModel.VerifyAndBuildFromFile(tflite.toAbsolutePath().toString());
        if (model == null || model.isNull()) {
            throw new IllegalStateException("TFLite could not load " + tflite
                    + " (not a readable, valid .tflite flatbuffer; TFLite's reason is on stderr)");
        }
        return build(new TfliteOracle(tflite.toString(), kernels, threads, null, model));
    }

    /**
     * Loads a model from memory. The bytes are copied to a native buffer that this oracle keeps until
     * {@link #close()} ({@code BuildFromBuffer} does not copy); later changes to {@code modelBytes} have no effect.
     */
    public static TfliteOracle open(byte[] modelBytes, Kernels kernels, int threads) {
        FastTier.refuseOracle();
        Objects.requireNonNull(modelBytes, "modelBytes");
        checkArgs(kernels, threads);
        if (modelBytes.length == 0) {
            throw new IllegalArgumentException("empty model buffer");
        }
        BytePointer buf = new BytePointer(modelBytes.length);
        buf.put(modelBytes);
        // VerifyAndBuild: a malformed buffer (likely when a test writes models itself) is rejected, not crashed on.
        FlatBufferModel model = FlatBufferModel.VerifyAndBuildFromBuffer(buf, modelBytes.length);
        if (model == null || model.isNull()) {
            buf.close();
            throw new IllegalStateException("TFLite rejected the " + modelBytes.length
                    + "-byte model buffer (flatbuffer verification failed; its reason, if any, is on stderr)");
        }
        return build(new TfliteOracle("<" + modelBytes.length + " bytes>", kernels, threads, buf, model));
    }

    private static void checkArgs(Kernels kernels, int threads) {
        Objects.requireNonNull(kernels, "kernels");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
    }

    private static TfliteOracle build(TfliteOracle o) {
        try {
            o.resolver = o.kernels == Kernels.XNNPACK
                    ? new BuiltinOpResolver()
                    : new BuiltinOpResolverWithoutDefaultDelegates();
            o.builder = new InterpreterBuilder(o.model, o.resolver);
            o.check(o.builder.SetNumThreads(o.threads), "InterpreterBuilder.SetNumThreads(" + o.threads + ")");
            Interpreter it = new Interpreter((Pointer) null);
            int status = o.builder.apply(it);
            if (status != kTfLiteOk || it.isNull()) {
                if (!it.isNull()) {
                    it.close();
                }
                throw new IllegalStateException(o.describe() + ": InterpreterBuilder failed with status " + status
                        + " (unsupported op or invalid model; TFLite's reason is on stderr)");
            }
            o.interpreter = it;
            o.check(it.AllocateTensors(), "AllocateTensors");
            return o;
        } catch (RuntimeException | Error e) {
            o.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- introspection

    /** The kernels this oracle runs with. */
    public Kernels kernels() {
        return kernels;
    }

    /** The thread count given to the interpreter builder. */
    public int threads() {
        return threads;
    }

    /** Number of model inputs. */
    public int inputCount() {
        Interpreter it = live();
        try {
            return (int) it.inputs().limit();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Number of model outputs. */
    public int outputCount() {
        Interpreter it = live();
        try {
            return (int) it.outputs().limit();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Current shape of input {@code i} (reflects {@link #resizeInput}). */
    public int[] inputShape(int i) {
        return shape(input(i));
    }

    /** Current shape of output {@code i}. */
    public int[] outputShape(int i) {
        return shape(output(i));
    }

    /** TFLite's type name of input {@code i}: FLOAT32, INT8, UINT8, INT16, INT32, ... */
    public String inputType(int i) {
        return typeName(input(i));
    }

    /** TFLite's type name of output {@code i}: FLOAT32, INT8, UINT8, INT16, INT32, ... */
    public String outputType(int i) {
        return typeName(output(i));
    }

    /** Tensor name of input {@code i} as stored in the model. */
    public String inputName(int i) {
        return name(input(i));
    }

    /** Tensor name of output {@code i} as stored in the model. */
    public String outputName(int i) {
        return name(output(i));
    }

    /** Per-tensor quantization scale of input {@code i} (0 when not quantized). */
    public float inputScale(int i) {
        return params(input(i)).scale();
    }

    /** Per-tensor quantization zero point of input {@code i} (0 when not quantized). */
    public int inputZeroPoint(int i) {
        return params(input(i)).zeroPoint();
    }

    /** Per-tensor quantization scale of output {@code i} (0 when not quantized). */
    public float outputScale(int i) {
        return params(output(i)).scale();
    }

    /** Per-tensor quantization zero point of output {@code i} (0 when not quantized). */
    public int outputZeroPoint(int i) {
        return params(output(i)).zeroPoint();
    }

    /** Number of elements of input {@code i} at its current shape. */
    public int inputLength(int i) {
        return elementCount(input(i));
    }

    /** Number of elements of output {@code i} at its current shape. */
    public int outputLength(int i) {
        return elementCount(output(i));
    }

    /** Resizes input {@code i} to {@code shape} and re-allocates all tensors (input data is lost). */
    public void resizeInput(int i, int[] shape) {
        Objects.requireNonNull(shape, "shape");
        Interpreter it = live();
        try {
            int tensorIndex = it.inputs().get(checkIndex(i, inputCount(), "input"));
            check(
                    it.ResizeInputTensor(tensorIndex, shape.clone()),
                    "ResizeInputTensor(input " + i + ", " + Arrays.toString(shape) + ")");
            check(it.AllocateTensors(), "AllocateTensors after resizing input " + i);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    // ---------------------------------------------------------------- running

    /** Runs a model with one FLOAT32 input and one FLOAT32 output (or uses input 0 / output 0 of it). */
    public float[] runFloat(float[] input) {
        setInput(0, input);
        invoke();
        return outputFloat(0);
    }

    /** Fills FLOAT32 input {@code i}; {@code data.length} must equal its element count. */
    public void setInput(int i, float[] data) {
        TfLiteTensor t = input(i);
        try {
            expect(t, "input " + i, data.length, kTfLiteFloat32);
            t.data().f().capacity(data.length).put(data);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Fills INT8 or UINT8 input {@code i} with raw bytes (for UINT8, byte b means {@code b & 0xFF}). */
    public void setInput(int i, byte[] data) {
        TfLiteTensor t = input(i);
        try {
            expect(t, "input " + i, data.length, kTfLiteInt8, kTfLiteUInt8, kTfLiteBool);
            t.data().raw().capacity(data.length).put(data);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Fills INT16 (or UINT16) input {@code i}. */
    public void setInput(int i, short[] data) {
        TfLiteTensor t = input(i);
        try {
            expect(t, "input " + i, data.length, kTfLiteInt16, kTfLiteUInt16);
            t.data().i16().capacity(data.length).put(data);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Fills INT32 (or UINT32) input {@code i}. */
    public void setInput(int i, int[] data) {
        TfLiteTensor t = input(i);
        try {
            expect(t, "input " + i, data.length, kTfLiteInt32, kTfLiteUInt32);
            t.data().i32().capacity(data.length).put(data);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Fills input {@code i} from a {@code float[]}, {@code byte[]}, {@code short[]} or {@code int[]}, by its type. */
    public void setInput(int i, Object data) {
        switch (data) {
            case float[] f -> setInput(i, f);
            case byte[] b -> setInput(i, b);
            case short[] s -> setInput(i, s);
            case int[] v -> setInput(i, v);
            default ->
                throw new IllegalArgumentException(
                        "no input array type " + data.getClass().getName());
        }
    }

    /** A copy of output {@code i} in the Java array type of {@code like} (float[], byte[], short[] or int[]). */
    public Object outputLike(int i, Object like) {
        return switch (like) {
            case float[] f -> outputFloat(i);
            case byte[] b -> outputInt8(i);
            case short[] s -> outputInt16(i);
            case int[] v -> outputInt32(i);
            default ->
                throw new IllegalArgumentException(
                        "no output array type " + like.getClass().getName());
        };
    }

    /** Runs the model once on the current inputs. */
    public void invoke() {
        Interpreter it = live();
        try {
            check(it.Invoke(), "Invoke");
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Resets variable tensors (e.g. LSTM state) to zero; call before every independent sample of stateful models. */
    public void resetVariableTensors() {
        Interpreter it = live();
        try {
            check(it.ResetVariableTensors(), "ResetVariableTensors");
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of FLOAT32 output {@code i}. */
    public float[] outputFloat(int i) {
        TfLiteTensor t = output(i);
        try {
            float[] out = new float[expect(t, "output " + i, -1, kTfLiteFloat32)];
            t.data().f().capacity(out.length).get(out);
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of the raw bytes of INT8 or UINT8 output {@code i} (for UINT8, read {@code b & 0xFF}). */
    public byte[] outputInt8(int i) {
        TfLiteTensor t = output(i);
        try {
            byte[] out = new byte[expect(t, "output " + i, -1, kTfLiteInt8, kTfLiteUInt8, kTfLiteBool)];
            t.data().raw().capacity(out.length).get(out);
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of INT16 (or UINT16) output {@code i}. */
    public short[] outputInt16(int i) {
        TfLiteTensor t = output(i);
        try {
            short[] out = new short[expect(t, "output " + i, -1, kTfLiteInt16, kTfLiteUInt16)];
            t.data().i16().capacity(out.length).get(out);
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** A copy of INT32 (or UINT32) output {@code i}. */
    public int[] outputInt32(int i) {
        TfLiteTensor t = output(i);
        try {
            int[] out = new int[expect(t, "output " + i, -1, kTfLiteInt32, kTfLiteUInt32)];
            t.data().i32().capacity(out.length).get(out);
            return out;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Releases the interpreter, builder, resolver, model and buffer, in that order. Idempotent. */
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
        if (model != null) {
            model.close();
            model = null;
        }
        if (buffer != null) {
            buffer.close();
            buffer = null;
        }
    }

    @Override
    public String toString() {
        return describe();
    }

    // ---------------------------------------------------------------- internals

    private String describe() {
        return "TfliteOracle[" + source + ", " + kernels + ", threads=" + threads + "]";
    }

    private Interpreter live() {
        Interpreter it = interpreter;
        if (it == null) {
            throw new IllegalStateException(describe() + " is closed");
        }
        return it;
    }

    /** Input tensor {@code i}, fetched afresh (never cache it across Invoke or AllocateTensors). */
    private TfLiteTensor input(int i) {
        Interpreter it = live();
        try {
            return it.input_tensor(checkIndex(i, inputCount(), "input"));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Output tensor {@code i}, fetched afresh (never cache it across Invoke or AllocateTensors). */
    private TfLiteTensor output(int i) {
        Interpreter it = live();
        try {
            return it.output_tensor(checkIndex(i, outputCount(), "output"));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private int checkIndex(int i, int count, String what) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException(
                    describe() + ": " + what + " " + i + " out of range, model has " + count);
        }
        return i;
    }

    private int[] shape(TfLiteTensor t) {
        try {
            TfLiteIntArray dims = t.dims();
            int[] shape = new int[dims.size()];
            for (int d = 0; d < shape.length; d++) {
                shape[d] = dims.data(d);
            }
            return shape;
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private int elementCount(TfLiteTensor t) {
        long n = 1;
        for (int d : shape(t)) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    private String typeName(TfLiteTensor t) {
        try {
            return TfLiteTypeGetName(t.type()).getString();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    private String name(TfLiteTensor t) {
        try {
            BytePointer n = t.name();
            return n == null || n.isNull() ? "" : n.getString();
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Per-tensor quantization parameters, copied out of the native struct. */
    private record QuantParams(float scale, int zeroPoint) {}

    private QuantParams params(TfLiteTensor t) {
        try {
            TfLiteQuantizationParams p = t.params();
            return new QuantParams(p.scale(), p.zero_point());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Checks the tensor's dtype against {@code allowed}, and (when {@code length >= 0}) its element count; checks
     * that the data is allocated. Returns the element count.
     */
    private int expect(TfLiteTensor t, String what, int length, int... allowed) {
        int type = t.type();
        boolean ok = false;
        for (int a : allowed) {
            ok |= a == type;
        }
        if (!ok) {
            StringBuilder names = new StringBuilder();
            for (int a : allowed) {
                names.append(names.isEmpty() ? "" : "/")
                        .append(TfLiteTypeGetName(a).getString());
            }
            throw new IllegalArgumentException(describe() + ": " + what + " is "
                    + TfLiteTypeGetName(type).getString() + ", this call needs " + names);
        }
        int count = elementCount(t);
        if (length >= 0 && length != count) {
            throw new IllegalArgumentException(describe() + ": " + what + " has " + count + " elements (shape "
                    + Arrays.toString(shape(t)) + "), got " + length);
        }
        long elementBytes = switch (type) {
            case kTfLiteFloat32, kTfLiteInt32 -> 4;
            case kTfLiteInt16, kTfLiteUInt16 -> 2;
            default -> 1;
        };
        if (t.data().data() == null || t.data().data().isNull() || t.bytes() < count * elementBytes) {
            throw new IllegalStateException(describe() + ": " + what + " has no allocated data of "
                    + count * elementBytes + " bytes (tensor bytes " + t.bytes() + ")");
        }
        return count;
    }

    private void check(int status, String call) {
        if (status != kTfLiteOk) {
            throw new IllegalStateException(describe() + ": " + call + " returned status " + status
                    + " (not kTfLiteOk; TFLite's reason is on stderr)");
        }
    }
}
