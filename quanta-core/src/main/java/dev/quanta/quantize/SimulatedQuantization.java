package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Dequantize;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A float model that computes what a quantized model computes, up to the integer kernels' own rounding: the float
 * graph with every constant the quantized model encodes (weights, int32 biases, quantized operands) replaced by its
 * dequantized values, and every tensor the quantized model holds in an integer type (the graph input included)
 * rounded to that type's grid right after it is computed, by a QUANTIZE and a DEQUANTIZE:
 *
 * <pre>
 * x̂ = s·(clamp(round(x / s) + zp, qmin, qmax) − zp)
 * </pre>
 *
 * The integer kernels round their accumulators through fixed-point multipliers instead, so a value may differ by one
 * step. The simulated model runs on the float kernels, which calibration has already exercised, so that
 * {@link HeldOutSearch} can score many candidate quantizations without the cost of preparing integer kernels for
 * each. Its tensors keep the float model's names (pairing by name with it as the quantized model does); the tensors
 * it adds are named {@code NAME/simulated_float} and {@code NAME/simulated_quantized}.
 */
final class SimulatedQuantization {
    private SimulatedQuantization() {}

    /**
     * {@code floatModel} rounded as {@code quantized} (converted from it, so its tensors carry the float model's
     * names; a graph output's integer tensor is {@code NAME/quantized}) rounds it.
     */
    static Model of(Model floatModel, Model quantized) {
        Map<String, Tensor> byName = new HashMap<>();
        for (Tensor t : quantized.tensors()) {
            byName.putIfAbsent(t.name(), t);
        }
        // the graph input's QUANTIZE (float I/O) gives its grid
        Map<String, Tensor> inputGrid = new HashMap<>();
        for (Op op : quantized.ops()) {
            if (op.type() == OpType.QUANTIZE && quantized.inputs().contains(op.input(0))) {
                inputGrid.put(op.input(0).name(), op.output(0));
            }
        }
        List<Op> ops = new ArrayList<>();
        Map<Tensor, Tensor> replaced = new IdentityHashMap<>();
        for (Tensor in : floatModel.inputs()) {
            Tensor grid = inputGrid.containsKey(in.name()) ? inputGrid.get(in.name()) : grid(byName, in);
            if (in.dtype() == DType.FLOAT32 && grid != null) {
                Tensor rounded = Tensor.activation(in.name() + "/simulated_float", in.shape());
                round(ops, in, grid, rounded, new dev.quanta.ir.Origin(in.name(), "InputLayer"));
                replaced.put(in, rounded);
            }
        }
        for (Op op : floatModel.ops()) {
            List<Tensor> inputs = new ArrayList<>();
            for (Tensor in : op.inputs()) {
                inputs.add(
                        in == null ? null : in.isConstant() ? dequantized(byName, in) : replaced.getOrDefault(in, in));
            }
            List<Tensor> outputs = new ArrayList<>();
            List<Tensor[]> rounding = new ArrayList<>();
            for (Tensor out : op.outputs()) {
                Tensor grid = out.dtype() == DType.FLOAT32 ? grid(byName, out) : null;
                if (grid == null) {
                    outputs.add(out);
                    continue;
                }
                Tensor unrounded = Tensor.activation(out.name() + "/simulated_float", out.shape());
                outputs.add(unrounded);
                rounding.add(new Tensor[] {unrounded, grid, out});
            }
            ops.add(new Op(op.name(), op.type(), inputs, outputs, op.attributes(), op.origin()));
            for (Tensor[] r : rounding) {
                round(ops, r[0], r[1], r[2], op.origin());
            }
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor out : floatModel.outputs()) {
            outputs.add(replaced.getOrDefault(out, out));
        }
        return new Model(floatModel.name(), floatModel.inputs(), outputs, ops, floatModel.metadata());
    }

    /** {@code x → QUANTIZE to grid's type and parameters → DEQUANTIZE → rounded}. */
    private static void round(List<Op> ops, Tensor x, Tensor grid, Tensor rounded, dev.quanta.ir.Origin origin) {
        String name = rounded.name().endsWith("/simulated_float")
                ? rounded.name().substring(0, rounded.name().length() - "/simulated_float".length())
                : rounded.name();
        Tensor q = new Tensor(name + "/simulated_quantized", x.shape(), grid.dtype(), null, grid.quant(), false);
        ops.add(Op.unary(q.name(), OpType.QUANTIZE, x, q, origin));
        ops.add(Op.unary(rounded.name() + "/dequantize", OpType.DEQUANTIZE, q, rounded, origin));
    }

    /**
     * The integer tensor of {@code quantized} that holds float tensor {@code t}'s values ({@code NAME} or, for a
     * graph output, {@code NAME/quantized}), or null when it holds none per tensor.
     */
    private static Tensor grid(Map<String, Tensor> byName, Tensor t) {
        for (String name : new String[] {t.name(), t.name() + "/quantized"}) {
            Tensor q = byName.get(name);
            if (q != null
                    && !q.isConstant()
                    && (q.dtype() == DType.INT8 || q.dtype() == DType.UINT8 || q.dtype() == DType.INT16)
                    && q.quant() != null
                    && q.quant().isPerTensor()
                    && q.shape().sampleElementCount() == t.shape().sampleElementCount()) {
                return q;
            }
        }
        return null;
    }

    /** The float constant {@code c} as {@code quantized} encodes it (dequantized), or {@code c} when it does not. */
    private static Tensor dequantized(Map<String, Tensor> byName, Tensor c) {
        Tensor q = byName.get(c.name());
        if (c.dtype() != DType.FLOAT32
                || q == null
                || !q.isConstant()
                || q.dtype() == DType.FLOAT32
                || q.quant() == null
                || !q.shape().equals(c.shape())) {
            return c;
        }
        return new Tensor(
                c.name(),
                c.shape(),
                DType.FLOAT32,
                dev.quanta.ir.TensorData.ofFloats(Dequantize.constant(q)),
                null,
                false);
    }
}
