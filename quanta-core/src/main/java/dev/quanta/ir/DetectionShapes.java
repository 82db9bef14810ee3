package dev.quanta.ir;

import java.util.List;

/**
 * Shape rules of {@link OpType#DETECTION_POSTPROCESS}, as TFLite's {@code TFLite_Detection_PostProcess} checks
 * them, plus the anchor shape its kernel assumes without checking. TFLite runs a batch of 1; Quanta runs any batch
 * (each item on its own), so that calibration can run batches and a dynamic batch flows through.
 */
public final class DetectionShapes {
    private DetectionShapes() {}

    /** The most detections (max detections, detections per class, output rows) Quanta sets up. */
    public static final int MAX_DETECTIONS = 1 << 16;

    /**
     * Why {@code a} cannot be run, or null when it can: counts of at least 1 (detections per class only matters,
     * and is checked, with regular NMS), at most {@link #MAX_DETECTIONS} output rows, and an IoU threshold in
     * (0, 1] (TFLite's kernel refuses others when it runs).
     */
    public static String problem(OpAttributes.DetectionPostProcess a) {
        if (a.maxDetections() < 1 || a.maxDetections() > MAX_DETECTIONS) {
            return "max_detections " + a.maxDetections() + " is out of range [1, " + MAX_DETECTIONS + "]";
        }
        if (a.maxClassesPerDetection() < 1 || (long) a.maxDetections() * a.maxClassesPerDetection() > MAX_DETECTIONS) {
            return "max_classes_per_detection " + a.maxClassesPerDetection() + " is below 1 or makes more than "
                    + MAX_DETECTIONS + " output rows with max_detections " + a.maxDetections();
        }
        if (a.useRegularNms() && (a.detectionsPerClass() < 1 || a.detectionsPerClass() > MAX_DETECTIONS)) {
            return "detections_per_class " + a.detectionsPerClass() + " is out of range [1, " + MAX_DETECTIONS + "]";
        }
        if (a.numClasses() < 1) {
            return "num_classes " + a.numClasses() + " is below 1";
        }
        if (!(a.iouThreshold() > 0f && a.iouThreshold() <= 1f)) {
            return "nms_iou_threshold " + a.iouThreshold() + " is not in (0, 1]";
        }
        return null;
    }

    /**
     * The four output shapes — boxes [b, n, 4], classes [b, n], scores [b, n], count [b] with n = max detections ×
     * max classes per detection — after checking the inputs: box encodings [b, boxes, ≥ 4], class predictions
     * [b, boxes, classes or classes + 1] and anchors [boxes, 4] (b = 1 in TFLite).
     *
     * @throws IllegalArgumentException with a one-line reason when the inputs or attributes do not fit
     */
    public static List<Shape> infer(OpAttributes.DetectionPostProcess a, List<Tensor> inputs) {
        String problem = problem(a);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        if (inputs.size() != 3) {
            throw new IllegalArgumentException(
                    "takes box encodings, class predictions and anchors, got " + inputs.size() + " inputs");
        }
        Shape boxes = inputs.get(0).shape();
        Shape scores = inputs.get(1).shape();
        Shape anchors = inputs.get(2).shape();
        if (boxes.rank() != 3 || boxes.dim(2) < 4) {
            throw new IllegalArgumentException("box encodings " + boxes + " are not [batch, boxes, 4 or more]");
        }
        int n = boxes.dim(1);
        int b = boxes.dim(0);
        if (scores.rank() != 3
                || (scores.dim(0) != b && scores.dim(0) != Shape.DYNAMIC && b != Shape.DYNAMIC)
                || scores.dim(1) != n
                || (scores.dim(2) != a.numClasses() && scores.dim(2) != a.numClasses() + 1)) {
            throw new IllegalArgumentException(
                    "class predictions " + scores + " are not [" + (b == Shape.DYNAMIC ? "None" : b) + ", " + n + ", "
                            + a.numClasses() + " or " + (a.numClasses() + 1) + "] (num_classes " + a.numClasses()
                            + ", plus a background class or not)");
        }
        if (anchors.rank() != 2 || anchors.dim(0) != n || anchors.dim(1) != 4) {
            throw new IllegalArgumentException("anchors " + anchors + " are not [" + n + ", 4] (y, x, h, w per box)");
        }
        int rows = a.outputRows();
        return List.of(Shape.of(b, rows, 4), Shape.of(b, rows), Shape.of(b, rows), Shape.of(b));
    }
}
