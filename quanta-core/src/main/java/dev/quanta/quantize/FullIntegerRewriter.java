package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The full-integer rewrite ({@link QuantizationMode#INT8}, {@link QuantizationMode#INT16X8}): a float model (after
 * {@link FloatGraphPasses}) and its calibrated ranges become integer ops on integer tensors, per the TFLite
 * quantization spec:
 *
 * <ul>
 *   <li>activations: int8 asymmetric on [−128, 127], uint8 asymmetric on [0, 255], or int16 symmetric with zero
 *       point 0, from calibrated ranges ({@link QuantMath});
 *   <li>weights and biases as {@link WeightQuantizer} encodes them: int8 symmetric per channel or per tensor
 *       (uint8 asymmetric per tensor in the uint8 scheme); bias int32 (int64 with int16 activations) with scale =
 *       input scale × weight scale, zero point 0; weight scales at least the minimum and large enough for every
 *       int32 bias to quantize within ±2³⁰, each adjusted channel listed in the layer's report;
 *   <li>fixed output parameters: SOFTMAX and LOGISTIC 1/256 (int8 zero point −128, uint8 0), TANH 1/128 (int8
 *       zero point 0, uint8 128); with int16, 1/32768 and zero point 0;
 *   <li>shared parameters: MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE, PAD and TRANSPOSE keep their input's parameters;
 *   <li>float I/O puts QUANTIZE and DEQUANTIZE at the boundary; integer I/O exposes the quantized tensors.
 * </ul>
 *
 * Inner tensors keep their float names, so a layer's float and quantized outputs can be matched by name.
 */
final class FullIntegerRewriter {
    private final Model model;
    private final IoType io;
    private final boolean allowFloatFallback;
    /** Layer names kept in float as the config asks ({@link QuantizationConfig#floatLayers()}). */
    private final Set<String> floatLayers;

    private final WeightQuantizer weights;
    private final Map<Tensor, TensorRange> ranges;
    private final Map<Op, TensorRange> cellRanges;
    private final DType actType;
    private final int qmin;
    private final int qmax;
    private final Map<Tensor, Tensor> quantized = new IdentityHashMap<>();
    /** Float tensor of the source graph → its float32 value in the new graph, where one is computed. */
    private final Map<Tensor, Tensor> floatValue = new IdentityHashMap<>();

    private final List<Op> ops = new ArrayList<>();
    private final List<LayerReport> report = new ArrayList<>();
    /** How an integer LSTM's output (= hidden) state is quantized. */
    private final LstmHiddenState lstmHidden;

    /**
     * The parameters of an integer LSTM's output state, which its effective hidden state (intermediate 4) and its
     * output share: int8 over the calibrated range of the LSTM's output.
     */
    enum LstmHiddenState {
        /** Zero point 0, scale max|h| / 127 (the form of tflite-micro's mnist_lstm int8 file). */
        SYMMETRIC,
        /** Asymmetric over [min h, max h], any zero point: the form the current TFLite converter writes. */
        ASYMMETRIC
    }

    /**
     * The form {@link #rewrite(Model, QuantizationConfig, Calibration)} writes: asymmetric, the converter's, which
     * is also the more accurate on tflite-micro's mnist_lstm (9852 of 10000 MNIST test digits, 9851 symmetric).
     */
    static final LstmHiddenState DEFAULT_LSTM_HIDDEN = LstmHiddenState.ASYMMETRIC;

    private FullIntegerRewriter(
            Model model,
            QuantizationConfig config,
            Calibration calibration,
            Map<String, Boolean> perChannel,
            LstmHiddenState lstmHidden) {
        this.model = model;
        this.lstmHidden = lstmHidden;
        this.io = config.io();
        this.allowFloatFallback = config.allowFloatFallback();
        this.floatLayers = config.floatLayers();
        this.weights = new WeightQuantizer(config, perChannel);
        this.ranges = calibration.ranges();
        this.cellRanges = calibration.lstmCellStates();
        if (config.mode() == QuantizationMode.INT16X8) {
            actType = DType.INT16;
            qmin = -32768;
            qmax = 32767;
        } else if (config.mode() == QuantizationMode.INT8 && config.scheme() == QuantizationScheme.ASYMMETRIC) {
            actType = DType.UINT8;
            qmin = 0;
            qmax = 255;
        } else if (config.mode() == QuantizationMode.INT8) {
            actType = DType.INT8;
            qmin = -128;
            qmax = 127;
        } else {
            throw new IllegalArgumentException("not a full-integer mode: " + config.mode());
        }
    }

    /**
     * The fully quantized model.
     *
     * @param config the settings, with the mode chosen: {@link QuantizationMode#INT8} or
     *     {@link QuantizationMode#INT16X8}
     * @param calibration the ranges observed on {@code model}
     */
    static Rewritten rewrite(Model model, QuantizationConfig config, Calibration calibration) {
        return rewrite(model, config, calibration, Map.of(), DEFAULT_LSTM_HIDDEN);
    }

    /**
     * As above, with the weight granularity chosen per layer.
     *
     * @param perChannel per weight tensor name, per-channel (true) or per-tensor (false) weights; other layers take
     *     the configured granularity
     */
    static Rewritten rewrite(
            Model model, QuantizationConfig config, Calibration calibration, Map<String, Boolean> perChannel) {
        return rewrite(model, config, calibration, perChannel, DEFAULT_LSTM_HIDDEN);
    }

    /** As {@link #rewrite(Model, QuantizationConfig, Calibration)}, with integer LSTMs' hidden state as given. */
    static Rewritten rewrite(
            Model model, QuantizationConfig config, Calibration calibration, LstmHiddenState lstmHidden) {
        return rewrite(model, config, calibration, Map.of(), lstmHidden);
    }

    private static Rewritten rewrite(
            Model model,
            QuantizationConfig config,
            Calibration calibration,
            Map<String, Boolean> perChannel,
            LstmHiddenState lstmHidden) {
        return new FullIntegerRewriter(model, config, calibration, perChannel, lstmHidden).rewrite();
    }

    private Rewritten rewrite() {
        List<Tensor> inputs = new ArrayList<>();
        for (Tensor in : model.inputs()) {
            if (in.dtype() != DType.FLOAT32) { // an integer input (token ids, indices) is not quantized
                quantized.put(in, in);
                inputs.add(in);
                continue;
            }
            QuantParams p = activationParams(in);
            Tensor q = new Tensor(
                    in.name() + (io == IoType.FLOAT ? "/quantized" : ""), in.shape(), actType, null, p, false);
            quantized.put(in, q);
            inputs.add(boundaryInput(in, q));
            if (io == IoType.FLOAT) {
                floatValue.put(in, in);
            }
        }
        for (Op op : model.ops()) {
            quantizeOp(op);
        }
        List<Tensor> outputs = new ArrayList<>();
        for (Tensor out : model.outputs()) {
            outputs.add(boundaryOutput(out, quantized.get(out)));
        }
        dropUnusedQuantize(outputs);
        return new Rewritten(new Model(model.name(), inputs, outputs, ops, model.metadata()), report);
    }

    /** A graph input of the I/O type, with a QUANTIZE op to the activation type when they differ. */
    private Tensor boundaryInput(Tensor floatIn, Tensor q) {
        Origin origin = new Origin(floatIn.name(), "InputLayer");
        if (io == IoType.FLOAT) {
            ops.add(Op.unary(q.name(), OpType.QUANTIZE, floatIn, q, origin));
            return floatIn;
        }
        DType ioType = ioDType();
        if (ioType == actType) {
            Tensor renamed = new Tensor(floatIn.name(), q.shape(), q.dtype(), null, q.quant(), false);
            quantized.put(floatIn, renamed);
            return renamed;
        }
        Tensor external = new Tensor(floatIn.name(), q.shape(), ioType, null, shiftZeroPoint(q.quant(), ioType), false);
        Tensor internal = new Tensor(floatIn.name() + "/requantized", q.shape(), q.dtype(), null, q.quant(), false);
        quantized.put(floatIn, internal);
        ops.add(Op.unary(internal.name(), OpType.QUANTIZE, external, internal, origin));
        return external;
    }

    /** A graph output of the I/O type, with a DEQUANTIZE (or QUANTIZE) op when the types differ. */
    private Tensor boundaryOutput(Tensor floatOut, Tensor q) {
        Op producer = model.producer(floatOut);
        Origin origin = producer == null ? new Origin(floatOut.name(), "Output") : producer.origin();
        if (floatValue.containsKey(floatOut) && (io == IoType.FLOAT || !quantized.containsKey(floatOut))) {
            return floatValue.get(floatOut); // computed in float by a layer kept in float, or float-only (detection)
        }
        if (q.dtype() == DType.INT32 || q.dtype() == DType.INT64) {
            return q; // indices (ARG_MAX): not quantized
        }
        if (io == IoType.FLOAT) {
            Tensor out = Tensor.activation(floatOut.name(), floatOut.shape());
            renameQuantized(q, floatOut.name() + "/quantized");
            ops.add(Op.unary(out.name(), OpType.DEQUANTIZE, quantized.get(floatOut), out, origin));
            return out;
        }
        DType ioType = ioDType();
        if (ioType == actType) {
            return q;
        }
        Tensor external =
                new Tensor(floatOut.name(), q.shape(), ioType, null, shiftZeroPoint(q.quant(), ioType), false);
        renameQuantized(q, floatOut.name() + "/quantized");
        ops.add(Op.unary(external.name(), OpType.QUANTIZE, quantized.get(floatOut), external, origin));
        return external;
    }

    /** Renames a quantized graph-output tensor (it is replaced in the op that produces it). */
    private void renameQuantized(Tensor q, String newName) {
        Tensor renamed = new Tensor(newName, q.shape(), q.dtype(), null, q.quant(), false);
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (op.outputs().contains(q)) {
                List<Tensor> outs = new ArrayList<>(op.outputs());
                outs.replaceAll(t -> t == q ? renamed : t);
                ops.set(i, new Op(op.name(), op.type(), op.inputs(), outs, op.attributes(), op.origin()));
            }
            if (op.inputs().contains(q)) {
                List<Tensor> ins = new ArrayList<>(op.inputs());
                ins.replaceAll(t -> t == q ? renamed : t);
                ops.set(i, new Op(op.name(), op.type(), ins, op.outputs(), op.attributes(), op.origin()));
            }
        }
        quantized.replaceAll((k, v) -> v == q ? renamed : v);
    }

    private DType ioDType() {
        return switch (io) {
            case INT8 -> DType.INT8;
            case UINT8 -> DType.UINT8;
            case INT16 -> DType.INT16;
            case FLOAT -> DType.FLOAT32;
        };
    }

    /**
     * The same real values in the other 8-bit type: uint8 zero point = int8 zero point + 128. (An I/O type of
     * another width than the activations was refused by {@link Converter#convert()}.)
     */
    private static QuantParams shiftZeroPoint(QuantParams p, DType to) {
        long shift = to == DType.UINT8 ? 128 : -128;
        return QuantParams.perTensor(p.scale(), p.zeroPoint() + shift);
    }

    private QuantParams activationParams(Tensor floatTensor) {
        TensorRange r = activationRange(floatTensor);
        if (actType == DType.INT16) {
            return QuantMath.symmetric(r.absMax(), 32767);
        }
        return QuantMath.asymmetric(r.min(), r.max(), qmin, qmax);
    }

    private QuantParams fixedParams(OpType type) {
        if (actType == DType.INT16) {
            return QuantParams.perTensor(1f / 32768, 0);
        }
        boolean u8 = actType == DType.UINT8;
        return switch (type) {
            case SOFTMAX, LOGISTIC -> QuantParams.perTensor(1f / 256, u8 ? 0 : -128);
            case TANH -> QuantParams.perTensor(1f / 128, u8 ? 128 : 0);
            default -> throw new IllegalArgumentException(type.name());
        };
    }

    private void quantizeOp(Op op) {
        if (op.type() == OpType.DETECTION_POSTPROCESS) { // float outputs in every mode (issue 11, detection)
            report.add(DetectionQuantization.floatOnDequantizedInputs(op, quantized, floatValue, ops));
            return;
        }
        if (op.type() == OpType.RANGE && op.output(0).dtype() != DType.FLOAT32) { // shape and data movement (issue 11)
            // an int32/int64 RANGE makes indices, not activations: it stays as it is in every mode
            ops.add(op);
            quantized.put(op.output(0), op.output(0));
            String t = op.output(0).dtype().lowerName();
            report.add(LayerReport.converted(op, t, t, "-", null));
            return;
        }
        if (floatLayers.contains(op.origin().layerName())) {
            keepInFloat(op, "kept in float as asked");
            return;
        }
        String unsupported = !IntegerKernelSupport.supports(op.type(), actType)
                ? op.type() + " has no " + actType.lowerName() + " kernel"
                : op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM ? lstmLimitation(op) : null;
        if (unsupported != null) {
            if (!allowFloatFallback) {
                throw QuantaException.aboutSettings(op.describe() + ": " + unsupported
                        + "; set {ALLOW_FLOAT_FALLBACK} to keep this layer in float");
            }
            keepInFloat(op, "no " + actType.lowerName() + " kernel for " + op.type() + "; kept in float as allowed");
            return;
        }
        if (op.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM) {
            quantizeLstm(op);
            return;
        }
        List<Tensor> ins = new ArrayList<>();
        // a constant first input (a GATHER's embedding table, say) is quantized as an activation over its values
        Tensor x = op.input(0).isConstant() ? quantizeConstantActivation(op.input(0)) : quantized.get(op.input(0));
        if (x == null) {
            throw new IllegalStateException("input of " + op.name() + " was not quantized");
        }
        String weightParams = null;
        List<ScaleAdjustment> adjustments = List.of();
        Tensor out = op.output(0);
        QuantParams outParams;
        switch (op.type()) {
            case FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D -> {
                WeightQuantizer.Encoded e = weights.weightsAndBias(op, x.quant());
                ins.add(x);
                ins.add(e.weights());
                if (e.bias() != null) {
                    ins.add(e.bias());
                }
                weightParams = WeightQuantizer.describe(e.weights().quant());
                adjustments = e.adjustments();
                outParams = activationParams(out);
            }
            case MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE, PAD, TRANSPOSE, STRIDED_SLICE -> {
                ins.add(x);
                outParams = x.quant();
            }
            case SOFTMAX, LOGISTIC, TANH -> {
                ins.add(x);
                outParams = fixedParams(op.type());
            }
            case MEAN, RELU, RELU6, LEAKY_RELU -> {
                ins.add(x);
                outParams = activationParams(out);
            }
            case ADD -> {
                for (Tensor t : op.inputs()) {
                    ins.add(t.isConstant() ? quantizeConstantActivation(t) : quantized.get(t));
                }
                outParams = activationParams(out);
            }
            case CONCATENATION -> {
                // TFLite's int8 and int16 kernels (and XNNPACK's) require every input to have the output's parameters
                outParams = activationParams(out);
                for (Tensor t : op.inputs()) {
                    ins.add(
                            t.isConstant()
                                    ? ActivationQuantization.constant(t, actType, outParams)
                                    : DataMovementQuantization.withParams(quantized.get(t), outParams, op, ops));
                }
            }

            // -- elementwise and activations (issue 11) --
            case SUB, MUL, SQUARED_DIFFERENCE -> {
                for (Tensor t : op.inputs()) {
                    ins.add(t.isConstant() ? quantizeConstantActivation(t) : quantized.get(t));
                }
                outParams = activationParams(out);
            }
            case ABS, RSQRT -> {
                // RSQRT: int8 (TFLite's fixed-point 1/√x) or int16 (its table); the output range as calibrated
                ins.add(x);
                outParams = activationParams(out);
            }

            // -- activations (issue 11) --
            case HARD_SWISH, ELU, GELU, RELU_N1_TO_1, RELU_0_TO_1 -> {
                ins.add(x);
                outParams = activationParams(out);
            }
            case PRELU -> {
                ins.add(x);
                Tensor alpha = op.input(1);
                ins.add(
                        actType == DType.INT16
                                ? ActivationQuantization.int8Slopes(op, alpha)
                                : alpha.isConstant() ? quantizeConstantActivation(alpha) : quantized.get(alpha));
                outParams = activationParams(out);
            }
            case LOG_SOFTMAX -> {
                ins.add(x);
                outParams = ActivationQuantization.logSoftmaxOutput(actType);
            }
            case MINIMUM, MAXIMUM -> {
                outParams = ActivationQuantization.minMaxParams(op, this::activationRange, actType, qmin, qmax);
                for (Tensor t : op.inputs()) {
                    ins.add(
                            t.isConstant()
                                    ? ActivationQuantization.constant(t, actType, outParams)
                                    : DataMovementQuantization.withParams(quantized.get(t), outParams, op, ops));
                }
            }

            // -- shape and data movement (issue 11) --
            case SPLIT, SPLIT_V, UNPACK -> {
                ops.add(DataMovementQuantization.multiOutput(op, x, actType, quantized));
                report.add(LayerReport.converted(
                        op,
                        x.dtype().lowerName(),
                        actType.lowerName(),
                        x.quant().toString(),
                        null));
                return;
            }
            case SLICE,
                    SQUEEZE,
                    EXPAND_DIMS,
                    TILE,
                    BROADCAST_TO,
                    DEPTH_TO_SPACE,
                    SPACE_TO_DEPTH,
                    REVERSE_V2,
                    MIRROR_PAD,
                    SPACE_TO_BATCH_ND,
                    BATCH_TO_SPACE_ND -> {
                ins.add(x);
                outParams = x.quant();
            }
            case PADV2 -> {
                ins.add(x);
                if (op.inputs().size() > 1) {
                    ins.add(DataMovementQuantization.padValue(op.input(1), x, op));
                }
                outParams = x.quant();
            }
            case FILL -> {
                // TFLite's int8/int16 FILL copies the stored value: the output keeps the value's parameters
                ins.add(x);
                outParams = x.quant();
            }
            case GATHER, GATHER_ND -> {
                ins.add(x);
                ins.add(quantized.getOrDefault(op.input(1), op.input(1)));
                outParams = x.quant();
            }
            case PACK -> {
                outParams = activationParams(out);
                for (Tensor t : op.inputs()) {
                    Tensor qt = t.isConstant() ? quantizeConstantActivation(t) : quantized.get(t);
                    ins.add(DataMovementQuantization.withParams(qt, outParams, op, ops));
                }
            }

            // -- resampling and reductions (issue 11) --
            case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, REDUCE_MAX, REDUCE_MIN -> {
                ins.add(x);
                outParams = x.quant();
            }
            case SUM, REDUCE_PROD -> {
                ins.add(x);
                outParams = activationParams(out);
            }
            case L2_NORMALIZATION -> {
                ins.add(x);
                outParams = ResampleReduceQuantization.l2NormalizationParams(op, actType);
            }
            case ARG_MAX, ARG_MIN -> {
                Tensor index = ResampleReduceQuantization.indexOutput(out);
                quantized.put(out, index);
                ops.add(new Op(op.name(), op.type(), List.of(x), List.of(index), op.attributes(), op.origin()));
                report.add(LayerReport.converted(
                        op, x.dtype().lowerName(), index.dtype().lowerName(), "-", null));
                return;
            }

            // -- linear (issue 11) --
            case TRANSPOSE_CONV -> {
                // weights per channel along axis 0 (output channels) as CONV_2D, bias at s_x·s_w[c]
                WeightQuantizer.Encoded e = weights.weightsAndBias(op, x.quant());
                ins.add(x);
                ins.add(e.weights());
                if (e.bias() != null) {
                    ins.add(e.bias());
                }
                weightParams = WeightQuantizer.describe(e.weights().quant());
                adjustments = e.adjustments();
                outParams = activationParams(out);
            }
            case BATCH_MATMUL -> {
                // operands as activations (calibrated), a constant second one symmetric; the output calibrated
                ins.add(x);
                Tensor b = op.input(1);
                ins.add(b.isConstant() ? LinearQuantization.symmetricConstant(b, actType) : quantized.get(b));
                if (b.isConstant()) {
                    weightParams = WeightQuantizer.describe(ins.get(1).quant());
                }
                outParams = activationParams(out);
            }

            // -- sequence (issue 11) --

            // -- detection (issue 11) --
            default ->
                throw new QuantaException(op.describe() + ": " + op.type()
                        + " cannot be quantized (fold BatchNorm and drop Dropout first)");
        }
        Tensor q = new Tensor(out.name(), out.shape(), actType, null, outParams, false);
        quantized.put(out, q);
        ops.add(new Op(op.name(), op.type(), ins, List.of(q), op.attributes(), op.origin()));
        report.add(LayerReport.converted(
                        op, x.dtype().lowerName(), actType.lowerName(), outParams.toString(), weightParams)
                .withScaleAdjustments(adjustments));
    }

    /** The largest cell-state range exponent the integer LSTM kernel takes (range ±2^4, scale 2^-11). */
    private static final int MAX_CELL_POT = 4;

    /**
     * TFLite's integer 8x8→16 LSTM, as its converter makes it: weights int8 symmetric per tensor; each gate's bias
     * int32 with scale s_x · s_Wx(gate); the output (= hidden) state int8 over the calibrated output range,
     * asymmetric as the current converter writes it or symmetric ({@link LstmHiddenState}); the cell state int16
     * with the power-of-two scale 2^p / 32768, p = ⌈log2 max|c|⌉ clamped to [0, 10] (TFLite's GetPowerOfTwoScale);
     * intermediate 4 (the effective hidden state) quantized as the output, the four gate intermediates left
     * unquantized (they only matter with layer normalization).
     */
    private void quantizeLstm(Op op) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        Tensor x = quantized.get(op.input(0));
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        // TFLite inputs 1–8 (input and recurrent weights) then 12–15 (gate biases); lstmLimitation refused the rest
        QuantParams[] inputWeightQuant = new QuantParams[4];
        for (int i = 1; i <= 15; i++) {
            if (!a.has(i)) {
                continue;
            }
            Tensor t = op.input(a.position(i));
            if (i <= 8) {
                Tensor w = weights.perTensor(t);
                if (i <= 4) {
                    inputWeightQuant[i - 1] = w.quant();
                }
                ins.add(w);
            } else {
                ins.add(weights.bias(t, x.quant(), inputWeightQuant[i - 12]));
            }
        }
        Tensor out = op.output(0);
        TensorRange range = activationRange(out);
        QuantParams h = lstmHidden == LstmHiddenState.SYMMETRIC
                ? QuantMath.symmetric(range.absMax(), 127)
                : QuantMath.asymmetric(range.min(), range.max(), -128, 127);
        TensorRange cell = cellRanges.get(op);
        if (cell == null) {
            throw new IllegalStateException("no calibrated cell-state range for " + op.name());
        }
        int pot = cellPot(cell);
        QuantParams c = QuantParams.perTensor((float) (Math.pow(2, pot) / 32768), 0);
        QuantParams[] intermediates = {null, null, null, null, h};
        OpAttributes.Lstm qa = new OpAttributes.Lstm(
                a.activation(),
                a.cellClip(),
                a.projClip(),
                a.timeMajor(),
                a.asymmetricQuantizeInputs(),
                a.presentInputs(),
                h,
                c,
                intermediates);
        Tensor q = new Tensor(out.name(), out.shape(), actType, null, h, false);
        quantized.put(out, q);
        ops.add(new Op(op.name(), op.type(), ins, List.of(q), qa, op.origin()));
        report.add(LayerReport.converted(
                op,
                x.dtype().lowerName(),
                actType.lowerName(),
                h + ", cell state int16 scale 2^" + (pot - 15),
                "int8 per-tensor symmetric"));
    }

    /** TFLite's GetPowerOfTwoScale exponent: the smallest p in [0, 10] with 2^p ≥ max|c|. */
    private static int cellPot(TensorRange cell) {
        int pot = 0;
        while (pot < 10 && Math.pow(2, pot) < cell.absMax()) {
            pot++;
        }
        return pot;
    }

    /** Why {@code op} (an LSTM) cannot be integer, or null. */
    private String lstmLimitation(Op op) {
        String why = IntegerKernelSupport.lstmLimitation(op);
        if (why != null) {
            return why;
        }
        TensorRange cell = cellRanges.get(op);
        if (cell != null && cellPot(cell) > MAX_CELL_POT) {
            return "its cell state reaches " + cell.absMax() + " on the calibration data, and Quanta's integer LSTM"
                    + " takes cell ranges up to ±" + (1 << MAX_CELL_POT) + " (cell-state scale 2^-11)";
        }
        return null;
    }

    private TensorRange activationRange(Tensor floatTensor) {
        TensorRange r = ranges.get(floatTensor);
        if (r == null) {
            throw new IllegalStateException("no calibrated range for tensor " + floatTensor.name());
        }
        return r;
    }

    /**
     * Runs {@code op} in float between a DEQUANTIZE of each quantized input and a QUANTIZE of its output (with
     * the output's calibrated parameters), so the rest of the graph stays integer. An input another float op (or a
     * float graph input) computes is taken as it is, without quantizing it in between; a QUANTIZE nothing reads is
     * dropped at the end ({@link #dropUnusedQuantize}).
     */
    private void keepInFloat(Op op, String reason) {
        List<Tensor> ins = new ArrayList<>();
        for (Tensor t : op.inputs()) {
            if (t.isConstant()) {
                ins.add(t);
                continue;
            }
            if (floatValue.containsKey(t)) {
                ins.add(floatValue.get(t));
                continue;
            }
            Tensor q = quantized.get(t);
            Tensor f = Tensor.activation(t.name() + "/dequantized", t.shape());
            ops.add(Op.unary(f.name(), OpType.DEQUANTIZE, q, f, op.origin()));
            ins.add(f);
        }
        Tensor out = op.output(0);
        // a graph output with float I/O is this float tensor itself, under the output's name
        boolean floatGraphOutput = io == IoType.FLOAT && model.outputs().contains(out);
        Tensor floatOut = Tensor.activation(out.name() + (floatGraphOutput ? "" : "/float"), out.shape());
        ops.add(new Op(op.name(), op.type(), ins, List.of(floatOut), op.attributes(), op.origin()));
        floatValue.put(out, floatOut);
        QuantParams p = activationParams(out);
        Tensor q =
                new Tensor(out.name() + (floatGraphOutput ? "/quantized" : ""), out.shape(), actType, null, p, false);
        ops.add(Op.unary(q.name() + "/quantize", OpType.QUANTIZE, floatOut, q, op.origin()));
        quantized.put(out, q);
        report.add(LayerReport.leftInFloat(op, reason));
    }

    /** Removes the QUANTIZE ops whose output no op and no graph output reads (left by float layers). */
    private void dropUnusedQuantize(List<Tensor> outputs) {
        boolean dropped = true;
        while (dropped) {
            Set<Tensor> read = Collections.newSetFromMap(new IdentityHashMap<>());
            read.addAll(outputs);
            for (Op op : ops) {
                read.addAll(op.inputs());
            }
            dropped = ops.removeIf(op -> op.type() == OpType.QUANTIZE && !read.contains(op.output(0)));
        }
    }

    /** A constant operand of ADD, SUB, MUL, PACK…, quantized like an activation over its own range. */
    private Tensor quantizeConstantActivation(Tensor c) {
        float[] v = c.data().floats();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        QuantParams p = actType == DType.INT16
                ? QuantMath.symmetric(Math.max(Math.abs(min), Math.abs(max)), 32767)
                : QuantMath.asymmetric(min, max, qmin, qmax);
        return new Tensor(
                c.name(),
                c.shape(),
                actType,
                WeightQuantizer.encode(v, actType, p, c.shape().dims()),
                p,
                c.trainable());
    }
}
