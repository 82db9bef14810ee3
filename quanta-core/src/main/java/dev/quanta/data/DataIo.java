package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

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

    static byte[] readAll(Path file, String what) {
        requireFile(file, what);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw QuantaException.inFile(file, what + " file not found", e);
        } catch (IOException | OutOfMemoryError e) {
            throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
        }
    }

    static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xFF) == 0x1F && (b[1] & 0xFF) == 0x8B;
    }

    /** File contents, and whether they were gzip-compressed. */
    record Contents(byte[] bytes, boolean gzip) {}

    /** Reads {@code file}, decompressing it when it starts with the gzip magic bytes 1f 8b (whatever its name). */
    static Contents readMaybeGzip(Path file, String what) {
        byte[] raw = readAll(file, what);
        if (!isGzip(raw)) {
            return new Contents(raw, false);
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw), 1 << 16)) {
            return new Contents(in.readAllBytes(), true);
        } catch (EOFException e) {
            throw QuantaException.inFile(file, "truncated gzip data (" + raw.length
                    + " compressed bytes end before the end of the stream)", e);
        } catch (ZipException e) {
            throw QuantaException.inFile(file, "corrupt gzip data: " + e.getMessage(), e);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot decompress gzip data: " + e.getMessage(), e);
        }
    }

    /**
     * Converts numeric label values to class indices: each must be a non-negative integer value.
     *
     * @param where message prefix after the file, e.g. {@code "array 'labels': "} or {@code ""}
     */
    static int[] indexLabels(int n, IntToDoubleFunction value, Path file, String where) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            double v = value.applyAsDouble(i);
            if (v != Math.rint(v) || Double.isInfinite(v)) {
                throw QuantaException.inFile(file, where + "label " + fmt(v) + " at sample " + i + " is not an integer");
            }
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw QuantaException.inFile(file, where + "label " + fmt(v) + " at sample " + i
                        + " is not a valid class index (must be >= 0)");
            }
            out[i] = (int) v;
        }
        return out;
    }

    /** Converts {@code n} one-hot rows of {@code k} values to indices; a row must have one 1 and otherwise 0. */
    static int[] oneHotLabels(int n, int k, IntToDoubleFunction value, Path file, String where) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int hot = -1;
            int ones = 0;
            for (int j = 0; j < k; j++) {
                double v = value.applyAsDouble(i * k + j);
                if (v == 1.0) {
                    ones++;
                    hot = j;
                } else if (v != 0.0) {
                    throw QuantaException.inFile(file, where + "one-hot row " + i + " is not a one-hot vector: column " + j
                            + " holds " + fmt(v) + " (expected 0 or 1)");
                }
            }
            if (ones != 1) {
                throw QuantaException.inFile(file, where + "one-hot row " + i + " is not a one-hot vector: expected exactly one 1 in "
                        + k + " columns, found " + ones);
            }
            out[i] = hot;
        }
        return out;
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    /**
     * Applies {@code p} to the decoded {@code values} (in place) and wraps them as a dataset.
     *
     * @param storedShape sample shape as stored, before reshape
     */
    static Dataset finish(String name, Path source, int[] storedShape, float[] values, int[] labels, int declaredClasses,
            Preprocessing p, List<String> classNames) {
        Preprocessing pre = p == null ? Preprocessing.identity() : p;
        String where = source == null ? "" : source + ": ";
        long sampleSize = Shapes.product(storedShape);
        if (values.length == 0 || sampleSize == 0) {
            throw new QuantaException(where + "the dataset contains no samples");
        }
        int[] outShape = pre.outputShape(storedShape, where);
        int channels = pre.channels(storedShape, outShape, where);
        pre.applyInPlace(values, channels);
        return new Dataset(name, source, outShape, values, labels, declaredClasses, null, classNames);
    }
}
