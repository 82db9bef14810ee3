package dev.quanta.data;

import dev.quanta.ByteCounts;
import dev.quanta.QuantaException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Shared file reading, label conversion and dataset assembly for the loaders. */
final class DataIo {
    private DataIo() {}

    /** Fails unless {@code file} is an existing regular file. */
    static void requireFile(Path file, String what) {
        if (file == null) {
            throw new QuantaException("missing " + what + " path");
        }
        if (Files.isDirectory(file)) {
            throw QuantaException.inFile(file, "is a directory; expected the " + what + " file");
        }
        if (!Files.isRegularFile(file)) {
            throw QuantaException.inFile(file, what + " file not found");
        }
    }

    /** Fails unless {@code dir} is an existing directory. */
    static void requireDirectory(Path dir, String what) {
        if (dir == null) {
            throw new QuantaException("missing " + what + " path");
        }
        if (!Files.exists(dir)) {
            throw QuantaException.inFile(dir, what + " not found");
        }
        if (!Files.isDirectory(dir)) {
            throw QuantaException.inFile(dir, "is a file; expected the " + what + " directory");
        }
    }

    /** The most float values one dataset holds: they are stored in one {@code float[]}. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    /**
     * Refuses, before anything is allocated, to load {@code samples} samples of {@code sampleShape} when their float32
     * values (plus one int label each) would not fit in one array or in the heap available: {@link Runtime#maxMemory()}
     * minus what is in use, less a reserve of an eighth for the work that follows (batches, the interpreter).
     *
     * @throws QuantaException e.g. {@code "<file>: 2,500,000 samples of 28x28 need 7.3 GiB as float32, more than the
     *     5.2 GiB of heap available; use a sample limit"}
     */
    static void requireMemory(Path file, String where, long samples, int[] sampleShape) {
        requireMemory(file, where, samples, sampleShape, 0);
    }

    /** Same, with {@code extraBytes} more needed while loading (e.g. one decoded image). */
    static void requireMemory(Path file, String where, long samples, int[] sampleShape, long extraBytes) {
        long per = Shapes.saturatedProduct(sampleShape);
        String of = count(samples) + " samples of " + Shapes.format(sampleShape);
        if (per > MAX_VALUES) {
            throw QuantaException.inFile(
                    file,
                    where + "one sample of " + Shapes.format(sampleShape) + " has " + count(per)
                            + " values, more than the " + count(MAX_VALUES) + " a dataset holds");
        }
        long values = Shapes.saturatedMultiply(samples, per);
        if (values > MAX_VALUES) {
            throw QuantaException.inFileAboutSettings(
                    file,
                    where + of + " are " + count(values) + " values, more than the " + count(MAX_VALUES)
                            + " a dataset holds in one float array; " + LIMIT_HINT);
        }
        long need = 4 * values + 4 * samples;
        requireHeap(
                file,
                where,
                extraBytes > Long.MAX_VALUE - need ? Long.MAX_VALUE : need + extraBytes,
                of,
                " as float32");
    }

    /**
     * Refuses to allocate {@code need} bytes when they exceed {@link #availableHeap()} (after one garbage
     * collection): {@code "<file>: <where><subject> need 7.3 GiB<as>, more than the 5.2 GiB of heap available; use
     * a sample limit"} (a {@link dev.quanta.Setting#LIMIT} the command line names as its flag).
     */
    static void requireHeap(Path file, String where, long need, String subject, String as) {
        long available = availableHeap();
        if (need > available) {
            System.gc();
            available = availableHeap();
        }
        if (need > available) {
            throw QuantaException.inFileAboutSettings(
                    file,
                    where + subject + " need " + ByteCounts.iec(need) + as + ", more than the "
                            + ByteCounts.iec(available) + " of heap available; " + LIMIT_HINT);
        }
    }

    /** The advice of a refusal for size: names the sample limit setting ({@code --limit N} on the command line). */
    private static final String LIMIT_HINT = "use {LIMIT}";

    /** Free heap that a load may use: max heap minus what is in use, less a reserve of an eighth of the rest. */
    static long availableHeap() {
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        return Math.max(0, free - free / 8);
    }

    /** {@code n} with thousands separators, e.g. {@code 2,500,000}. */
    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xFF) == 0x1F && (b[1] & 0xFF) == 0x8B;
    }

    /**
     * Converts a numeric label value to a class index: it must be a non-negative integer value.
     *
     * @param i the sample, for the message
     * @param where message prefix after the file, e.g. {@code "array 'labels': "} or {@code ""}
     */
    static int indexLabel(double v, int i, Path file, String where) {
        if (v != Math.rint(v) || Double.isInfinite(v)) {
            throw QuantaException.inFile(file, where + "label " + fmt(v) + " at sample " + i + " is not an integer");
        }
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw QuantaException.inFile(
                    file, where + "label " + fmt(v) + " at sample " + i + " is not a valid class index (must be >= 0)");
        }
        return (int) v;
    }

    /**
     * Turns a stream of one-hot rows of {@code k} values into class indices: a row must hold one 1 and otherwise 0.
     * Values arrive one at a time in row-major order through {@link #accept}.
     */
    static final class OneHotDecoder implements DataStream.ValueSink {
        private final int[] out;
        private final int k;
        private final Path file;
        private final String where;
        private final int firstRow;
        private int hot = -1;
        private int ones;

        OneHotDecoder(int rows, int k, Path file, String where) {
            this(rows, k, file, where, 0);
        }

        /** A decoder of {@code rows} rows, the first being row {@code firstRow} of the array (for messages). */
        OneHotDecoder(int rows, int k, Path file, String where, int firstRow) {
            this.out = new int[rows];
            this.k = k;
            this.file = file;
            this.where = where;
            this.firstRow = firstRow;
            if (k == 0 && rows > 0) {
                throw notOneHot(0, "expected exactly one 1 in 0 columns, found 0");
            }
        }

        @Override
        public void accept(long index, double v) {
            int row = (int) (index / k);
            int col = (int) (index % k);
            if (v == 1.0) {
                ones++;
                hot = col;
            } else if (v != 0.0) {
                throw notOneHot(row, "column " + col + " holds " + fmt(v) + " (expected 0 or 1)");
            }
            if (col == k - 1) {
                if (ones != 1) {
                    throw notOneHot(row, "expected exactly one 1 in " + k + " columns, found " + ones);
                }
                out[row] = hot;
                ones = 0;
                hot = -1;
            }
        }

        int[] labels() {
            return out;
        }

        private QuantaException notOneHot(int row, String what) {
            return QuantaException.inFile(
                    file, where + "one-hot row " + (firstRow + row) + " is not a one-hot vector: " + what);
        }
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Labels as a loader read them: the class index of each sample (null: unlabelled), the number of classes the data
     * declares (0: none), the class names in index order (null: unknown) and where the labels came from.
     */
    record ReadLabels(int[] indices, int declaredClasses, List<String> classNames, Dataset.LabelOrigin origin) {
        /** An unlabelled dataset's. */
        static final ReadLabels NONE = new ReadLabels(null, 0, null, Dataset.LabelOrigin.UNKNOWN);
    }

    /**
     * Applies {@code p} to the decoded {@code values} (in place) and wraps them as a dataset.
     *
     * @param storedShape sample shape as stored, before reshape
     */
    static Dataset finish(
            String name, Path source, int[] storedShape, float[] values, ReadLabels labels, Preprocessing p) {
        Preprocessing pre = p == null ? Preprocessing.identity() : p;
        String where = source == null ? "" : source + ": ";
        long sampleSize = Shapes.product(storedShape);
        if (values.length == 0 || sampleSize == 0) {
            throw new QuantaException(where + "the dataset contains no samples");
        }
        int[] outShape = pre.outputShape(storedShape, where);
        int channels = pre.channels(storedShape, outShape, where);
        pre.applyInPlace(values, channels);
        return new Dataset(
                name,
                source,
                outShape,
                values,
                labels.indices(),
                labels.declaredClasses(),
                null,
                labels.classNames(),
                labels.origin(),
                pre);
    }
}
