package dev.quanta.quantize;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic-range rewrite: the weights of FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D become int8
 * ({@link WeightQuantizer#weightsAndBias}), which TFLite runs with hybrid kernels that quantize the float activations
 * on the fly; every other op, and every activation, stays float.
 */
final class DynamicRangeRewriter {
    private DynamicRangeRewriter() {}

    /** @param config the settings, with the mode chosen ({@link QuantizationMode#DYNAMIC}) */
    static Rewritten rewrite(Model model, QuantizationConfig config) {
        WeightQuantizer weights = new WeightQuantizer(config);
        List<Op> result = new ArrayList<>();
        List<LayerReport> report = new ArrayList<>();
        for (Op op : model.ops()) {
            if (op.type() == OpType.FULLY_CONNECTED
                    || op.type() == OpType.CONV_2D
                    || op.type() == OpType.DEPTHWISE_CONV_2D) {
                WeightQuantizer.Encoded e = weights.weightsAndBias(op, null);
                Tensor w = e.weights();
                List<Tensor> ins = new ArrayList<>(op.inputs());
                ins.set(1, w);
                OpAttributes attrs = op.type() == OpType.FULLY_CONNECTED // asymmetric inputs, as TFLite converts
                        ? new OpAttributes.FullyConnected(
                                op.attrs(OpAttributes.FullyConnected.class).activation())
                        : op.attributes();
                result.add(new Op(op.name(), op.type(), ins, op.outputs(), attrs, op.origin()));
                report.add(LayerReport.converted(
                                op,
                                "float32",
                                "float32",
                                "float (hybrid: activations quantized on the fly)",
                                WeightQuantizer.describe(w.quant()))
                        .withScaleAdjustments(e.adjustments()));
            } else {
                result.add(op);
                String why = op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM
                        ? "Quanta has no hybrid LSTM kernel: the layer stays float (int8 mode quantizes it fully)"
                        : "no weights to quantize; dynamic range keeps activations in float";
                report.add(LayerReport.leftInFloat(op, why));
            }
        }
        return new Rewritten(
                new Model(model.name(), model.inputs(), model.outputs(), result, model.metadata()), report);
    }
}
