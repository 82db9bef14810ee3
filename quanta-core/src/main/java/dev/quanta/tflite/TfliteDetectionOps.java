package dev.quanta.tflite;

import com.google.flatbuffers.ArrayReadWriteBuf;
import com.google.flatbuffers.FlexBuffers;
import com.google.flatbuffers.FlexBuffersBuilder;
import dev.quanta.QuantaException;
import dev.quanta.ir.DetectionShapes;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import java.nio.ByteBuffer;

/**
 * Reads and writes TFLite's {@code TFLite_Detection_PostProcess} custom op (the SSD post-process the TF object
 * detection exporter appends): three inputs (box encodings, class predictions, anchors), four outputs, and its
 * parameters as a FlexBuffer map in the custom options, keyed as TFLite's kernel reads them.
 */
final class TfliteDetectionOps {
    private TfliteDetectionOps() {}

    /** The custom code of the op in a {@code .tflite} file. */
    static final String CUSTOM_CODE = "TFLite_Detection_PostProcess";

    /** The version of the operator code the converter writes for custom ops. */
    static final int VERSION = 1;

    /** Registers the importer (called from {@link TfliteImporters}' registration block). */
    static void registerImporters() {
        TfliteImporters.registerCustom(CUSTOM_CODE, TfliteDetectionOps::read);
    }

    /** The op: three inputs, four outputs, the options of {@link OpAttributes.DetectionPostProcess}. */
    static void read(OpContext c) {
        if (c.inputCount() != 3) {
            throw c.error("has " + c.inputCount() + " inputs; TFLite_Detection_PostProcess takes 3 (box encodings,"
                    + " class predictions, anchors)");
        }
        if (c.outputCount() != 4) {
            throw c.error("has " + c.outputCount() + " outputs; TFLite_Detection_PostProcess gives 4 (boxes,"
                    + " classes, scores, number of detections)");
        }
        OpAttributes.DetectionPostProcess a = new OpAttributes.DetectionPostProcess(
                intOption(c, "max_detections"),
                intOption(c, "max_classes_per_detection"),
                c.customOptions().get("detections_per_class").isNull()
                        ? OpAttributes.DetectionPostProcess.DEFAULT_DETECTIONS_PER_CLASS
                        : intOption(c, "detections_per_class"),
                floatOption(c, "nms_score_threshold"),
                floatOption(c, "nms_iou_threshold"),
                intOption(c, "num_classes"),
                floatOption(c, "y_scale"),
                floatOption(c, "x_scale"),
                floatOption(c, "h_scale"),
                floatOption(c, "w_scale"),
                !c.customOptions().get("use_regular_nms").isNull() && boolOption(c, "use_regular_nms"));
        String problem = DetectionShapes.problem(a);
        if (problem != null) {
            throw c.error(problem);
        }
        c.produceAll(OpType.DETECTION_POSTPROCESS, a, c.input(0), c.input(1), c.input(2));
    }

    /** The op as a custom operator with its options written back as TFLite's kernel reads them. */
    static TfliteExporters.Exported write(Op op, TfliteExporters.Context c) {
        OpAttributes.DetectionPostProcess a = op.attrs(OpAttributes.DetectionPostProcess.class);
        if (op.inputs().size() != 3 || op.outputs().size() != 4) {
            throw new QuantaException(op.describe() + ": DETECTION_POSTPROCESS needs 3 inputs and 4 outputs, has "
                    + op.inputs().size() + " and " + op.outputs().size());
        }
        int[] inputs = {c.index(op.input(0)), c.index(op.input(1)), c.index(op.input(2))};
        return TfliteExporters.Exported.custom(CUSTOM_CODE, VERSION, inputs, options(a));
    }

    /** The FlexBuffer map of {@code a} (keys sorted, as FlexBuffers require; floats 32-bit). */
    static byte[] options(OpAttributes.DetectionPostProcess a) {
        FlexBuffersBuilder b =
                new FlexBuffersBuilder(new ArrayReadWriteBuf(512), FlexBuffersBuilder.BUILDER_FLAG_SHARE_KEYS);
        int start = b.startMap();
        b.putInt("max_detections", a.maxDetections());
        b.putInt("max_classes_per_detection", a.maxClassesPerDetection());
        b.putInt("detections_per_class", a.detectionsPerClass());
        b.putFloat("nms_score_threshold", a.scoreThreshold());
        b.putFloat("nms_iou_threshold", a.iouThreshold());
        b.putInt("num_classes", a.numClasses());
        b.putFloat("y_scale", a.yScale());
        b.putFloat("x_scale", a.xScale());
        b.putFloat("h_scale", a.hScale());
        b.putFloat("w_scale", a.wScale());
        b.putBoolean("use_regular_nms", a.useRegularNms());
        b.endMap(null, start);
        ByteBuffer buf = b.finish();
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        return bytes;
    }

    private static FlexBuffers.Reference option(OpContext c, String key) {
        FlexBuffers.Reference r;
        try {
            r = c.customOptions().get(key);
        } catch (RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw c.error("custom option '" + key + "' cannot be read (" + e + ")");
        }
        if (r == null || r.isNull()) {
            throw c.error("lacks the custom option '" + key + "'");
        }
        return r;
    }

    private static int intOption(OpContext c, String key) {
        FlexBuffers.Reference r = option(c, key);
        if (!r.isIntOrUInt()) {
            throw c.error("custom option '" + key + "' is not an integer");
        }
        long v = r.asLong();
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw c.error("custom option '" + key + "' = " + v + " does not fit in 32 bits");
        }
        return (int) v;
    }

    private static float floatOption(OpContext c, String key) {
        FlexBuffers.Reference r = option(c, key);
        if (r.isFloat()) {
            return (float) r.asFloat();
        }
        if (r.isIntOrUInt()) {
            return (float) r.asLong();
        }
        throw c.error("custom option '" + key + "' is not a number");
    }

    private static boolean boolOption(OpContext c, String key) {
        FlexBuffers.Reference r = option(c, key);
        if (r.isBoolean()) {
            return r.asBoolean();
        }
        if (r.isIntOrUInt()) {
            return r.asLong() != 0;
        }
        throw c.error("custom option '" + key + "' is not a boolean");
    }
}
