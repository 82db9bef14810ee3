package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * DETECTION_POSTPROCESS (TFLite's {@code TFLite_Detection_PostProcess} custom op) against TFLite 2.21's own kernel,
 * which its built-in resolver registers: seeded SSD-like single-op models (clustered anchors so that boxes overlap,
 * scores on a coarse grid so that they tie, with and without a background class), written by Quanta's writer, read
 * back by its reader, run by Quanta and by TFLite on both paths (XNNPACK takes no custom op, so both run TFLite's
 * kernel), one thread. Box encodings and class predictions are float32 or uint8 in every combination, both NMS
 * variants. Every output value TFLite defines must be equal, bit for bit: the count, and each detection's box,
 * class and score (rows TFLite leaves unwritten, past the fast NMS's detections, are not compared).
 */
@UsesOracle
class DetectionPostProcessOracleTest {
    private static final int CONFIGS = 40;
    private static final int SAMPLES = 3;

    /** Totals over the sweep, printed at the end (detections compared, ties among compared scores). */
    private static int detections;

    private static int tiedScores;

    private record Case(String name, Model model, OpAttributes.DetectionPostProcess attrs, long seed) {}

    @TestFactory
    Stream<DynamicTest> equalToTflitesKernel() {
        List<Case> cases = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(20261202L);
        DType[][] types = {
            {DType.FLOAT32, DType.FLOAT32},
            {DType.UINT8, DType.UINT8},
            {DType.FLOAT32, DType.UINT8},
            {DType.UINT8, DType.FLOAT32}
        };
        for (int c = 0; c < CONFIGS; c++) {
            boolean regular = c % 2 == 1;
            OpAttributes.DetectionPostProcess a = randomAttributes(r, regular);
            int boxes = 8 + r.nextInt(120);
            int stride = r.nextInt(4) == 0 ? 6 : 4; // keypoint-style encodings carry more than y, x, h, w
            boolean background = r.nextBoolean();
            DType[] t = types[c / 2 % types.length];
            long seed = r.nextLong();
            String name = (regular ? "regular" : "fast") + " NMS, boxes " + t[0] + " scores " + t[1] + ", " + boxes
                    + " anchors, " + a.numClasses() + " classes" + (background ? " + background" : "") + ", max "
                    + a.maxDetections()
                    + (regular ? ", " + a.detectionsPerClass() + " per class" : " × " + a.maxClassesPerDetection())
                    + ", score ≥ " + a.scoreThreshold() + ", IoU > " + a.iouThreshold();
            cases.add(new Case(name, model(a, boxes, stride, background, t[0], t[1], seed), a, seed));
        }
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> check(c)));
    }

    @AfterAll
    static void totals() {
        System.out.println("DetectionPostProcessOracleTest: " + detections + " detections equal to TFLite's, "
                + tiedScores + " of them with a score tied with another detection's");
    }

    private static OpAttributes.DetectionPostProcess randomAttributes(SplittableRandom r, boolean regular) {
        float[] iou = {0.3f, 0.5f, 0.6f, 1f};
        float[] score = {0f, 0.25f, 0.5f, Float.NEGATIVE_INFINITY};
        boolean standardScales = r.nextBoolean();
        return new OpAttributes.DetectionPostProcess(
                1 + r.nextInt(12),
                regular ? 1 + r.nextInt(2) : 1 + r.nextInt(3),
                r.nextInt(3) == 0 ? OpAttributes.DetectionPostProcess.DEFAULT_DETECTIONS_PER_CLASS : 1 + r.nextInt(8),
                score[r.nextInt(score.length)],
                iou[r.nextInt(iou.length)],
                1 + r.nextInt(5),
                standardScales ? 10f : 1 + r.nextInt(20),
                standardScales ? 10f : 1 + r.nextInt(20),
                standardScales ? 5f : 1 + r.nextInt(10),
                standardScales ? 5f : 1 + r.nextInt(10),
                regular);
    }

    private static int counter;

    private static Tensor tensor(DType type, QuantParams q, int... dims) {
        return new Tensor("t" + (counter++), Shape.of(dims), type, null, q, false);
    }

    /** The single-op model: inputs box encodings and class predictions, constant anchors in clusters. */
    static Model model(
            OpAttributes.DetectionPostProcess a,
            int boxes,
            int stride,
            boolean background,
            DType boxType,
            DType scoreType,
            long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int classes = a.numClasses() + (background ? 1 : 0);
        Tensor x = tensor(boxType, boxType == DType.UINT8 ? QuantParams.perTensor(0.05f, 128) : null, 1, boxes, stride);
        Tensor s = tensor(
                scoreType,
                scoreType == DType.UINT8 ? QuantParams.perTensor(1f / 255, r.nextBoolean() ? 0 : 12) : null,
                1,
                boxes,
                classes);
        Tensor anchors = anchors(r, boxes, boxType);
        return model(a, x, s, anchors);
    }

    static Model model(OpAttributes.DetectionPostProcess a, Tensor x, Tensor s, Tensor anchors) {
        int rows = a.outputRows();
        List<Tensor> outs = List.of(
                tensor(DType.FLOAT32, null, 1, rows, 4),
                tensor(DType.FLOAT32, null, 1, rows),
                tensor(DType.FLOAT32, null, 1, rows),
                tensor(DType.FLOAT32, null, 1));
        Op op = new Op(
                "detections",
                OpType.DETECTION_POSTPROCESS,
                List.of(x, s, anchors),
                outs,
                a,
                new Origin("detections", "TFLite_Detection_PostProcess"));
        return new Model("ssd", List.of(x, s), outs, List.of(op), ModelMetadata.inMemory());
    }

    /**
     * Anchors around a few cluster centres (so that decoded boxes overlap), positive heights and widths; uint8
     * anchors quantized with scale 1/255, zero point 0, as the TF1 uint8 SSD models store them.
     */
    private static Tensor anchors(SplittableRandom r, int boxes, DType type) {
        int clusters = Math.max(1, boxes / 6);
        float[][] centres = new float[clusters][2];
        for (float[] c : centres) {
            c[0] = 0.1f + 0.8f * (float) r.nextDouble();
            c[1] = 0.1f + 0.8f * (float) r.nextDouble();
        }
        float[] v = new float[boxes * 4];
        for (int i = 0; i < boxes; i++) {
            float[] c = centres[r.nextInt(clusters)];
            boolean same = i > 0 && r.nextInt(8) == 0; // some anchors repeat the previous one exactly
            for (int k = 0; k < 4; k++) {
                v[4 * i + k] = same
                        ? v[4 * (i - 1) + k]
                        : k < 2
                                ? c[k] + 0.05f * (float) (r.nextDouble() - 0.5)
                                : 0.05f + 0.35f * (float) r.nextDouble();
            }
        }
        if (type == DType.FLOAT32) {
            return new Tensor("anchors", Shape.of(boxes, 4), DType.FLOAT32, TensorData.ofFloats(v), null, false);
        }
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            q[i] = (byte) Math.max(1, Math.min(255, Math.round(v[i] * 255)));
        }
        return new Tensor(
                "anchors",
                Shape.of(boxes, 4),
                DType.UINT8,
                TensorData.ofBytes(DType.UINT8, q),
                QuantParams.perTensor(1f / 255, 0),
                false);
    }

    /** Box encodings around 0 (decoded boxes near their anchors); scores on a grid of eighths, so that they tie. */
    private static Object[] inputs(Model m, SplittableRandom r) {
        Object[] ins = new Object[2];
        for (int i = 0; i < 2; i++) {
            Tensor t = m.inputs().get(i);
            int n = Math.toIntExact(t.shape().elementCount());
            if (t.dtype() == DType.FLOAT32) {
                float[] f = new float[n];
                for (int k = 0; k < n; k++) {
                    f[k] = i == 0 ? (float) (r.nextGaussian() * 0.6) : r.nextInt(9) / 8f;
                }
                ins[i] = f;
            } else {
                byte[] b = new byte[n];
                for (int k = 0; k < n; k++) {
                    b[k] = (byte) (i == 0 ? 128 + (int) Math.round(r.nextGaussian() * 12) : 32 * r.nextInt(8) + 31);
                }
                ins[i] = b;
            }
        }
        return ins;
    }

    private void check(Case c) {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of("ssd.tflite"));
        int rows = c.attrs().outputRows();
        SplittableRandom r = new SplittableRandom(c.seed());
        try (Interpreter quanta = new Interpreter(read);
                TfliteOracle builtin = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1);
                TfliteOracle xnnpack = TfliteOracle.open(bytes, TfliteOracle.Kernels.XNNPACK, 1)) {
            for (int i = 0; i < 2; i++) {
                quanta.resizeInput(i, c.model().inputs().get(i).shape().dims());
            }
            for (int sample = 0; sample < SAMPLES; sample++) {
                Object[] ins = inputs(c.model(), r);
                float[][] got = {new float[rows * 4], new float[rows], new float[rows], new float[1]};
                quanta.runForMultipleInputsOutputs(ins, got);
                for (TfliteOracle oracle : List.of(builtin, xnnpack)) {
                    for (int i = 0; i < 2; i++) {
                        oracle.setInput(i, ins[i]);
                    }
                    oracle.invoke();
                    float[][] want = new float[4][];
                    for (int k = 0; k < 4; k++) {
                        want[k] = oracle.outputFloat(k);
                    }
                    compare(c, oracle.kernels() + " sample " + sample, got, want);
                }
            }
        }
    }

    private static void compare(Case c, String what, float[][] got, float[][] want) {
        OpAttributes.DetectionPostProcess a = c.attrs();
        int count = (int) want[3][0];
        assertThat(got[3][0]).as(what + ": number of detections").isEqualTo(want[3][0]);
        List<Integer> defined = new ArrayList<>();
        if (a.useRegularNms()) {
            for (int k = 0; k < a.maxDetections(); k++) {
                defined.add(k); // rows past the detections are zeros in TFLite too
            }
        } else {
            int perBox = Math.min(a.maxClassesPerDetection(), a.numClasses());
            for (int k = 0; k < count; k++) {
                for (int col = 0; col < perBox; col++) {
                    defined.add(k * a.maxClassesPerDetection() + col);
                }
            }
        }
        for (int row : defined) {
            String at = what + ", row " + row;
            assertThat(got[1][row]).as(at + " class").isEqualTo(want[1][row]);
            assertThat(Float.floatToRawIntBits(got[2][row]))
                    .as(at + " score " + got[2][row] + " vs " + want[2][row])
                    .isEqualTo(Float.floatToRawIntBits(want[2][row]));
            for (int k = 0; k < 4; k++) {
                assertThat(Float.floatToRawIntBits(got[0][4 * row + k]))
                        .as(at + " box[" + k + "] " + got[0][4 * row + k] + " vs " + want[0][4 * row + k])
                        .isEqualTo(Float.floatToRawIntBits(want[0][4 * row + k]));
            }
        }
        for (int i = 0; i < count; i++) {
            int row = a.useRegularNms() ? i : i * a.maxClassesPerDetection();
            detections++;
            for (int j = 0; j < count; j++) {
                int other = a.useRegularNms() ? j : j * a.maxClassesPerDetection();
                if (j != i && got[2][row] == got[2][other]) {
                    tiedScores++;
                    break;
                }
            }
        }
    }

    /**
     * Quanta runs a batch item by item (calibration runs batches; TFLite takes batch 1 only): each item's outputs
     * are those of the item run alone.
     */
    @Test
    void aBatchRunsItemByItem() {
        for (boolean regular : new boolean[] {false, true}) {
            OpAttributes.DetectionPostProcess a =
                    new OpAttributes.DetectionPostProcess(4, 2, 3, 0.25f, 0.5f, 3, 10f, 10f, 5f, 5f, regular);
            Model one = model(a, 30, 4, true, DType.FLOAT32, DType.UINT8, 99);
            Tensor x = one.inputs().get(0);
            Tensor s = one.inputs().get(1);
            Model batched = model(
                    a,
                    new Tensor("boxes", Shape.of(Shape.DYNAMIC, 30, 4), x.dtype(), null, x.quant(), false),
                    new Tensor("scores", Shape.of(Shape.DYNAMIC, 30, 4), s.dtype(), null, s.quant(), false),
                    one.ops().get(0).input(2));
            SplittableRandom r = new SplittableRandom(5);
            Object[][] items = {inputs(one, r), inputs(one, r), inputs(one, r)};
            float[] boxes = new float[3 * 120];
            byte[] scores = new byte[3 * 120];
            for (int i = 0; i < 3; i++) {
                System.arraycopy(items[i][0], 0, boxes, 120 * i, 120);
                System.arraycopy(items[i][1], 0, scores, 120 * i, 120);
            }
            float[][] all = {new float[3 * 32], new float[3 * 8], new float[3 * 8], new float[3]};
            try (Interpreter it = new Interpreter(batched)) {
                it.resizeInput(0, new int[] {3, 30, 4});
                it.resizeInput(1, new int[] {3, 30, 4});
                it.runForMultipleInputsOutputs(new Object[] {boxes, scores}, all);
            }
            try (Interpreter it = new Interpreter(one)) {
                for (int i = 0; i < 3; i++) {
                    float[][] alone = {new float[32], new float[8], new float[8], new float[1]};
                    it.runForMultipleInputsOutputs(items[i], alone);
                    assertThat(alone[3][0]).as("detections of item " + i).isPositive();
                    for (int k = 0; k < 4; k++) {
                        int n = alone[k].length;
                        assertThat(java.util.Arrays.copyOfRange(all[k], n * i, n * (i + 1)))
                                .as((regular ? "regular" : "fast") + " item " + i + " output " + k)
                                .containsExactly(alone[k]);
                    }
                }
            }
        }
    }

    /** Int8 inputs: TFLite 2.21's kernel refuses them when it runs, and Quanta when it prepares the op. */
    @Test
    void int8InputsAreRefusedAsTfliteRefusesThem() {
        OpAttributes.DetectionPostProcess a =
                new OpAttributes.DetectionPostProcess(5, 1, 100, 0.1f, 0.5f, 3, 10f, 10f, 5f, 5f, false);
        Tensor x = tensor(DType.INT8, QuantParams.perTensor(0.05f, 0), 1, 10, 4);
        Tensor s = tensor(DType.INT8, QuantParams.perTensor(1f / 256, -128), 1, 10, 4);
        Tensor anchors = new Tensor(
                "anchors",
                Shape.of(10, 4),
                DType.INT8,
                TensorData.ofBytes(DType.INT8, new byte[40]),
                QuantParams.perTensor(1f / 128, -128),
                false);
        byte[] bytes = TfliteWriter.toBytes(model(a, x, s, anchors));
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            oracle.setInput(0, new byte[40]);
            oracle.setInput(1, new byte[40]);
            assertThatThrownBy(oracle::invoke).isInstanceOf(IllegalStateException.class);
        }
        Model read = TfliteReader.read(bytes, Path.of("ssd-int8.tflite"));
        assertThatThrownBy(() -> new Interpreter(read).allocateTensors())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("TFLite_Detection_PostProcess")
                .hasMessageContaining("box encodings are INT8")
                .hasMessageNotContaining("\n");
    }

    /** Anchors of negative height decode to inverted boxes, which TFLite's kernel refuses; so does Quanta's. */
    @Test
    void invertedBoxesAreRefusedAsTfliteRefusesThem() {
        OpAttributes.DetectionPostProcess a =
                new OpAttributes.DetectionPostProcess(5, 1, 100, 0.1f, 0.5f, 2, 10f, 10f, 5f, 5f, true);
        float[] v = new float[4 * 6];
        for (int i = 0; i < 6; i++) {
            v[4 * i] = 0.5f;
            v[4 * i + 1] = 0.5f;
            v[4 * i + 2] = i == 3 ? -0.2f : 0.2f;
            v[4 * i + 3] = 0.2f;
        }
        Tensor anchors = new Tensor("anchors", Shape.of(6, 4), DType.FLOAT32, TensorData.ofFloats(v), null, false);
        Model m = model(a, tensor(DType.FLOAT32, null, 1, 6, 4), tensor(DType.FLOAT32, null, 1, 6, 2), anchors);
        byte[] bytes = TfliteWriter.toBytes(m);
        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            oracle.setInput(0, new float[24]);
            oracle.setInput(1, new float[12]);
            assertThatThrownBy(oracle::invoke).isInstanceOf(IllegalStateException.class);
        }
        try (Interpreter quanta = new Interpreter(m)) {
            Object[] out = {new float[20], new float[5], new float[5], new float[1]};
            assertThatThrownBy(
                            () -> quanta.runForMultipleInputsOutputs(new Object[] {new float[24], new float[12]}, out))
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("decoded box 3 has ymin > ymax")
                    .hasMessageNotContaining("\n");
        }
    }
}
