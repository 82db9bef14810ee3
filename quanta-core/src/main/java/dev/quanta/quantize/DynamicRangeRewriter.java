package dev.quanta.quantize;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic-range rewrite: the weights of FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV become
 * int8 ({@link WeightQuantizer#weightsAndBias}), the constant weights of BATCH_MATMUL int8 per tensor (where TFLite's
 * hybrid kernel computes it right, {@link #hybridBatchMatMulLimitation}), and the weights of UNIDIRECTIONAL_SEQUENCE_LSTM, _RNN and
 * BIDIRECTIONAL_SEQUENCE_LSTM int8 per tensor (with asymmetric_quantize_inputs, as TFLite's converter writes them),
 * which TFLite runs with hybrid kernels that quantize the float activations on the fly; every other op, and every
 * activation, stays float.
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
            } else if (op.type() == OpType.TRANSPOSE_CONV && op.input(1).isConstant()) {
                // hybrid TRANSPOSE_CONV (issue 11): int8 weights per output channel, float bias
                WeightQuantizer.Encoded e = weights.weightsAndBias(op, null);
                List<Tensor> ins = new ArrayList<>(op.inputs());
                ins.set(1, e.weights());
                result.add(new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
                report.add(LayerReport.converted(
                                op,
                                "float32",
                                "float32",
                                "float (hybrid: each image quantized on the fly)",
                                WeightQuantizer.describe(e.weights().quant()))
                        .withScaleAdjustments(e.adjustments()));
            } else if (op.type() == OpType.BATCH_MATMUL && hybridBatchMatMulLimitation(op) == null) {
                // hybrid BATCH_MATMUL (issue 11): int8 weights per tensor, rows quantized asymmetrically
                OpAttributes.BatchMatMul a = op.attrs(OpAttributes.BatchMatMul.class);
                List<Tensor> ins = new ArrayList<>(op.inputs());
                ins.set(1, weights.perTensor(op.input(1)));
                OpAttributes.BatchMatMul hybrid = new OpAttributes.BatchMatMul(a.adjX(), a.adjY(), true);
                result.add(new Op(op.name(), op.type(), ins, op.outputs(), hybrid, op.origin()));
                report.add(LayerReport.converted(
                        op,
                        "float32",
                        "float32",
                        "float (hybrid: rows of the first input quantized on the fly)",
                        "int8 per-tensor symmetric"));
            } else if (op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_RNN) {
                List<Tensor> ins = new ArrayList<>(op.inputs());
                ins.set(1, weights.perTensor(op.input(1)));
                ins.set(2, weights.perTensor(op.input(2)));
                OpAttributes.SequenceRnn a = op.attrs(OpAttributes.SequenceRnn.class);
                OpAttributes.SequenceRnn hybrid = new OpAttributes.SequenceRnn(a.activation(), a.timeMajor(), true);
                result.add(new Op(op.name(), op.type(), ins, op.outputs(), hybrid, op.origin()));
                report.add(LayerReport.converted(
                        op,
                        "float32",
                        "float32",
                        "float (hybrid RNN: input and state quantized on the fly at every step)",
                        "int8 per-tensor symmetric"));
            } else if (op.type() == OpType.BIDIRECTIONAL_SEQUENCE_LSTM && hybridBidirectionalLimitation(op) == null) {
                OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
                List<Tensor> ins = new ArrayList<>(op.inputs());
                // gate weights (1–8, 18–25), peepholes (9–11, 26–28) and projection weights (16, 33); biases float
                for (int i = 1; i <= 33; i++) {
                    boolean weight = i <= 11 || i == 16 || (i >= 18 && i <= 28) || i == 33;
                    int p = weight ? a.position(i) : -1;
                    if (p >= 0) {
                        ins.set(p, weights.perTensor(op.input(p)));
                    }
                }
                OpAttributes.BidirectionalLstm hybrid = new OpAttributes.BidirectionalLstm(
                        a.activation(),
                        a.cellClip(),
                        a.projClip(),
                        a.mergeOutputs(),
                        a.timeMajor(),
                        true,
                        a.presentInputs());
                result.add(new Op(op.name(), op.type(), ins, op.outputs(), hybrid, op.origin()));
                report.add(LayerReport.converted(
                        op,
                        "float32",
                        "float32",
                        "float (hybrid bidirectional LSTM: input and states quantized on the fly at every step)",
                        "int8 per-tensor symmetric"));
            } else if (op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM && hybridLstmLimitation(op) == null) {
                result.add(hybridLstm(op, weights));
                report.add(LayerReport.converted(
                        op,
                        "float32",
                        "float32",
                        "float (hybrid LSTM: input and state quantized on the fly at every step)",
                        "int8 per-tensor symmetric"));
            } else {
                result.add(op);
                String why = op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM
                        ? "Quanta's hybrid LSTM kernel " + hybridLstmLimitation(op) + ": the layer stays float"
                        : op.type() == OpType.BIDIRECTIONAL_SEQUENCE_LSTM
                                ? "Quanta's hybrid bidirectional LSTM kernel " + hybridBidirectionalLimitation(op)
                                        + ": the layer stays float"
                                : op.type() == OpType.BATCH_MATMUL
                                                && op.input(1).isConstant()
                                        ? "TFLite's hybrid BATCH_MATMUL kernel " + hybridBatchMatMulLimitation(op)
                                                + ": the layer stays float"
                                        : "no weights to quantize; dynamic range keeps activations in float";
                report.add(LayerReport.leftInFloat(op, why));
            }
        }
        return new Rewritten(
                new Model(model.name(), model.inputs(), model.outputs(), result, model.metadata()), report);
    }

    /** Why the hybrid LSTM kernel cannot run {@code op}, or null (it takes no layer normalization). */
    private static String hybridLstmLimitation(Op op) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k : new int[] {20, 21, 22, 23}) {
            if (a.has(k)) {
                return "takes no layer normalization (TFLite input " + k + " is present)";
            }
        }
        return null;
    }

    /**
     * Why TFLite's hybrid BATCH_MATMUL kernel would not compute {@code op} right, or null: its second input must be
     * constant float32 weights and both operands of rank 4 at most; TFLite folds a first operand [..., Q, R, S] into
     * [..., Q·R, S] against weights [..., 1, K, N], wrong with adj_x; and it addresses row scales and weight row sums
     * right only while at most one batch axis of each operand (after that fold) is larger than 1
     * ({@code HybridBatchMatMul}).
     */
    static String hybridBatchMatMulLimitation(Op op) {
        Tensor a = op.input(0);
        Tensor b = op.input(1);
        if (!b.isConstant() || b.dtype() != dev.quanta.ir.DType.FLOAT32 || a.dtype() != dev.quanta.ir.DType.FLOAT32) {
            return "takes constant float32 weights as its second input";
        }
        int[] as = a.shape().dims();
        int[] bs = b.shape().dims();
        if (as.length > 4 || bs.length > 4) {
            return "takes operands of rank 4 at most";
        }
        boolean fold = as.length > 2 && bs.length > 2 && bs[bs.length - 3] == 1;
        if (fold && op.attrs(OpAttributes.BatchMatMul.class).adjX()) {
            return "folds the first operand's batch axis into its rows, wrong with adj_x";
        }
        int aBatchAxes = as.length - (fold ? 3 : 2);
        int bBatchAxes = bs.length - (fold ? 3 : 2);
        if (largerThanOne(as, 0, aBatchAxes) > 1 || largerThanOne(bs, 0, bBatchAxes) > 1) {
            return "reads other rows' scales when two batch axes of an operand are larger than 1";
        }
        return null;
    }

    /** How many of {@code dims[from .. from + count)} are larger than 1 (an unknown size counts). */
    private static int largerThanOne(int[] dims, int from, int count) {
        int n = 0;
        for (int i = from; i < from + count; i++) {
            if (dims[i] != 1) {
                n++;
            }
        }
        return n;
    }

    /** Why the hybrid bidirectional LSTM kernel cannot run {@code op}, or null. */
    private static String hybridBidirectionalLimitation(Op op) {
        OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
        for (int k = 0; k < 48; k++) {
            if (k >= 39 && a.has(k)) {
                return "takes no auxiliary input (TFLite input " + k + " is present)";
            }
        }
        return null;
    }

    /**
     * TFLite's hybrid LSTM, as the converter's dynamic-range mode makes it: the eight gate weight matrices, the
     * peepholes (TFLite inputs 9–11) and the projection weights (16) int8 symmetric per tensor, biases float,
     * asymmetric_quantize_inputs set.
     */
    private static Op hybridLstm(Op op, WeightQuantizer weights) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        List<Tensor> ins = new ArrayList<>(op.inputs());
        for (int i = 1; i <= 16; i++) {
            if (i >= 12 && i <= 15) {
                continue; // gate biases stay float
            }
            int p = a.position(i);
            if (p >= 0) {
                ins.set(p, weights.perTensor(op.input(p)));
            }
        }
        OpAttributes.Lstm hybrid = new OpAttributes.Lstm(
                a.activation(), a.cellClip(), a.projClip(), a.timeMajor(), true, a.presentInputs());
        return new Op(op.name(), op.type(), ins, op.outputs(), hybrid, op.origin());
    }
}
