package dev.quanta.kernels.detection;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import java.util.Arrays;
import java.util.function.Function;

/**
 * TFLite's {@code TFLite_Detection_PostProcess} kernel (tensorflow/lite/kernels/detection_postprocess.cc, TFLite
 * 2.21, one thread), step for step so that its outputs are TFLite's:
 *
 * <ol>
 *   <li>uint8 inputs are dequantized in float, (q − zero point) · scale; uint8 box encodings come with uint8
 *       anchors;
 *   <li>each box is decoded in double and rounded to float: y_c = y / y_scale · a_h + a_y, x_c likewise,
 *       h/2 = 0.5 · exp(h / h_scale) · a_h, w/2 likewise; then (y_c − h/2, x_c − w/2, y_c + h/2, x_c + w/2) in
 *       float; a box with ymin > ymax or xmin > xmax is refused (as TFLite does);
 *   <li>non-max suppression of one score list: scores ≥ the threshold, stably sorted by decreasing score, each
 *       kept box suppressing the later ones whose IoU (float) exceeds the IoU threshold, up to a maximum count;
 *   <li>class-agnostic (fast) NMS ranks each box by its best class (the first maximum; with several classes per
 *       detection, the order of libstdc++'s {@code partial_sort}, see {@link HeapPartialSort}), runs NMS on these
 *       scores and writes each kept box with its top classes; regular NMS runs NMS per class (at most
 *       min(detections per class, max detections) boxes each) and merges each class's boxes into the best
 *       max detections so far, an earlier class's box going before a later one of equal score.
 * </ol>
 *
 * With more than one thread, TFLite 2.21 hands the regular NMS's classes to its threads as they come free and merges
 * their results, so its order of boxes of equal score depends on the run; this is its one-thread order.
 *
 * <p>Rows that TFLite leaves unwritten (beyond the detections of the fast NMS, beyond max detections of the regular
 * one) are 0 here. TFLite takes a batch of 1; Quanta runs each item of a larger batch the same way (calibration
 * runs batches).
 */
final class DetectionPostProcess implements Kernel {
    private final String where;
    private final OpAttributes.DetectionPostProcess a;
    private final int batch;
    private final int boxes;
    private final int boxStride;
    private final int rows;
    private final int classesWithBackground;
    private final int labelOffset;

    private final float[] floatBoxes;
    private final byte[] byteBoxes;
    private final float boxScale;
    private final int boxZero;
    private final float[] floatAnchors;
    private final byte[] byteAnchors;
    private final float anchorScale;
    private final int anchorZero;
    private final float[] floatScores;
    private final byte[] byteScores;
    private final float scoreScale;
    private final int scoreZero;

    private final float[] outBoxes;
    private final float[] outClasses;
    private final float[] outScores;
    private final float[] outCount;

    /** Decoded boxes, (ymin, xmin, ymax, xmax) per box. */
    private final float[] decoded;
    /** The class predictions of the current batch item in float. */
    private final float[] scores;
    /** NMS scratch: the boxes above the score threshold, their sort keys, whether each is still a candidate. */
    private final int[] keep;

    private final long[] order;
    private final boolean[] active;

    DetectionPostProcess(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        this.where = op.describe();
        this.a = op.attrs(OpAttributes.DetectionPostProcess.class);
        Tensor boxT = op.input(0);
        Tensor scoreT = op.input(1);
        Tensor anchorT = op.input(2);
        for (int i = 0; i < 4; i++) {
            if (op.output(i).dtype() != DType.FLOAT32) {
                throw new UnsupportedOperationException(where + ": output " + i + " is "
                        + op.output(i).dtype() + "; TFLite_Detection_PostProcess gives FLOAT32");
            }
        }
        int[] bs = shape.apply(boxT);
        int[] ss = shape.apply(scoreT);
        this.batch = bs[0];
        this.boxes = bs[1];
        this.boxStride = bs[2];
        this.rows = a.outputRows();
        this.classesWithBackground = ss[2];
        this.labelOffset = classesWithBackground - a.numClasses();

        if (boxT.dtype() == DType.FLOAT32) {
            if (anchorT.dtype() != DType.FLOAT32) {
                throw new UnsupportedOperationException(where + ": FLOAT32 box encodings need FLOAT32 anchors, not "
                        + anchorT.dtype() + " (TFLite's kernel refuses them)");
            }
            floatBoxes = (float[]) buffer.apply(boxT);
            floatAnchors = (float[]) buffer.apply(anchorT);
            byteBoxes = null;
            byteAnchors = null;
            boxScale = anchorScale = 0f;
            boxZero = anchorZero = 0;
        } else if (boxT.dtype() == DType.UINT8) {
            if (anchorT.dtype() != DType.UINT8) {
                throw new UnsupportedOperationException(where + ": UINT8 box encodings need UINT8 anchors, not "
                        + anchorT.dtype() + " (TFLite's kernel reads them as uint8)");
            }
            QuantParams bq = perTensor(boxT, "box encodings");
            QuantParams aq = perTensor(anchorT, "anchors");
            byteBoxes = (byte[]) buffer.apply(boxT);
            byteAnchors = (byte[]) buffer.apply(anchorT);
            floatBoxes = null;
            floatAnchors = null;
            boxScale = bq.scale();
            boxZero = (int) bq.zeroPoint();
            anchorScale = aq.scale();
            anchorZero = (int) aq.zeroPoint();
        } else {
            throw unsupported("box encodings", boxT);
        }
        if (scoreT.dtype() == DType.FLOAT32) {
            floatScores = (float[]) buffer.apply(scoreT);
            byteScores = null;
            scoreScale = 0f;
            scoreZero = 0;
        } else if (scoreT.dtype() == DType.UINT8) {
            QuantParams sq = perTensor(scoreT, "class predictions");
            byteScores = (byte[]) buffer.apply(scoreT);
            floatScores = null;
            scoreScale = sq.scale();
            scoreZero = (int) sq.zeroPoint();
        } else {
            throw unsupported("class predictions", scoreT);
        }
        outBoxes = (float[]) buffer.apply(op.output(0));
        outClasses = (float[]) buffer.apply(op.output(1));
        outScores = (float[]) buffer.apply(op.output(2));
        outCount = (float[]) buffer.apply(op.output(3));
        decoded = new float[4 * boxes];
        scores = new float[boxes * classesWithBackground];
        keep = new int[boxes];
        order = new long[boxes];
        active = new boolean[boxes];
    }

    private UnsupportedOperationException unsupported(String what, Tensor t) {
        return new UnsupportedOperationException(where + ": " + what + " are " + t.dtype()
                + "; TFLite_Detection_PostProcess takes FLOAT32 or UINT8 (TFLite 2.21's kernel refuses other types)");
    }

    private QuantParams perTensor(Tensor t, String what) {
        QuantParams q = t.quant();
        if (q == null || !q.isPerTensor()) {
            throw new UnsupportedOperationException(
                    where + ": UINT8 " + what + " need per-tensor quantization parameters");
        }
        return q;
    }

    /** Each batch item on its own (TFLite's kernel takes batch 1 only; calibration runs larger batches). */
    @Override
    public void run(Parallel parallel) {
        Arrays.fill(outBoxes, 0f);
        Arrays.fill(outClasses, 0f);
        Arrays.fill(outScores, 0f);
        for (int item = 0; item < batch; item++) {
            decode(item * boxes * boxStride);
            int n = scores.length;
            if (byteScores != null) {
                for (int i = 0, from = item * n; i < n; i++) {
                    scores[i] = ((byteScores[from + i] & 0xFF) - scoreZero) * scoreScale;
                }
            } else {
                System.arraycopy(floatScores, item * n, scores, 0, n);
            }
            outCount[item] = a.useRegularNms() ? regularNms(item * rows) : fastNms(item * rows);
        }
    }

    /** Step 2: the corner boxes of the encodings against the anchors; refuses inverted boxes as TFLite does. */
    private void decode(int boxBase) {
        double ys = a.yScale();
        double xs = a.xScale();
        double hs = a.hScale();
        double ws = a.wScale();
        for (int i = 0; i < boxes; i++) {
            float y;
            float x;
            float h;
            float w;
            float ay;
            float ax;
            float ah;
            float aw;
            if (floatBoxes != null) {
                int b = boxBase + i * boxStride;
                y = floatBoxes[b];
                x = floatBoxes[b + 1];
                h = floatBoxes[b + 2];
                w = floatBoxes[b + 3];
                ay = floatAnchors[4 * i];
                ax = floatAnchors[4 * i + 1];
                ah = floatAnchors[4 * i + 2];
                aw = floatAnchors[4 * i + 3];
            } else {
                int b = boxBase + i * boxStride;
                y = ((byteBoxes[b] & 0xFF) - (float) boxZero) * boxScale;
                x = ((byteBoxes[b + 1] & 0xFF) - (float) boxZero) * boxScale;
                h = ((byteBoxes[b + 2] & 0xFF) - (float) boxZero) * boxScale;
                w = ((byteBoxes[b + 3] & 0xFF) - (float) boxZero) * boxScale;
                ay = ((byteAnchors[4 * i] & 0xFF) - (float) anchorZero) * anchorScale;
                ax = ((byteAnchors[4 * i + 1] & 0xFF) - (float) anchorZero) * anchorScale;
                ah = ((byteAnchors[4 * i + 2] & 0xFF) - (float) anchorZero) * anchorScale;
                aw = ((byteAnchors[4 * i + 3] & 0xFF) - (float) anchorZero) * anchorScale;
            }
            float yc = (float) ((double) y / ys * ah + ay);
            float xc = (float) ((double) x / xs * aw + ax);
            float halfH = (float) (0.5 * Math.exp(h / hs) * ah);
            float halfW = (float) (0.5 * Math.exp(w / ws) * aw);
            decoded[4 * i] = yc - halfH;
            decoded[4 * i + 1] = xc - halfW;
            decoded[4 * i + 2] = yc + halfH;
            decoded[4 * i + 3] = xc + halfW;
        }
        for (int i = 0; i < boxes; i++) {
            if (decoded[4 * i] > decoded[4 * i + 2] || decoded[4 * i + 1] > decoded[4 * i + 3]) {
                throw new QuantaException(where + ": decoded box " + i + " has ymin > ymax or xmin > xmax (anchor "
                        + "height or width negative?); TFLite's kernel refuses such boxes");
            }
        }
    }

    /** TFLite's IoU of decoded boxes i and j in float: 0 when either has no area. */
    private float iou(int i, int j) {
        float[] d = decoded;
        float areaI = (d[4 * i + 2] - d[4 * i]) * (d[4 * i + 3] - d[4 * i + 1]);
        float areaJ = (d[4 * j + 2] - d[4 * j]) * (d[4 * j + 3] - d[4 * j + 1]);
        if (areaI <= 0 || areaJ <= 0) {
            return 0f;
        }
        float ymin = Math.max(d[4 * i], d[4 * j]);
        float xmin = Math.max(d[4 * i + 1], d[4 * j + 1]);
        float ymax = Math.min(d[4 * i + 2], d[4 * j + 2]);
        float xmax = Math.min(d[4 * i + 3], d[4 * j + 3]);
        float intersection = Math.max(ymax - ymin, 0f) * Math.max(xmax - xmin, 0f);
        return intersection / (areaI + areaJ - intersection);
    }

    /**
     * Step 3 on {@code values} (one score per box): the selected boxes, best first, at most {@code max}; their
     * count is returned and their indices written to {@code selected}.
     */
    private int nms(float[] values, int max, int[] selected) {
        int kept = 0;
        for (int i = 0; i < boxes; i++) {
            if (values[i] >= a.scoreThreshold()) {
                keep[kept] = i;
                // decreasing score, then increasing position: std::stable_sort with values[i] > values[j]
                order[kept] = ((long) ~sortableBits(values[i]) << 32) | kept;
                kept++;
            }
        }
        Arrays.sort(order, 0, kept);
        int outputSize = Math.min(kept, max);
        Arrays.fill(active, 0, kept, true);
        int activeCount = kept;
        int count = 0;
        for (int i = 0; i < kept; i++) {
            if (activeCount == 0 || count >= outputSize) {
                break;
            }
            if (!active[i]) {
                continue;
            }
            int bi = keep[(int) order[i]];
            selected[count++] = bi;
            active[i] = false;
            activeCount--;
            for (int j = i + 1; j < kept; j++) {
                if (active[j] && iou(bi, keep[(int) order[j]]) > a.iouThreshold()) {
                    active[j] = false;
                    activeCount--;
                }
            }
        }
        return count;
    }

    /** An int that orders as the float does, −0 and +0 equal (the values are never NaN here). */
    private static int sortableBits(float v) {
        int bits = Float.floatToIntBits(v + 0f);
        return bits ^ ((bits >> 31) & 0x7FFF_FFFF);
    }

    /** Step 4, class-agnostic; returns the number of detections. */
    private int fastNms(int rowBase) {
        int numClasses = a.numClasses();
        int perAnchor = Math.min(a.maxClassesPerDetection(), numClasses);
        int[] classOrder = new int[boxes * perAnchor];
        int[] rowOrder = new int[numClasses];
        float[] best = new float[boxes];
        for (int row = 0; row < boxes; row++) {
            int base = row * classesWithBackground + labelOffset;
            if (perAnchor == 1) {
                classOrder[row] = argMax(scores, base, numClasses);
            } else {
                HeapPartialSort.decreasing(scores, base, numClasses, perAnchor, rowOrder);
                System.arraycopy(rowOrder, 0, classOrder, row * perAnchor, perAnchor);
            }
            best[row] = scores[base + classOrder[row * perAnchor]];
        }
        int[] selected = new int[Math.min(boxes, a.maxDetections())];
        int count = nms(best, a.maxDetections(), selected);
        for (int k = 0; k < count; k++) {
            int box = selected[k];
            int base = box * classesWithBackground + labelOffset;
            for (int col = 0; col < perAnchor; col++) {
                int row = rowBase + a.maxClassesPerDetection() * k + col;
                int cls = classOrder[box * perAnchor + col];
                System.arraycopy(decoded, 4 * box, outBoxes, 4 * row, 4);
                outClasses[row] = cls;
                outScores[row] = scores[base + cls];
            }
        }
        return count;
    }

    /** The first position of the largest of {@code n} values from {@code base} (TFLite's ArgMaxVector). */
    private static int argMax(float[] v, int base, int n) {
        float max = v[base];
        int at = 0;
        for (int i = 1; i < n; i++) {
            if (v[base + i] > max) {
                max = v[base + i];
                at = i;
            }
        }
        return at;
    }

    /** Step 4, per class; returns the number of detections. */
    private int regularNms(int rowBase) {
        int perClass = Math.min(a.detectionsPerClass(), a.maxDetections());
        int max = a.maxDetections();
        int[] index = new int[max + perClass];
        float[] score = new float[max + perClass];
        int[] mergedIndex = new int[max + perClass];
        float[] mergedScore = new float[max + perClass];
        int size = 0;
        float[] classScores = new float[boxes];
        int[] selected = new int[Math.min(boxes, perClass)];
        for (int col = 0; col < a.numClasses(); col++) {
            int offset = col + labelOffset;
            for (int row = 0; row < boxes; row++) {
                classScores[row] = scores[row * classesWithBackground + offset];
            }
            int count = nms(classScores, perClass, selected);
            if (count == 0) {
                continue;
            }
            // a stable merge by decreasing score (std::inplace_merge): of equal scores, the earlier class comes first
            int i = 0;
            int j = 0;
            int m = 0;
            while (i < size && j < count) {
                float sj = classScores[selected[j]];
                if (sj > score[i]) {
                    mergedScore[m] = sj;
                    mergedIndex[m++] = selected[j++] * classesWithBackground + offset;
                } else {
                    mergedScore[m] = score[i];
                    mergedIndex[m++] = index[i++];
                }
            }
            while (i < size) {
                mergedScore[m] = score[i];
                mergedIndex[m++] = index[i++];
            }
            while (j < count) {
                mergedScore[m] = classScores[selected[j]];
                mergedIndex[m++] = selected[j++] * classesWithBackground + offset;
            }
            size = Math.min(m, max);
            System.arraycopy(mergedScore, 0, score, 0, size);
            System.arraycopy(mergedIndex, 0, index, 0, size);
        }
        for (int k = 0; k < size; k++) {
            int anchor = index[k] / classesWithBackground;
            System.arraycopy(decoded, 4 * anchor, outBoxes, 4 * (rowBase + k), 4);
            outClasses[rowBase + k] = index[k] - anchor * classesWithBackground - labelOffset;
            outScores[rowBase + k] = score[k];
        }
        return size;
    }
}
