package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.flatbuffers.ArrayReadWriteBuf;
import com.google.flatbuffers.FlexBuffersBuilder;
import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The {@code TFLite_Detection_PostProcess} custom op in files: options read from the FlexBuffer map (with TFLite's
 * defaults), written back the same, and malformed operators refused with one line naming the file and the op.
 * Files are built here with {@link TfliteBuilder}: box encodings [1, 6, 4] and class predictions [1, 6, 3] as
 * inputs, constant float anchors, four float outputs.
 */
class TfliteDetectionOpsTest {
    private static final Path NAME = Path.of("ssd.tflite");
    private static final int BOXES = 6;

    /** The options as the TF1 object-detection exporter writes them (no detections_per_class, no use_regular_nms). */
    private static final Consumer<FlexBuffersBuilder> EXPORTER_OPTIONS = b -> {
        b.putInt("max_detections", 4);
        b.putInt("max_classes_per_detection", 2);
        b.putFloat("nms_score_threshold", 1e-8f);
        b.putFloat("nms_iou_threshold", 0.6f);
        b.putInt("num_classes", 2);
        b.putFloat("y_scale", 10f);
        b.putFloat("x_scale", 10f);
        b.putFloat("h_scale", 5f);
        b.putFloat("w_scale", 5f);
        b.putBoolean("_output_quantized", true); // converter hints TFLite ignores
    };

    @Test
    void readsTheOptionsWithTflitesDefaultsAndWritesThemBack() {
        Model m = TfliteReader.read(file(options(EXPORTER_OPTIONS), new int[] {BOXES, 4}, 4), NAME);
        Op op = m.ops().get(0);
        assertThat(op.type()).isEqualTo(OpType.DETECTION_POSTPROCESS);
        OpAttributes.DetectionPostProcess want =
                new OpAttributes.DetectionPostProcess(4, 2, 100, 1e-8f, 0.6f, 2, 10f, 10f, 5f, 5f, false);
        assertThat(op.attributes()).isEqualTo(want);
        assertThat(op.describe()).contains("TFLite_Detection_PostProcess");
        assertThat(op.outputs())
                .extracting(t -> t.shape().toString())
                .containsExactly(
                        "(None, 8, 4)", "(None, 8)", "(None, 8)", "(None,)"); // the reader makes the batch dynamic
        assertThat(op.outputs()).allMatch(t -> t.dtype() == DType.FLOAT32);

        OpAttributes.DetectionPostProcess regular =
                new OpAttributes.DetectionPostProcess(4, 2, 7, 0.25f, 0.5f, 2, 8f, 9f, 4f, 3f, true);
        Model rewritten = new Model(
                m.name(),
                m.inputs(),
                m.outputs(),
                java.util.List.of(new Op(op.name(), op.type(), op.inputs(), op.outputs(), regular, op.origin())),
                m.metadata());
        byte[] written = TfliteWriter.toBytes(rewritten);
        TfliteFile f = TfliteFile.open(NAME, written);
        assertThat(f.operatorCodes()).singleElement().satisfies(code -> {
            assertThat(code.customCode()).isEqualTo("TFLite_Detection_PostProcess");
            assertThat(code.code()).isEqualTo(TfliteSchema.OP_CUSTOM);
        });
        Model again = TfliteReader.read(written, NAME);
        assertThat(again.ops())
                .singleElement()
                .satisfies(o -> assertThat(o.attributes()).isEqualTo(regular));
    }

    @Test
    void aMissingOptionIsNamed() {
        assertOptionsRefused(
                options(b -> EXPORTER_OPTIONS.accept(new Skipping(b, "max_detections"))),
                "lacks the custom option 'max_detections'");
        assertOptionsRefused(
                options(b -> EXPORTER_OPTIONS.accept(new Skipping(b, "nms_iou_threshold"))),
                "lacks the custom option 'nms_iou_threshold'");
    }

    @Test
    void optionsOfTheWrongKindOrRangeAreRefused() {
        assertOptionsRefused(
                options(b -> {
                    EXPORTER_OPTIONS.accept(new Skipping(b, "num_classes"));
                    b.putFloat("num_classes", 2.5f);
                }),
                "custom option 'num_classes' is not an integer");
        assertOptionsRefused(
                options(b -> {
                    EXPORTER_OPTIONS.accept(new Skipping(b, "nms_iou_threshold"));
                    b.putFloat("nms_iou_threshold", 0f);
                }),
                "nms_iou_threshold 0.0 is not in (0, 1]");
        assertOptionsRefused(
                options(b -> {
                    EXPORTER_OPTIONS.accept(new Skipping(b, "max_detections"));
                    b.putInt("max_detections", 1 << 30);
                }),
                "max_detections 1073741824 is out of range");
        assertOptionsRefused(new byte[] {1, 2, 3, 4}, "TFLite_Detection_PostProcess");
        assertOptionsRefused(null, "has no custom options");
    }

    @Test
    void anchorsThatDoNotFitTheBoxesAreRefused() {
        assertRefused(file(options(EXPORTER_OPTIONS), new int[] {BOXES, 5}, 4), "anchors (6, 5) are not [6, 4]");
        assertRefused(file(options(EXPORTER_OPTIONS), new int[] {BOXES + 1, 4}, 4), "anchors (7, 4) are not [6, 4]");
        assertRefused(file(options(EXPORTER_OPTIONS), new int[] {BOXES * 4}, 4), "anchors (24,) are not [6, 4]");
    }

    @Test
    void theFourOutputsAreRequired() {
        assertRefused(file(options(EXPORTER_OPTIONS), new int[] {BOXES, 4}, 3), "has 3 outputs", "gives 4");
    }

    private static void assertOptionsRefused(byte[] customOptions, String... what) {
        assertRefused(file(customOptions, new int[] {BOXES, 4}, 4), what);
    }

    private static void assertRefused(byte[] file, String... what) {
        Throwable t = catchThrowable(() -> TfliteReader.read(file, NAME));
        assertThat(t).isInstanceOf(QuantaException.class);
        assertThat(t.getMessage())
                .contains("ssd.tflite")
                .contains("TFLite_Detection_PostProcess")
                .contains(what)
                .doesNotContain("\n");
    }

    /** A FlexBuffer map of what {@code fill} puts (keys sorted by the builder). */
    private static byte[] options(Consumer<FlexBuffersBuilder> fill) {
        FlexBuffersBuilder b = new FlexBuffersBuilder(new ArrayReadWriteBuf(512), FlexBuffersBuilder.BUILDER_FLAG_NONE);
        int start = b.startMap();
        fill.accept(b);
        b.endMap(null, start);
        ByteBuffer buf = b.finish();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return bytes;
    }

    /** Passes every put but those of one key on to the builder. */
    private static final class Skipping extends FlexBuffersBuilder {
        private final FlexBuffersBuilder to;
        private final String skipped;

        Skipping(FlexBuffersBuilder to, String skipped) {
            this.to = to;
            this.skipped = skipped;
        }

        @Override
        public void putInt(String key, int v) {
            if (!key.equals(skipped)) {
                to.putInt(key, v);
            }
        }

        @Override
        public void putFloat(String key, float v) {
            if (!key.equals(skipped)) {
                to.putFloat(key, v);
            }
        }

        @Override
        public void putBoolean(String key, boolean v) {
            if (!key.equals(skipped)) {
                to.putBoolean(key, v);
            }
        }
    }

    /**
     * A file of one TFLite_Detection_PostProcess operator: inputs box encodings [1, 6, 4] and class predictions
     * [1, 6, 3] (2 classes and a background), a constant float anchors tensor of {@code anchorShape}, and
     * {@code outputs} float outputs of TFLite's shapes for 4 × 2 detections.
     */
    static byte[] file(byte[] customOptions, int[] anchorShape, int outputs) {
        TfliteBuilder b = new TfliteBuilder(1 << 16);
        int float32 = TfliteSchema.tensorType(DType.FLOAT32);
        int anchorCount = (int) Shape.of(anchorShape).elementCount();
        ByteBuffer anchorData = ByteBuffer.allocate(4 * anchorCount).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < anchorCount; i++) {
            anchorData.putFloat(i % 4 < 2 ? 0.5f : 0.2f);
        }
        int[] buffers = {b.buffer(null), b.buffer(anchorData.array())};
        int[][] outShapes = {{1, 8, 4}, {1, 8}, {1, 8}, {1}};
        int[] tensors = new int[3 + outputs];
        tensors[0] = b.tensor("boxes", new int[] {1, BOXES, 4}, null, float32, 0, 0);
        tensors[1] = b.tensor("scores", new int[] {1, BOXES, 3}, null, float32, 0, 0);
        tensors[2] = b.tensor("anchors", anchorShape, null, float32, 1, 0);
        int[] outs = new int[outputs];
        for (int k = 0; k < outputs; k++) {
            tensors[3 + k] = b.tensor("out" + k, outShapes[k], null, float32, 0, 0);
            outs[k] = 3 + k;
        }
        int op = b.operator(0, new int[] {0, 1, 2}, outs, TfliteSchema.BO_NONE, 0, null, customOptions);
        int subgraph = b.subgraph(tensors, new int[] {0, 1}, outs, new int[] {op}, "main");
        int code = b.operatorCode(TfliteSchema.OP_CUSTOM, 1, "TFLite_Detection_PostProcess");
        return b.finishModel(new int[] {code}, new int[] {subgraph}, "test", buffers, new int[0], new int[0]);
    }
}
