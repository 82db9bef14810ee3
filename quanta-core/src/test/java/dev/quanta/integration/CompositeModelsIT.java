package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11, acceptance 2: small composite float models built from IR ops (a U-Net, a MobileNetV3 block with
 * squeeze-excite, an SSD head ending in DETECTION_POSTPROCESS, a 1-D CNN), quantized by Quanta in every mode TFLite
 * runs them in (float16, dynamic range, int8 with the int8 and the uint8 scheme, 16x8), written as .tflite and run
 * in TFLite 2.21 on both paths and in Quanta on both paths, float I/O:
 *
 * <ul>
 *   <li>integer models: Quanta's outputs equal TFLite's on the same path (the dequantized outputs of equal integers)
 *       and are within one output step of the other path's;
 *   <li>float16 and dynamic range: within 10⁻⁵ of the output's range of TFLite's on the same path;
 *   <li>the quantized model stays near the float one: RMS error over the samples at most a mode's fraction of the
 *       float output's range (see {@link Variant#rmsBound}).
 * </ul>
 *
 * <p>Also a bidirectional LSTM classifier, and a GRU classifier imported from a Keras 2 .h5 (GRU unrolled into
 * FULLY_CONNECTED, LOGISTIC, TANH, MUL, ADD and SUB, as TFLite has no GRU builtin; integer in every mode).
 * Refusals shown: TFLite has no integer BIDIRECTIONAL_SEQUENCE_LSTM and no int16 HARD_SWISH, so Quanta refuses those
 * conversions and, with float fallback allowed, keeps those layers in float (the files then run as above).
 */
@UsesOracle
class CompositeModelsIT {
    private static final int CALIBRATION = 32;
    private static final int SAMPLES = 6;
    private static final Origin O = new Origin("composite", "Test");

    /**
     * How many output steps Quanta may be from TFLite's other path. One op is within one step of it; in a model, a
     * one-step difference in a hidden layer is carried, scaled by the weights, into the output, so a few steps.
     */
    private static final double CROSS_PATH_STEPS = 3.0001;

    /**
     * How far Quanta's XNNPACK path may be from TFLite's for dynamic range, as a fraction of the output's range:
     * XNNPACK's own dynamic quantization (qd8) of hybrid CONV_2D and FULLY_CONNECTED is not reproduced (see
     * ConvolutionKernels), so there the hybrid kernels agree with the built-in path only, within 10⁻⁵.
     */
    private static final double DYNAMIC_XNNPACK = 0.02;

    /** A quantization mode of the sweep. */
    enum Variant {
        FLOAT16(c -> c.withMode(QuantizationMode.FLOAT16), 1e-3),
        DYNAMIC(c -> c.withMode(QuantizationMode.DYNAMIC), 0.02),
        INT8(c -> c.withMode(QuantizationMode.INT8), 0.03),
        UINT8(
                c -> c.withMode(QuantizationMode.INT8)
                        .withScheme(QuantizationScheme.ASYMMETRIC)
                        .withGranularity(Granularity.PER_TENSOR),
                0.03),
        INT16X8(c -> c.withMode(QuantizationMode.INT16X8), 0.01);

        final UnaryOperator<QuantizationConfig> config;

        /**
         * The largest RMS error of the quantized model against the float one, as a fraction of the float output's
         * range. float16 weights carry 11 significant bits (relative error 2⁻¹¹ per weight: 10⁻³ leaves room for
         * 4–6 layers); int8 steps are 1/255 of a range and a 4–6 layer model accumulates a few steps of rounding per
         * layer, so 3% is a sanity bound above the ≤ 1% seen and far below a broken model's error (tens of
         * percent); dynamic range quantizes only weights and layer inputs (≤ 0.4% seen, bound 2%); 16x8 keeps the
         * int8 weights' error (≤ 0.4% seen, bound 1%).
         */
        final double rmsBound;

        Variant(UnaryOperator<QuantizationConfig> config, double rmsBound) {
            this.config = config;
            this.rmsBound = rmsBound;
        }

        boolean integer() {
            return this == INT8 || this == UINT8 || this == INT16X8;
        }
    }

    /** A model of the sweep: how to build it, its sample shape, and its outputs compared for closeness. */
    record Composite(String name, Supplier<Model> build, int[] sample, int[] closeOutputs) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Composite> composites() {
        return List.of(
                new Composite("unet", CompositeModelsIT::unet, new int[] {8, 8, 2}, new int[] {0}),
                new Composite(
                        "mobilenetv3-block", CompositeModelsIT::mobileNetV3Block, new int[] {6, 6, 8}, new int[] {0}),
                new Composite("ssd-head", CompositeModelsIT::ssdHead, new int[] {4, 4, 6}, new int[] {4}),
                new Composite("cnn-1d", CompositeModelsIT::cnn1d, new int[] {32, 2}, new int[] {0}),
                new Composite(
                        "bilstm-classifier", CompositeModelsIT::bilstmClassifier, new int[] {6, 3}, new int[] {0}),
                new Composite("gru-classifier", CompositeModelsIT::gruClassifier, new int[] {6, 3}, new int[] {0}));
    }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (Composite c : composites()) {
            for (Variant v : Variant.values()) {
                all.add(Arguments.of(c, v));
            }
        }
        return all.stream();
    }

    // ------------------------------------------------------------------ the models

    private static Tensor conv(
            ModelBuilder b,
            SplittableRandom r,
            String name,
            Tensor x,
            int out,
            int kh,
            int kw,
            int stride,
            Activation a) {
        int in = x.shape().dims()[3];
        double bound = Math.sqrt(3.0 / (kh * kw * in)) * 1.4;
        Tensor w = b.constant(
                name + "/kernel", Shape.of(out, kh, kw, in), CoreArrays.uniform(r, out * kh * kw * in, -bound, bound));
        Tensor bias = b.constant(name + "/bias", Shape.of(out), CoreArrays.uniform(r, out, -0.1, 0.1));
        return b.add(
                OpType.CONV_2D,
                name,
                new Origin(name, "Conv2D"),
                new OpAttributes.Conv2D(Padding.SAME, stride, stride, 1, 1, a),
                x,
                w,
                bias);
    }

    private static Tensor dense(ModelBuilder b, SplittableRandom r, String name, Tensor x, int units, Activation a) {
        int in = x.shape().dims()[x.shape().dims().length - 1];
        double bound = Math.sqrt(3.0 / in) * 1.4;
        Tensor w = b.constant(name + "/kernel", Shape.of(units, in), CoreArrays.uniform(r, units * in, -bound, bound));
        Tensor bias = b.constant(name + "/bias", Shape.of(units), CoreArrays.uniform(r, units, -0.1, 0.1));
        return b.add(
                OpType.FULLY_CONNECTED,
                name,
                new Origin(name, "Dense"),
                new OpAttributes.FullyConnected(a),
                x,
                w,
                bias);
    }

    private static Tensor concat(ModelBuilder b, String name, int axis, Tensor... xs) {
        return b.add(
                OpType.CONCATENATION,
                name,
                new Origin(name, "Concatenate"),
                new OpAttributes.Concatenation(axis, Activation.NONE),
                xs);
    }

    /**
     * x[8,8,2] → conv 3×3 (4, ReLU) e1 → conv stride 2 (8, ReLU) d1[4,4,8] → conv stride 2 (8, ReLU) d2[2,2,8] →
     * TRANSPOSE_CONV 3×3 stride 2 (8, ReLU) u1[4,4,8] → concat(u1, d1) → conv 3×3 (6, ReLU) → RESIZE_BILINEAR to
     * 8×8 (half-pixel centers) → concat with e1 → conv 1×1 (2) y[8,8,2].
     */
    static Model unet() {
        SplittableRandom r = new SplittableRandom(21);
        ModelBuilder b = new ModelBuilder("unet");
        Tensor x = b.input("x", Shape.batched(8, 8, 2));
        Tensor e1 = conv(b, r, "enc1", x, 4, 3, 3, 1, Activation.RELU);
        Tensor d1 = conv(b, r, "down1", e1, 8, 3, 3, 2, Activation.RELU);
        Tensor d2 = conv(b, r, "down2", d1, 8, 3, 3, 2, Activation.RELU);
        Tensor w = b.constant("up1/kernel", Shape.of(8, 3, 3, 8), CoreArrays.uniform(r, 8 * 9 * 8, -0.3, 0.3));
        Tensor bias = b.constant("up1/bias", Shape.of(8), CoreArrays.uniform(r, 8, -0.1, 0.1));
        Tensor u1 = b.add(
                OpType.TRANSPOSE_CONV,
                "up1",
                new Origin("up1", "Conv2DTranspose"),
                new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 4, 4, Activation.RELU),
                d2,
                w,
                bias);
        Tensor j1 = concat(b, "skip1", -1, u1, d1);
        Tensor c1 = conv(b, r, "dec1", j1, 6, 3, 3, 1, Activation.RELU);
        Tensor u2 = b.add(OpType.RESIZE_BILINEAR, "up2", O, new OpAttributes.Resize(8, 8, false, true), c1);
        Tensor j2 = concat(b, "skip2", -1, u2, e1);
        Tensor y = conv(b, r, "head", j2, 2, 1, 1, 1, Activation.NONE);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * x[6,6,8] → conv 1×1 (16) → HARD_SWISH → depthwise 3×3 → HARD_SWISH h → squeeze-excite: MEAN over H, W →
     * dense (4) → RELU → dense (16) → LOGISTIC → RESHAPE [1,1,16] → MUL h (broadcast over H, W) → projection conv
     * 1×1 (8) → ADD x.
     */
    static Model mobileNetV3Block() {
        SplittableRandom r = new SplittableRandom(22);
        ModelBuilder b = new ModelBuilder("mobilenetv3-block");
        Tensor x = b.input("x", Shape.batched(6, 6, 8));
        Tensor e = conv(b, r, "expand", x, 16, 1, 1, 1, Activation.NONE);
        Tensor h = b.add(OpType.HARD_SWISH, "expand/hswish", O, OpAttributes.None.INSTANCE, e);
        Tensor dw = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, Activation.NONE),
                h,
                b.constant("dw/kernel", Shape.of(1, 3, 3, 16), CoreArrays.uniform(r, 9 * 16, -0.6, 0.6)),
                b.constant("dw/bias", Shape.of(16), CoreArrays.uniform(r, 16, -0.1, 0.1)));
        Tensor hd = b.add(OpType.HARD_SWISH, "dw/hswish", O, OpAttributes.None.INSTANCE, dw);
        Tensor m = b.add(OpType.MEAN, "se/pool", O, new OpAttributes.Mean(new int[] {1, 2}, false), hd);
        Tensor s1 = dense(b, r, "se/reduce", m, 4, Activation.NONE);
        Tensor s1r = b.add(OpType.RELU, "se/relu", O, OpAttributes.None.INSTANCE, s1);
        Tensor s2 = dense(b, r, "se/expand", s1r, 16, Activation.NONE);
        Tensor g = b.add(OpType.LOGISTIC, "se/gate", O, OpAttributes.None.INSTANCE, s2);
        Tensor g4 = b.add(OpType.RESHAPE, "se/reshape", O, new OpAttributes.Reshape(new int[] {-1, 1, 1, 16}), g);
        Tensor scaled = b.add(OpType.MUL, "se/scale", O, new OpAttributes.Arithmetic(Activation.NONE), hd, g4);
        Tensor p = conv(b, r, "project", scaled, 8, 1, 1, 1, Activation.NONE);
        Tensor y = b.add(OpType.ADD, "residual", O, new OpAttributes.Add(Activation.NONE), p, x);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    private static final int SSD_BOXES = 4 * 4 * 2 + 2 * 2 * 2;
    private static final OpAttributes.DetectionPostProcess SSD_NMS =
            new OpAttributes.DetectionPostProcess(5, 1, 100, 0.3f, 0.5f, 3, 10f, 10f, 5f, 5f, false);

    /**
     * x[4,4,6] → conv 3×3 (8, ReLU) f1[4,4,8] → conv stride 2 (8, ReLU) f2[2,2,8]; each map → a combined head conv
     * 1×1 (16 = 2 anchors × (4 box + 4 class) channels) → SPLIT in two → RESHAPE to [boxes, 4]; box encodings and
     * class logits concatenated over both maps → LOGISTIC scores → DETECTION_POSTPROCESS with 40 anchors. Outputs:
     * the four detection outputs and the scores.
     */
    static Model ssdHead() {
        SplittableRandom r = new SplittableRandom(23);
        ModelBuilder b = new ModelBuilder("ssd-head");
        Tensor x = b.input("x", Shape.batched(4, 4, 6));
        Tensor f1 = conv(b, r, "f1", x, 8, 3, 3, 1, Activation.RELU);
        Tensor f2 = conv(b, r, "f2", f1, 8, 3, 3, 2, Activation.RELU);
        List<Tensor> boxes = new ArrayList<>();
        List<Tensor> logits = new ArrayList<>();
        int k = 0;
        for (Tensor f : List.of(f1, f2)) {
            String n = "head" + k++;
            Tensor head = conv(b, r, n, f, 16, 1, 1, 1, Activation.NONE);
            var split = new OpAttributes.Split(-1, 2);
            List<Shape> shapes = dev.quanta.ir.ShapeInference.inferAll(OpType.SPLIT, split, List.of(head));
            List<Tensor> parts = List.of(
                    Tensor.activation(n + "/boxes", shapes.get(0)), Tensor.activation(n + "/classes", shapes.get(1)));
            b.add(new Op(n + "/split", OpType.SPLIT, List.of(head), parts, split, O));
            int anchors = f.shape().dims()[1] * f.shape().dims()[2] * 2;
            boxes.add(b.add(
                    OpType.RESHAPE,
                    n + "/boxes/reshape",
                    O,
                    new OpAttributes.Reshape(new int[] {-1, anchors, 4}),
                    parts.get(0)));
            logits.add(b.add(
                    OpType.RESHAPE,
                    n + "/classes/reshape",
                    O,
                    new OpAttributes.Reshape(new int[] {-1, anchors, 4}),
                    parts.get(1)));
        }
        Tensor box = concat(b, "boxes", 1, boxes.toArray(Tensor[]::new));
        Tensor logit = concat(b, "classes", 1, logits.toArray(Tensor[]::new));
        Tensor scores = b.add(OpType.LOGISTIC, "scores", O, OpAttributes.None.INSTANCE, logit);
        float[] anchors = new float[SSD_BOXES * 4];
        for (int i = 0; i < SSD_BOXES; i++) {
            anchors[4 * i] = 0.1f + 0.8f * (i % 5) / 4;
            anchors[4 * i + 1] = 0.1f + 0.8f * (i / 5 % 8) / 7;
            anchors[4 * i + 2] = 0.2f + 0.05f * (i % 3);
            anchors[4 * i + 3] = 0.2f + 0.05f * (i % 2);
        }
        Tensor anchorTensor = b.nonTrainableConstant("anchors", Shape.of(SSD_BOXES, 4), anchors);
        int rows = SSD_NMS.outputRows();
        List<Tensor> outs = List.of(
                Tensor.activation("detection_boxes", Shape.of(-1, rows, 4)),
                Tensor.activation("detection_classes", Shape.of(-1, rows)),
                Tensor.activation("detection_scores", Shape.of(-1, rows)),
                Tensor.activation("num_detections", Shape.of(-1)));
        b.add(new Op(
                "detections",
                OpType.DETECTION_POSTPROCESS,
                List.of(box, scores, anchorTensor),
                outs,
                SSD_NMS,
                new Origin("detections", "TFLite_Detection_PostProcess")));
        for (Tensor t : outs) {
            b.output(t);
        }
        return b.output(scores).build(ModelMetadata.inMemory());
    }

    /**
     * x[32,2] (time, channels) → EXPAND_DIMS → [1,32,2] → conv 1×5 (8, ReLU) → MAX_POOL 1×2 stride 2 → conv 1×3
     * (8, ReLU) → MEAN over the rows and time → dense (3) → SOFTMAX.
     */
    static Model cnn1d() {
        SplittableRandom r = new SplittableRandom(24);
        ModelBuilder b = new ModelBuilder("cnn-1d");
        Tensor x = b.input("x", Shape.batched(32, 2));
        Tensor x4 = b.add(OpType.EXPAND_DIMS, "expand", O, new OpAttributes.ExpandDims(1), x);
        Tensor c1 = conv(b, r, "conv1", x4, 8, 1, 5, 1, Activation.RELU);
        Tensor p = b.add(
                OpType.MAX_POOL_2D,
                "pool",
                new Origin("pool", "MaxPooling1D"),
                new OpAttributes.Pool2D(Padding.VALID, 1, 2, 1, 2, Activation.NONE),
                c1);
        Tensor c2 = conv(b, r, "conv2", p, 8, 1, 3, 1, Activation.RELU);
        Tensor m = b.add(OpType.MEAN, "gap", O, new OpAttributes.Mean(new int[] {1, 2}, false), c2);
        Tensor d = dense(b, r, "logits", m, 3, Activation.NONE);
        Tensor y = b.add(OpType.SOFTMAX, "softmax", O, new OpAttributes.Softmax(1f), d);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    private static final int LSTM_CELLS = 5;

    /**
     * x[6,3] (steps, features; batch-major) → BIDIRECTIONAL_SEQUENCE_LSTM (5 cells each way, all gates, merged
     * outputs [6,10]) → RESHAPE [60] → dense (4) → SOFTMAX.
     */
    static Model bilstmClassifier() {
        SplittableRandom r = new SplittableRandom(25);
        ModelBuilder b = new ModelBuilder("bilstm-classifier");
        Tensor x = b.input("x", Shape.batched(6, 3));
        boolean[] present = new boolean[48];
        present[0] = true;
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        for (int dir = 0; dir < 2; dir++) {
            int off = 17 * dir;
            for (int i = 1; i <= 8; i++) {
                int cols = i <= 4 ? 3 : LSTM_CELLS;
                ins.add(b.constant(
                        "lstm/w" + (i + off),
                        Shape.of(LSTM_CELLS, cols),
                        CoreArrays.uniform(r, LSTM_CELLS * cols, -0.8, 0.8)));
                present[i + off] = true;
            }
            for (int i = 12; i <= 15; i++) {
                ins.add(b.constant(
                        "lstm/b" + (i + off), Shape.of(LSTM_CELLS), CoreArrays.uniform(r, LSTM_CELLS, -0.5, 0.5)));
                present[i + off] = true;
            }
        }
        Tensor h = Tensor.activation("lstm", Shape.batched(6, 2 * LSTM_CELLS));
        b.add(new Op(
                "lstm",
                OpType.BIDIRECTIONAL_SEQUENCE_LSTM,
                ins,
                List.of(h),
                new OpAttributes.BidirectionalLstm(
                        OpAttributes.LstmActivation.TANH, 0f, 0f, true, false, true, present),
                new Origin("lstm", "Bidirectional")));
        Tensor flat = b.add(OpType.RESHAPE, "flatten", O, new OpAttributes.Reshape(new int[] {-1, 12 * LSTM_CELLS}), h);
        Tensor d = dense(b, r, "logits", flat, 4, Activation.NONE);
        Tensor y = b.add(OpType.SOFTMAX, "softmax", O, new OpAttributes.Softmax(1f), d);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * A Keras 2 Sequential .h5 (written to a temporary file): x[6,3] → GRU(5, reset_after, last state) → Dense(4,
     * softmax), imported by Quanta's Keras importer.
     */
    static Model gruClassifier() {
        SplittableRandom r = new SplittableRandom(27);
        int units = 5;
        String json = "{\"class_name\": \"Sequential\", \"config\": {\"name\": \"gru_classifier\", \"layers\": ["
                + "{\"class_name\": \"InputLayer\", \"config\": {\"name\": \"x\", \"batch_input_shape\": [null, 6, 3],"
                + " \"dtype\": \"float32\"}},"
                + "{\"class_name\": \"GRU\", \"config\": {\"name\": \"gru\", \"units\": 5, \"activation\": \"tanh\","
                + " \"recurrent_activation\": \"sigmoid\", \"use_bias\": true, \"return_sequences\": false,"
                + " \"reset_after\": true}},"
                + "{\"class_name\": \"Dense\", \"config\": {\"name\": \"logits\", \"units\": 4, \"activation\":"
                + " \"softmax\", \"use_bias\": true}}]}}";
        try {
            Path file = java.nio.file.Files.createTempFile("gru-classifier", ".h5");
            file.toFile().deleteOnExit();
            java.nio.file.Files.delete(file);
            try (io.jhdf.WritableHdfFile h = io.jhdf.HdfFile.write(file)) {
                h.putAttribute("model_config", json);
                h.putAttribute("keras_version", "2.15.0");
                h.putAttribute("backend", "tensorflow");
                io.jhdf.api.WritableGroup mw = h.putGroup("model_weights");
                mw.putAttribute("layer_names", new String[] {"gru", "logits"});
                io.jhdf.api.WritableGroup gru = mw.putGroup("gru");
                gru.putAttribute("weight_names", new String[] {
                    "gru/gru_cell/kernel:0", "gru/gru_cell/recurrent_kernel:0", "gru/gru_cell/bias:0"
                });
                io.jhdf.api.WritableGroup cell = gru.putGroup("gru").putGroup("gru_cell");
                cell.putDataset("kernel:0", matrix(r, 3, 3 * units, 0.8));
                cell.putDataset("recurrent_kernel:0", matrix(r, units, 3 * units, 0.8));
                cell.putDataset("bias:0", matrix(r, 2, 3 * units, 0.5));
                io.jhdf.api.WritableGroup dense = mw.putGroup("logits");
                dense.putAttribute("weight_names", new String[] {"logits/kernel:0", "logits/bias:0"});
                io.jhdf.api.WritableGroup inner = dense.putGroup("logits");
                inner.putDataset("kernel:0", matrix(r, units, 4, 0.8));
                inner.putDataset("bias:0", CoreArrays.uniform(r, 4, -0.5, 0.5));
            }
            return dev.quanta.keras.KerasImporter.load(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static float[][] matrix(SplittableRandom r, int rows, int cols, double bound) {
        float[][] m = new float[rows][];
        for (int i = 0; i < rows; i++) {
            m[i] = CoreArrays.uniform(r, cols, -bound, bound);
        }
        return m;
    }

    // ------------------------------------------------------------------ the sweep

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void quantizedByQuantaRunsInTfliteAsInQuanta(Composite c, Variant v) {
        Model f = c.build().get();
        int size = 1;
        for (int d : c.sample()) {
            size *= d;
        }
        SplittableRandom r = new SplittableRandom(c.name().hashCode());
        Dataset cal = Dataset.of(c.name(), c.sample(), CoreArrays.uniform(r, CALIBRATION * size, -1, 1), null);
        QuantizationConfig config = v.config.apply(QuantizationConfig.defaults().withCalibrationSamples(CALIBRATION));
        if (c.name().equals("bilstm-classifier") && v.integer()) {
            // TFLite has no integer BIDIRECTIONAL_SEQUENCE_LSTM: Quanta refuses, and keeps it in float when allowed
            QuantizationConfig strict = config;
            assertThatThrownBy(() -> Converter.fromModel(f)
                            .withConfig(strict)
                            .withRepresentativeDataset(cal)
                            .convert())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("BIDIRECTIONAL_SEQUENCE_LSTM has no");
            config = config.withAllowFloatFallback(true);
        }
        if (c.name().equals("mobilenetv3-block") && v == Variant.INT16X8) {
            // TFLite 2.21 has no int16 HARD_SWISH kernel: Quanta refuses, and keeps it in float when allowed
            QuantizationConfig strict = config;
            assertThatThrownBy(() -> Converter.fromModel(f)
                            .withConfig(strict)
                            .withRepresentativeDataset(cal)
                            .convert())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("HARD_SWISH has no int16 kernel");
            config = config.withAllowFloatFallback(true);
        }
        Model q = Converter.fromModel(f)
                .withConfig(config)
                .withRepresentativeDataset(cal)
                .convert()
                .model();
        if (v.integer()) {
            DType act = v == Variant.UINT8 ? DType.UINT8 : v == Variant.INT16X8 ? DType.INT16 : DType.INT8;
            assertThat(q.ops().stream()
                            .filter(op -> op.type() == OpType.CONV_2D)
                            .allMatch(op -> op.input(0).dtype() == act))
                    .as("every CONV_2D in " + act.lowerName())
                    .isTrue();
            for (Op op : q.ops()) {
                if (op.type() == OpType.CONCATENATION) {
                    for (Tensor in : op.inputs()) {
                        assertThat(in.quant())
                                .as(op.name() + " input " + in.name())
                                .isEqualTo(op.output(0).quant());
                    }
                }
            }
        }
        byte[] file = TfliteWriter.toBytes(q);
        Model read = TfliteReader.read(file, Path.of(c.name() + ".tflite"));
        int outs = read.outputs().size();
        double[] steps = new double[outs];
        for (int k = 0; k < outs; k++) {
            Op producer = q.producer(q.outputs().get(k));
            steps[k] = producer != null && producer.type() == OpType.DEQUANTIZE
                    ? producer.input(0).quant().scale()
                    : 0;
        }

        float[][] samples = new float[SAMPLES][size];
        for (float[] s : samples) {
            System.arraycopy(CoreArrays.uniform(r, size, -1, 1), 0, s, 0, size);
        }
        // TFLite's outputs: [path][sample][output]
        float[][][][] tflite = new float[2][SAMPLES][][];
        for (QuantizedPath path : QuantizedPath.values()) {
            try (TfliteOracle o = TfliteOracle.open(file, TfliteOracle.Kernels.valueOf(path.name()), 1)) {
                for (int s = 0; s < SAMPLES; s++) {
                    o.resetVariableTensors(); // the LSTM's state: each sample starts from zero, as in Quanta
                    o.setInput(0, samples[s]);
                    o.invoke();
                    tflite[path.ordinal()][s] = new float[outs][];
                    for (int k = 0; k < outs; k++) {
                        tflite[path.ordinal()][s][k] = o.outputFloat(k);
                    }
                }
            }
        }
        float[][][] reference = run(f, samples, tflite[0], QuantizedPath.BUILTIN, c.sample());
        for (QuantizedPath path : QuantizedPath.values()) {
            float[][][] mine = run(read, samples, tflite[0], path, c.sample());
            double worstSteps = 0;
            double worstShare = 0;
            for (int s = 0; s < SAMPLES; s++) {
                for (int k = 0; k < outs; k++) {
                    String what = c.name() + " " + v + " Quanta " + path + " sample " + s + " output " + k;
                    int defined = defined(read, k, tflite[path.ordinal()][s]);
                    float[] same = tflite[path.ordinal()][s][k];
                    float[] other = tflite[1 - path.ordinal()][s][k];
                    float[] got = mine[s][k];
                    if (v.integer()) {
                        for (int i = 0; i < defined; i++) {
                            assertThat(got[i])
                                    .as(what + " [" + i + "] vs TFLite " + path)
                                    .isEqualTo(same[i]);
                        }
                        if (steps[k] > 0) {
                            for (int i = 0; i < defined; i++) {
                                worstSteps = Math.max(worstSteps, Math.abs(got[i] - other[i]) / steps[k]);
                                assertThat((double) got[i])
                                        .as(what + " [" + i + "] vs TFLite's other path")
                                        .isCloseTo(
                                                other[i],
                                                org.assertj.core.data.Offset.offset(steps[k] * CROSS_PATH_STEPS));
                            }
                        }
                    } else {
                        double share = v == Variant.DYNAMIC && path == QuantizedPath.XNNPACK ? DYNAMIC_XNNPACK : 1e-5;
                        double tol = share * Math.max(range(same, defined), 1e-3);
                        for (int i = 0; i < defined; i++) {
                            worstShare = Math.max(worstShare, Math.abs(got[i] - same[i]) / (tol / share));
                            assertThat((double) got[i])
                                    .as(what + " [" + i + "] vs TFLite " + path)
                                    .isCloseTo(same[i], org.assertj.core.data.Offset.offset(tol));
                        }
                    }
                }
            }
            for (int k : c.closeOutputs()) {
                double se = 0;
                int n = 0;
                float lo = Float.POSITIVE_INFINITY;
                float hi = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < SAMPLES; s++) {
                    for (int i = 0; i < reference[s][k].length; i++) {
                        double e = mine[s][k][i] - reference[s][k][i];
                        se += e * e;
                        n++;
                        lo = Math.min(lo, reference[s][k][i]);
                        hi = Math.max(hi, reference[s][k][i]);
                    }
                }
                System.out.printf(
                        "%s %s Quanta %s: other path within %.0f steps, float within %.2g of range, RMS/range %.4f%n",
                        c.name(), v, path, worstSteps, worstShare, Math.sqrt(se / n) / (hi - lo));
                assertThat(Math.sqrt(se / n) / (hi - lo))
                        .as(c.name() + " " + v + " " + path + ": RMS error / float output range")
                        .isLessThanOrEqualTo(v.rmsBound);
            }
        }
    }

    /** Runs {@code m} in Quanta on {@code path}: [sample][output], outputs sized as TFLite's. */
    private static float[][][] run(Model m, float[][] samples, float[][][] like, QuantizedPath path, int[] sample) {
        float[][][] all = new float[samples.length][][];
        try (Interpreter it = new Interpreter(m, Interpreter.Options.defaults().withKernelPath(path))) {
            int[] dims = new int[sample.length + 1];
            dims[0] = 1;
            System.arraycopy(sample, 0, dims, 1, sample.length);
            it.resizeInput(0, dims);
            for (int s = 0; s < samples.length; s++) {
                Object[] outs = new Object[like[s].length];
                for (int k = 0; k < outs.length; k++) {
                    outs[k] = new float[like[s][k].length];
                }
                it.runForMultipleInputsOutputs(new Object[] {samples[s]}, outs);
                all[s] = new float[outs.length][];
                for (int k = 0; k < outs.length; k++) {
                    all[s][k] = (float[]) outs[k];
                }
            }
        }
        return all;
    }

    /**
     * How many leading values of output {@code k} TFLite defines: all, except the rows of DETECTION_POSTPROCESS
     * beyond its detection count (read from the sample's num_detections output).
     */
    private static int defined(Model m, int k, float[][] outputs) {
        Op producer = m.producer(m.outputs().get(k));
        if (producer == null || producer.type() != OpType.DETECTION_POSTPROCESS || k == 3) {
            return outputs[k].length;
        }
        int count = (int) outputs[3][0];
        return count * (k == 0 ? 4 : 1);
    }

    private static double range(float[] v, int n) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            lo = Math.min(lo, v[i]);
            hi = Math.max(hi, v[i]);
        }
        return n == 0 ? 0 : hi - lo;
    }
}
