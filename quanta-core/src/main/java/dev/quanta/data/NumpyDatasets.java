package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

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
    public static Dataset load(
            Path file, String xKey, String yKey, Path labels, LabelFormat labelFormat, Preprocessing preprocessing) {
        return load(file, xKey, yKey, labels, labelFormat, preprocessing, Integer.MAX_VALUE);
    }

    /**
     * Same, decoding only the first {@code limit} samples and labels: the arrays are streamed from the file or archive
     * entry, and their headers are checked against the size of the file or entry before anything is allocated.
     */
    static Dataset load(
            Path file,
            String xKey,
            String yKey,
            Path labels,
            LabelFormat labelFormat,
            Preprocessing preprocessing,
            int limit) {
        return load(file, xKey, yKey, labels, labelFormat, preprocessing, 0, limit);
    }

    /**
     * Same, decoding only samples {@code first} to {@code first + limit} (fewer at the end) and their labels: the
     * samples before them are skipped undecoded (a {@code .npy} file seeks past them, an archive entry is inflated
     * and the bytes dropped), so only the range is held in memory.
     */
    static Dataset load(
            Path file,
            String xKey,
            String yKey,
            Path labels,
            LabelFormat labelFormat,
            Preprocessing preprocessing,
            int first,
            int limit) {
        Keys keys = keys(file, xKey, yKey, labels);
        boolean npz = keys.npz();
        String name = keys.name();
        String xk = keys.x();
        String yk = keys.y();
        Path yFile = yk != null ? file : labels;
        boolean yZip = yk != null || (labels != null && isZip(labels));
        if (labels != null && yZip) {
            List<String> names = NpzReader.names(labels);
            yk = yKey != null ? require(names, yKey, labels, "label") : first(names, DEFAULT_Y_KEYS);
            if (yk == null) {
                if (names.size() != 1) {
                    throw QuantaException.inFile(
                            labels, "cannot tell which array holds the labels among " + names + "; pass the label key");
                }
                yk = names.get(0);
            }
        }
        String xName = npz ? "array '" + xk + "'" : name;
        try (Source xs = open(file, npz, xk)) {
            NpyReader.Header x = NpyReader.header(xs.stream);
            if (x.shape().length == 0) {
                throw QuantaException.inFile(
                        file,
                        (npz ? xName : "the array")
                                + " is a scalar; expected an array whose first axis is the samples");
            }
            int[] xs0 = x.shape();
            int n = xs0[0];
            int rows = (int) Math.max(0, Math.min((long) n - first, limit));
            int[] sampleShape = xs0.length == 1 ? new int[] {1} : Arrays.copyOfRange(xs0, 1, xs0.length);
            DataIo.requireMemory(file, xs.stream.where(), rows, sampleShape);
            Labels y = null;
            if (yFile != null) {
                try (Source ys = open(yFile, yZip, yk)) {
                    y = readLabels(ys.stream, labelFormat, n, first, rows, xName);
                }
            }
            long skipped = (long) first * Shapes.product(sampleShape) * x.type().size();
            skip(xs.stream, x, skipped);
            float[] values = new float[(int) ((long) rows * Shapes.product(sampleShape))];
            xs.stream.readFloats(
                    x.type(), values, 0, values.length, found -> NpyReader.truncated(xs.stream, x, skipped + found));
            if (first + rows == n) {
                NpyReader.requireEnd(xs.stream, x);
            }
            DataIo.ReadLabels read = DataIo.ReadLabels.NONE;
            if (y != null) {
                Dataset.ClassCount declaredBy =
                        y.oneHotWidth() > 0 ? Dataset.ClassCount.ONE_HOT_WIDTH : Dataset.ClassCount.NONE;
                Dataset.LabelOrigin origin = new Dataset.LabelOrigin(yFile, yZip ? yk : null, declaredBy);
                read = new DataIo.ReadLabels(y.labels(), y.oneHotWidth(), null, origin);
            }
            return DataIo.finish(name, file, sampleShape, values, read, preprocessing);
        }
    }

    /** The feature array's key and the label array's in a {@code .npz} (null for a {@code .npy}), and the name. */
    private record Keys(boolean npz, String x, String y, String name) {}

    /** Which arrays hold the features and the labels, as {@link #load} chooses them. */
    private static Keys keys(Path file, String xKey, String yKey, Path labels) {
        boolean npz = isZip(file);
        String name = String.valueOf(file.getFileName());
        String xk = null;
        String yk = null;
        if (npz) {
            List<String> names = NpzReader.names(file);
            if (names.isEmpty()) {
                throw QuantaException.inFile(file, "the .npz archive holds no .npy arrays");
            }
            if (labels == null) {
                yk = yKey != null ? require(names, yKey, file, "label") : first(names, DEFAULT_Y_KEYS);
            }
            xk = xKey != null ? require(names, xKey, file, "feature") : first(names, DEFAULT_X_KEYS);
            if (xk == null) {
                for (String n : names) {
                    if (!n.equals(yk)) {
                        xk = n;
                        break;
                    }
                }
                if (xk == null) {
                    throw QuantaException.inFile(
                            file, "the only array '" + yk + "' is used for labels; no feature array left");
                }
            }
            if (xk.equals(yk)) {
                throw QuantaException.inFile(file, "array '" + xk + "' cannot be both the features and the labels");
            }
            name = name + "[" + xk + "]";
        }
        return new Keys(npz, xk, yk, name);
    }

    /**
     * The number of samples of the feature array (the first axis of its shape), from its header only.
     *
     * @throws QuantaException as {@link #load} would for the file, its keys or a scalar array
     */
    static int count(Path file, String xKey, String yKey, Path labels) {
        Keys keys = keys(file, xKey, yKey, labels);
        try (Source xs = open(file, keys.npz(), keys.x())) {
            NpyReader.Header x = NpyReader.header(xs.stream);
            if (x.shape().length == 0) {
                throw QuantaException.inFile(
                        file,
                        (keys.npz() ? "array '" + keys.x() + "'" : "the array")
                                + " is a scalar; expected an array whose first axis is the samples");
            }
            return x.shape()[0];
        }
    }

    /** Labels read from an array, and the one-hot width (0 for class indices). */
    private record Labels(int[] labels, int oneHotWidth) {}

    /** Skips {@code bytes} of an array's data (the samples before a range); an array that ends first is truncated. */
    private static void skip(DataStream s, NpyReader.Header h, long bytes) {
        long done = s.skipBytes(bytes);
        if (done < bytes) {
            throw NpyReader.truncated(s, h, done);
        }
    }

    /**
     * Reads {@code rows} labels from label {@code first} on, of an array that must label {@code n} samples of
     * {@code xName}.
     */
    private static Labels readLabels(DataStream s, LabelFormat labelFormat, int n, int first, int rows, String xName) {
        NpyReader.Header y = NpyReader.header(s);
        Path yFile = s.file();
        String where = s.where();
        int[] shape = y.shape();
        LabelFormat fmt = labelFormat;
        if (fmt == null) {
            fmt = shape.length == 2 && shape[1] > 1 ? LabelFormat.ONE_HOT : LabelFormat.INDEX;
        }
        if (fmt == LabelFormat.INDEX) {
            if (!(shape.length == 1 || (shape.length == 2 && shape[1] == 1))) {
                throw QuantaException.inFile(
                        yFile,
                        where + "class-index labels must have shape (N,) or (N, 1), found "
                                + NpyReader.shapeText(shape));
            }
            checkCount(shape[0], n, yFile, where, xName);
            long skipped = (long) first * y.type().size();
            skip(s, y, skipped);
            int[] out = new int[rows];
            s.readValues(
                    y.type(),
                    rows,
                    (i, v) -> out[(int) i] = DataIo.indexLabel(v, first + (int) i, yFile, where),
                    found -> NpyReader.truncated(s, y, skipped + found));
            if (first + rows == n) {
                NpyReader.requireEnd(s, y);
            }
            return new Labels(out, 0);
        }
        if (shape.length != 2) {
            throw QuantaException.inFile(
                    yFile, where + "one-hot labels must have shape (N, classes), found " + NpyReader.shapeText(shape));
        }
        checkCount(shape[0], n, yFile, where, xName);
        long skipped = (long) first * shape[1] * y.type().size();
        skip(s, y, skipped);
        DataIo.OneHotDecoder decoder = new DataIo.OneHotDecoder(rows, shape[1], yFile, where, first);
        s.readValues(y.type(), (long) rows * shape[1], decoder, found -> NpyReader.truncated(s, y, skipped + found));
        if (first + rows == n) {
            NpyReader.requireEnd(s, y);
        }
        return new Labels(decoder.labels(), shape[1]);
    }

    /** An open {@code .npy} file or {@code .npz} entry. */
    private static final class Source implements AutoCloseable {
        private final ZipFile zip;
        final DataStream stream;

        Source(ZipFile zip, DataStream stream) {
            this.zip = zip;
            this.stream = stream;
        }

        @Override
        public void close() {
            stream.close();
            if (zip != null) {
                try {
                    zip.close();
                } catch (IOException e) {
                    // reading is over; closing an input cannot change the result
                }
            }
        }
    }

    private static Source open(Path file, boolean zip, String key) {
        if (!zip) {
            return new Source(null, DataStream.openRaw(file, "NumPy .npy"));
        }
        ZipFile z = NpzReader.open(file);
        try {
            ZipEntry e = NpzReader.find(z, key);
            if (e == null) {
                throw QuantaException.inFile(file, "no array '" + key + "' in the archive");
            }
            return new Source(z, NpzReader.entry(z, e, file));
        } catch (RuntimeException ex) {
            try {
                z.close();
            } catch (IOException ignored) {
                // the original error is the one to report
            }
            throw ex;
        }
    }

    /** Loads with the default keys, no separate label file and label format inferred from the label shape. */
    public static Dataset load(Path file, Preprocessing preprocessing) {
        return load(file, null, null, null, null, preprocessing);
    }

    private static void checkCount(int labels, int samples, Path yFile, String where, String xName) {
        if (labels != samples) {
            throw QuantaException.inFile(
                    yFile, where + "has " + labels + " labels but " + xName + " has " + samples + " samples");
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
        return head.length == 4
                && head[0] == 'P'
                && head[1] == 'K'
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
