package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The float16 rewrite: every float32 constant is stored as FLOAT16 ({@link WeightQuantizer#float16}) and turned back
 * into float32 by a DEQUANTIZE op before its first use (one per constant); the computation stays float32. RANGE's
 * scalars are kept as they are: they fix the length of its output.
 */
final class Float16Rewriter {
    private Float16Rewriter() {}

    static Rewritten rewrite(Model model) {
        List<Op> result = new ArrayList<>();
        List<LayerReport> report = new ArrayList<>();
        Map<Tensor, Tensor> dequantized = new IdentityHashMap<>();
        for (Op op : model.ops()) {
            List<Tensor> ins = new ArrayList<>();
            for (Tensor t : op.inputs()) {
                // RANGE's start, limit and delta stay float32 constants: its output length is read from them (issue 11)
                if (t.isConstant() && t.dtype() == DType.FLOAT32 && op.type() != OpType.RANGE) {
                    Tensor d = dequantized.get(t);
                    if (d == null) {
                        Tensor half = WeightQuantizer.float16(t);
                        d = Tensor.activation(
                                t.name() + "/dequantize", Shape.of(t.shape().dims()));
                        result.add(Op.unary(d.name(), OpType.DEQUANTIZE, half, d, op.origin()));
                        dequantized.put(t, d);
                    }
                    ins.add(d);
                } else {
                    ins.add(t);
                }
            }
            result.add(new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
            String weights =
                    op.type() != OpType.RANGE && op.inputs().stream().anyMatch(Tensor::isConstant) ? "float16" : null;
            report.add(LayerReport.converted(op, "float32", "float32", "float", weights));
        }
        return new Rewritten(
                new Model(model.name(), model.inputs(), model.outputs(), result, model.metadata()), report);
    }
}
