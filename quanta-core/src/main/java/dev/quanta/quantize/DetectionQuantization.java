package dev.quanta.quantize;

import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The full-integer rule of {@link OpType#DETECTION_POSTPROCESS}: TFLite's post-process computes in float and gives
 * float outputs (boxes, classes, scores, count) whatever its input types, so a quantized model keeps the op in
 * float on dequantized inputs, as TFLite's converter writes TF2 SSD models: a DEQUANTIZE before each quantized
 * input, the anchors left a float constant, and the four outputs float tensors (also with integer model I/O).
 */
final class DetectionQuantization {
    private DetectionQuantization() {}

    /**
     * Adds {@code op} to {@code ops} in float, after a DEQUANTIZE of each input {@code quantized} holds, and records
     * each output as its own float value in {@code floatValue}.
     *
     * @param quantized float tensor of the source graph → its quantized tensor in the new graph
     * @param floatValue float tensor of the source graph → its float32 value in the new graph
     * @return the layer's report line
     */
    static LayerReport floatOnDequantizedInputs(
            Op op, Map<Tensor, Tensor> quantized, Map<Tensor, Tensor> floatValue, List<Op> ops) {
        List<Tensor> ins = new ArrayList<>();
        for (Tensor t : op.inputs()) {
            if (t.isConstant()) {
                ins.add(t);
            } else if (floatValue.containsKey(t)) {
                ins.add(floatValue.get(t));
            } else {
                Tensor q = quantized.get(t);
                if (q == null) {
                    throw new IllegalStateException("input " + t.name() + " of " + op.name() + " was not quantized");
                }
                Tensor f = Tensor.activation(t.name() + "/dequantized", t.shape());
                ops.add(Op.unary(f.name(), OpType.DEQUANTIZE, q, f, op.origin()));
                ins.add(f);
            }
        }
        ops.add(new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
        for (Tensor out : op.outputs()) {
            floatValue.put(out, out);
        }
        return LayerReport.leftInFloat(
                op, "TFLite runs the detection post-process in float on dequantized inputs; outputs stay float32");
    }
}
