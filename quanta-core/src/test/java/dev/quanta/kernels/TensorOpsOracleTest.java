package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The type-generic ops (elementwise {@code PlainArithmetic} and shape {@code PlainCopies}: CAST, STRIDED_SLICE,
 * MUL, DIV, MINIMUM, MAXIMUM, and int32 ADD and CONCATENATION, the ops around tflite-micro's audio front end) against the official runtime: seeded single-op
 * models written by Quanta's writer, read back by its reader, run by Quanta's interpreter and by TFLite's built-in
 * kernels on the same random inputs (integers over their whole range, so that casts wrap and products overflow).
 * Every output must be bit-exact.
 */
@UsesOracle
class TensorOpsOracleTest {
    private static final int SAMPLES = 3;

    private record Case(String name, Model model) {}

    private final Random random = new Random(20261127L);
    private int counter;

    @TestFactory
    Stream<DynamicTest> bitExactWithTheBuiltinKernels() {
        List<Case> cases = new ArrayList<>();
        DType[][] casts = {
            {DType.INT16, DType.INT32},
            {DType.INT32, DType.INT8},
            {DType.INT32, DType.INT16},
            {DType.UINT32, DType.INT32},
            {DType.INT32, DType.UINT32},
            {DType.FLOAT32, DType.INT32},
            {DType.INT32, DType.FLOAT32},
            {DType.INT16, DType.FLOAT32},
            {DType.INT8, DType.INT32},
            {DType.INT32, DType.INT32}
        };
        for (DType[] c : casts) {
            Tensor x = input(c[0], 3, 7);
            cases.add(unary(
                    "CAST " + c[0] + " -> " + c[1], OpType.CAST, OpAttributes.None.INSTANCE, x, tensor(c[1], 3, 7)));
        }
        // the audio front end's slice: bins 5..240 of 257
        cases.add(slice(DType.INT32, new int[] {257}, new int[] {5}, new int[] {241}, new int[] {1}, 0, 0, 0));
        cases.add(slice(
                DType.FLOAT32,
                new int[] {4, 6, 5},
                new int[] {1, -1, 0},
                new int[] {3, 0, 5},
                new int[] {1, -2, 2},
                0,
                0,
                0));
        cases.add(slice(
                DType.INT32,
                new int[] {4, 6, 5},
                new int[] {0, 2, 1},
                new int[] {0, 5, 4},
                new int[] {1, 1, 1},
                0b101,
                0b001,
                0));
        cases.add(slice(
                DType.INT8,
                new int[] {4, 6, 5},
                new int[] {2, 0, -3},
                new int[] {3, 6, -1},
                new int[] {1, 3, 1},
                0,
                0,
                0b001));
        cases.add(slice(DType.FLOAT32, new int[] {9}, new int[] {-1}, new int[] {0}, new int[] {-1}, 0, 0b1, 0));
        for (DType t : new DType[] {DType.INT32, DType.FLOAT32}) {
            for (OpType type : new OpType[] {OpType.MUL, OpType.DIV, OpType.MINIMUM, OpType.MAXIMUM, OpType.ADD}) {
                cases.add(binary(type, t, new int[] {2, 3, 5}, new int[] {2, 3, 5}, Activation.NONE));
                cases.add(binary(type, t, new int[] {2, 3, 5}, new int[] {5}, Activation.NONE));
                cases.add(binary(type, t, new int[] {4, 1}, new int[] {}, Activation.NONE));
            }
            cases.add(binary(OpType.MUL, t, new int[] {3, 4}, new int[] {3, 4}, Activation.RELU));
            cases.add(binary(OpType.ADD, t, new int[] {3, 4}, new int[] {4}, Activation.RELU6));
        }
        cases.add(concat(DType.INT32, new int[] {5}, new int[] {236}, new int[] {16}));
        cases.add(concat(DType.INT32, new int[] {2, 3}, new int[] {2, 4}));
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    private void check(Case c) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of(c.name() + ".tflite"));
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1);
                Interpreter quanta = new Interpreter(read)) {
            for (int i = 0; i < read.inputs().size(); i++) { // the reader makes the batch dynamic
                quanta.resizeInput(i, c.model().inputs().get(i).shape().dims());
            }
            for (int s = 0; s < SAMPLES; s++) {
                Object[] ins = new Object[read.inputs().size()];
                for (int i = 0; i < ins.length; i++) {
                    ins[i] = randomValues(
                            c.model().inputs().get(i), c.model().ops().get(0).type());
                    oracle.setInput(i, ins[i]);
                }
                oracle.invoke();
                Tensor out = c.model().outputs().get(0);
                Object got = Buffers.allocate(
                        out.dtype(), Math.toIntExact(out.shape().elementCount()));
                quanta.runForMultipleInputsOutputs(ins, new Object[] {got});
                Object want = oracle.outputLike(0, got);
                assertThat(got).as(c.name() + " sample " + s).isEqualTo(want);
            }
        }
    }

    /** Values over the type's whole range; DIV divisors are never 0, floats span ±1000 with fractions. */
    private Object randomValues(Tensor t, OpType op) {
        int n = Math.toIntExact(t.shape().elementCount());
        Object a = Buffers.allocate(t.dtype(), n);
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case FLOAT32 -> ((float[]) a)[i] = (float) ((random.nextDouble() - 0.5) * 2000);
                case INT32, UINT32 -> {
                    int v = random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(2001) - 1000;
                    ((int[]) a)[i] = op == OpType.DIV && v == 0 ? 7 : v;
                }
                case INT16 -> ((short[]) a)[i] = (short) random.nextInt();
                case INT8, UINT8 -> ((byte[]) a)[i] = (byte) random.nextInt();
                default -> throw new IllegalArgumentException(t.dtype().name());
            }
        }
        return a;
    }

    private Tensor tensor(DType type, int... dims) {
        return new Tensor("t" + (counter++), Shape.of(dims), type, null, null, false);
    }

    private Tensor input(DType type, int... dims) {
        return tensor(type, dims);
    }

    private static Op op(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        return new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin(out.name(), type.name()));
    }

    private static Case unary(String name, OpType type, OpAttributes attrs, Tensor x, Tensor y) {
        Op op = op(type, attrs, y, x);
        return new Case(name, new Model("m", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory()));
    }

    private Case slice(
            DType t, int[] shape, int[] begin, int[] end, int[] strides, int beginMask, int endMask, int shrinkMask) {
        OpAttributes.StridedSlice a =
                new OpAttributes.StridedSlice(begin, end, strides, beginMask, endMask, shrinkMask, false);
        Tensor x = input(t, shape);
        Shape out = ShapeInference.stridedSlice(x.shape(), a).shape();
        return unary(
                "STRIDED_SLICE " + t + " " + java.util.Arrays.toString(shape) + " begin "
                        + java.util.Arrays.toString(begin) + " end " + java.util.Arrays.toString(end) + " strides "
                        + java.util.Arrays.toString(strides) + " masks " + beginMask + "/" + endMask + "/" + shrinkMask,
                OpType.STRIDED_SLICE,
                a,
                x,
                tensor(t, out.dims()));
    }

    private Case binary(OpType type, DType t, int[] a, int[] b, Activation act) {
        Tensor x = input(t, a);
        Tensor y = input(t, b);
        Tensor z = tensor(t, ShapeInference.broadcast(x.shape(), y.shape()).dims());
        OpAttributes attrs = switch (type) {
            case MUL, DIV -> new OpAttributes.Arithmetic(act);
            case ADD -> new OpAttributes.Add(act);
            default -> OpAttributes.None.INSTANCE;
        };
        Op op = op(type, attrs, z, x, y);
        return new Case(
                type + " " + t + " " + java.util.Arrays.toString(a) + " " + java.util.Arrays.toString(b) + " " + act,
                new Model("m", List.of(x, y), List.of(z), List.of(op), ModelMetadata.inMemory()));
    }

    private Case concat(DType t, int[]... shapes) {
        List<Tensor> ins = new ArrayList<>();
        for (int[] s : shapes) {
            ins.add(input(t, s));
        }
        int axis = shapes[0].length - 1;
        Tensor z = tensor(
                t,
                ShapeInference.infer(OpType.CONCATENATION, new OpAttributes.Concatenation(axis, Activation.NONE), ins)
                        .dims());
        Op op = op(
                OpType.CONCATENATION,
                new OpAttributes.Concatenation(axis, Activation.NONE),
                z,
                ins.toArray(Tensor[]::new));
        return new Case(
                "CONCATENATION " + t + " axis " + axis + " " + shapes.length + " inputs",
                new Model("m", ins, List.of(z), List.of(op), ModelMetadata.inMemory()));
    }
}
