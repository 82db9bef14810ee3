package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Dequantize;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Empirical bias correction (Nagel et al. 2019, "Data-Free Quantization", section 4.2, measured on data rather than
 * derived from BatchNorm statistics): weight rounding shifts the expected output of each channel, and the bias takes
 * the shift back. For a FULLY_CONNECTED, CONV_2D or DEPTHWISE_CONV_2D layer with float weights W, the weights Ŵ its
 * integer version will compute with ({@link WeightQuantizer#weightsOf}, dequantized) and float input x (the float
 * model's, on the calibration data):
 *
 * <pre>
 * y = W·x + b,   ŷ = Ŵ·x + b'
 * E[y − ŷ] = 0  ⇔  b'[c] = b[c] + E[((W − Ŵ)·x)[c]]
 * </pre>
 *
 * where the expectation runs over the calibration samples and, for convolutions, every output position (so padding
 * counts as the kernels see it). The shift is measured by running the layer with weights W − Ŵ and no bias. The
 * corrected float bias is then quantized as usual, {@code round(b' / (s_in · s_w[c]))} in int32.
 *
 * <p>Only the bias changes, and the op keeps its input and output tensors, so calibrated ranges stay valid.
 */
final class BiasCorrection {
    private BiasCorrection() {}

    /** The corrected model and a report line per corrected layer. */
    record Result(Model model, List<String> lines) {
        Result {
            lines = List.copyOf(lines);
        }
    }

    /** A layer being corrected: its op, the layer that computes (W − Ŵ)·x, and the per-channel sums of it. */
    private static final class Layer {
        final Op op;
        final Model delta;
        final Interpreter interpreter;
        final double[] sum;
        long count;

        Layer(Op op, Model delta, int threads) {
            this.op = op;
            this.delta = delta;
            this.interpreter =
                    new Interpreter(delta, Interpreter.Options.defaults().withNumThreads(threads));
            this.sum = new double
                    [delta.outputs()
                            .get(0)
                            .shape()
                            .dim(delta.outputs().get(0).shape().rank() - 1)];
        }
    }

    /**
     * Corrects the bias of every FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D with float input and constant float
     * weights in {@code model}, on the first {@code config.calibrationSamples()} samples of {@code data}, with Ŵ the
     * quantized weights of the same op of {@code rounded} ({@code model} itself, or {@code model} with other float
     * weights of the same scales, as {@link LearnedRounding} makes): the shift of those against the float weights W.
     *
     * @param config the settings with the mode chosen: they decide how weights will be quantized
     * @param perChannel per weight tensor name, per-channel (true) or per-tensor (false) weights
     */
    static Result apply(
            Model model, Model rounded, Dataset data, QuantizationConfig config, Map<String, Boolean> perChannel) {
        WeightQuantizer quantizer = new WeightQuantizer(config, perChannel);
        List<Layer> layers = new ArrayList<>();
        try {
            for (int i = 0; i < model.ops().size(); i++) {
                Op op = model.ops().get(i);
                Model delta = deltaLayer(op, rounded.ops().get(i), quantizer);
                if (delta != null) {
                    layers.add(new Layer(op, delta, config.calibrationThreads()));
                }
            }
            if (layers.isEmpty()) {
                return new Result(model, List.of());
            }
            measure(model, data, config, layers);
        } finally {
            for (Layer l : layers) {
                l.interpreter.close();
            }
        }
        List<Op> ops = new ArrayList<>(model.ops());
        List<String> lines = new ArrayList<>();
        for (Layer l : layers) {
            Op op = l.op;
            int channels = l.sum.length;
            float[] bias = op.inputs().size() > 2 ? op.input(2).data().floats() : new float[channels];
            float[] corrected = new float[channels];
            int worst = 0;
            double largest = 0;
            for (int c = 0; c < channels; c++) {
                double shift = l.count == 0 ? 0 : l.sum[c] / l.count;
                corrected[c] = (float) (bias[c] + shift);
                if (Math.abs(shift) > largest) {
                    largest = Math.abs(shift);
                    worst = c;
                }
            }
            String biasName = op.inputs().size() > 2 ? op.input(2).name() : op.name() + "/bias";
            Tensor b = Tensor.constant(biasName, Shape.of(channels), corrected);
            ops.set(
                    ops.indexOf(op),
                    new Op(
                            op.name(),
                            op.type(),
                            List.of(op.input(0), op.input(1), b),
                            op.outputs(),
                            op.attributes(),
                            op.origin()));
            lines.add(String.format(
                    Locale.ROOT,
                    "%s (%s): largest bias shift %+.4g at channel %d (bias there %.4g)",
                    QuantizationReport.shorten(op.origin().layerName()),
                    op.type(),
                    corrected[worst] - bias[worst],
                    worst,
                    bias[worst]));
        }
        return new Result(new Model(model.name(), model.inputs(), model.outputs(), ops, model.metadata()), lines);
    }

    /**
     * The one-op model {@code x → op with weights W − Ŵ, bias 0, no activation}, or null when {@code op} is not a
     * layer to correct (or its weights round exactly); Ŵ are the quantized weights of {@code roundedOp}, {@code op} itself
     * or {@code op} with learned float weights.
     */
    static Model deltaLayer(Op op, Op roundedOp, WeightQuantizer quantizer) {
        if (op.type() != OpType.FULLY_CONNECTED
                && op.type() != OpType.CONV_2D
                && op.type() != OpType.DEPTHWISE_CONV_2D) {
            return null;
        }
        Tensor w = op.input(1);
        if (op.input(0).dtype() != DType.FLOAT32
                || op.input(0).isConstant()
                || !w.isConstant()
                || w.dtype() != DType.FLOAT32) {
            return null;
        }
        float[] exact = w.data().floats();
        // the weights as encoded with the minimum-scale guard; the bias-fit guard (which can only enlarge the
        // scales of channels whose weights are about zero next to their bias) is left out: it needs the input's
        // quantized scale and changes those channels' rounding error by less than their tiny weights
        float[] rounded =
                Dequantize.constant(quantizer.weightsAndBias(roundedOp, null).weights());
        float[] delta = new float[exact.length];
        boolean any = false;
        for (int e = 0; e < exact.length; e++) {
            delta[e] = exact[e] - rounded[e];
            any |= delta[e] != 0;
        }
        if (!any) {
            return null;
        }
        int[] wd = w.shape().dims();
        int channels = op.type() == OpType.DEPTHWISE_CONV_2D ? wd[3] : wd[0];
        Tensor x = Tensor.activation(op.input(0).name(), op.input(0).shape());
        Tensor dw = Tensor.constant(w.name() + "/rounding_error", w.shape(), delta);
        Tensor zero = Tensor.constant(op.name() + "/zero_bias", Shape.of(channels), new float[channels]);
        Tensor y = Tensor.activation(
                op.output(0).name() + "/rounding_shift", op.output(0).shape());
        Op linear =
                new Op(op.name(), op.type(), List.of(x, dw, zero), List.of(y), linear(op.attributes()), op.origin());
        return new Model(
                op.name() + "/rounding_error", List.of(x), List.of(y), List.of(linear), ModelMetadata.inMemory());
    }

    /** {@code attrs} without a fused activation. */
    private static OpAttributes linear(OpAttributes attrs) {
        return switch (attrs) {
            case OpAttributes.FullyConnected a ->
                new OpAttributes.FullyConnected(Activation.NONE, a.asymmetricQuantizeInputs());
            case OpAttributes.Conv2D a ->
                new OpAttributes.Conv2D(
                        a.padding(), a.strideH(), a.strideW(), a.dilationH(), a.dilationW(), Activation.NONE);
            case OpAttributes.DepthwiseConv2D a ->
                new OpAttributes.DepthwiseConv2D(
                        a.padding(),
                        a.strideH(),
                        a.strideW(),
                        a.dilationH(),
                        a.dilationW(),
                        a.depthMultiplier(),
                        Activation.NONE);
            default -> throw new IllegalArgumentException(attrs.toString());
        };
    }

    /** Runs the float model over the calibration batches and each layer's error on its float input. */
    private static void measure(Model model, Dataset data, QuantizationConfig config, List<Layer> layers) {
        int n = Math.min(config.calibrationSamples(), data.size());
        CalibrationBatches.run(model, data, n, config.calibrationThreads(), (it, s, count) -> {
            for (Layer l : layers) {
                Tensor x = l.op.input(0);
                float[] xv = (float[]) it.readTensor(x);
                l.interpreter.resizeInput(0, it.tensorShape(x));
                l.interpreter.runForMultipleInputsOutputs(new Object[] {xv}, new Object[0]);
                float[] shift =
                        (float[]) l.interpreter.readTensor(l.delta.outputs().get(0));
                int channels = l.sum.length;
                for (int e = 0; e < shift.length; e++) {
                    l.sum[e % channels] += shift[e];
                }
                l.count += shift.length / channels;
            }
        });
    }
}
