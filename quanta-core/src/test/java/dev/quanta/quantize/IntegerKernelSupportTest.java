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
import dev.quanta.ir.ShapeInference;
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
            OpType.CAST, "converts stored values whatever their parameters; a float model's CAST stays a type cast",
            OpType.SHAPE, "reads only the input's shape; a float model's SHAPE stays as it is",
            OpType.RANGE, "int32/int64 indices from constants: the rewriter passes an integer RANGE through unchanged");

    /**
     * Issue 11's element-wise ops that run on integer tensors but that the quantizer does not produce: comparisons
     * (a BOOL output is no activation; int8/uint8 rescaled, int16 by stored value where TFLite has it), SELECT and
     * SELECT_V2 (values copied, the row type is the BOOL condition), the logical ops (BOOL only), quantized SQRT,
     * EXP and LOG (run from files; the quantizer keeps them in float) and int8/int16 NEG (TFLite
     * negates stored values, ignoring parameters).
     */
    private static boolean elementwiseNotQuantized(OpType type, DType t) {
        return switch (type) {
            case LESS, GREATER_EQUAL, EQUAL -> true;
            case GREATER, LESS_EQUAL, NOT_EQUAL -> t != DType.INT16; // TFLite 2.21 computes nothing for int16
            case SELECT, SELECT_V2, LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT -> true;
            case SQRT, NEG -> t != DType.UINT8; // SQRT: its input may be negative; NEG ignores the parameters
            case EXP, LOG -> t != DType.UINT8; // TFLite's lookup tables run, the quantizer keeps them in float
            default -> false;
        };
    }

    /** Ops whose graph input in {@link #minimalOp} is BOOL: no float model to calibrate. */
    private static boolean boolInput(OpType type) {
        return switch (type) {
            case SELECT, SELECT_V2, LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT -> true;
            default -> false;
        };
    }

    /** RELU6 on int16 runs in Quanta but not in TFLite 2.21, and a converted file must run in both. */
    private static boolean kernelOnlyInQuanta(OpType type, DType t) {
        return type == OpType.RELU6 && t == DType.INT16;
    }

    /**
     * TFLite's detection post-process takes uint8 inputs (TF1 SSD files), but always gives float outputs: the
     * quantizer keeps it float on dequantized inputs (DetectionQuantizationTest).
     */
    private static boolean floatOnUint8Inputs(OpType type, DType t) {
        return type == OpType.DETECTION_POSTPROCESS && t == DType.UINT8;
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
        if (type == OpType.RANGE) {
            return rangeIndices(t);
        }
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
            case HARD_SWISH, ELU, RELU_N1_TO_1, RELU_0_TO_1 ->
                op(type, OpAttributes.None.INSTANCE, act("y", t, freeParams2(t), 4), x4);
            case GELU -> op(type, new OpAttributes.Gelu(false), act("y", t, freeParams2(t), 4), x4);
            case PRELU ->
                op(
                        type,
                        OpAttributes.None.INSTANCE,
                        act("y", t, freeParams2(t), 4),
                        x4,
                        weights("alpha", t == DType.INT16 ? DType.INT8 : t, 4));
            case LOG_SOFTMAX ->
                op(
                        type,
                        OpAttributes.None.INSTANCE,
                        act("y", t, QuantParams.perTensor(16f / 256, t == DType.UINT8 ? 255 : 127), 4),
                        x4);
            case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR ->
                op(type, new OpAttributes.Resize(4, 5, false, true), act("y", t, p, 4, 5, 2), img);
            case ARG_MAX, ARG_MIN ->
                op(
                        type,
                        new OpAttributes.ArgMinMax(-1),
                        new Tensor("y", Shape.batched(), DType.INT32, null, null, false),
                        x4);
            case SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN -> {
                boolean shared = type == OpType.REDUCE_MAX || type == OpType.REDUCE_MIN;
                yield op(
                        type,
                        new OpAttributes.Reduce(new int[] {1, 2}, false),
                        act("y", t, shared ? p : freeParams2(t), 2),
                        img);
            }
            case L2_NORMALIZATION ->
                op(
                        type,
                        OpAttributes.None.INSTANCE,
                        act("y", t, QuantParams.perTensor(1f / 128, t == DType.UINT8 ? 128 : 0), 4),
                        x4);
            case DETECTION_POSTPROCESS -> detection(t);
            case SUB -> op(type, new OpAttributes.Arithmetic(Activation.NONE), act("y", t, freeParams2(t), 4), x4, x4);
            case SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, POW ->
                op(type, OpAttributes.None.INSTANCE, act("y", t, freeParams2(t), 4), x4, x4);
            case SQRT, RSQRT, ABS, NEG, EXP, LOG, FLOOR, CEIL, ROUND ->
                op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), x4);
            case LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL ->
                op(type, OpAttributes.None.INSTANCE, bool("y"), x4, x4);
            case SELECT, SELECT_V2 -> {
                Tensor a = t == DType.FLOAT32
                        ? Tensor.constant("a", Shape.of(1, 4), new float[] {1, 2, 3, 4})
                        : new Tensor(
                                "a",
                                Shape.of(1, 4),
                                t,
                                TensorData.ofBytes(t, t == DType.INT16 ? new byte[8] : new byte[4]),
                                p,
                                true);
                yield op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), bool("c"), a, a);
            }
            case LOGICAL_AND, LOGICAL_OR -> {
                Tensor bx = bool("x");
                yield op(type, OpAttributes.None.INSTANCE, bool("y"), bx, bx);
            }
            case LOGICAL_NOT -> op(type, OpAttributes.None.INSTANCE, bool("y"), bool("x"));
            case SPLIT,
                    SPLIT_V,
                    UNPACK,
                    PACK,
                    GATHER,
                    GATHER_ND,
                    SLICE,
                    SQUEEZE,
                    EXPAND_DIMS,
                    TILE,
                    BROADCAST_TO,
                    DEPTH_TO_SPACE,
                    SPACE_TO_DEPTH,
                    REVERSE_V2,
                    MIRROR_PAD,
                    PADV2,
                    SPACE_TO_BATCH_ND,
                    BATCH_TO_SPACE_ND,
                    SHAPE,
                    FILL,
                    ZEROS_LIKE -> dataMovementOp(type, t, p);
            case BIDIRECTIONAL_SEQUENCE_LSTM -> {
                // float32 only in Quanta (TFLite also has a hybrid form): no integer kernel
                List<Tensor> ins = new ArrayList<>();
                ins.add(act("x", t, p, 2, 2));
                boolean[] present = new boolean[48];
                present[0] = true;
                for (int d = 0; d < 2; d++) {
                    for (int i = 1; i <= 15; i++) {
                        if (i >= 9 && i <= 11) {
                            continue;
                        }
                        present[i + 17 * d] = true;
                        ins.add(
                                i <= 8
                                        ? weights("w" + (i + 17 * d), t == DType.FLOAT32 ? t : DType.INT8, 2, 2)
                                        : Tensor.constant("b" + (i + 17 * d), Shape.of(2), new float[2]));
                    }
                }
                yield op(
                        type,
                        new OpAttributes.BidirectionalLstm(
                                OpAttributes.LstmActivation.TANH, 0f, 0f, true, false, false, present),
                        act("y", t, p, 2, 4),
                        ins.toArray(Tensor[]::new));
            }
            case UNIDIRECTIONAL_SEQUENCE_RNN -> {
                // TFLite has float and hybrid RNN kernels only: the integer forms have no kernel
                Tensor x = act("x", t, p, 2, 2);
                DType w = t == DType.FLOAT32 ? t : DType.INT8;
                yield op(
                        type,
                        new OpAttributes.SequenceRnn(OpAttributes.LstmActivation.TANH, false, false),
                        act("y", t, p, 2, 2),
                        x,
                        weights("wx", w, 2, 2),
                        weights("wh", w, 2, 2),
                        Tensor.constant("b", Shape.of(2), new float[2]));
            }
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

    /**
     * DETECTION_POSTPROCESS with the box encodings [N, 2, 4] as graph input, constant class predictions [1, 2, 2]
     * and anchors [2, 4] (float, or of type t with their own parameters, as TF1 uint8 SSD files store them), and
     * its four float outputs.
     */
    private static Op detection(DType t) {
        Tensor boxes = act("x", t, freeParams(t), 2, 4);
        QuantParams unit = t == DType.FLOAT32 ? null : QuantParams.perTensor(1f / 256, t == DType.UINT8 ? 0 : -128);
        Tensor scores = t == DType.FLOAT32
                ? Tensor.nonTrainableConstant("scores", Shape.of(1, 2, 2), new float[] {0.9f, 0.1f, 0.4f, 0.6f})
                : new Tensor("scores", Shape.of(1, 2, 2), t, constantBytes(t, 4), unit, false);
        Tensor anchors = t == DType.FLOAT32
                ? Tensor.nonTrainableConstant(
                        "anchors", Shape.of(2, 4), new float[] {.5f, .5f, .2f, .2f, .4f, .4f, .3f, .3f})
                : new Tensor("anchors", Shape.of(2, 4), t, constantBytes(t, 8), unit, false);
        List<Tensor> outs = List.of(
                new Tensor("boxes", Shape.batched(3, 4), DType.FLOAT32, null, null, false),
                new Tensor("classes", Shape.batched(3), DType.FLOAT32, null, null, false),
                new Tensor("scores_out", Shape.batched(3), DType.FLOAT32, null, null, false),
                new Tensor("count", Shape.batched(), DType.FLOAT32, null, null, false));
        OpAttributes.DetectionPostProcess a =
                new OpAttributes.DetectionPostProcess(3, 1, 100, 0.2f, 0.5f, 2, 10f, 10f, 5f, 5f, false);
        return new Op(
                "y",
                OpType.DETECTION_POSTPROCESS,
                List.of(boxes, scores, anchors),
                outs,
                a,
                new Origin("layer", "DETECTION_POSTPROCESS"));
    }

    /** {@code n} positive values of an integer type t (100 + i). */
    private static TensorData constantBytes(DType t, int n) {
        if (t == DType.INT16) {
            ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < n; i++) {
                b.putShort((short) (100 + i));
            }
            return TensorData.ofBytes(t, b.array());
        }
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (100 + i);
        }
        return TensorData.ofBytes(t, b);
    }

    private static Tensor bool(String name) {
        return new Tensor(name, Shape.batched(4), DType.BOOL, null, null, false);
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

    /** The shape and data movement ops of issue 11: copies that keep their input's parameters. */
    private static Op dataMovementOp(OpType type, DType t, QuantParams p) {
        Tensor x4 = act("x", t, p, 4);
        Tensor img = act("x", t, p, 3, 3, 2);
        return switch (type) {
            case SPLIT, SPLIT_V, UNPACK -> {
                OpAttributes a = type == OpType.SPLIT
                        ? new OpAttributes.Split(-1, 2)
                        : type == OpType.SPLIT_V
                                ? new OpAttributes.SplitV(1, new int[] {1, -1})
                                : new OpAttributes.Unpack(3, 2);
                List<Tensor> outs = new ArrayList<>();
                for (Shape s : ShapeInference.inferAll(type, a, List.of(img))) {
                    outs.add(new Tensor("y" + outs.size(), s, t, null, p, false));
                }
                yield new Op("y", type, List.of(img), outs, a, new Origin("layer", type.name()));
            }
            case PACK -> op(type, new OpAttributes.Pack(1), act("y", t, p, 2, 4), x4, x4);
            case GATHER -> op(type, new OpAttributes.Gather(1, 0), act("y", t, p, 2), x4, indices(Shape.of(2), 3, 0));
            case GATHER_ND ->
                op(type, OpAttributes.None.INSTANCE, act("y", t, p, 3, 3, 2), img, indices(Shape.of(1, 1), 0));
            case SLICE -> op(type, new OpAttributes.Slice(new int[] {0, 1}, new int[] {-1, 2}), act("y", t, p, 2), x4);
            case SQUEEZE -> op(type, new OpAttributes.Squeeze(new int[] {1}), act("y", t, p, 4), act("x", t, p, 1, 4));
            case EXPAND_DIMS -> op(type, new OpAttributes.ExpandDims(1), act("y", t, p, 1, 4), x4);
            case TILE -> op(type, new OpAttributes.Tile(new int[] {1, 2}), act("y", t, p, 8), x4);
            case BROADCAST_TO ->
                op(
                        type,
                        new OpAttributes.BroadcastTo(new int[] {-1, 3, 4}),
                        act("y", t, p, 3, 4),
                        act("x", t, p, 1, 4));
            case DEPTH_TO_SPACE ->
                op(type, new OpAttributes.BlockSize(2), act("y", t, p, 4, 4, 1), act("x", t, p, 2, 2, 4));
            case SPACE_TO_DEPTH ->
                op(type, new OpAttributes.BlockSize(2), act("y", t, p, 1, 1, 4), act("x", t, p, 2, 2, 1));
            case REVERSE_V2 -> op(type, new OpAttributes.Reverse(new int[] {1}), act("y", t, p, 4), x4);
            case MIRROR_PAD ->
                op(type, new OpAttributes.MirrorPad(new int[][] {{0, 0}, {1, 1}}, false), act("y", t, p, 6), x4);
            case PADV2 -> op(type, new OpAttributes.Pad(new int[][] {{0, 0}, {1, 2}}), act("y", t, p, 7), x4);
            case SPACE_TO_BATCH_ND ->
                op(
                        type,
                        new OpAttributes.SpaceBatch(new int[] {1, 1}, new int[][] {{0, 0}, {1, 1}}),
                        act("y", t, p, 2, 4, 1),
                        act("x", t, p, 2, 2, 1));
            case BATCH_TO_SPACE_ND ->
                op(
                        type,
                        new OpAttributes.SpaceBatch(new int[] {1, 1}, new int[][] {{0, 0}, {1, 1}}),
                        act("y", t, p, 2, 2, 1),
                        act("x", t, p, 2, 4, 1));
            case SHAPE ->
                op(type, OpAttributes.None.INSTANCE, new Tensor("y", Shape.of(2), DType.INT32, null, null, false), x4);
            case FILL ->
                op(
                        type,
                        new OpAttributes.Fill(new int[] {1, 6}),
                        new Tensor("y", Shape.of(1, 6), t, null, p, false),
                        act("x", t, p));
            case ZEROS_LIKE -> op(type, OpAttributes.None.INSTANCE, act("y", t, p, 4), x4);
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    /**
     * RANGE has no activation input: x[B,4] of type t gathered (axis 1) at RANGE(3, −1, −1) = [3, 2, 1, 0], an
     * int32 RANGE of constant scalars, the form TFLite runs (it has no quantized RANGE).
     */
    private static Model rangeIndices(DType t) {
        QuantParams p = freeParams(t);
        Tensor x = act("x", t, p, 4);
        Tensor[] scalars = new Tensor[3];
        int[] values = {3, -1, -1};
        for (int i = 0; i < 3; i++) {
            scalars[i] =
                    new Tensor("r" + i, Shape.of(), DType.INT32, TensorData.ofInts(new int[] {values[i]}), null, false);
        }
        Op range = op(
                OpType.RANGE,
                OpAttributes.None.INSTANCE,
                new Tensor("idx", Shape.of(4), DType.INT32, null, null, false),
                scalars);
        Op gather = op(OpType.GATHER, new OpAttributes.Gather(1, 0), act("y", t, p, 4), x, range.output(0));
        return new Model(
                "range", List.of(x), List.of(gather.output(0)), List.of(range, gather), ModelMetadata.inMemory());
    }

    private static Tensor indices(Shape shape, int... values) {
        return new Tensor("indices", shape, DType.INT32, TensorData.ofInts(values), null, false);
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
                boolean expectedDifference = KERNEL_BUT_NOT_QUANTIZED.containsKey(type)
                        || kernelOnlyInQuanta(type, t)
                        || floatOnUint8Inputs(type, t)
                        || elementwiseNotQuantized(type, t);
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
            if (type == OpType.QUANTIZE || type == OpType.DEQUANTIZE || type == OpType.IDENTITY || boolInput(type)) {
                continue; // no float form to convert, or dropped before quantization, or a BOOL graph input
            }
            if (type == OpType.DETECTION_POSTPROCESS) {
                continue; // kept in float on dequantized inputs in every mode: DetectionQuantizationTest
            }
            if (type == OpType.FILL) {
                continue; // its one graph input is a scalar value, which calibration cannot batch
            }
            if (type == OpType.RANGE) {
                continue; // an int32 RANGE passes through in every mode: DataMovementQuantizationTest
            }
            Model f = minimalOp(type, DType.FLOAT32);
            int sample = Math.toIntExact(f.inputs().get(0).shape().sampleElementCount());
            SplittableRandom r = new SplittableRandom(type.ordinal());
            // RSQRT's input is non-negative (LayerNormalization's variance + ε): int8 RSQRT refuses negative values
            float[] data = CoreArrays.uniform(r, 8 * sample, type == OpType.RSQRT ? 0 : -2, 2);
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
                    boolean index = type == OpType.ARG_MAX || type == OpType.ARG_MIN;
                    assertThat(converted.output(0).dtype()).as(what).isEqualTo(index ? DType.INT32 : t);
                    try (Interpreter it = new Interpreter(q)) {
                        int n = Math.toIntExact(q.outputs().get(0).shape().sampleElementCount());
                        it.run(d.sample(0), index ? new int[n] : new float[n]);
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
