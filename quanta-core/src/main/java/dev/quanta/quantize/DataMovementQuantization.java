package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Quantization rules of the shape and data movement ops of issue 11 for {@link FullIntegerRewriter}. These ops copy
 * stored values, so their outputs keep their input's parameters (SPLIT, SPLIT_V, UNPACK, GATHER, GATHER_ND), and
 * PACK, whose TFLite kernel requires every input to have the output's parameters, gets its inputs requantized to
 * the output's calibrated parameters where they differ (as the TFLite converter does).
 */
final class DataMovementQuantization {
    private DataMovementQuantization() {}

    /**
     * The integer form of a multi-output op (SPLIT, SPLIT_V, UNPACK) reading the quantized input {@code x}: every
     * output of {@code actType} with x's parameters, recorded in {@code quantized} (float tensor → integer tensor).
     */
    static Op multiOutput(Op op, Tensor x, DType actType, Map<Tensor, Tensor> quantized) {
        List<Tensor> outs = new ArrayList<>();
        for (Tensor out : op.outputs()) {
            Tensor q = new Tensor(out.name(), out.shape(), actType, null, x.quant(), false);
            quantized.put(out, q);
            outs.add(q);
        }
        return new Op(op.name(), op.type(), List.of(x), outs, op.attributes(), op.origin());
    }

    /**
     * {@code q} when it has parameters {@code p}; else a new tensor holding q requantized to {@code p}, by a
     * QUANTIZE op (integer to integer) added to {@code ops}.
     */
    static Tensor withParams(Tensor q, QuantParams p, Op op, List<Op> ops) {
        if (p.equals(q.quant())) {
            return q;
        }
        Tensor r = new Tensor(q.name() + "/requantized", q.shape(), q.dtype(), null, p, false);
        ops.add(Op.unary(r.name(), OpType.QUANTIZE, q, r, op.origin()));
        return r;
    }
}
