package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
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
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link IntegerKernelSupport} (what the quantizer converts to integer) in step with the interpreter's kernels
 * ({@code dev.quanta.kernels.Kernels} and its families) and with the rewriter. Every {@link OpType} gets a
 * minimal op in float and in each activation type; a new op type fails {@link #minimalOp} until it is added there,
 * and a kernel or table entry added on one side only fails {@link #theTableListsExactlyTheOpsWithIntegerKernels}.
 */
class IntegerKernelSupportTest {
    private static final DType[] ACTIVATION_TYPES = {DType.INT8, DType.UINT8, DType.INT16};

    /**
     * Ops that have a kernel on integer tensors although the table says the quantizer does not produce them, and
     * why. Nothing may go the other way (in the table without a kernel).
     */
    private static final Map<OpType, String> KERNEL_BUT_NOT_QUANTIZED = Map.of(
            OpType.IDENTITY, "dropped by FloatGraphPasses before quantization (Keras Dropout); files may carry it",
            OpType.QUANTIZE, "a boundary op the rewriter itself inserts",
            OpType.DEQUANTIZE, "a boundary op the rewriter itself inserts",
            OpType.CAST, "converts stored values whatever their parameters; a float model's CAST stays a type cast");

    /** RELU6 on int16 runs in Quanta but not in TFLite 2.21, and a converted file must run in both. */
    private static boolean kernelOnlyInQuanta(OpType type, DType t) {
        return type == OpType.RELU6 && t == DType.INT16;
    }

    // ------------------------------------------------------------------ minimal ops

    private static QuantParams freeParams(DType t) {
        return switch (t) {
            case INT8 -> QuantParams.perTensor(0.05f, 3);
            case UINT8 -> QuantParams.perTensor(0.05f, 131);
            case INT16 -> QuantParams.perTensor(0.001f, 0);
            default -> null;
        };
    }

    /** The output parameters the spec fixes for SOFTMAX, LOGISTIC and TANH. */
    private static QuantParams fixedParams(OpType type, DType t) {
        if (t == DType.INT16) {
            return QuantParams.perTensor(1f / 32768, 0);
        }
        boolean u8 = t == DType.UINT8;
        return type == OpType.TANH
                ? QuantParams.perTensor(1f / 128, u8 ? 128 : 0)
                : QuantParams.perTensor(1f / 256, u8 ? 0 : -128);
    }

    private static Tensor act(String name, DType t, QuantParams p, int... sampleDims) {
        return new Tensor(name, Shape.batched(sampleDims), t, null, t == DType.FLOAT32 ? null : p, false);
    }

    /** Weights: float, int8 symmetric (int8 and int16 activations) or uint8 asymmetric. */
    private static Tensor weights(String name, DType t, int... dims) {
        SplittableRandom r = new SplittableRandom(name.hashCode());
        int n = Math.toIntExact(Shape.of(dims).elementCount());
        if (t == DType.FLOAT32) {
            return Tensor.constant(name, Shape.of(dims), CoreArrays.uniform(r, n, -0.5, 0.5));
        }
        DType wt = t == DType.UINT8 ? DType.UINT8 : DType.INT8;
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (wt == DType.UINT8 ? r.nextInt(256) : r.nextInt(255) - 127);
        }
        return new Tensor(
                name,
                Shape.of(dims),
                wt,
                TensorData.ofBytes(wt, b),
                QuantParams.perTensor(0.01f, wt == DType.UINT8 ? 128 : 0),
                true);
    }

    /** Bias: float, int32 at s_x·s_w, or int64 for int16 activations. */
    private static Tensor bias(String name, DType t, Tensor x, Tensor w, int n) {
        if (t == DType.FLOAT32) {
            return Tensor.constant(name, Shape.of(n), new float[n]);
        }
        QuantParams p = QuantParams.perTensor(x.quant().scale() * w.quant().scale(), 0);
        if (t == DType.INT16) {
            return new Tensor(
                    name,
                    Shape.of(n),
                    DType.INT64,
                    TensorData.ofBytes(
                            DType.INT64,
                            ByteBuffer.allocate(8 * n)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .array()),
                    p,
                    true);
        }
        return new Tensor(name, Shape.of(n), DType.INT32, TensorData.ofInts(new int[n]), p, true);
    }

    /**
     * A model of one op of {@code type}: float when {@code t} is FLOAT32, else quantized as the rewriter would
     * (activations of type t; fixed outputs for softmax, logistic and tanh; pooling, reshape, pad, transpose and
     * slices keeping their input's parameters; int8 or uint8 weights, int32 or int64 bias). One graph input.
     */
    static Model minimalOp(OpType type, DType t) {
        QuantParams p = freeParams(t);
        Tensor x4 = act("x", t, p, 4);
        Tensor img = act("x", t, p, 3, 3, 2);
        Op op = switch (type) {
            case FULLY_CONNECTED -> {
                Tensor w = weights("w", t, 3, 4);
                yield op(
                        type,
                        new OpAttributes.FullyConnected(Activation.NONE),
                        act("y", t, p, 3),
                        x4,
                        w,
                        bias("b", t, x4, w, 3));
            }
            case CONV_2D, DEPTHWISE_CONV_2D -> {
                boolean depthwise = type == OpType.DEPTHWISE_CONV_2D;
                Tensor w = weights("w", t, depthwise ? 1 : 2, 2, 2, 2);
                OpAttributes attrs = depthwise
                        ? new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 1, Activation.NONE)
                        : new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE);
                yield op(type, attrs, act("y", t, p, 2, 2, 2), img, w, bias("b", t, img, w, 2));
            }
            case TRANSPOSE_CONV -> {
                Tensor w = weights("w", t, 2, 2, 2, 2);
                var attrs = new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 6, 6, Activation.NONE);
                yield op(type, attrs, act("y", t, p, 6, 6, 2), img, w, bias("b", t, img, w, 2));
            }
            case BATCH_MATMUL ->
                op(type, new OpAttributes.BatchMatMul(false, true), act("y", t, freeParams2(t), 3, 3, 3), img, img);
            case MAX_POOL_2D, AVERAGE_POOL_2D ->
                op(
                        type,
                        new OpAttributes.Pool2D(Padding.VALID, 2, 2, 1, 1, Activation.NONE),
                        act("y", t, p, 2, 2, 2),
                        img);
            case MEAN -> op(type, new OpAttributes.Mean(new int[] {1, 2}, false), act("y", t, freeParams2(t), 2), img);
            case RESHAPE -> op(type, new OpAttributes.Reshape(new int[] {-1, 18}), act("y", t, p, 18), img);
            case BATCH_NORM ->
                op(
                        type,
                        new OpAttributes.BatchNorm(1e-3f, -1, false, false),
                        act("y", t, p, 4),
                        x4,
                        Tensor.nonTrainableConstant("mean", Shape.of(4), new float[] {0, 1, 2, 3}),
                        Tensor.nonTrainableConstant("var", Shape.of(4), new float[] {1, 1, 2, 2}));
            case RELU, RELU6 -> op(type, OpAttributes.None.INSTANCE, act("y", t, freeParams2(t), 4), x4);
            case LEAKY_RELU -> op(type, new OpAttributes.LeakyRelu(0.2f), act("y", t, freeParams2(t), 4), x4);
            case LOGISTIC, TANH -> op(type, OpAttributes.None.INSTANCE, act("y", t, fixedParams(type, t), 4), x4);
            case SOFTMAX -> op(type, new OpAttributes.Softmax(1f), act("y", t, fixedParams(type, t), 4), x4);
            case ADD -> op(type, new OpAttributes.Add(Activation.NONE), act("y", t, freeParams2(t), 4), x4, x4);
            case MUL, DIV ->
                op(type, new OpAttributes.Arithmetic(Activation.NONE), act("y", t, freeParams2(t), 4), x4, x4);
            case MINIMUM, MAXIMUM -> op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), x4, x4);
            case CONCATENATION ->
                op(type, new OpAttributes.Concatenation(-1, Activation.NONE), act("y", t, p, 8), x4, x4);
            case PAD -> op(type, new OpAttributes.Pad(new int[][] {{0, 0}, {1, 1}}), act("y", t, p, 6), x4);
            case IDENTITY -> op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), x4);
            case TRANSPOSE ->
                op(type, new OpAttributes.Transpose(new int[] {0, 2, 1, 3}), act("y", t, p, 3, 3, 2), img);
            case STRIDED_SLICE ->
                op(
                        type,
                        new OpAttributes.StridedSlice(
                                new int[] {0, 1}, new int[] {0, 3}, new int[] {1, 1}, 1, 1, 0, false),
                        act("y", t, p, 2),
                        x4);
            case CAST ->
                op(
                        type,
                        OpAttributes.None.INSTANCE,
                        new Tensor("y", Shape.batched(4), DType.INT32, null, null, false),
                        x4);
            case QUANTIZE -> op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), act("x", DType.FLOAT32, null, 4));
            case DEQUANTIZE -> op(type, OpAttributes.None.INSTANCE, act("y", DType.FLOAT32, null, 4), x4);
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> lstm(t);
            default ->
                throw new AssertionError("no minimal op for " + type + ": add one to this test, and decide"
                        + " whether IntegerKernelSupport and the rewriter should take it");
        };
        return new Model(
                type.name().toLowerCase(),
                List.of(op.input(0)),
                List.of(op.output(0)),
                List.of(op),
                ModelMetadata.inMemory());
    }

    /** Other free parameters, for ops that requantize to their own output parameters. */
    private static QuantParams freeParams2(DType t) {
        return switch (t) {
            case INT8 -> QuantParams.perTensor(0.08f, -20);
            case UINT8 -> QuantParams.perTensor(0.08f, 100);
            case INT16 -> QuantParams.perTensor(0.002f, 0);
            default -> null;
        };
    }

    private static Op op(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        return new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin("layer", type.name()));
    }

    /** A one-unit-per-gate LSTM over 2 steps of 2 features, 2 cells; quantized as the rewriter makes it. */
    private static Op lstm(DType t) {
        QuantParams h = QuantParams.perTensor(1f / 128, 0);
        Tensor x = act("x", t, freeParams(t), 2, 2);
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        List<Tensor> inputWeights = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            Tensor w = weights("w" + i, t == DType.FLOAT32 ? t : DType.INT8, 2, 2);
            ins.add(w);
            inputWeights.add(w);
        }
        for (int g = 0; g < 4; g++) {
            Tensor b = t == DType.FLOAT32
                    ? bias("b" + g, t, x, x, 2)
                    : new Tensor(
                            "b" + g,
                            Shape.of(2),
                            DType.INT32,
                            TensorData.ofInts(new int[2]),
                            QuantParams.perTensor(
                                    x.quant().scale()
                                            * inputWeights.get(g).quant().scale(),
                                    0),
                            true);
            ins.add(b);
        }
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = true;
        }
        OpAttributes.Lstm attrs = t == DType.FLOAT32
                ? new OpAttributes.Lstm(OpAttributes.LstmActivation.TANH, 0f, 0f, false, false, present)
                : new OpAttributes.Lstm(
                        OpAttributes.LstmActivation.TANH,
                        0f,
                        0f,
                        false,
                        false,
                        present,
                        h,
                        QuantParams.perTensor(0x1p-11f, 0),
                        new QuantParams[] {null, null, null, null, h});
        return op(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, act("y", t, h, 2, 2), ins.toArray(Tensor[]::new));
    }

    /** Null when the interpreter makes a kernel for every op of {@code m}, else why not. */
    private static String kernelError(Model m) {
        try (Interpreter it = new Interpreter(m)) {
            it.allocateTensors();
            return null;
        } catch (QuantaException e) {
            return e.getMessage();
        }
    }

    private static List<OpType> nonSignalTypes() {
        return java.util.Arrays.stream(OpType.values())
                .filter(o -> !o.isSignal())
                .toList();
    }

    // ------------------------------------------------------------------ tests

    /** The minimal float ops are well formed: the float kernels take every one of them. */
    @Test
    void everyMinimalFloatOpRuns() {
        for (OpType type : nonSignalTypes()) {
            if (type == OpType.QUANTIZE || type == OpType.DEQUANTIZE) {
                continue; // no float form
            }
            assertThat(kernelError(minimalOp(type, DType.FLOAT32)))
                    .as(type.name())
                    .isNull();
        }
    }

    @Test
    void theTableListsExactlyTheOpsWithIntegerKernels() {
        List<String> mismatches = new ArrayList<>();
        for (OpType type : nonSignalTypes()) {
            for (DType t : ACTIVATION_TYPES) {
                String error = kernelError(minimalOp(type, t));
                boolean kernel = error == null;
                boolean table = IntegerKernelSupport.supports(type, t);
                boolean expectedDifference = KERNEL_BUT_NOT_QUANTIZED.containsKey(type) || kernelOnlyInQuanta(type, t);
                if (expectedDifference) {
                    if (!(kernel && !table)) {
                        mismatches.add(type + " " + t + ": listed as 'kernel but not quantized', but kernel=" + kernel
                                + " table=" + table + ": remove it from the exceptions");
                    }
                } else if (kernel != table) {
                    mismatches.add(type + " " + t + ": IntegerKernelSupport says " + table + ", the interpreter "
                            + (kernel ? "has a kernel" : "has none (" + error + ")"));
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    /** tflite-micro's signal ops are integer ops on raw values, never the quantizer's output. */
    @Test
    void signalOpsAreNotQuantizerOutput() {
        for (OpType type : OpType.values()) {
            if (type.isSignal()) {
                for (DType t : ACTIVATION_TYPES) {
                    assertThat(IntegerKernelSupport.supports(type, t))
                            .as(type + " " + t)
                            .isFalse();
                }
            }
        }
        assertThat(IntegerKernelSupport.supports(OpType.CONV_2D, DType.FLOAT32)).isFalse();
        assertThat(IntegerKernelSupport.supports(OpType.CONV_2D, DType.INT32)).isFalse();
    }

    /**
     * The rewriter follows the table: each supported op of a float model converts (in int8, the uint8 scheme and
     * 16x8) into an op of that activation type that runs; each unsupported one is refused, naming the type.
     */
    @Test
    void theRewriterQuantizesExactlyWhatTheTableSupports() {
        for (OpType type : nonSignalTypes()) {
            if (type == OpType.QUANTIZE || type == OpType.DEQUANTIZE || type == OpType.IDENTITY) {
                continue; // no float form to convert, or dropped before quantization
            }
            Model f = minimalOp(type, DType.FLOAT32);
            int sample = Math.toIntExact(f.inputs().get(0).shape().sampleElementCount());
            SplittableRandom r = new SplittableRandom(type.ordinal());
            float[] data = CoreArrays.uniform(r, 8 * sample, -2, 2);
            Dataset d = Dataset.of("d", f.inputs().get(0).shape().sampleDims(), data, null);
            for (DType t : ACTIVATION_TYPES) {
                Converter c = Converter.fromModel(f)
                        .withConfig(QuantizationConfig.defaults()
                                .withGranularity(Granularity.PER_TENSOR)
                                .withMode(t == DType.INT16 ? QuantizationMode.INT16X8 : QuantizationMode.INT8)
                                .withScheme(
                                        t == DType.UINT8 ? QuantizationScheme.ASYMMETRIC : QuantizationScheme.SYMMETRIC)
                                .withCalibrationSamples(8))
                        .withRepresentativeDataset(d);
                String what = type + " " + t;
                if (IntegerKernelSupport.supports(type, t)) {
                    Model q = c.convert().model();
                    Op converted = q.ops().stream()
                            .filter(o -> o.type() == type)
                            .findFirst()
                            .orElseThrow();
                    assertThat(converted.input(0).dtype()).as(what).isEqualTo(t);
                    assertThat(converted.output(0).dtype()).as(what).isEqualTo(t);
                    try (Interpreter it = new Interpreter(q)) {
                        float[] out = new float
                                [Math.toIntExact(q.outputs().get(0).shape().sampleElementCount())];
                        it.run(d.sample(0), out);
                    }
                } else if (type == OpType.BATCH_NORM) {
                    // refused earlier: a BatchNormalization is folded into the layer before it, or not converted
                    assertThatThrownBy(c::convert)
                            .as(what)
                            .isInstanceOf(QuantaException.class)
                            .hasMessageContaining("can only be folded");
                } else {
                    assertThatThrownBy(c::convert)
                            .as(what)
                            .isInstanceOf(QuantaException.class)
                            .hasMessageContaining(type + " has no " + t.lowerName() + " kernel");
                }
            }
        }
    }
}
