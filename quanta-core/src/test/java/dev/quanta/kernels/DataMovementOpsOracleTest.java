package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.DataMovementShapes;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * SPLIT, SPLIT_V, UNPACK, PACK, GATHER and GATHER_ND against the official runtime, in every element type TFLite
 * 2.21's built-in kernels register for them: seeded single-op models with random shapes and axes (negative ones
 * too), written by Quanta's writer, read back by its reader and run by Quanta's interpreter on both kernel paths
 * and by TFLite with and without XNNPACK, on the same random inputs. The ops copy stored values, so every output
 * must be bit-exact on both paths. INT64 tensors are reached through CAST ops from and to INT32 graph tensors (the
 * oracle's API has no int64 arrays); index inputs are constants, one GATHER case takes them at run time.
 */
@UsesOracle
class DataMovementOpsOracleTest {
    private static final int SAMPLES = 2;
    private static final int SHAPES = 2;

    private record Case(String name, Model model) {}

    private final Random random = new Random(20261202L);
    private int counter;

    private static final DType[] SPLIT_TYPES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64
    };
    private static final DType[] SPLIT_V_TYPES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64
    };
    private static final DType[] UNPACK_TYPES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.BOOL
    };
    private static final DType[] PACK_TYPES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.UINT32, DType.INT64
    };
    private static final DType[] GATHER_TYPES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64, DType.BOOL
    };

    @TestFactory
    Stream<DynamicTest> bitExactWithTfliteOnBothPaths() {
        List<Case> cases = new ArrayList<>();
        for (int s = 0; s < SHAPES; s++) {
            for (DType t : SPLIT_TYPES) {
                cases.add(split(t));
            }
            for (DType t : SPLIT_V_TYPES) {
                cases.add(splitV(t));
            }
            for (DType t : UNPACK_TYPES) {
                cases.add(unpack(t));
            }
            for (DType t : PACK_TYPES) {
                cases.add(pack(t));
            }
            for (DType t : GATHER_TYPES) {
                cases.add(gather(t, s == 0 ? DType.INT32 : DType.INT64, 0, false));
                cases.add(gatherNd(t, s == 0 ? DType.INT32 : DType.INT64));
            }
            cases.add(gather(DType.INT8, DType.INT32, 1, false));
            cases.add(gather(DType.FLOAT32, DType.INT32, 0, true));
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    /** Every element type TFLite could be asked for, for the ops whose registry rows the test checks both ways. */
    private static final DType[] CANDIDATES = {
        DType.FLOAT32, DType.UINT8, DType.INT8, DType.INT16, DType.INT32, DType.INT64, DType.BOOL, DType.UINT32
    };

    /**
     * SLICE, SQUEEZE, EXPAND_DIMS, TILE, BROADCAST_TO, DEPTH_TO_SPACE, SPACE_TO_DEPTH, REVERSE_V2, MIRROR_PAD
     * (REFLECT and SYMMETRIC), PADV2, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, FILL and ZEROS_LIKE in every candidate
     * type: a type of the op's registry rows ({@link dev.quanta.kernels.shape.DataMovementKernels#types}) runs
     * bit-exact with TFLite on both paths (random shapes, seeded); any other type is refused by TFLite and by
     * Quanta alike. SHAPE runs on any input type, with int32 and int64 output.
     */
    @TestFactory
    Stream<DynamicTest> staticIndexOpsInEveryTypeTfliteRegisters() {
        List<DynamicTest> tests = new ArrayList<>();
        OpType[] ops = {
            OpType.SLICE,
            OpType.SQUEEZE,
            OpType.EXPAND_DIMS,
            OpType.TILE,
            OpType.BROADCAST_TO,
            OpType.DEPTH_TO_SPACE,
            OpType.SPACE_TO_DEPTH,
            OpType.REVERSE_V2,
            OpType.MIRROR_PAD,
            OpType.PADV2,
            OpType.SPACE_TO_BATCH_ND,
            OpType.BATCH_TO_SPACE_ND,
            OpType.FILL,
            OpType.ZEROS_LIKE
        };
        for (OpType type : ops) {
            for (DType t : CANDIDATES) {
                boolean registered =
                        dev.quanta.kernels.shape.DataMovementKernels.types(type).contains(t);
                for (int s = 0; s < (registered ? SHAPES + 1 : 1); s++) {
                    Case c = staticCase(type, t, s);
                    tests.add(DynamicTest.dynamicTest((registered ? "" : "refused: ") + c.name(), () -> {
                        if (registered) {
                            check(c);
                        } else {
                            assertBothRefuse(c);
                        }
                    }));
                }
            }
        }
        for (DType in : new DType[] {DType.FLOAT32, DType.INT8, DType.BOOL, DType.INT64}) {
            for (DType out : new DType[] {DType.INT32, DType.INT64}) {
                Tensor x = tensor(in, randomShape(0));
                Tensor y = new Tensor("t" + counter++, Shape.of(x.shape().rank()), out, null, null, false);
                Case c = new Case(
                        "SHAPE " + in + " " + x.shape() + " -> " + out,
                        model(OpType.SHAPE, OpAttributes.None.INSTANCE, List.of(x), List.of(x), List.of(y)));
                tests.add(DynamicTest.dynamicTest(c.name(), () -> check(c)));
            }
        }
        return tests.stream();
    }

    /**
     * TFLite's int8/int16 FILL requires the output to have the value's scale and zero point, and an int16 value to
     * be symmetric: a file that breaks either rule is refused by TFLite and by Quanta, naming the op.
     */
    @Test
    void fillWithOtherParametersThanItsValueIsRefusedLikeTflite() throws Exception {
        record Params(DType type, QuantParams value, QuantParams out, String why) {}
        List<Params> bad = List.of(
                new Params(DType.INT8, QuantParams.perTensor(0.05f, -3), QuantParams.perTensor(0.1f, -3), "differ"),
                new Params(DType.INT8, QuantParams.perTensor(0.05f, -3), QuantParams.perTensor(0.05f, 4), "differ"),
                new Params(DType.INT16, QuantParams.perTensor(0.001f, 0), QuantParams.perTensor(0.002f, 0), "differ"),
                new Params(
                        DType.INT16, QuantParams.perTensor(0.001f, 5), QuantParams.perTensor(0.001f, 5), "symmetric"));
        for (Params p : bad) {
            Tensor v = new Tensor("t" + counter++, Shape.of(), p.type(), null, p.value(), false);
            Tensor y = new Tensor("t" + counter++, Shape.of(2, 3), p.type(), null, p.out(), false);
            Case c = new Case(
                    "FILL " + p.type() + " value " + p.value() + " output " + p.out(),
                    model(OpType.FILL, new OpAttributes.Fill(new int[] {2, 3}), List.of(v), List.of(v), List.of(y)));
            assertBothRefuse(c);
            byte[] bytes = TfliteWriter.toBytes(c.model());
            Model read = TfliteReader.read(bytes, Path.of("fill.tflite"));
            assertThatThrownBy(() -> {
                        try (Interpreter quanta = new Interpreter(read)) {
                            quanta.tensorShape(read.outputs().get(0));
                        }
                    })
                    .as(c.name())
                    .hasMessageContaining(p.why())
                    .hasMessageNotContaining("\n");
        }
    }

    private void assertBothRefuse(Case c) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        assertThatThrownBy(() -> {
                    try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
                        for (int i = 0; i < c.model().inputs().size(); i++) {
                            oracle.setInput(i, randomValues(c.model().inputs().get(i), c.model()));
                        }
                        oracle.invoke();
                    }
                })
                .as("TFLite refuses " + c.name())
                .isInstanceOf(RuntimeException.class);
        Model read = TfliteReader.read(bytes, Path.of("refused.tflite"));
        OpType type = c.model().ops().stream()
                .filter(o -> o.type() != OpType.CAST)
                .findFirst()
                .orElseThrow()
                .type();
        assertThatThrownBy(() -> {
                    try (Interpreter quanta = new Interpreter(read)) {
                        for (int i = 0; i < read.inputs().size(); i++) {
                            quanta.resizeInput(
                                    i, c.model().inputs().get(i).shape().dims());
                        }
                        quanta.tensorShape(read.outputs().get(0));
                    }
                })
                .as("Quanta refuses " + c.name())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining(type.name());
    }

    private int[] shapeOfRank(int rank, int max) {
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = 1 + random.nextInt(max);
        }
        return d;
    }

    /** A scalar constant of {@code t} holding {@code v} (the pad value: stored values, quantized like x). */
    private Tensor scalar(DType t, long v) {
        if (t == DType.FLOAT32) {
            return new Tensor(
                    "value" + counter++, Shape.of(), t, TensorData.ofFloats(new float[] {v / 4f}), null, false);
        }
        ByteBuffer b = ByteBuffer.allocate(t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (t.byteSize()) {
            case 1 -> b.put((byte) (t == DType.BOOL ? v & 1 : v));
            case 2 -> b.putShort((short) v);
            case 4 -> b.putInt((int) v);
            default -> b.putLong(v);
        }
        return new Tensor("value" + counter++, Shape.of(), t, TensorData.ofBytes(t, b.array()), quant(t), false);
    }

    private Case single(OpType type, OpAttributes a, DType t, int[] shape, String what, Tensor... extra) {
        Tensor x = tensor(t, shape);
        List<Tensor> ins = new ArrayList<>(List.of(x));
        ins.addAll(List.of(extra));
        Tensor y = tensor(t, ShapeInference.infer(type, a, ins).dims());
        return new Case(
                type + " " + t + " " + Arrays.toString(shape) + " " + what,
                model(type, a, List.of(x), ins, List.of(y)));
    }

    private static int[][] pairs(int rank) {
        return new int[rank][2];
    }

    private Case staticCase(OpType type, DType t, int variant) {
        switch (type) {
            case SLICE -> {
                int[] shape = randomShape(1);
                int[] begin = new int[shape.length];
                int[] size = new int[shape.length];
                for (int d = 0; d < shape.length; d++) {
                    begin[d] = random.nextInt(shape[d]);
                    size[d] = random.nextInt(4) == 0 ? -1 : random.nextInt(shape[d] - begin[d] + 1);
                }
                return single(
                        type,
                        new OpAttributes.Slice(begin, size),
                        t,
                        shape,
                        "begin " + Arrays.toString(begin) + " size " + Arrays.toString(size));
            }
            case SQUEEZE -> {
                int[] shape = randomShape(1);
                List<Integer> axes = new ArrayList<>();
                for (int d = 0; d < shape.length; d++) {
                    if (random.nextBoolean()) {
                        shape[d] = 1;
                        if (variant != 1) {
                            axes.add(random.nextBoolean() ? d : d - shape.length);
                        }
                    }
                }
                int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
                return single(type, new OpAttributes.Squeeze(ax), t, shape, "axes " + Arrays.toString(ax));
            }
            case EXPAND_DIMS -> {
                int[] shape = shapeOfRank(random.nextInt(4), 4);
                int axis = random.nextInt(shape.length + 1) - (random.nextBoolean() ? shape.length + 1 : 0);
                return single(type, new OpAttributes.ExpandDims(axis), t, shape, "axis " + axis);
            }
            case TILE -> {
                int[] shape = randomShape(1);
                int[] m = shapeOfRank(shape.length, 3);
                return single(type, new OpAttributes.Tile(m), t, shape, "multiples " + Arrays.toString(m));
            }
            case BROADCAST_TO -> {
                int[] target = randomShape(1);
                int[] shape = Arrays.copyOfRange(target, random.nextInt(target.length), target.length);
                for (int d = 0; d < shape.length; d++) {
                    shape[d] = random.nextBoolean() ? 1 : shape[d];
                }
                return single(type, new OpAttributes.BroadcastTo(target), t, shape, "to " + Arrays.toString(target));
            }
            case DEPTH_TO_SPACE, SPACE_TO_DEPTH -> {
                int b = 2 + random.nextInt(2);
                int[] shape = shapeOfRank(4, 3);
                if (type == OpType.DEPTH_TO_SPACE) {
                    shape[3] *= b * b;
                } else {
                    shape[1] *= b;
                    shape[2] *= b;
                }
                return single(type, new OpAttributes.BlockSize(b), t, shape, "block " + b);
            }
            case REVERSE_V2 -> {
                int[] shape = randomShape(1);
                int[] axes = {randomAxis(shape.length)};
                return single(type, new OpAttributes.Reverse(axes), t, shape, "axis " + axes[0]);
            }
            case MIRROR_PAD -> {
                boolean symmetric = variant % 2 == 0;
                int[] shape = randomShape(1);
                int[][] p = pairs(shape.length);
                for (int d = 0; d < shape.length; d++) {
                    int max = symmetric ? shape[d] : shape[d] - 1;
                    p[d][0] = random.nextInt(max + 1);
                    p[d][1] = random.nextInt(max + 1);
                }
                return single(
                        type,
                        new OpAttributes.MirrorPad(p, symmetric),
                        t,
                        shape,
                        (symmetric ? "SYMMETRIC " : "REFLECT ") + Arrays.deepToString(p));
            }
            case PADV2 -> {
                int[] shape = randomShape(1);
                int[][] p = pairs(shape.length);
                for (int d = 0; d < shape.length; d++) {
                    p[d][0] = random.nextInt(3);
                    p[d][1] = random.nextInt(3);
                }
                boolean withValue = variant != 1;
                Tensor[] extra = withValue ? new Tensor[] {scalar(t, random.nextInt(200) - 100)} : new Tensor[0];
                return single(
                        type,
                        new OpAttributes.Pad(p),
                        t,
                        shape,
                        Arrays.deepToString(p) + (withValue ? " with a value" : " without a value"),
                        extra);
            }
            case SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND -> {
                int m = variant == 2 ? 1 : 2;
                int[] block = shapeOfRank(m, 3);
                int[][] amounts = pairs(m);
                int[] shape = new int[m + 2];
                shape[0] = 1 + random.nextInt(2);
                shape[m + 1] = 1 + random.nextInt(3);
                for (int j = 0; j < m; j++) {
                    if (type == OpType.SPACE_TO_BATCH_ND) {
                        shape[j + 1] = 1 + random.nextInt(4);
                        amounts[j][0] = random.nextInt(3);
                        amounts[j][1] = (block[j] - (shape[j + 1] + amounts[j][0]) % block[j]) % block[j];
                    } else {
                        shape[j + 1] = 1 + random.nextInt(3);
                        int full = shape[j + 1] * block[j];
                        amounts[j][0] = random.nextInt(Math.min(full - 1, 2) + 1);
                        amounts[j][1] = random.nextInt(Math.min(full - 1 - amounts[j][0], 2) + 1);
                    }
                }
                if (type == OpType.BATCH_TO_SPACE_ND) {
                    shape[0] *= Arrays.stream(block).reduce(1, (a, b) -> a * b);
                }
                return single(
                        type,
                        new OpAttributes.SpaceBatch(block, amounts),
                        t,
                        shape,
                        "block " + Arrays.toString(block) + " amounts " + Arrays.deepToString(amounts));
            }
            case FILL -> {
                int[] dims = shapeOfRank(1 + random.nextInt(3), 4);
                Tensor v = tensor(t);
                Tensor y = tensor(t, dims);
                OpAttributes.Fill a = new OpAttributes.Fill(dims);
                return new Case(
                        "FILL " + t + " dims " + Arrays.toString(dims),
                        model(type, a, List.of(v), List.of(v), List.of(y)));
            }
            case ZEROS_LIKE -> {
                return single(type, OpAttributes.None.INSTANCE, t, randomShape(0), "");
            }
            default -> throw new IllegalArgumentException(type.name());
        }
    }

    // ------------------------------------------------------------------ RANGE

    /** A constant scalar of type t holding v (a float type takes v as is, integers its integer part). */
    private static Tensor rangeScalar(String name, DType t, double v) {
        ByteBuffer b = ByteBuffer.allocate(Math.max(1, t.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        switch (t) {
            case FLOAT32 -> b.putFloat((float) v);
            case INT64 -> b.putLong((long) v);
            case INT32, UINT32 -> b.putInt((int) v);
            case INT16 -> b.putShort((short) v);
            default -> b.put((byte) v);
        }
        return new Tensor(name, Shape.of(), t, TensorData.ofBytes(t, b.array()), quant(t), false);
    }

    /** RANGE(start, limit, delta) of constant scalars of type t, its output the model's (through a CAST for int64). */
    private Case rangeCase(DType t, double start, double limit, double delta, int n) {
        List<Tensor> ins = List.of(
                rangeScalar("start" + counter++, t, start),
                rangeScalar("limit" + counter++, t, limit),
                rangeScalar("delta" + counter++, t, delta));
        Tensor y = new Tensor("t" + counter++, Shape.of(n), t, null, quant(t), false);
        return new Case(
                "RANGE " + t + " " + start + " to " + limit + " by " + delta,
                model(OpType.RANGE, OpAttributes.None.INSTANCE, List.of(), ins, List.of(y)));
    }

    /**
     * RANGE in the types TFLite 2.21 registers (int32, int64, float32), bit-exact with TFLite on both paths:
     * rising and falling sequences, a step that does not divide the span, an empty one (start = limit), and long
     * float sequences whose accumulated rounding (y[i+1] = y[i] + delta) differs from start + i·delta.
     */
    @TestFactory
    Stream<DynamicTest> rangeBitExactWithTfliteOnBothPaths() {
        List<Case> cases = new ArrayList<>();
        for (DType t : new DType[] {DType.INT32, DType.INT64}) {
            cases.add(rangeCase(t, 0, 7, 1, 7));
            cases.add(rangeCase(t, 3, -8, -3, 4));
            cases.add(rangeCase(t, -5, 5, 4, 3));
            cases.add(rangeCase(t, 2, 2, 1, 0));
            for (int k = 0; k < SHAPES; k++) {
                int start = random.nextInt(200) - 100;
                int delta = (1 + random.nextInt(9)) * (random.nextBoolean() ? 1 : -1);
                int limit = start + delta * random.nextInt(30) + (delta > 0 ? 1 : -1) * random.nextInt(Math.abs(delta));
                int n = DataMovementShapes.rangeLength(
                        List.of(rangeScalar("a", t, start), rangeScalar("b", t, limit), rangeScalar("c", t, delta)));
                cases.add(rangeCase(t, start, limit, delta, n));
            }
        }
        cases.add(rangeCase(DType.FLOAT32, 0, 1, 0.25, 4));
        cases.add(rangeCase(DType.FLOAT32, 1.5, -2, -0.5, 7));
        cases.add(rangeCase(DType.FLOAT32, 0.1, 100.05, 0.1, 1000)); // ⌈99.95 / 0.1⌉ in float
        cases.add(rangeCase(DType.FLOAT32, -3, 4.3, 0.7, 11));
        for (Case c : cases) {
            // the count the case was built with is the one Quanta infers
            Op range = c.model().ops().get(0);
            assertThat(DataMovementShapes.rangeLength(range.inputs()))
                    .as(c.name())
                    .isEqualTo(range.output(0).shape().dim(0));
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    /**
     * RANGE in any other type (TFLite has no quantized RANGE), with mixed types, a zero delta or a delta pointing
     * away from the limit: TFLite refuses the model, and Quanta's reader refuses it in one line naming the op.
     */
    @Test
    void rangeTfliteRefusesIsRefused() throws Exception {
        List<Case> bad = new ArrayList<>();
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16, DType.BOOL, DType.UINT32}) {
            bad.add(rangeCase(t, 0, 1, 1, 1));
        }
        bad.add(rangeCase(DType.INT32, 0, 5, 0, 5));
        bad.add(rangeCase(DType.INT32, 0, 5, -1, 5));
        bad.add(rangeCase(DType.FLOAT32, 5, 0, 0.5, 10));
        List<Tensor> mixed = List.of(
                rangeScalar("s", DType.INT32, 0), rangeScalar("l", DType.FLOAT32, 3), rangeScalar("d", DType.INT32, 1));
        bad.add(new Case(
                "RANGE int32, float32, int32",
                model(
                        OpType.RANGE,
                        OpAttributes.None.INSTANCE,
                        List.of(),
                        mixed,
                        List.of(new Tensor("y", Shape.of(3), DType.INT32, null, null, false)))));
        for (Case c : bad) {
            byte[] bytes = TfliteWriter.toBytes(c.model());
            assertThatThrownBy(() -> {
                        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
                            oracle.invoke();
                        }
                    })
                    .as("TFLite refuses " + c.name())
                    .isInstanceOf(RuntimeException.class);
            assertThatThrownBy(() -> TfliteReader.read(bytes, Path.of("range.tflite")))
                    .as("Quanta refuses " + c.name())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("range.tflite")
                    .hasMessageContaining("RANGE")
                    .hasMessageNotContaining("\n");
        }
    }

    /**
     * RANGE of computed scalars (graph inputs): TFLite sizes its output when it runs; Quanta fixes every shape when
     * it loads a model, so its reader refuses the file in one line naming the op and the computed input.
     */
    @Test
    void rangeOfComputedInputsRunsInTfliteButIsRefusedByQuanta() throws Exception {
        List<Tensor> ins = new ArrayList<>();
        for (String name : new String[] {"start", "limit", "delta"}) {
            ins.add(new Tensor(name, Shape.of(), DType.INT32, null, null, false));
        }
        Tensor y = new Tensor("y", Shape.of(4), DType.INT32, null, null, false);
        Model m = model(OpType.RANGE, OpAttributes.None.INSTANCE, ins, ins, List.of(y));
        byte[] bytes = TfliteWriter.toBytes(m);
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            oracle.setInput(0, new int[] {1});
            oracle.setInput(1, new int[] {9});
            oracle.setInput(2, new int[] {2});
            oracle.invoke();
            assertThat(oracle.outputInt32(0)).containsExactly(1, 3, 5, 7);
        }
        assertThatThrownBy(() -> TfliteReader.read(bytes, Path.of("range.tflite")))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("range.tflite")
                .hasMessageContaining("RANGE")
                .hasMessageContaining("computed")
                .hasMessageNotContaining("\n");
    }

    /** An index outside the axis is an error naming the op in Quanta, and TFLite refuses it too. */
    @Test
    void outOfRangeIndicesAreRefusedLikeTflite() throws Exception {
        for (int bad : new int[] {5, -1}) {
            Tensor x = tensor(DType.FLOAT32, 3, 5);
            Tensor idx = constantIndices(DType.INT32, new int[] {2}, new long[] {1, bad});
            OpAttributes.Gather a = new OpAttributes.Gather(1, 0);
            Tensor y = tensor(DType.FLOAT32, 3, 2);
            assertRefused(model(OpType.GATHER, a, List.of(x), List.of(x, idx), List.of(y)), "GATHER index " + bad);
            Tensor p = tensor(DType.FLOAT32, 4, 5, 2);
            Tensor nd = constantIndices(DType.INT64, new int[] {3, 2}, new long[] {0, 0, bad, 3, 1, 1});
            Tensor z = tensor(DType.FLOAT32, 3, 2);
            assertRefused(
                    model(OpType.GATHER_ND, OpAttributes.None.INSTANCE, List.of(p), List.of(p, nd), List.of(z)),
                    "GATHER_ND index " + bad);
        }
    }

    /**
     * Files whose attributes do not fit the input (written by Quanta's writer, which does not check them) are
     * refused by the reader with one line naming the file, the operator and what is wrong.
     */
    @Test
    void attributesThatDoNotFitTheInputAreRefusedByTheReader() {
        record Bad(OpType type, OpAttributes a, int[] in, String message) {}
        List<Bad> bad = List.of(
                new Bad(OpType.SPLIT, new OpAttributes.Split(0, 3), new int[] {4, 3}, "into 3 equal parts"),
                new Bad(
                        OpType.SPLIT_V,
                        new OpAttributes.SplitV(0, new int[] {1, 1}),
                        new int[] {4, 3},
                        "do not add up to 4"),
                new Bad(OpType.UNPACK, new OpAttributes.Unpack(1, 2), new int[] {4, 3}, "gives num 2"),
                new Bad(
                        OpType.SLICE,
                        new OpAttributes.Slice(new int[] {3, 0}, new int[] {2, 3}),
                        new int[] {4, 3},
                        "is outside axis 0"),
                new Bad(
                        OpType.MIRROR_PAD,
                        new OpAttributes.MirrorPad(new int[][] {{3, 0}, {0, 0}}, false),
                        new int[] {3, 3},
                        "is more than 2"),
                new Bad(OpType.DEPTH_TO_SPACE, new OpAttributes.BlockSize(2), new int[] {1, 2, 2, 3}, "block 2"),
                new Bad(
                        OpType.SPACE_TO_BATCH_ND,
                        new OpAttributes.SpaceBatch(new int[] {2}, new int[][] {{0, 0}}),
                        new int[] {1, 3, 2},
                        "not a multiple of the block 2"),
                new Bad(OpType.SQUEEZE, new OpAttributes.Squeeze(new int[] {0}), new int[] {4, 3}, "not of size 1"));
        for (Bad b : bad) {
            Tensor x = tensor(DType.FLOAT32, b.in());
            List<Tensor> outs = new ArrayList<>();
            for (int k = 0; k < (b.type() == OpType.SPLIT_V || b.type() == OpType.UNPACK ? 2 : 1); k++) {
                outs.add(tensor(DType.FLOAT32, b.in()));
            }
            if (b.type() == OpType.SPLIT) {
                outs.add(tensor(DType.FLOAT32, b.in()));
                outs.add(tensor(DType.FLOAT32, b.in()));
            }
            byte[] bytes = TfliteWriter.toBytes(model(b.type(), b.a(), List.of(x), List.of(x), outs));
            assertThatThrownBy(() -> TfliteReader.read(bytes, Path.of("bad.tflite")))
                    .as(b.type().name())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("bad.tflite")
                    .hasMessageContaining(b.type().name())
                    .hasMessageContaining(b.message())
                    .hasMessageNotContaining("\n");
        }
    }

    /**
     * A GATHER_ND index outside its axis whose flat position still falls inside params: TFLite 2.21 checks only
     * the flat position and reads there; Quanta refuses it, as every out-of-range index.
     */
    @Test
    void gatherNdIndexOutsideItsAxisButInsideTheTensor() throws Exception {
        Tensor p = tensor(DType.FLOAT32, 4, 5, 2);
        Tensor nd = constantIndices(DType.INT32, new int[] {1, 2}, new long[] {1, 7});
        Tensor z = tensor(DType.FLOAT32, 1, 2);
        Model m = model(OpType.GATHER_ND, OpAttributes.None.INSTANCE, List.of(p), List.of(p, nd), List.of(z));
        byte[] bytes = TfliteWriter.toBytes(m);
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
        }
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            oracle.setInput(0, x);
            oracle.invoke();
            assertThat(oracle.outputFloat(0)).containsExactly(24f, 25f); // flat position 1·10 + 7·2
        }
        Model read = TfliteReader.read(bytes, Path.of("nd.tflite"));
        try (Interpreter quanta = new Interpreter(read)) {
            quanta.resizeInput(0, new int[] {4, 5, 2});
            assertThatThrownBy(() -> quanta.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {new float[2]}))
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("GATHER_ND index 7 (element 1 of the indices) is outside [0, 5)");
        }
    }

    /**
     * Types TFLite 2.21's kernels do not register for an op (SPLIT, SPLIT_V and PACK bool, UNPACK int64, GATHER
     * uint32): TFLite refuses the model, and so does Quanta, naming the op.
     */
    @Test
    void typesTfliteRefusesAreRefused() throws Exception {
        List<Case> refused = List.of(
                gather(DType.UINT32, DType.INT32, 0, false),
                multi(OpType.SPLIT, new OpAttributes.Split(1, 3), DType.BOOL, new int[] {2, 3}),
                multi(OpType.SPLIT_V, new OpAttributes.SplitV(0, new int[] {1, 3}), DType.BOOL, new int[] {4, 3}),
                multi(OpType.UNPACK, new OpAttributes.Unpack(1, 3), DType.INT64, new int[] {2, 3}));
        Tensor b1 = tensor(DType.BOOL, 2, 3);
        Tensor b2 = tensor(DType.BOOL, 2, 3);
        OpAttributes.Pack pa = new OpAttributes.Pack(0);
        refused = new ArrayList<>(refused);
        refused.add(new Case(
                "PACK BOOL",
                model(OpType.PACK, pa, List.of(b1, b2), List.of(b1, b2), List.of(tensor(DType.BOOL, 2, 2, 3)))));
        for (Case c : refused) {
            byte[] bytes = TfliteWriter.toBytes(c.model());
            assertThatThrownBy(() -> {
                        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
                            for (int i = 0; i < c.model().inputs().size(); i++) {
                                oracle.setInput(
                                        i, randomValues(c.model().inputs().get(i), c.model()));
                            }
                            oracle.invoke();
                        }
                    })
                    .as("TFLite refuses " + c.name())
                    .isInstanceOf(RuntimeException.class);
            Model read = TfliteReader.read(bytes, Path.of("refused.tflite"));
            Op op = read.ops().stream()
                    .filter(o -> o.type() != OpType.CAST)
                    .findFirst()
                    .orElseThrow();
            assertThatThrownBy(() -> {
                        try (Interpreter quanta = new Interpreter(read)) {
                            quanta.resizeInput(
                                    0, c.model().inputs().get(0).shape().dims());
                            quanta.tensorShape(read.outputs().get(0));
                        }
                    })
                    .as("Quanta refuses " + c.name())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining(op.type().name());
        }
    }

    private void assertRefused(Model m, String message) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(m);
        Model read = TfliteReader.read(bytes, Path.of("bad.tflite"));
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            oracle.setInput(0, new float[oracle.inputLength(0)]);
            assertThatThrownBy(oracle::invoke).as("TFLite refuses " + message).isInstanceOf(RuntimeException.class);
        }
        try (Interpreter quanta = new Interpreter(read)) {
            quanta.resizeInput(0, m.inputs().get(0).shape().dims());
            float[] in = new float[Math.toIntExact(m.inputs().get(0).shape().elementCount())];
            float[] out = new float[Math.toIntExact(m.outputs().get(0).shape().elementCount())];
            assertThatThrownBy(() -> quanta.runForMultipleInputsOutputs(new Object[] {in}, new Object[] {out}))
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining(message)
                    .hasMessageNotContaining("\n");
        }
    }

    // ------------------------------------------------------------------ cases

    private int[] randomShape(int minRank) {
        int rank = minRank + random.nextInt(4 - minRank + 1);
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = 1 + random.nextInt(4);
        }
        return d;
    }

    /** A random axis of a rank, negative half of the time. */
    private int randomAxis(int rank) {
        int a = random.nextInt(rank);
        return random.nextBoolean() ? a - rank : a;
    }

    private Case split(DType t) {
        int[] shape = randomShape(1);
        int axis = randomAxis(shape.length);
        int parts = 1 + random.nextInt(3);
        shape[Math.floorMod(axis, shape.length)] = parts * (1 + random.nextInt(3));
        return multi(OpType.SPLIT, new OpAttributes.Split(axis, parts), t, shape);
    }

    private Case splitV(DType t) {
        int[] shape = randomShape(1);
        int axis = randomAxis(shape.length);
        int parts = 1 + random.nextInt(3);
        int[] sizes = new int[parts];
        int total = 0;
        for (int i = 0; i < parts; i++) {
            sizes[i] = random.nextInt(4);
            total += sizes[i];
        }
        shape[Math.floorMod(axis, shape.length)] = Math.max(1, total);
        if (total == 0) {
            sizes[0] = 1;
        }
        if (parts > 1 && random.nextBoolean()) {
            sizes[random.nextInt(parts)] = -1;
        }
        return multi(OpType.SPLIT_V, new OpAttributes.SplitV(axis, sizes), t, shape);
    }

    private Case unpack(DType t) {
        int[] shape = randomShape(1);
        int axis = randomAxis(shape.length);
        return multi(OpType.UNPACK, new OpAttributes.Unpack(axis, shape[Math.floorMod(axis, shape.length)]), t, shape);
    }

    private Case multi(OpType type, OpAttributes a, DType t, int[] shape) {
        Tensor x = tensor(t, shape);
        List<Tensor> outs = new ArrayList<>();
        for (Shape s : DataMovementShapes.inferAll(type, a, List.of(x))) {
            outs.add(tensor(t, s.dims()));
        }
        return new Case(
                type + " " + t + " " + Arrays.toString(shape) + " " + describe(a),
                model(type, a, List.of(x), List.of(x), outs));
    }

    private Case pack(DType t) {
        int[] shape = randomShape(0);
        int n = 1 + random.nextInt(3);
        int axis = randomAxis(shape.length + 1);
        List<Tensor> xs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            xs.add(tensor(t, shape));
        }
        OpAttributes.Pack a = new OpAttributes.Pack(axis);
        Tensor y = tensor(t, ShapeInference.infer(OpType.PACK, a, xs).dims());
        return new Case(
                "PACK " + t + " " + n + " x " + Arrays.toString(shape) + " axis " + axis,
                model(OpType.PACK, a, xs, xs, List.of(y)));
    }

    private Case gather(DType t, DType indexType, int batchDims, boolean runtimeIndices) {
        int[] shape = randomShape(1 + batchDims);
        int axis = batchDims + random.nextInt(shape.length - batchDims);
        int[] is = new int[batchDims + random.nextInt(3)];
        for (int i = 0; i < is.length; i++) {
            is[i] = i < batchDims ? shape[i] : 1 + random.nextInt(4);
        }
        long[] values = new long[Arrays.stream(is).reduce(1, (p, q) -> p * q)];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(shape[axis]);
        }
        Tensor x = tensor(t, shape);
        Tensor idx = runtimeIndices
                ? new Tensor("indices" + counter++, Shape.of(is), indexType, null, null, false)
                : constantIndices(indexType, is, values);
        int writtenAxis = random.nextBoolean() ? axis - shape.length : axis;
        OpAttributes.Gather a = new OpAttributes.Gather(writtenAxis, batchDims);
        Tensor y = tensor(
                t, ShapeInference.infer(OpType.GATHER, a, List.of(x, idx)).dims());
        List<Tensor> graphInputs = runtimeIndices ? List.of(x, idx) : List.of(x);
        return new Case(
                "GATHER " + t + " " + Arrays.toString(shape) + " indices " + indexType + " " + Arrays.toString(is)
                        + (runtimeIndices ? " (graph input)" : "") + " axis " + writtenAxis + " batch_dims "
                        + batchDims,
                model(OpType.GATHER, a, graphInputs, List.of(x, idx), List.of(y)));
    }

    private Case gatherNd(DType t, DType indexType) {
        int[] shape = randomShape(1);
        int depth = 1 + random.nextInt(shape.length);
        int[] is = new int[1 + random.nextInt(2)];
        for (int i = 0; i < is.length - 1; i++) {
            is[i] = 1 + random.nextInt(4);
        }
        is[is.length - 1] = depth;
        long[] values = new long[Arrays.stream(is).reduce(1, (p, q) -> p * q)];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextInt(shape[i % depth]);
        }
        Tensor x = tensor(t, shape);
        Tensor idx = constantIndices(indexType, is, values);
        Tensor y = tensor(
                t,
                ShapeInference.infer(OpType.GATHER_ND, OpAttributes.None.INSTANCE, List.of(x, idx))
                        .dims());
        return new Case(
                "GATHER_ND " + t + " " + Arrays.toString(shape) + " indices " + indexType + " " + Arrays.toString(is),
                model(OpType.GATHER_ND, OpAttributes.None.INSTANCE, List.of(x), List.of(x, idx), List.of(y)));
    }

    private static String describe(OpAttributes a) {
        return switch (a) {
            case OpAttributes.Split s -> "axis " + s.axis() + " num_splits " + s.numSplits();
            case OpAttributes.SplitV s -> "axis " + s.axis() + " size_splits " + Arrays.toString(s.sizes());
            case OpAttributes.Unpack u -> "axis " + u.axis() + " num " + u.num();
            default -> a.toString();
        };
    }

    // ------------------------------------------------------------------ model building

    /** The parameters every quantized tensor of a case shares (data movement keeps them). */
    private static QuantParams quant(DType t) {
        return switch (t) {
            case INT8 -> QuantParams.perTensor(0.05f, -3);
            case UINT8 -> QuantParams.perTensor(0.05f, 131);
            case INT16 -> QuantParams.perTensor(0.001f, 0);
            default -> null;
        };
    }

    private Tensor tensor(DType type, int... dims) {
        return new Tensor("t" + (counter++), Shape.of(dims), type, null, quant(type), false);
    }

    private Tensor constantIndices(DType type, int[] dims, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            if (type == DType.INT64) {
                b.putLong(v);
            } else {
                b.putInt((int) v);
            }
        }
        return new Tensor(
                "indices" + (counter++), Shape.of(dims), type, TensorData.ofBytes(type, b.array()), null, false);
    }

    private static Op op(OpType type, OpAttributes attrs, List<Tensor> ins, List<Tensor> outs) {
        String name = outs.get(0).name();
        return new Op(name, type, ins, outs, attrs, new Origin(name, type.name()));
    }

    /**
     * A model of one op; INT64 graph inputs and outputs of the op are reached through CASTs from and to INT32
     * (the graph's tensors), as the oracle takes no int64 arrays.
     */
    private Model model(
            OpType type, OpAttributes a, List<Tensor> graphInputs, List<Tensor> opInputs, List<Tensor> outs) {
        List<Op> ops = new ArrayList<>();
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> ins = new ArrayList<>(opInputs);
        for (Tensor g : graphInputs) {
            if (g.dtype() != DType.INT64) {
                inputs.add(g);
                continue;
            }
            Tensor i32 = new Tensor(g.name() + "_i32", g.shape(), DType.INT32, null, null, false);
            inputs.add(i32);
            ops.add(op(OpType.CAST, OpAttributes.None.INSTANCE, List.of(i32), List.of(g)));
        }
        ops.add(op(type, a, ins, outs));
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor o : outs) {
            if (o.dtype() != DType.INT64) {
                outputs.add(o);
                continue;
            }
            Tensor i32 = new Tensor(o.name() + "_i32", o.shape(), DType.INT32, null, null, false);
            ops.add(op(OpType.CAST, OpAttributes.None.INSTANCE, List.of(o), List.of(i32)));
            outputs.add(i32);
        }
        return new Model("m", inputs, outputs, ops, ModelMetadata.inMemory());
    }

    // ------------------------------------------------------------------ running

    private void check(Case c) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of(c.name() + ".tflite"));
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels, 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                List<Tensor> inputs = c.model().inputs();
                for (int i = 0; i < inputs.size(); i++) { // the reader makes the batch dynamic
                    quanta.resizeInput(i, inputs.get(i).shape().dims());
                }
                for (int s = 0; s < SAMPLES; s++) {
                    Object[] ins = new Object[inputs.size()];
                    for (int i = 0; i < ins.length; i++) {
                        ins[i] = randomValues(inputs.get(i), c.model());
                        oracle.setInput(i, ins[i]);
                    }
                    oracle.invoke();
                    List<Tensor> outputs = c.model().outputs();
                    Object[] got = new Object[outputs.size()];
                    for (int k = 0; k < got.length; k++) {
                        got[k] = Buffers.allocate(
                                outputs.get(k).dtype(),
                                Math.toIntExact(outputs.get(k).shape().elementCount()));
                    }
                    quanta.runForMultipleInputsOutputs(ins, got);
                    for (int k = 0; k < got.length; k++) {
                        if (Buffers.length(got[k]) == 0) {
                            continue; // an empty part (SPLIT_V size 0): TFLite allocates no data for it
                        }
                        assertThat(got[k])
                                .as(c.name() + " " + path + " sample " + s + " output " + k)
                                .isEqualTo(oracle.outputLike(k, got[k]));
                    }
                }
            }
        }
    }

    /** Values over the type's whole range; booleans 0 or 1; run-time indices inside the gathered axis. */
    private Object randomValues(Tensor t, Model m) {
        int n = Math.toIntExact(t.shape().elementCount());
        Object a = Buffers.allocate(t.dtype(), n);
        boolean indices = t.name().startsWith("indices");
        int bound = indices
                ? m.ops()
                        .get(m.ops().size() - 1)
                        .input(0)
                        .shape()
                        .dim(m.ops()
                                .get(m.ops().size() - 1)
                                .attrs(OpAttributes.Gather.class)
                                .axis())
                : 0;
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case FLOAT32 -> ((float[]) a)[i] = (float) ((random.nextDouble() - 0.5) * 2000);
                case UINT32 -> ((int[]) a)[i] = random.nextInt();
                case INT32 -> ((int[]) a)[i] = indices ? random.nextInt(bound) : random.nextInt();
                case INT16 -> ((short[]) a)[i] = (short) random.nextInt();
                case INT8, UINT8 -> ((byte[]) a)[i] = (byte) random.nextInt();
                case BOOL -> ((byte[]) a)[i] = (byte) random.nextInt(2);
                default -> throw new IllegalArgumentException(t.dtype().name());
            }
        }
        return a;
    }
}
