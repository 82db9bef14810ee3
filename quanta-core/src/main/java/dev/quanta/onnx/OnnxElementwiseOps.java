package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.Map;
import java.util.Set;

/**
 * Element-wise ONNX ops: activations (Relu, LeakyRelu, PRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, Elu,
 * Gelu), unary math (Sqrt, Exp, Log, Neg, Abs, Floor, Ceil, Round, Reciprocal) and broadcasting binary ops (Add, Sub,
 * Mul, Div, Pow, Min, Max, Sum, Mean, comparisons). All are layout-neutral: the output keeps the layout of the input,
 * and a constant operand of a channels-last value is permuted at import time.
 */
final class OnnxElementwiseOps {
    private OnnxElementwiseOps() {}

    static void register(Map<String, OnnxTranslator> t) {
        t.put("Relu", unary(OpType.RELU));
        t.put("Sigmoid", unary(OpType.LOGISTIC));
        t.put("Tanh", unary(OpType.TANH));
        t.put("Sqrt", unary(OpType.SQRT));
        t.put("Exp", unary(OpType.EXP));
        t.put("Log", unary(OpType.LOG));
        t.put("Neg", unary(OpType.NEG));
        t.put("Abs", unary(OpType.ABS));
        t.put("Floor", unary(OpType.FLOOR));
        t.put("Ceil", unary(OpType.CEIL));
        t.put("Round", unary(OpType.ROUND));
        t.put("HardSwish", unary(OpType.HARD_SWISH));
        t.put("Not", OnnxElementwiseOps::not);
        t.put("LeakyRelu", OnnxElementwiseOps::leakyRelu);
        t.put("Elu", OnnxElementwiseOps::elu);
        t.put("Selu", OnnxElementwiseOps::elu);
        t.put("Celu", OnnxElementwiseOps::celu);
        t.put("ThresholdedRelu", OnnxElementwiseOps::thresholdedRelu);
        t.put("Shrink", OnnxElementwiseOps::shrink);
        t.put("Gelu", OnnxElementwiseOps::gelu);
        t.put("HardSigmoid", OnnxElementwiseOps::hardSigmoid);
        t.put("Clip", OnnxElementwiseOps::clip);
        t.put("PRelu", OnnxElementwiseOps::prelu);
        t.put("Reciprocal", OnnxElementwiseOps::reciprocal);
        t.put("Add", binary(OpType.ADD));
        t.put("Sub", binary(OpType.SUB));
        t.put("Mul", binary(OpType.MUL));
        t.put("Div", binary(OpType.DIV));
        t.put("Pow", binary(OpType.POW));
        t.put("Equal", binary(OpType.EQUAL));
        t.put("Less", binary(OpType.LESS));
        t.put("LessOrEqual", binary(OpType.LESS_EQUAL));
        t.put("Greater", binary(OpType.GREATER));
        t.put("GreaterOrEqual", binary(OpType.GREATER_EQUAL));
        t.put("And", binary(OpType.LOGICAL_AND));
        t.put("Or", binary(OpType.LOGICAL_OR));
        t.put("Min", variadic(OpType.MINIMUM));
        t.put("Max", variadic(OpType.MAXIMUM));
        t.put("Sum", variadic(OpType.ADD));
        t.put("Mean", OnnxElementwiseOps::mean);
        t.put("Where", OnnxElementwiseOps::where);
        t.put("Trilu", OnnxElementwiseOps::trilu);
        t.put("Softplus", OnnxElementwiseOps::softplus);
        t.put("Softsign", OnnxElementwiseOps::softsign);
    }

    /** Ops whose float kernels only (float32). */
    private static final Set<OpType> FLOAT_ONLY = Set.of(
            OpType.RELU,
            OpType.LOGISTIC,
            OpType.TANH,
            OpType.SQRT,
            OpType.EXP,
            OpType.LOG,
            OpType.FLOOR,
            OpType.CEIL,
            OpType.ROUND,
            OpType.HARD_SWISH,
            OpType.DIV,
            OpType.POW);

    /** Requires {@code t} to be one of {@code allowed}. */
    static void requireType(OnnxNode n, Tensor t, DType... allowed) {
        for (DType a : allowed) {
            if (t.dtype() == a) {
                return;
            }
        }
        throw n.unsupported("input type " + t.dtype() + " is not supported");
    }

    private static OnnxTranslator unary(OpType type) {
        return (n, ctx) -> {
            n.requireInputs(1, 1);
            n.allowAttributes();
            OnnxContext.Value v = ctx.value(n.input(0));
            Tensor x = v.tensor();
            if (FLOAT_ONLY.contains(type) || type == OpType.NEG || type == OpType.ABS) {
                if (type == OpType.NEG || type == OpType.ABS) {
                    requireType(n, x, DType.FLOAT32, DType.INT32, DType.INT64);
                } else {
                    requireType(n, x, DType.FLOAT32);
                }
            }
            ctx.define(n.output(0), ctx.emit(n.output(0), type, OpAttributes.None.INSTANCE, x.dtype(), x), v.layout());
        };
    }

    private static void not(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.BOOL);
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), OpType.LOGICAL_NOT, OpAttributes.None.INSTANCE, DType.BOOL, v.tensor()),
                v.layout());
    }

    private static void leakyRelu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("alpha");
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        float alpha = n.getFloat("alpha", 0.01f);
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), OpType.LEAKY_RELU, new OpAttributes.LeakyRelu(alpha), DType.FLOAT32, v.tensor()),
                v.layout());
    }

    /**
     * Elu (α = 1: ELU) and Selu: with e = ELU(x) (x for x &gt; 0, eˣ − 1 otherwise), y = γ·max(e, 0) + γ·α·min(e, 0),
     * Elu having γ = 1 (α defaults: Elu 1, Selu 1.67326…, γ 1.05070…).
     */
    private static void elu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        boolean selu = n.opType().equals("Selu");
        n.allowAttributes(selu ? new String[] {"alpha", "gamma"} : new String[] {"alpha"});
        float alpha = n.getFloat("alpha", selu ? 1.67326319217681884765625f : 1f);
        float gamma = selu ? n.getFloat("gamma", 1.05070102214813232421875f) : 1f;
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        if (alpha == 1f && gamma == 1f) {
            ctx.define(
                    base,
                    ctx.emit(base, OpType.ELU, OpAttributes.None.INSTANCE, DType.FLOAT32, v.tensor()),
                    v.layout());
            return;
        }
        Tensor e = ctx.emit(base + "_elu", OpType.ELU, OpAttributes.None.INSTANCE, DType.FLOAT32, v.tensor());
        Tensor zero = ctx.constant(base + "_zero", Shape.of(), new float[] {0f});
        Tensor pos = ctx.emit(base + "_positive", OpType.MAXIMUM, OpAttributes.None.INSTANCE, DType.FLOAT32, e, zero);
        Tensor neg = ctx.emit(base + "_negative", OpType.MINIMUM, OpAttributes.None.INSTANCE, DType.FLOAT32, e, zero);
        OpAttributes mul = new OpAttributes.Arithmetic(Activation.NONE);
        if (gamma != 1f) {
            pos = ctx.emit(
                    base + "_positive_scaled",
                    OpType.MUL,
                    mul,
                    DType.FLOAT32,
                    pos,
                    ctx.constant(base + "_gamma", Shape.of(), new float[] {gamma}));
        }
        neg = ctx.emit(
                base + "_negative_scaled",
                OpType.MUL,
                mul,
                DType.FLOAT32,
                neg,
                ctx.constant(base + "_gamma_alpha", Shape.of(), new float[] {gamma * alpha}));
        ctx.define(
                base,
                ctx.emit(base, OpType.ADD, new OpAttributes.Add(Activation.NONE), DType.FLOAT32, pos, neg),
                v.layout());
    }

    /** Celu: y = max(0, x) + min(0, α·(e^(x/α) − 1)) = α·ELU(x/α), as MUL, ELU, MUL. */
    private static void celu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("alpha");
        float alpha = n.getFloat("alpha", 1f);
        if (!(alpha > 0) || !Float.isFinite(alpha)) {
            throw n.bad("alpha " + alpha);
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        OpAttributes mul = new OpAttributes.Arithmetic(Activation.NONE);
        Tensor scaled = ctx.emit(
                base + "_scaled",
                OpType.DIV,
                mul,
                DType.FLOAT32,
                v.tensor(),
                ctx.constant(base + "_alpha", Shape.of(), new float[] {alpha}));
        Tensor e = ctx.emit(base + "_elu", OpType.ELU, OpAttributes.None.INSTANCE, DType.FLOAT32, scaled);
        ctx.define(
                base,
                ctx.emit(
                        base,
                        OpType.MUL,
                        mul,
                        DType.FLOAT32,
                        e,
                        ctx.constant(base + "_alpha_out", Shape.of(), new float[] {alpha})),
                v.layout());
    }

    /** ThresholdedRelu: y = x where x &gt; α, else 0 (SELECT_V2 of GREATER). */
    private static void thresholdedRelu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("alpha");
        float alpha = n.getFloat("alpha", 1f);
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        Tensor above = ctx.emit(
                base + "_above",
                OpType.GREATER,
                OpAttributes.None.INSTANCE,
                DType.BOOL,
                v.tensor(),
                ctx.constant(base + "_alpha", Shape.of(), new float[] {alpha}));
        ctx.define(
                base,
                ctx.emit(
                        base,
                        OpType.SELECT_V2,
                        OpAttributes.None.INSTANCE,
                        DType.FLOAT32,
                        above,
                        v.tensor(),
                        ctx.constant(base + "_zero", Shape.of(), new float[] {0f})),
                v.layout());
    }

    /** Shrink: y = x + bias where x &lt; −λ, x − bias where x &gt; λ, else 0 (two SELECT_V2). */
    private static void shrink(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("bias", "lambd");
        float bias = n.getFloat("bias", 0f);
        float lambd = n.getFloat("lambd", 0.5f);
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        Tensor x = v.tensor();
        OpAttributes add = new OpAttributes.Add(Activation.NONE);
        OpAttributes none = OpAttributes.None.INSTANCE;
        Tensor below = ctx.emit(
                base + "_below",
                OpType.LESS,
                none,
                DType.BOOL,
                x,
                ctx.constant(base + "_minus_lambd", Shape.of(), new float[] {-lambd}));
        Tensor above = ctx.emit(
                base + "_above",
                OpType.GREATER,
                none,
                DType.BOOL,
                x,
                ctx.constant(base + "_lambd", Shape.of(), new float[] {lambd}));
        Tensor up = ctx.emit(
                base + "_plus_bias",
                OpType.ADD,
                add,
                DType.FLOAT32,
                x,
                ctx.constant(base + "_bias", Shape.of(), new float[] {bias}));
        Tensor down = ctx.emit(
                base + "_minus_bias",
                OpType.ADD,
                add,
                DType.FLOAT32,
                x,
                ctx.constant(base + "_negative_bias", Shape.of(), new float[] {-bias}));
        Tensor inner = ctx.emit(
                base + "_upper",
                OpType.SELECT_V2,
                none,
                DType.FLOAT32,
                above,
                down,
                ctx.constant(base + "_zero", Shape.of(), new float[] {0f}));
        ctx.define(base, ctx.emit(base, OpType.SELECT_V2, none, DType.FLOAT32, below, up, inner), v.layout());
    }

    private static void gelu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("approximate");
        String approx = n.getString("approximate", "none");
        if (!approx.equals("none") && !approx.equals("tanh")) {
            throw n.unsupported("approximate '" + approx + "' is not supported");
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        ctx.define(
                n.output(0),
                ctx.emit(
                        n.output(0),
                        OpType.GELU,
                        new OpAttributes.Gelu(approx.equals("tanh")),
                        DType.FLOAT32,
                        v.tensor()),
                v.layout());
    }

    /** HardSigmoid: y = max(0, min(1, α·x + β)) as MUL, ADD, RELU_0_TO_1. */
    private static void hardSigmoid(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes("alpha", "beta");
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        float alpha = n.getFloat("alpha", 0.2f);
        float beta = n.getFloat("beta", 0.5f);
        String base = n.output(0);
        Tensor ax = ctx.emit(
                base + "_scaled",
                OpType.MUL,
                new OpAttributes.Arithmetic(Activation.NONE),
                DType.FLOAT32,
                v.tensor(),
                ctx.constant(base + "_alpha", Shape.of(), new float[] {alpha}));
        Tensor axb = ctx.emit(
                base + "_shifted",
                OpType.ADD,
                new OpAttributes.Add(Activation.NONE),
                DType.FLOAT32,
                ax,
                ctx.constant(base + "_beta", Shape.of(), new float[] {beta}));
        ctx.define(
                base, ctx.emit(base, OpType.RELU_0_TO_1, OpAttributes.None.INSTANCE, DType.FLOAT32, axb), v.layout());
    }

    /** Softplus: y = ln(eˣ + 1) as EXP, ADD, LOG. */
    private static void softplus(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        Tensor e = ctx.emit(base + "_exp", OpType.EXP, OpAttributes.None.INSTANCE, DType.FLOAT32, v.tensor());
        Tensor e1 = ctx.emit(
                base + "_plus_one",
                OpType.ADD,
                new OpAttributes.Add(Activation.NONE),
                DType.FLOAT32,
                e,
                ctx.constant(base + "_one", Shape.of(), new float[] {1f}));
        ctx.define(base, ctx.emit(base, OpType.LOG, OpAttributes.None.INSTANCE, DType.FLOAT32, e1), v.layout());
    }

    /** Softsign: y = x / (1 + |x|) as ABS, ADD, DIV. */
    private static void softsign(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        String base = n.output(0);
        Tensor a = ctx.emit(base + "_abs", OpType.ABS, OpAttributes.None.INSTANCE, DType.FLOAT32, v.tensor());
        Tensor a1 = ctx.emit(
                base + "_plus_one",
                OpType.ADD,
                new OpAttributes.Add(Activation.NONE),
                DType.FLOAT32,
                a,
                ctx.constant(base + "_one", Shape.of(), new float[] {1f}));
        ctx.define(
                base,
                ctx.emit(base, OpType.DIV, new OpAttributes.Arithmetic(Activation.NONE), DType.FLOAT32, v.tensor(), a1),
                v.layout());
    }

    /** Reciprocal: y = 1 / x as DIV of a constant 1. */
    private static void reciprocal(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 1);
        n.allowAttributes();
        OnnxContext.Value v = ctx.value(n.input(0));
        requireType(n, v.tensor(), DType.FLOAT32);
        Tensor one = ctx.constant(n.output(0) + "_one", Shape.of(), new float[] {1f});
        ctx.define(
                n.output(0),
                ctx.emit(
                        n.output(0),
                        OpType.DIV,
                        new OpAttributes.Arithmetic(Activation.NONE),
                        DType.FLOAT32,
                        one,
                        v.tensor()),
                v.layout());
    }

    /**
     * Clip to [min, max] (attributes before opset 11, optional constant inputs since): RELU, RELU6, RELU_N1_TO_1,
     * RELU_0_TO_1 for their ranges, else MAXIMUM and MINIMUM with constants.
     */
    private static void clip(OnnxNode n, OnnxContext ctx) {
        float lo;
        float hi;
        if (n.opset() < 11) {
            n.requireInputs(1, 1);
            n.allowAttributes("min", "max");
            lo = n.getFloat("min", Float.NEGATIVE_INFINITY);
            hi = n.getFloat("max", Float.POSITIVE_INFINITY);
            if (!n.has("min")) {
                lo = -Float.MAX_VALUE;
            }
            if (!n.has("max")) {
                hi = Float.MAX_VALUE;
            }
        } else {
            n.requireInputs(1, 3);
            n.allowAttributes();
            boolean dynamic =
                    (n.hasInput(1) && !ctx.isConstant(n.input(1))) || (n.hasInput(2) && !ctx.isConstant(n.input(2)));
            if (dynamic) {
                clipByTensors(n, ctx);
                return;
            }
            lo = n.hasInput(1) ? scalar(n, ctx, n.input(1), "min") : Float.NEGATIVE_INFINITY;
            hi = n.hasInput(2) ? scalar(n, ctx, n.input(2), "max") : Float.POSITIVE_INFINITY;
        }
        OnnxContext.Value v = ctx.value(n.input(0));
        Tensor x = v.tensor();
        requireType(n, x, DType.FLOAT32);
        String base = n.output(0);
        OpType fused = null;
        if (lo == 0f && hi == 6f) {
            fused = OpType.RELU6;
        } else if (lo == -1f && hi == 1f) {
            fused = OpType.RELU_N1_TO_1;
        } else if (lo == 0f && hi == 1f) {
            fused = OpType.RELU_0_TO_1;
        } else if (lo == 0f && hi == Float.POSITIVE_INFINITY) {
            fused = OpType.RELU;
        }
        Tensor y;
        if (fused != null) {
            y = ctx.emit(base, fused, OpAttributes.None.INSTANCE, DType.FLOAT32, x);
        } else {
            y = x;
            if (lo > Float.NEGATIVE_INFINITY) {
                y = ctx.emit(
                        base + (hi < Float.POSITIVE_INFINITY ? "_min" : ""),
                        OpType.MAXIMUM,
                        new OpAttributes.Arithmetic(Activation.NONE),
                        DType.FLOAT32,
                        y,
                        ctx.constant(base + "_lo", Shape.of(), new float[] {lo}));
            }
            if (hi < Float.POSITIVE_INFINITY) {
                y = ctx.emit(
                        base,
                        OpType.MINIMUM,
                        new OpAttributes.Arithmetic(Activation.NONE),
                        DType.FLOAT32,
                        y,
                        ctx.constant(base + "_hi", Shape.of(), new float[] {hi}));
            }
            if (y == x) {
                y = ctx.emit(base, OpType.IDENTITY, OpAttributes.None.INSTANCE, DType.FLOAT32, x);
            }
        }
        ctx.define(base, y, v.layout());
    }

    /** Clip with bounds computed at run time: MAXIMUM with min, then MINIMUM with max (ONNX order). */
    private static void clipByTensors(OnnxNode n, OnnxContext ctx) {
        Tensor y = ctx.onnx(n.input(0));
        requireType(n, y, DType.FLOAT32);
        String base = n.output(0);
        if (n.hasInput(1)) {
            y = ctx.emit(
                    n.hasInput(2) ? base + "_min" : base,
                    OpType.MAXIMUM,
                    new OpAttributes.Arithmetic(Activation.NONE),
                    DType.FLOAT32,
                    y,
                    ctx.onnx(n.input(1)));
        }
        if (n.hasInput(2)) {
            y = ctx.emit(
                    base,
                    OpType.MINIMUM,
                    new OpAttributes.Arithmetic(Activation.NONE),
                    DType.FLOAT32,
                    y,
                    ctx.onnx(n.input(2)));
        }
        ctx.define(base, y);
    }

    private static float scalar(OnnxNode n, OnnxContext ctx, String name, String what) {
        float[] v = ctx.constantFloats(name, what);
        if (v.length != 1) {
            throw n.bad(what + " must be a scalar, has " + v.length + " values");
        }
        return v[0];
    }

    /** PRelu: the slope is a constant broadcast over x (permuted with x when x is channels-last). */
    private static void prelu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(2, 2);
        n.allowAttributes();
        requireType(n, ctx.value(n.input(0)).tensor(), DType.FLOAT32);
        if (!ctx.isConstant(n.input(1))) {
            throw n.unsupported("slope must be a constant");
        }
        Operands o = operands(n, ctx, n.input(0), n.input(1));
        ctx.define(
                n.output(0),
                ctx.emit(n.output(0), OpType.PRELU, OpAttributes.None.INSTANCE, DType.FLOAT32, o.a, o.b),
                o.layout);
    }

    private static OnnxTranslator binary(OpType type) {
        return (n, ctx) -> {
            n.requireInputs(2, 2);
            n.allowAttributes();
            Operands o = operands(n, ctx, n.input(0), n.input(1));
            ctx.define(n.output(0), binaryOp(n, ctx, type, n.output(0), o.a, o.b), o.layout);
        };
    }

    /** The IR op of a broadcasting binary ONNX op on two IR operands (same layout). */
    static Tensor binaryOp(OnnxNode n, OnnxContext ctx, OpType type, String name, Tensor a, Tensor b) {
        boolean logical = type == OpType.LOGICAL_AND || type == OpType.LOGICAL_OR;
        if (logical) {
            requireType(n, a, DType.BOOL);
        } else if (type == OpType.POW || type == OpType.DIV) {
            requireType(n, a, DType.FLOAT32);
        } else if (type == OpType.SUB || type == OpType.MINIMUM || type == OpType.MAXIMUM) {
            requireType(n, a, DType.FLOAT32, DType.INT32, DType.INT64);
        } else {
            requireType(n, a, DType.FLOAT32, DType.INT32, DType.INT64);
        }
        if (a.dtype() != b.dtype()) {
            throw n.unsupported("operands of types " + a.dtype() + " and " + b.dtype() + " are not supported");
        }
        boolean comparison = switch (type) {
            case EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, LOGICAL_AND, LOGICAL_OR -> true;
            default -> false;
        };
        OpAttributes attrs = switch (type) {
            case ADD -> new OpAttributes.Add(Activation.NONE);
            case SUB, MUL, DIV, MINIMUM, MAXIMUM -> new OpAttributes.Arithmetic(Activation.NONE);
            default -> OpAttributes.None.INSTANCE;
        };
        return ctx.emit(name, type, attrs, comparison ? DType.BOOL : a.dtype(), a, b);
    }

    private static OnnxTranslator variadic(OpType type) {
        return (n, ctx) -> {
            n.allowAttributes();
            if (n.presentInputs().isEmpty()) {
                throw n.bad("needs at least one input");
            }
            String out = n.output(0);
            if (n.presentInputs().size() == 1) {
                OnnxContext.Value v = ctx.value(n.input(0));
                ctx.define(
                        out,
                        ctx.emit(
                                out,
                                OpType.IDENTITY,
                                OpAttributes.None.INSTANCE,
                                v.tensor().dtype(),
                                v.tensor()),
                        v.layout());
                return;
            }
            ctx.define(out, chain(n, ctx, type, out));
        };
    }

    /** The inputs combined left to right with {@code type}, in ONNX order. */
    private static Tensor chain(OnnxNode n, OnnxContext ctx, OpType type, String out) {
        java.util.List<String> ins = n.presentInputs();
        Tensor acc = ctx.onnx(ins.get(0));
        for (int i = 1; i < ins.size(); i++) {
            Tensor b = ctx.onnx(ins.get(i));
            acc = binaryOp(n, ctx, type, i == ins.size() - 1 ? out : out + "_" + i, acc, b);
        }
        return acc;
    }

    /** Mean of the inputs: their sum times 1/n. */
    private static void mean(OnnxNode n, OnnxContext ctx) {
        n.allowAttributes();
        int count = n.presentInputs().size();
        if (count == 0) {
            throw n.bad("needs at least one input");
        }
        String out = n.output(0);
        Tensor sum = count == 1 ? ctx.onnx(n.input(0)) : chain(n, ctx, OpType.ADD, out + "_sum");
        requireType(n, sum, DType.FLOAT32);
        ctx.define(
                out,
                ctx.emit(
                        out,
                        OpType.DIV,
                        new OpAttributes.Arithmetic(Activation.NONE),
                        DType.FLOAT32,
                        sum,
                        ctx.constant(out + "_count", Shape.of(), new float[] {count})));
    }

    /** Where(cond, a, b): SELECT_V2 in ONNX order. */
    private static void where(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(3, 3);
        n.allowAttributes();
        Tensor c = ctx.onnx(n.input(0));
        Tensor a = ctx.onnx(n.input(1));
        Tensor b = ctx.onnx(n.input(2));
        requireType(n, c, DType.BOOL);
        if (a.dtype() != b.dtype()) {
            throw n.bad("branches of types " + a.dtype() + " and " + b.dtype());
        }
        requireType(n, a, DType.FLOAT32, DType.INT32, DType.INT64);
        ctx.define(
                n.output(0), ctx.emit(n.output(0), OpType.SELECT_V2, OpAttributes.None.INSTANCE, a.dtype(), c, a, b));
    }

    /**
     * Trilu: keeps element (i, j) of the last two axes where j − i ≥ k (upper, the default) or j − i ≤ k (lower) and
     * zeroes the rest, as SELECT_V2 of a constant [rows, cols] mask between x and a zero scalar.
     */
    private static void trilu(OnnxNode n, OnnxContext ctx) {
        n.requireInputs(1, 2);
        n.allowAttributes("upper");
        Tensor x = ctx.onnx(n.input(0));
        requireType(n, x, DType.FLOAT32, DType.INT32, DType.INT64);
        int[] d = x.shape().dims();
        if (d.length < 2 || d[d.length - 2] < 1 || d[d.length - 1] < 1) {
            throw n.unsupported("input " + x.shape() + " needs two last axes of known, non-zero size");
        }
        long k = 0;
        if (n.hasInput(1)) {
            long[] kv = ctx.constantLongs(n.input(1), "k");
            if (kv.length != 1) {
                throw n.bad("k must hold one value");
            }
            k = kv[0];
        }
        boolean upper = n.getInt("upper", 1) != 0;
        int rows = d[d.length - 2];
        int cols = d[d.length - 1];
        byte[] mask = new byte[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                long diff = (long) j - i;
                mask[i * cols + j] = (byte) ((upper ? diff >= k : diff <= k) ? 1 : 0);
            }
        }
        String base = n.output(0);
        Tensor m = ctx.constant(base + "_mask", Shape.of(rows, cols), DType.BOOL, TensorData.ofBytes(DType.BOOL, mask));
        Tensor zero = ctx.constant(
                base + "_zero",
                Shape.of(),
                x.dtype(),
                TensorData.ofBytes(x.dtype(), new byte[x.dtype().byteSize()]));
        ctx.define(base, ctx.emit(base, OpType.SELECT_V2, OpAttributes.None.INSTANCE, x.dtype(), m, x, zero));
    }

    /** Two operands of a broadcasting op in one layout, and that layout. */
    record Operands(Tensor a, Tensor b, OnnxLayout layout) {}

    /**
     * Puts two operands in one layout: both channels-last when one is and the other is channels-last too, a
     * constant (broadcast to the rank, permuted at import time) or of the same rank; else both in ONNX order.
     */
    static Operands operands(OnnxNode n, OnnxContext ctx, String a, String b) {
        OnnxContext.Value va = ctx.value(a);
        OnnxContext.Value vb = ctx.value(b);
        if (va.channelsLast() || vb.channelsLast()) {
            OnnxContext.Value cl = va.channelsLast() ? va : vb;
            String other = va.channelsLast() ? b : a;
            OnnxContext.Value vo = va.channelsLast() ? vb : va;
            int rank = cl.tensor().shape().rank();
            Tensor o = null;
            if (vo.channelsLast() || vo.tensor().shape().rank() == rank) {
                o = ctx.channelsLast(other);
            } else if (vo.tensor().isConstant() && vo.tensor().shape().rank() < rank) {
                Tensor t = vo.tensor();
                int[] d = t.shape().dims();
                int[] full = new int[rank];
                java.util.Arrays.fill(full, 1);
                System.arraycopy(d, 0, full, rank - d.length, d.length);
                int[] perm = OnnxLayout.toChannelsLast(rank);
                TensorData data = OnnxLayout.permute(t.data(), full, perm);
                o = ctx.constant(other + "_cl", Shape.of(OnnxLayout.permute(full, perm)), t.dtype(), data);
            }
            if (o != null) {
                Tensor clT = cl.tensor();
                return va.channelsLast()
                        ? new Operands(clT, o, OnnxLayout.CHANNELS_LAST)
                        : new Operands(o, clT, OnnxLayout.CHANNELS_LAST);
            }
        }
        return new Operands(ctx.onnx(a), ctx.onnx(b), OnnxLayout.ONNX);
    }
}
