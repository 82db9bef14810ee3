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
     * PADV2's constant value in the quantized input {@code x}'s type and parameters (a float constant is rounded to
     * the nearest step and clamped to the type's range, as the TFLite converter quantizes it).
     */
    static Tensor padValue(Tensor value, Tensor x, Op op) {
        if (!value.isConstant() || value.dtype() != DType.FLOAT32) {
            throw new dev.quanta.QuantaException(op.describe() + ": PADV2 needs a constant float32 pad value to"
                    + " quantize, but " + value.name() + " is " + (value.isConstant() ? "" : "computed ")
                    + value.dtype());
        }
        QuantParams p = x.quant();
        double q = Math.rint(value.data().floats()[0] / (double) p.scale()) + p.zeroPoint();
        long lo = x.dtype() == DType.UINT8 ? 0 : x.dtype() == DType.INT16 ? -32768 : -128;
        long hi = x.dtype() == DType.UINT8 ? 255 : x.dtype() == DType.INT16 ? 32767 : 127;
        long v = (long) Math.max(lo, Math.min(hi, q));
        byte[] bytes = x.dtype() == DType.INT16 ? new byte[] {(byte) v, (byte) (v >> 8)} : new byte[] {(byte) v};
        return new Tensor(
                value.name(), value.shape(), x.dtype(), dev.quanta.ir.TensorData.ofBytes(x.dtype(), bytes), p, false);
    }

    /**
     * {@code q} when it has parameters {@code p}; else a new tensor holding q requantized to {@code p} for the reader
     * {@code op} (named after both, so that a tensor requantized for two readers gets two names), by a QUANTIZE op
     * (integer to integer) added to {@code ops}. PACK, CONCATENATION, MINIMUM and MAXIMUM use it.
     */
    static Tensor withParams(Tensor q, QuantParams p, Op op, List<Op> ops) {
        if (p.equals(q.quant())) {
            return q;
        }
        Tensor r = new Tensor(q.name() + "/requantized/" + op.name(), q.shape(), q.dtype(), null, p, false);
        ops.add(Op.unary(r.name(), OpType.QUANTIZE, q, r, op.origin()));
        return r;
    }
}
