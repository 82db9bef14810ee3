package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Quantizing a float SSD-style head that ends in DETECTION_POSTPROCESS: the layers before it become integer, the
 * post-process stays float on DEQUANTIZE'd inputs with its float anchors and float outputs (whatever the model's
 * I/O type), and the written file runs in TFLite 2.21 with outputs equal to Quanta's, bit for bit, on both paths.
 */
@UsesOracle
class DetectionQuantizationTest {
    private static final int BOXES = 24;
    private static final int FEATURES = 6;
    private static final int CLASSES = 3;
    private static final OpAttributes.DetectionPostProcess FAST =
            new OpAttributes.DetectionPostProcess(5, 2, 100, 0.3f, 0.5f, CLASSES, 10f, 10f, 5f, 5f, false);
    private static final OpAttributes.DetectionPostProcess REGULAR =
            new OpAttributes.DetectionPostProcess(6, 1, 3, 0.3f, 0.5f, CLASSES, 10f, 10f, 5f, 5f, true);

    static Stream<Arguments> modes() {
        return Stream.of(
                Arguments.of(QuantizationMode.INT8, QuantizationScheme.SYMMETRIC, IoType.FLOAT, FAST),
                Arguments.of(QuantizationMode.INT8, QuantizationScheme.SYMMETRIC, IoType.INT8, REGULAR),
                Arguments.of(QuantizationMode.INT8, QuantizationScheme.ASYMMETRIC, IoType.UINT8, FAST),
                Arguments.of(QuantizationMode.INT16X8, QuantizationScheme.SYMMETRIC, IoType.FLOAT, REGULAR),
                Arguments.of(QuantizationMode.INT16X8, QuantizationScheme.SYMMETRIC, IoType.INT16, FAST));
    }

    /** x[N, 24, 6] → Dense(4) box encodings and Dense(4) + sigmoid class predictions → the post-process. */
    static Model ssdHead(OpAttributes.DetectionPostProcess a) {
        SplittableRandom r = new SplittableRandom(7);
        ModelBuilder b = new ModelBuilder("ssd-head");
        Tensor x = b.input("features", Shape.batched(BOXES, FEATURES));
        Tensor boxes = dense(b, "box_encodings", x, 4, CoreArrays.uniform(r, 4 * FEATURES, -0.5, 0.5));
        Tensor logits =
                dense(b, "class_logits", x, CLASSES + 1, CoreArrays.uniform(r, (CLASSES + 1) * FEATURES, -2, 2));
        Tensor scores = CoreModels.activation(b, OpType.LOGISTIC, "class_scores", logits);
        float[] anchors = new float[BOXES * 4];
        for (int i = 0; i < BOXES; i++) {
            anchors[4 * i] = 0.2f + 0.6f * (i % 4) / 3;
            anchors[4 * i + 1] = 0.2f + 0.6f * (i / 4 % 3) / 2;
            anchors[4 * i + 2] = 0.3f + 0.05f * (i % 3);
            anchors[4 * i + 3] = 0.3f + 0.05f * (i % 2);
        }
        Tensor anchorTensor = b.nonTrainableConstant("anchors", Shape.of(BOXES, 4), anchors);
        int rows = a.outputRows();
        List<Tensor> outs = List.of(
                Tensor.activation("detection_boxes", Shape.of(-1, rows, 4)),
                Tensor.activation("detection_classes", Shape.of(-1, rows)),
                Tensor.activation("detection_scores", Shape.of(-1, rows)),
                Tensor.activation("num_detections", Shape.of(-1)));
        b.add(new Op(
                "detections",
                OpType.DETECTION_POSTPROCESS,
                List.of(boxes, scores, anchorTensor),
                outs,
                a,
                new Origin("detections", "TFLite_Detection_PostProcess")));
        for (Tensor t : outs) {
            b.output(t);
        }
        return b.build(ModelMetadata.inMemory());
    }

    /** A Dense layer over the last axis of {@code x}: kernel [units, FEATURES], zero bias. */
    private static Tensor dense(ModelBuilder b, String name, Tensor x, int units, float[] kernel) {
        Tensor w = b.constant(name + "/kernel", Shape.of(units, FEATURES), kernel);
        Tensor bias = b.constant(name + "/bias", Shape.of(units), new float[units]);
        return CoreModels.dense(b, name, x, w, bias);
    }

    @ParameterizedTest(name = "{0} {1}, {2} I/O, regular NMS {3}")
    @MethodSource("modes")
    void thePostProcessStaysFloatAndRunsInTflite(
            QuantizationMode mode, QuantizationScheme scheme, IoType io, OpAttributes.DetectionPostProcess a) {
        Model f = ssdHead(a);
        SplittableRandom r = new SplittableRandom(11);
        Dataset data = Dataset.of(
                "features", new int[] {BOXES, FEATURES}, CoreArrays.uniform(r, 40 * BOXES * FEATURES, -2, 2), null);
        Converter.Conversion c = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(mode)
                        .withScheme(scheme)
                        .withIo(io)
                        .withCalibrationSamples(data.size()))
                .withRepresentativeDataset(data)
                .convert();
        Model q = c.model();

        DType act = mode == QuantizationMode.INT16X8
                ? DType.INT16
                : scheme == QuantizationScheme.ASYMMETRIC ? DType.UINT8 : DType.INT8;
        Op detection = q.ops().stream()
                .filter(op -> op.type() == OpType.DETECTION_POSTPROCESS)
                .findFirst()
                .orElseThrow();
        for (int i = 0; i < 2; i++) {
            Op producer = q.producer(detection.input(i));
            assertThat(producer.type()).as("producer of input " + i).isEqualTo(OpType.DEQUANTIZE);
            assertThat(producer.input(0).dtype()).isEqualTo(act);
        }
        assertThat(detection.input(2).isConstant()).isTrue();
        assertThat(detection.input(2).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(q.outputs()).hasSize(4).allMatch(t -> t.dtype() == DType.FLOAT32);
        assertThat(q.outputs())
                .extracting(Tensor::name)
                .containsExactly("detection_boxes", "detection_classes", "detection_scores", "num_detections");
        assertThat(q.ops().stream().filter(op -> op.type() == OpType.FULLY_CONNECTED))
                .hasSize(2)
                .allMatch(op -> op.input(0).dtype() == act && op.output(0).dtype() == act);
        assertThat(c.report().floatLayers()).extracting(LayerReport::layer).containsExactly("detections");

        byte[] bytes = TfliteWriter.toBytes(q);
        Model read = TfliteReader.read(bytes, Path.of("ssd-head.tflite"));
        int rows = a.outputRows();
        Tensor input = read.inputs().get(0);
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels, 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                quanta.resizeInput(0, new int[] {1, BOXES, FEATURES});
                int detections = 0;
                for (int s = 0; s < 8; s++) {
                    Object in = sample(r, input.dtype(), input.quant());
                    float[][] got = {new float[rows * 4], new float[rows], new float[rows], new float[1]};
                    quanta.runForMultipleInputsOutputs(new Object[] {in}, got);
                    oracle.setInput(0, in);
                    oracle.invoke();
                    String what = mode + " " + io + " " + path + " sample " + s;
                    assertThat(got[3][0]).as(what + " count").isEqualTo(oracle.outputFloat(3)[0]);
                    int count = (int) got[3][0];
                    int defined = a.useRegularNms() ? a.maxDetections() : count * a.maxClassesPerDetection();
                    for (int k = 0; k < 3; k++) {
                        int width = k == 0 ? 4 : 1;
                        float[] want = oracle.outputFloat(k);
                        for (int i = 0; i < defined * width; i++) {
                            assertThat(got[k][i])
                                    .as(what + " output " + k + " [" + i + "]")
                                    .isEqualTo(want[i]);
                        }
                    }
                    detections += count;
                }
                assertThat(detections).as("detections over the samples").isPositive();
            }
        }
    }

    /** A sample in the model's input type: floats in [−2, 2), or random integers of the quantized type. */
    private static Object sample(SplittableRandom r, DType type, dev.quanta.ir.QuantParams q) {
        int n = BOXES * FEATURES;
        float[] f = CoreArrays.uniform(r, n, -2, 2);
        return switch (type) {
            case FLOAT32 -> f;
            case INT8, UINT8 -> {
                byte[] b = new byte[n];
                int lo = type == DType.INT8 ? -128 : 0;
                for (int i = 0; i < n; i++) {
                    b[i] = (byte) Math.max(lo, Math.min(lo + 255, Math.round(f[i] / q.scale()) + q.zeroPoint()));
                }
                yield b;
            }
            case INT16 -> {
                short[] v = new short[n];
                for (int i = 0; i < n; i++) {
                    v[i] = (short) Math.max(-32768, Math.min(32767, Math.round(f[i] / q.scale())));
                }
                yield v;
            }
            default -> throw new IllegalArgumentException(type.name());
        };
    }
}
