package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Float-to-float rewrites that every conversion runs first, as the TFLite converter does: drop IDENTITY (Keras
 * Dropout), fold BATCH_NORM into the preceding Dense or convolution, and fuse a following RELU / RELU6 into the op
 * that feeds it. The results are numerically equivalent up to float rounding.
 */
public final class FloatGraphPasses {
    private FloatGraphPasses() {}

    /** All passes in order. */
    public static Model apply(Model m) {
        return fuseActivations(foldBatchNorm(dropIdentity(dequantizeConstants(m))));
    }

    /**
     * Brings a float model read from a .tflite back to plain float32 constants: a DEQUANTIZE of a constant
     * (float16 or int8 weights) becomes the float32 constant it computes, and int8 weights read directly by a
     * float op (dynamic-range / hybrid models) are dequantized, {@code w = scale[c] × (q − zeroPoint[c])}.
     */
    public static Model dequantizeConstants(Model m) {
        Map<Tensor, Tensor> replace = new IdentityHashMap<>();
        List<Op> ops = new ArrayList<>();
        for (Op op : m.ops()) {
            if (op.type() == OpType.DEQUANTIZE
                    && op.input(0).isConstant()
                    && op.output(0).dtype() == dev.quanta.ir.DType.FLOAT32) {
                replace.put(
                        op.output(0), toFloatConstant(op.input(0), op.output(0).name()));
                continue;
            }
            Op rewired = rewire(op, replace);
            boolean floatOp = rewired.output(0).dtype() == dev.quanta.ir.DType.FLOAT32
                    && rewired.input(0).dtype() == dev.quanta.ir.DType.FLOAT32;
            if (floatOp
                    && rewired.inputs().stream()
                            .anyMatch(t ->
                                    t.isConstant() && t.quant() != null && t.dtype() != dev.quanta.ir.DType.FLOAT32)) {
                List<Tensor> ins = new ArrayList<>();
                for (Tensor t : rewired.inputs()) {
                    ins.add(
                            t.isConstant() && t.quant() != null && t.dtype() != dev.quanta.ir.DType.FLOAT32
                                    ? toFloatConstant(t, t.name())
                                    : t);
                }
                rewired = new Op(
                        rewired.name(), rewired.type(), ins, rewired.outputs(), rewired.attributes(), rewired.origin());
            }
            ops.add(rewired);
        }
        if (replace.isEmpty() && ops.equals(m.ops())) {
            return m;
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor t : m.outputs()) {
            outputs.add(resolve(replace, t));
        }
        return new Model(m.name(), m.inputs(), outputs, ops, m.metadata());
    }

    private static Tensor toFloatConstant(Tensor c, String name) {
        float[] v = dev.quanta.ir.Dequantize.constant(c);
        return new Tensor(
                name,
                Shape.of(c.shape().dims()),
                dev.quanta.ir.DType.FLOAT32,
                dev.quanta.ir.TensorData.ofFloats(v),
                null,
                c.trainable());
    }

    /** Removes IDENTITY ops, rewiring their consumers to the identity's input. */
    public static Model dropIdentity(Model m) {
        Map<Tensor, Tensor> replace = new IdentityHashMap<>();
        List<Op> ops = new ArrayList<>();
        List<Tensor> outputs = new ArrayList<>(m.outputs());
        for (Op op : m.ops()) {
            if (op.type() == OpType.IDENTITY && !m.outputs().contains(op.output(0))) {
                replace.put(op.output(0), resolve(replace, op.input(0)));
                continue;
            }
            ops.add(rewire(op, replace));
        }
        return new Model(m.name(), m.inputs(), outputs, ops, m.metadata());
    }

    private static Tensor resolve(Map<Tensor, Tensor> replace, Tensor t) {
        Tensor r = replace.get(t);
        return r == null ? t : r;
    }

    private static Op rewire(Op op, Map<Tensor, Tensor> replace) {
        boolean changed = false;
        List<Tensor> ins = new ArrayList<>(op.inputs().size());
        for (Tensor t : op.inputs()) {
            Tensor r = resolve(replace, t);
            changed |= r != t;
            ins.add(r);
        }
        return changed ? new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()) : op;
    }

    /**
     * Folds each BATCH_NORM whose input comes only from a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D without a
     * fused activation:
     *
     * <pre>
     * s[c] = γ[c] / √(σ²[c] + ε)
     * W'[c, …] = W[c, …] · s[c]          (output channel c: axis 0, or axis 3 for depthwise)
     * b'[c]    = (b[c] − μ[c]) · s[c] + β[c]
     * </pre>
     *
     * @throws QuantaException for a BatchNormalization that cannot be folded
     */
    public static Model foldBatchNorm(Model m) {
        Map<Tensor, Tensor> replace = new IdentityHashMap<>();
        Map<Op, Op> foldedProducer = new IdentityHashMap<>();
        List<Op> ops = new ArrayList<>(m.ops());
        for (int i = 0; i < ops.size(); i++) {
            Op bn = ops.get(i);
            if (bn.type() != OpType.BATCH_NORM) {
                continue;
            }
            Op producer = m.producer(bn.input(0));
            if (producer == null
                    || !isLinear(producer)
                    || m.consumers(bn.input(0)).size() != 1
                    || m.outputs().contains(bn.input(0))
                    || activationOf(producer) != Activation.NONE) {
                throw new QuantaException(bn.describe() + ": BatchNormalization can only be folded when it directly "
                        + "follows a Dense or convolution layer without activation");
            }
            OpAttributes.BatchNorm a = bn.attrs(OpAttributes.BatchNorm.class);
            int k = 1;
            float[] gamma = a.hasGamma() ? bn.input(k++).data().floats() : null;
            float[] beta = a.hasBeta() ? bn.input(k++).data().floats() : null;
            float[] mean = bn.input(k++).data().floats();
            float[] var = bn.input(k).data().floats();
            int channels = mean.length;
            double[] s = new double[channels];
            for (int c = 0; c < channels; c++) {
                s[c] = (gamma == null ? 1.0 : gamma[c]) / Math.sqrt((double) var[c] + a.epsilon());
            }
            Op current = foldedProducer.getOrDefault(producer, producer);
            Tensor w = current.input(1);
            float[] wv = w.data().floats();
            int[] ws = w.shape().dims();
            boolean depthwise = current.type() == OpType.DEPTHWISE_CONV_2D;
            int perChannel = depthwise ? 1 : wv.length / ws[0];
            for (int e = 0; e < wv.length; e++) {
                int c = depthwise ? e % ws[3] : e / perChannel;
                wv[e] = (float) (wv[e] * s[c]);
            }
            float[] bv = current.inputs().size() > 2 ? current.input(2).data().floats() : new float[channels];
            float[] nb = new float[channels];
            for (int c = 0; c < channels; c++) {
                nb[c] = (float) ((bv[c] - mean[c]) * s[c] + (beta == null ? 0 : beta[c]));
            }
            Tensor newW = new Tensor(w.name(), w.shape(), w.dtype(), dev.quanta.ir.TensorData.ofFloats(wv), null, true);
            String biasName = current.inputs().size() > 2 ? current.input(2).name() : current.name() + "/bias";
            Tensor newB = Tensor.constant(biasName, Shape.of(channels), nb);
            Op folded = new Op(
                    current.name(),
                    current.type(),
                    List.of(current.input(0), newW, newB),
                    current.outputs(),
                    current.attributes(),
                    current.origin());
            foldedProducer.put(producer, folded);
            ops.set(ops.indexOf(current), folded);
            replace.put(bn.output(0), bn.input(0));
            ops.set(i, null);
        }
        List<Op> result = new ArrayList<>();
        for (Op op : ops) {
            if (op != null) {
                result.add(rewire(op, replace));
            }
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor t : m.outputs()) {
            outputs.add(resolve(replace, t));
        }
        return new Model(m.name(), m.inputs(), outputs, result, m.metadata());
    }

    /**
     * Fuses a RELU or RELU6 into the op that feeds it when that op takes a fused activation, has none yet, and
     * has no other consumer. The fused op keeps its name; the activation's output tensor is replaced by the
     * op's.
     */
    public static Model fuseActivations(Model m) {
        Map<Op, Op> fused = new IdentityHashMap<>();
        List<Op> ops = new ArrayList<>(m.ops());
        for (int i = 0; i < ops.size(); i++) {
            Op act = ops.get(i);
            Activation activation =
                    act.type() == OpType.RELU ? Activation.RELU : act.type() == OpType.RELU6 ? Activation.RELU6 : null;
            if (activation == null) {
                continue;
            }
            Op producer = m.producer(act.input(0));
            if (producer == null
                    || m.consumers(act.input(0)).size() != 1
                    || m.outputs().contains(act.input(0))) {
                continue;
            }
            Op current = fused.getOrDefault(producer, producer);
            OpAttributes withAct = withActivation(current.attributes(), activation);
            if (withAct == null) {
                continue;
            }
            // the fused op now produces the activation's tensor, so names and graph outputs stay those of the layer
            // users see last; keep the producer's name for the op itself
            Op merged = new Op(
                    current.name(),
                    current.type(),
                    current.inputs(),
                    List.of(act.output(0)),
                    withAct,
                    current.origin());
            fused.put(producer, merged);
            ops.set(ops.indexOf(current), merged);
            ops.set(i, null);
        }
        List<Op> result = new ArrayList<>();
        for (Op op : ops) {
            if (op != null) {
                result.add(op);
            }
        }
        return new Model(m.name(), m.inputs(), m.outputs(), result, m.metadata());
    }

    private static boolean isLinear(Op op) {
        return op.type() == OpType.FULLY_CONNECTED
                || op.type() == OpType.CONV_2D
                || op.type() == OpType.DEPTHWISE_CONV_2D;
    }

    /** The fused activation of an op, or null when its type takes none. */
    static Activation activationOf(Op op) {
        return switch (op.attributes()) {
            case OpAttributes.FullyConnected a -> a.activation();
            case OpAttributes.Conv2D a -> a.activation();
            case OpAttributes.DepthwiseConv2D a -> a.activation();
            case OpAttributes.Pool2D a -> a.activation();
            case OpAttributes.Add a -> a.activation();
            case OpAttributes.Concatenation a -> a.activation();
            default -> null;
        };
    }

    /** {@code attrs} with the fused activation set, or null when it cannot take {@code act}. */
    private static OpAttributes withActivation(OpAttributes attrs, Activation act) {
        return switch (attrs) {
            case OpAttributes.FullyConnected a
            when a.activation() == Activation.NONE -> new OpAttributes.FullyConnected(act);
            case OpAttributes.Conv2D a
            when a.activation() == Activation.NONE ->
                new OpAttributes.Conv2D(a.padding(), a.strideH(), a.strideW(), a.dilationH(), a.dilationW(), act);
            case OpAttributes.DepthwiseConv2D a
            when a.activation() == Activation.NONE ->
                new OpAttributes.DepthwiseConv2D(
                        a.padding(), a.strideH(), a.strideW(), a.dilationH(), a.dilationW(), a.depthMultiplier(), act);
            case OpAttributes.Add a when a.activation() == Activation.NONE -> new OpAttributes.Add(act);
            default -> null;
        };
    }
}
