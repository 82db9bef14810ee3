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
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.testing.UsesOracle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The element-wise ops of issue 11 (SUB, quantized MUL, the unary math ops, SQUARED_DIFFERENCE, FLOOR_DIV,
 * FLOOR_MOD, POW, the comparisons, SELECT, SELECT_V2, the logical ops) against TFLite 2.21 on both paths: seeded
 * random single-op models with random shapes (broadcasting included) and activations, written by Quanta's writer,
 * read back by its reader and run by its interpreter. Integer and BOOL outputs must be bit-exact with the same
 * path; float outputs within 1e-5 of the output's range (exact for the exact ops). A combination TFLite refuses
 * must be refused by Quanta too.
 */
@UsesOracle
class ElementwiseOpsOracleTest {
    private static final int CASES = 8;
    private final Random random = new Random(20261202L);
    private int counter;

    private record Case(String name, Model model, double tolerance) {}

    @TestFactory
    Stream<DynamicTest> sub() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType t : new DType[] {DType.FLOAT32, DType.INT32, DType.INT64, DType.INT8, DType.UINT8, DType.INT16}) {
            tests.add(test("SUB " + t, () -> binary(OpType.SUB, t, quantizedType(t), true)));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> quantizedMul() {
        List<DynamicTest> tests = new ArrayList<>();
        for (DType t : new DType[] {DType.INT8, DType.UINT8, DType.INT16}) {
            tests.add(test("MUL " + t, () -> binary(OpType.MUL, t, true, true)));
        }
        return tests.stream();
    }

    /**
     * Every pair of 8-bit values (a [256, 1] against b [1, 256]) for random parameters: enough products and sums to
     * separate XNNPACK's arithmetic from the built-in kernels' on each path.
     */
    @TestFactory
    Stream<DynamicTest> everyEightBitPair() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.SUB, OpType.MUL, OpType.SQUARED_DIFFERENCE}) {
            for (DType t : new DType[] {DType.INT8, DType.UINT8}) {
                if (op == OpType.SQUARED_DIFFERENCE && t == DType.UINT8) {
                    continue;
                }
                tests.add(DynamicTest.dynamicTest(op + " " + t + " every pair", () -> {
                    for (int k = 0; k < 3; k++) {
                        Case c = allPairs(op, t);
                        for (QuantizedPath path : QuantizedPath.values()) {
                            byte[] a = new byte[256];
                            for (int i = 0; i < 256; i++) {
                                a[i] = (byte) i;
                            }
                            ElementwiseOracle.Outcome o = ElementwiseOracle.run(c.model(), path, new Object[] {a, a});
                            assertThat(o.agree(0))
                                    .as(c.name() + " on " + path + ": " + o)
                                    .isTrue();
                            assertThat(o.delegated())
                                    .as(c.name())
                                    .isEqualTo(path == QuantizedPath.XNNPACK && op != OpType.SQUARED_DIFFERENCE);
                        }
                    }
                }));
            }
        }
        return tests.stream();
    }

    private Case allPairs(OpType type, DType t) {
        float sa = logUniform(0.01f, 0.2f);
        float sb = sa * logUniform(0.3f, 3f);
        float sy = type == OpType.MUL ? sa * sb * logUniform(20f, 300f) : Math.max(sa, sb) * logUniform(0.8f, 3f);
        if (type == OpType.SQUARED_DIFFERENCE) {
            sy = Math.max(sa, sb) * Math.max(sa, sb) * logUniform(30f, 300f);
        }
        Tensor a = tensor(t, params(t, sa), new int[] {256, 1});
        Tensor b = tensor(t, params(t, sb), new int[] {1, 256});
        Tensor y = tensor(t, params(t, sy), new int[] {256, 256});
        Activation act = Activation.values()[random.nextInt(3)];
        Op o = type == OpType.SQUARED_DIFFERENCE
                ? op(type, OpAttributes.None.INSTANCE, y, a, b)
                : op(type, new OpAttributes.Arithmetic(act), y, a, b);
        return new Case(
                type + " " + t + " " + a.quant() + ", " + b.quant() + " -> " + y.quant() + " " + act,
                new Model("m", List.of(a, b), List.of(y), List.of(o), ModelMetadata.inMemory()),
                0);
    }

    @TestFactory
    Stream<DynamicTest> binaryMath() {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(test(
                "SQUARED_DIFFERENCE FLOAT32", () -> binary(OpType.SQUARED_DIFFERENCE, DType.FLOAT32, false, false)));
        tests.add(test("SQUARED_DIFFERENCE INT32", () -> binary(OpType.SQUARED_DIFFERENCE, DType.INT32, false, false)));
        for (DType t : new DType[] {DType.FLOAT32, DType.INT32, DType.INT64, DType.INT16, DType.INT8}) {
            tests.add(test("FLOOR_DIV " + t, () -> binary(OpType.FLOOR_DIV, t, false, false)));
            tests.add(test("FLOOR_MOD " + t, () -> binary(OpType.FLOOR_MOD, t, false, false)));
        }
        tests.add(test("POW FLOAT32", () -> binary(OpType.POW, DType.FLOAT32, false, false)));
        tests.add(test("POW INT32", () -> binary(OpType.POW, DType.INT32, false, false)));
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> unaryMath() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {
            OpType.SQRT,
            OpType.RSQRT,
            OpType.EXP,
            OpType.LOG,
            OpType.FLOOR,
            OpType.CEIL,
            OpType.ROUND,
            OpType.ABS,
            OpType.NEG
        }) {
            tests.add(test(op + " FLOAT32", () -> unary(op, DType.FLOAT32)));
        }
        for (DType t : new DType[] {DType.INT32, DType.INT64}) {
            tests.add(test("ABS " + t, () -> unary(OpType.ABS, t)));
            tests.add(test("NEG " + t, () -> unary(OpType.NEG, t)));
        }
        tests.add(test("ABS INT16 unquantized", () -> unary(OpType.ABS, DType.INT16)));
        tests.add(test("ABS INT8 unquantized", () -> unary(OpType.ABS, DType.INT8)));
        tests.add(test("LOGICAL_NOT BOOL", () -> unary(OpType.LOGICAL_NOT, DType.BOOL)));
        return tests.stream();
    }

    /**
     * Quantized unary ops: ABS, SQRT, NEG (stored values), EXP, LOG and RSQRT (int8, int16) run; the uint8 forms
     * are refused by both. SQRT, RSQRT and LOG get inputs at or above the zero point.
     */
    @TestFactory
    Stream<DynamicTest> quantizedUnary() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.ABS, OpType.SQRT, OpType.RSQRT, OpType.EXP, OpType.LOG, OpType.NEG}) {
            for (DType t : new DType[] {DType.INT8, DType.INT16, DType.UINT8}) {
                tests.add(DynamicTest.dynamicTest("quantized " + op + " " + t, () -> {
                    for (int k = 0; k < CASES; k++) {
                        int[] d = dims();
                        QuantParams qx = params(t, logUniform(0.005f, 0.2f));
                        QuantParams qy = random.nextInt(4) == 0 ? qx : params(t, logUniform(0.005f, 0.2f));
                        Tensor x = tensor(t, qx, d);
                        Tensor y = tensor(t, qy, d);
                        Model m = new Model(
                                "m",
                                List.of(x),
                                List.of(y),
                                List.of(op(op, OpAttributes.None.INSTANCE, y, x)),
                                ModelMetadata.inMemory());
                        Object in = values(x, OpType.ABS, 0);
                        if (op == OpType.SQRT || op == OpType.RSQRT || op == OpType.LOG) {
                            int zp = (int) qx.zeroPoints()[0];
                            for (int i = 0; i < Buffers.length(in); i++) {
                                int v = Quant.get(in, t, i);
                                Quant.set(in, t, i, v < zp ? zp + (zp - v) % (Quant.qmax(t) - zp + 1) : v);
                            }
                        }
                        for (QuantizedPath path : QuantizedPath.values()) {
                            ElementwiseOracle.Outcome o = ElementwiseOracle.run(m, path, new Object[] {in});
                            String what = op + " " + t + " " + qx + " -> " + qy + " on " + path + ": " + o;
                            boolean runs = t != DType.UINT8;
                            if (runs) {
                                assertThat(o.agree(0)).as(what).isTrue();
                            } else {
                                assertThat(o.quantaError())
                                        .as("Quanta refuses " + what)
                                        .isNotNull();
                            }
                            if (k == 0 && path == QuantizedPath.BUILTIN) {
                                System.out.println("quantized unary: " + what);
                            }
                        }
                    }
                }));
            }
        }
        return tests.stream();
    }

    /**
     * Int8 RSQRT (TFLite's fixed-point inverse square root): every input value at or above the zero point for
     * twelve parameter pairs with scales from 10⁻⁴ to 2 (LayerNormalization's variances and outputs), bit-exact on
     * both paths; a value below the zero point (a negative input) is refused by both.
     */
    @TestFactory
    Stream<DynamicTest> int8RsqrtEveryInputWideParameters() {
        List<DynamicTest> tests = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            QuantParams qx = params(DType.INT8, logUniform(1e-4f, 2f));
            QuantParams qy = params(DType.INT8, logUniform(1e-4f, 2f));
            tests.add(DynamicTest.dynamicTest("RSQRT int8 " + qx + " -> " + qy, () -> {
                int zp = (int) qx.zeroPoints()[0];
                int n = 127 - zp + 1;
                Tensor x = tensor(DType.INT8, qx, new int[] {n});
                Tensor y = tensor(DType.INT8, qy, new int[] {n});
                byte[] in = new byte[n];
                for (int i = 0; i < n; i++) {
                    in[i] = (byte) (zp + i);
                }
                Model m = new Model(
                        "m",
                        List.of(x),
                        List.of(y),
                        List.of(op(OpType.RSQRT, OpAttributes.None.INSTANCE, y, x)),
                        ModelMetadata.inMemory());
                for (QuantizedPath path : QuantizedPath.values()) {
                    ElementwiseOracle.Outcome o = ElementwiseOracle.run(m, path, new Object[] {in});
                    assertThat(o.agree(0))
                            .as(qx + " -> " + qy + " on " + path + ": " + o)
                            .isTrue();
                }
                if (zp > -128) {
                    in[n - 1] = (byte) (zp - 1);
                    for (QuantizedPath path : QuantizedPath.values()) {
                        ElementwiseOracle.Outcome o = ElementwiseOracle.run(m, path, new Object[] {in});
                        assertThat(o.bothRefuse())
                                .as("negative input on " + path + ": " + o)
                                .isTrue();
                        assertThat(o.quantaError())
                                .contains("RSQRT of a negative value")
                                .doesNotContain("\n");
                    }
                }
            }));
        }
        return tests.stream();
    }

    /** Every input value (256 for int8, 65536 for int16) through the quantized unary kernels, random parameters. */
    @TestFactory
    Stream<DynamicTest> everyQuantizedUnaryInput() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {OpType.ABS, OpType.SQRT, OpType.EXP, OpType.LOG, OpType.RSQRT}) {
            for (DType t : new DType[] {DType.INT8, DType.INT16}) {
                tests.add(DynamicTest.dynamicTest(op + " " + t + " every input", () -> {
                    for (int k = 0; k < 3; k++) {
                        QuantParams qx = params(t, logUniform(0.0005f, 0.05f));
                        QuantParams qy = params(t, logUniform(0.0005f, 0.05f));
                        int zp = (int) qx.zeroPoints()[0];
                        boolean nonNegative = op == OpType.SQRT || op == OpType.RSQRT;
                        int from = nonNegative ? zp : Quant.qmin(t);
                        int n = Quant.qmax(t) - from + 1;
                        Tensor x = tensor(t, qx, new int[] {n});
                        Tensor y = tensor(t, qy, new int[] {n});
                        Object in = Buffers.allocate(t, n);
                        for (int i = 0; i < n; i++) {
                            Quant.set(in, t, i, from + i);
                        }
                        Model m = new Model(
                                "m",
                                List.of(x),
                                List.of(y),
                                List.of(op(op, OpAttributes.None.INSTANCE, y, x)),
                                ModelMetadata.inMemory());
                        for (QuantizedPath path : QuantizedPath.values()) {
                            ElementwiseOracle.Outcome o = ElementwiseOracle.run(m, path, new Object[] {in});
                            assertThat(o.agree(0))
                                    .as(op + " " + t + " " + qx + " -> " + qy + " on " + path + ": " + o)
                                    .isTrue();
                        }
                    }
                }));
            }
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> comparisons() {
        List<DynamicTest> tests = new ArrayList<>();
        for (OpType op : new OpType[] {
            OpType.LESS, OpType.LESS_EQUAL, OpType.GREATER, OpType.GREATER_EQUAL, OpType.EQUAL, OpType.NOT_EQUAL
        }) {
            for (DType t :
                    new DType[] {DType.FLOAT32, DType.INT32, DType.INT64, DType.INT16, DType.INT8, DType.UINT8}) {
                tests.add(test(op + " " + t, () -> binary(op, t, t == DType.INT8 || t == DType.UINT8, false)));
            }
            if (op == OpType.EQUAL || op == OpType.NOT_EQUAL) {
                tests.add(test(op + " BOOL", () -> binary(op, DType.BOOL, false, false)));
            }
        }
        tests.add(test("LOGICAL_AND BOOL", () -> binary(OpType.LOGICAL_AND, DType.BOOL, false, false)));
        tests.add(test("LOGICAL_OR BOOL", () -> binary(OpType.LOGICAL_OR, DType.BOOL, false, false)));
        for (DType t : new DType[] {DType.FLOAT32, DType.INT32, DType.INT8, DType.INT64, DType.BOOL}) {
            tests.add(test("SELECT " + t, () -> select(OpType.SELECT, t)));
            tests.add(test("SELECT_V2 " + t, () -> select(OpType.SELECT_V2, t)));
        }
        return tests.stream();
    }

    /**
     * TFLite 2.21's GREATER, LESS_EQUAL and NOT_EQUAL accept int16 but never write their output (their int16 case
     * goes to the 8-bit rescaling comparison, which does nothing for int16): Quanta refuses them.
     */
    private static boolean writesNothing(Op op) {
        OpType t = op.type();
        return op.input(0).dtype() == DType.INT16
                && (t == OpType.GREATER || t == OpType.LESS_EQUAL || t == OpType.NOT_EQUAL);
    }

    /** 8-bit SUB and MUL (with the scale ratios the generator makes, inside XNNPACK's ranges). */
    private static boolean xnnpackTakes(Op op) {
        DType t = op.input(0).dtype();
        return (op.type() == OpType.SUB || op.type() == OpType.MUL) && (t == DType.INT8 || t == DType.UINT8);
    }

    private static boolean quantizedType(DType t) {
        return t == DType.INT8 || t == DType.UINT8 || t == DType.INT16;
    }

    private interface Maker {
        Case make();
    }

    private DynamicTest test(String name, Maker maker) {
        return DynamicTest.dynamicTest(name, () -> {
            for (int k = 0; k < CASES; k++) {
                Case c = maker.make();
                for (QuantizedPath path : QuantizedPath.values()) {
                    Object[] ins = new Object[c.model().inputs().size()];
                    for (int i = 0; i < ins.length; i++) {
                        ins[i] = values(
                                c.model().inputs().get(i),
                                c.model().ops().get(0).type(),
                                i);
                    }
                    ElementwiseOracle.Outcome o = ElementwiseOracle.run(c.model(), path, ins);
                    String what = c.name() + " on " + path + ": " + o;
                    if (writesNothing(c.model().ops().get(0))) {
                        assertThat(o.quantaError())
                                .as("TFLite computes nothing, Quanta must refuse: " + what)
                                .isNotNull();
                    } else if (o.tfliteError() != null) {
                        assertThat(o.quantaError())
                                .as("TFLite refuses, Quanta must too: " + what)
                                .isNotNull();
                    } else {
                        assertThat(o.agree(c.tolerance())).as(what).isTrue();
                    }
                    if (path == QuantizedPath.XNNPACK
                            && xnnpackTakes(c.model().ops().get(0))) {
                        assertThat(o.delegated()).as("XNNPACK takes " + what).isTrue();
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------ models

    /** Random output dims, rank 1–4, each 1–5. */
    private int[] dims() {
        int rank = 1 + random.nextInt(4);
        int[] d = new int[rank];
        for (int i = 0; i < rank; i++) {
            d[i] = 1 + random.nextInt(5);
        }
        return d;
    }

    /** {@code d} with some axes set to 1 and possibly leading axes dropped (broadcast), or {@code d} itself. */
    private int[] broadcastOf(int[] d) {
        if (random.nextInt(3) == 0) {
            return d.clone();
        }
        int drop = random.nextInt(d.length);
        int[] b = Arrays.copyOfRange(d, drop, d.length);
        for (int i = 0; i < b.length; i++) {
            if (random.nextInt(3) == 0) {
                b[i] = 1;
            }
        }
        return b;
    }

    private float logUniform(float lo, float hi) {
        return (float) Math.exp(Math.log(lo) + random.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    private QuantParams params(DType t, float scale) {
        int zp = switch (t) {
            case INT8 -> random.nextInt(256) - 128;
            case UINT8 -> random.nextInt(256);
            default -> 0;
        };
        return QuantParams.perTensor(scale, zp);
    }

    private Tensor tensor(DType t, QuantParams q, int[] dims) {
        return new Tensor("t" + (counter++), Shape.of(dims), t, null, q, false);
    }

    private static Op op(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        return new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin(out.name(), type.name()));
    }

    private Case binary(OpType type, DType t, boolean quantized, boolean withActivation) {
        int[] d = dims();
        int[] da = random.nextBoolean() ? d : broadcastOf(d);
        int[] db = Arrays.equals(da, d) ? broadcastOf(d) : d;
        if (random.nextBoolean()) {
            int[] s = da;
            da = db;
            db = s;
        }
        float sa = logUniform(0.01f, 0.2f);
        float sb = sa * logUniform(0.3f, 3f);
        Tensor a = tensor(t, quantized ? params(t, sa) : null, da);
        Tensor b = tensor(t, quantized ? params(t, sb) : null, db);
        boolean comparison = type.name().contains("LESS")
                || type.name().contains("GREATER")
                || type.name().contains("EQUAL");
        DType outType = comparison ? DType.BOOL : t;
        float sy = type == OpType.MUL ? sa * sb * logUniform(20f, 300f) : Math.max(sa, sb) * logUniform(0.8f, 3f);
        if (type == OpType.MUL && t == DType.INT16) {
            sy = sa * sb * logUniform(2000f, 30000f);
        }
        Tensor y = tensor(
                outType,
                quantized && !comparison ? params(t, sy) : null,
                ShapeInference.broadcast(a.shape(), b.shape()).dims());
        Activation act = withActivation ? Activation.values()[random.nextInt(3)] : Activation.NONE;
        OpAttributes attrs = type == OpType.SUB || type == OpType.MUL
                ? new OpAttributes.Arithmetic(act)
                : OpAttributes.None.INSTANCE;
        Op o = op(type, attrs, y, a, b);
        String name = type + " " + t + " " + Arrays.toString(da) + " " + Arrays.toString(db) + " " + act
                + (quantized ? " s=" + a.quant() + "," + b.quant() + "->" + y.quant() : "");
        double tol = switch (type) {
            case POW -> 1e-5;
            default -> 0;
        };
        return new Case(name, new Model("m", List.of(a, b), List.of(y), List.of(o), ModelMetadata.inMemory()), tol);
    }

    private Case unary(OpType type, DType t) {
        int[] d = dims();
        Tensor x = tensor(t, null, d);
        Tensor y = tensor(t, null, d);
        Op o = op(type, OpAttributes.None.INSTANCE, y, x);
        double tol = switch (type) {
            case EXP, LOG -> 1e-5;
            case SQRT, RSQRT -> 1e-6; // XNNPACK's square root is not correctly rounded
            default -> 0;
        };
        return new Case(
                type + " " + t + " " + Arrays.toString(d),
                new Model("m", List.of(x), List.of(y), List.of(o), ModelMetadata.inMemory()),
                tol);
    }

    private Case select(OpType type, DType t) {
        int[] d = dims();
        int[] dc;
        int[] da;
        int[] db;
        if (type == OpType.SELECT) {
            da = d;
            db = d;
            dc = d.length > 1 && random.nextBoolean() ? new int[] {d[0]} : d;
        } else {
            dc = broadcastOf(d);
            da = broadcastOf(d);
            db = d;
        }
        QuantParams q = t == DType.INT8 ? QuantParams.perTensor(0.05f, 3) : null;
        Tensor c = tensor(DType.BOOL, null, dc);
        Tensor a = tensor(t, q, da);
        Tensor b = tensor(t, q, db);
        Tensor y = tensor(
                t,
                q,
                type == OpType.SELECT
                        ? da
                        : ShapeInference.broadcast(ShapeInference.broadcast(c.shape(), a.shape()), b.shape())
                                .dims());
        Op o = op(type, OpAttributes.None.INSTANCE, y, c, a, b);
        return new Case(
                type + " " + t + " " + Arrays.toString(dc) + " " + Arrays.toString(da) + " " + Arrays.toString(db),
                new Model("m", List.of(c, a, b), List.of(y), List.of(o), ModelMetadata.inMemory()),
                0);
    }

    /**
     * Random values: integers over the whole 8/16-bit range, int32/int64 mostly small with some large; divisors
     * never 0; POW exponents 0–5 (int) or bases positive (float); SQRT, RSQRT and LOG inputs positive; floats with
     * exact halves for ROUND.
     */
    private Object values(Tensor t, OpType op, int input) {
        int n = Math.toIntExact(t.shape().elementCount());
        Object a = Buffers.allocate(t.dtype(), n);
        boolean divisor = input == 1 && (op == OpType.FLOOR_DIV || op == OpType.FLOOR_MOD);
        boolean positive = op == OpType.SQRT
                || op == OpType.RSQRT
                || op == OpType.LOG
                || op == OpType.POW && input == 0 && t.dtype() == DType.FLOAT32;
        for (int i = 0; i < n; i++) {
            switch (t.dtype()) {
                case FLOAT32 -> {
                    float v = random.nextInt(4) == 0
                            ? random.nextInt(41) / 2f - 10
                            : (float) ((random.nextDouble() - 0.5) * 20);
                    if (op == OpType.POW && input == 1) {
                        v = (float) ((random.nextDouble() - 0.5) * 6);
                    }
                    if (positive) {
                        v = Math.abs(v) + 0.01f;
                    }
                    if (divisor && v == 0) {
                        v = 1.5f;
                    }
                    ((float[]) a)[i] = v;
                }
                case INT32, INT64 -> {
                    long v = random.nextInt(4) == 0
                            ? (t.dtype() == DType.INT32 ? random.nextInt() : random.nextLong())
                            : random.nextInt(2001) - 1000;
                    if (op == OpType.POW) {
                        v = input == 1 ? random.nextInt(6) : random.nextInt(41) - 20;
                    }
                    if (divisor && v == 0) {
                        v = -7;
                    }
                    Elements.setLong(a, t.dtype(), i, v);
                }
                case INT16 -> {
                    short v = (short) random.nextInt();
                    ((short[]) a)[i] = divisor && v == 0 ? 3 : v;
                }
                case INT8, UINT8 -> {
                    byte v = (byte) random.nextInt();
                    ((byte[]) a)[i] = divisor && v == 0 ? 5 : v;
                }
                case BOOL -> ((byte[]) a)[i] = (byte) random.nextInt(2);
                default -> throw new IllegalArgumentException(t.dtype().name());
            }
        }
        return a;
    }
}
