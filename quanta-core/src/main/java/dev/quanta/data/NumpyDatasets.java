package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Datasets from NumPy files: features from a {@code .npy} or an array in a {@code .npz}, labels from another array
 * of the {@code .npz} or from a separate {@code .npy} (or {@code .npz}).
 *
 * <p>The first axis of the feature array is the sample axis; the remaining axes are the sample shape. Labels are
 * either 1-D class indices (integer dtype, or float holding integer values; shape {@code [N]} or {@code [N, 1]}) or
 * 2-D one-hot rows {@code [N, k]}.
 */
public final class NumpyDatasets {
    private NumpyDatasets() {}

    /** Feature keys tried in order when none is given. */
    public static final List<String> DEFAULT_X_KEYS = List.of("x", "x_test", "images", "data", "specs");
    /** Label keys tried in order when none is given. */
    public static final List<String> DEFAULT_Y_KEYS = List.of("y", "y_test", "labels");

    /**
     * Loads a dataset.
     *
     * @param file a {@code .npy} (features only) or {@code .npz} file (recognised by content, not name)
     * @param xKey feature array in a {@code .npz}; null = first of {@link #DEFAULT_X_KEYS} present, else the first
     *     array that is not the label array
     * @param yKey label array in a {@code .npz} (or in {@code labels} when that is a {@code .npz}); null = first of
     *     {@link #DEFAULT_Y_KEYS} present, else unlabelled
     * @param labels separate label file ({@code .npy}, or {@code .npz}), or null
     * @param labelFormat {@link LabelFormat#INDEX}, {@link LabelFormat#ONE_HOT}, or null to infer from the label
     *     array's shape ({@code [N]} / {@code [N,1]} = index, {@code [N,k]} = one-hot)
     * @param preprocessing applied to every feature value (null = identity)
     */
    public static Dataset load(Path file, String xKey, String yKey, Path labels, LabelFormat labelFormat,
            Preprocessing preprocessing) {
        boolean npz = isZip(file);
        NpyArray x;
        String name = String.valueOf(file.getFileName());
        String xName;
        NpyArray y = null;
        Path yFile = labels;
        String yName = null;
        if (npz) {
            List<String> names = NpzReader.names(file);
            if (names.isEmpty()) {
                throw QuantaException.inFile(file, "the .npz archive holds no .npy arrays");
            }
            String yk = null;
            if (labels == null) {
                yk = yKey != null ? require(names, yKey, file, "label") : first(names, DEFAULT_Y_KEYS);
            }
            String xk = xKey != null ? require(names, xKey, file, "feature") : first(names, DEFAULT_X_KEYS);
            if (xk == null) {
                for (String n : names) {
                    if (!n.equals(yk)) {
                        xk = n;
                        break;
                    }
                }
                if (xk == null) {
                    throw QuantaException.inFile(file, "the only array '" + yk + "' is used for labels; no feature array left");
                }
            }
            if (xk.equals(yk)) {
                throw QuantaException.inFile(file, "array '" + xk + "' cannot be both the features and the labels");
            }
            x = NpzReader.read(file, xk);
            xName = "array '" + xk + "'";
            name = name + "[" + xk + "]";
            if (yk != null) {
                y = NpzReader.read(file, yk);
                yFile = file;
                yName = "array '" + yk + "'";
            }
        } else {
            x = NpyReader.read(file);
            xName = name;
        }
        if (labels != null) {
            if (isZip(labels)) {
                List<String> names = NpzReader.names(labels);
                String yk = yKey != null ? require(names, yKey, labels, "label") : first(names, DEFAULT_Y_KEYS);
                if (yk == null) {
                    if (names.size() != 1) {
                        throw QuantaException.inFile(labels, "cannot tell which array holds the labels among " + names
                                + "; pass the label key");
                    }
                    yk = names.get(0);
                }
                y = NpzReader.read(labels, yk);
                yName = "array '" + yk + "'";
            } else {
                y = NpyReader.read(labels);
                yName = null;
            }
        }
        if (x.ndim() == 0) {
            throw QuantaException.inFile(file, (npz ? xName : "the array") + " is a scalar; expected an array whose first axis is the samples");
        }
        int[] xs = x.shape();
        int n = xs[0];
        int[] sampleShape = xs.length == 1 ? new int[] {1} : Arrays.copyOfRange(xs, 1, xs.length);
        int[] ys = null;
        int declared = 0;
        if (y != null) {
            String where = yName == null ? "" : yName + ": ";
            LabelFormat fmt = labelFormat;
            int[] shape = y.shape();
            if (fmt == null) {
                fmt = shape.length == 2 && shape[1] > 1 ? LabelFormat.ONE_HOT : LabelFormat.INDEX;
            }
            NpyArray ya = y;
            if (fmt == LabelFormat.INDEX) {
                if (!(shape.length == 1 || (shape.length == 2 && shape[1] == 1))) {
                    throw QuantaException.inFile(yFile, where + "class-index labels must have shape (N,) or (N, 1), found "
                            + NpyReader.shapeText(shape));
                }
                checkCount(shape[0], n, yFile, where, xName);
                ys = DataIo.indexLabels(shape[0], ya::get, yFile, where);
            } else {
                if (shape.length != 2) {
                    throw QuantaException.inFile(yFile, where + "one-hot labels must have shape (N, classes), found "
                            + NpyReader.shapeText(shape));
                }
                checkCount(shape[0], n, yFile, where, xName);
                ys = DataIo.oneHotLabels(shape[0], shape[1], ya::get, yFile, where);
                declared = shape[1];
            }
        }
        float[] values = x.floatData() != null ? x.floatData() : x.toFloatArray();
        return DataIo.finish(name, file, sampleShape, values, ys, declared, preprocessing, null);
    }

    /** Loads with the default keys, no separate label file and label format inferred from the label shape. */
    public static Dataset load(Path file, Preprocessing preprocessing) {
        return load(file, null, null, null, null, preprocessing);
    }

    private static void checkCount(int labels, int samples, Path yFile, String where, String xName) {
        if (labels != samples) {
            throw QuantaException.inFile(yFile, where + "has " + labels + " labels but " + xName + " has " + samples
                    + " samples");
        }
    }

    private static String require(List<String> names, String key, Path file, String what) {
        if (!names.contains(key)) {
            throw QuantaException.inFile(file, "no " + what + " array '" + key + "' in the archive; it holds " + names);
        }
        return key;
    }

    private static String first(List<String> names, List<String> candidates) {
        for (String c : candidates) {
            if (names.contains(c)) {
                return c;
            }
        }
        return null;
    }

    /** True if the file starts with a zip local-file or end-of-archive signature. */
    static boolean isZip(Path file) {
        byte[] head = head(file, 4, "NumPy");
        return head.length == 4 && head[0] == 'P' && head[1] == 'K'
                && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
    }

    /** Up to {@code n} leading bytes of {@code file}. */
    static byte[] head(Path file, int n, String what) {
        DataIo.requireFile(file, what);
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
        }
    }
}
