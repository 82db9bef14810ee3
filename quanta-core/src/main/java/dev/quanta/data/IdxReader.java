package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed (detected by the magic bytes 1f 8b, not
 * by the file name).
 *
 * <p>Layout, big-endian: bytes 0-1 zero, byte 2 type code ({@code 08} ubyte, {@code 09} byte, {@code 0B} short,
 * {@code 0C} int, {@code 0D} float, {@code 0E} double), byte 3 the number of dimensions {@code n}; then {@code n}
 * int32 sizes; then the data, row-major. Images are typically {@code 0x00000803} ({@code N x 28 x 28} uint8), labels
 * {@code 0x00000801} ({@code N} uint8).
 *
 * <p>Files are read as a stream and only the samples kept are decoded. Before anything is allocated, the header is
 * checked against the file: a raw file must be exactly as long as the header declares; a gzip file must be able to
 * inflate to it (at most 1032 bytes per compressed byte); and the samples must fit in the heap (see {@link
 * DataIo#requireMemory}). When the whole file is read, a gzip trailer whose length (mod 2^32) disagrees with the
 * header makes the file be inflated once without storing it, to report what is wrong before allocating.
 */
public final class IdxReader {
    private IdxReader() {}

    /** An IDX header: element type, dimensions, header length and magic. */
    record Header(SampleType type, int[] dims, int dataOffset, int magic) {
        int count() {
            return dims[0];
        }

        /** Declared data bytes (saturated at {@link Long#MAX_VALUE}). */
        long dataBytes() {
            return Shapes.saturatedMultiply(Shapes.saturatedProduct(dims), type.bytes());
        }

        /** E.g. {@code "header declares 3x28x28 uint8 = 2352 data bytes from offset 16"}. */
        String describe() {
            return "header declares " + Shapes.format(dims) + " " + type.label() + " = " + dataBytes()
                    + " data bytes from offset " + dataOffset;
        }
    }

    /**
     * Loads images (first dimension = samples, remaining dimensions = sample shape) and optional labels.
     *
     * @param images IDX data file, e.g. {@code t10k-images-idx3-ubyte.gz}
     * @param labels 1-D IDX label file with one integer per sample, or null for an unlabelled dataset
     * @param preprocessing applied to every decoded value (null = identity)
     * @throws QuantaException for a missing, truncated or malformed file, or a sample count mismatch
     */
    public static Dataset load(Path images, Path labels, Preprocessing preprocessing) {
        return load(images, labels, preprocessing, Integer.MAX_VALUE);
    }

    /** Same, decoding only the first {@code limit} samples and labels. */
    static Dataset load(Path images, Path labels, Preprocessing preprocessing, int limit) {
        return load(images, labels, preprocessing, 0, limit);
    }

    /**
     * Same, decoding only samples {@code first} to {@code first + limit} (fewer at the end of the file) and their
     * labels: the samples before them are skipped without being decoded (a raw file seeks past them, a gzip file
     * inflates them and drops the bytes), so only the range is held in memory.
     */
    static Dataset load(Path images, Path labels, Preprocessing preprocessing, int first, int limit) {
        try (DataStream xs = DataStream.open(images, "IDX images")) {
            Header x = header(xs);
            int n = x.count();
            int rows = (int) Math.max(0, Math.min((long) n - first, limit));
            boolean toEnd = first + rows == n;
            int[] sampleShape = x.dims().length == 1 ? new int[] {1} : Arrays.copyOfRange(x.dims(), 1, x.dims().length);
            checkSize(xs, x);
            DataIo.requireMemory(images, "", rows, sampleShape);
            if (toEnd) {
                checkTrailer(xs, x);
            }
            int[] y = null;
            if (labels != null) {
                y = readLabels(labels, n, first, rows, images);
            }
            ElementType element = ElementType.idx(x.type());
            long sampleValues = Shapes.product(sampleShape);
            skipSamples(xs, x, (long) first * sampleValues * element.size());
            float[] values = new float[(int) ((long) rows * sampleValues)];
            xs.readFloats(
                    element,
                    values,
                    0,
                    values.length,
                    found -> truncated(xs, x, (long) first * sampleValues * element.size() + found));
            if (toEnd) {
                requireEnd(xs, x);
            }
            DataIo.ReadLabels read =
                    new DataIo.ReadLabels(y, 0, null, new Dataset.LabelOrigin(labels, null, Dataset.ClassCount.NONE));
            return DataIo.finish(
                    String.valueOf(images.getFileName()), images, sampleShape, values, read, preprocessing);
        }
    }

    /** The number of samples {@code images} declares (its first dimension), from its header only. */
    static int count(Path images) {
        try (DataStream xs = DataStream.open(images, "IDX images")) {
            return header(xs).count();
        }
    }

    /**
     * Reads a 1-D IDX label file (magic {@code 0x00000801} or another numeric type holding integer values).
     *
     * @throws QuantaException if the file is not 1-D or a label is not a non-negative integer
     */
    public static int[] readLabels(Path labels) {
        return readLabels(labels, -1, 0, Integer.MAX_VALUE, null);
    }

    /** Skips {@code bytes} data bytes, the samples before a range; a file that ends first is truncated. */
    private static void skipSamples(DataStream s, Header h, long bytes) {
        long skipped = s.skipBytes(bytes);
        if (skipped < bytes) {
            throw truncated(s, h, skipped);
        }
    }

    /**
     * Reads {@code rows} labels of {@code labels} from label {@code first} on, which must hold {@code expected}
     * labels (-1: any number) for the samples of {@code images}.
     */
    private static int[] readLabels(Path labels, int expected, int first, int rows, Path images) {
        try (DataStream ys = DataStream.open(labels, "IDX labels")) {
            Header y = header(ys);
            if (y.dims().length != 1) {
                throw QuantaException.inFile(
                        labels,
                        String.format(
                                "expected a 1-D IDX label file (magic 0x00000801), found magic 0x%08X (%d-D, "
                                        + "%s); are images "
                                        + "and labels swapped?",
                                y.magic(), y.dims().length, Shapes.format(y.dims())));
            }
            if (expected >= 0 && y.count() != expected) {
                throw QuantaException.inFile(
                        labels,
                        "has " + y.count() + " labels but the images file " + images.getFileName() + " has " + expected
                                + " samples");
            }
            int n = (int) Math.max(0, Math.min(rows, (long) y.count() - first));
            boolean toEnd = first + n == y.count();
            checkSize(ys, y);
            if (images == null) {
                DataIo.requireHeap(labels, "", 4L * n, DataIo.count(n) + " labels", "");
            }
            if (toEnd) {
                checkTrailer(ys, y);
            }
            ElementType element = ElementType.idx(y.type());
            skipSamples(ys, y, (long) first * element.size());
            int[] out = new int[n];
            ys.readValues(
                    element,
                    n,
                    (i, v) -> out[(int) i] = DataIo.indexLabel(v, first + (int) i, labels, ""),
                    found -> truncated(ys, y, (long) first * element.size() + found));
            if (toEnd) {
                requireEnd(ys, y);
            }
            return out;
        }
    }

    /** Reads and checks the magic and the dimensions. */
    static Header header(DataStream s) {
        Path file = s.file();
        String gz = s.gzipNote();
        byte[] head = new byte[4];
        int got = s.read(head, 0, 4);
        if (got < 4) {
            throw QuantaException.inFile(
                    file, "truncated: " + got + " bytes" + gz + ", an IDX header needs at least 4");
        }
        int magic = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN).getInt(0);
        int ndims = head[3] & 0xFF;
        SampleType type = typeOf(head[2] & 0xFF);
        if (head[0] != 0 || head[1] != 0 || type == null || ndims == 0) {
            throw QuantaException.inFile(
                    file,
                    String.format(
                            "bad magic 0x%08X at offset 0: expected an IDX header 0x0000TTNN (TT = type "
                                    + "08/09/0B/0C/0D/0E, "
                                    + "NN = number of dimensions), e.g. 0x00000803 for images or 0x00000801 for labels",
                            magic));
        }
        int header = 4 + 4 * ndims;
        byte[] dimBytes = new byte[4 * ndims];
        got = s.read(dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw QuantaException.inFile(
                    file,
                    "truncated header: " + ndims + " dimensions need " + header + " bytes, found " + (4 + got) + gz);
        }
        ByteBuffer bb = ByteBuffer.wrap(dimBytes).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[ndims];
        for (int i = 0; i < ndims; i++) {
            dims[i] = bb.getInt(4 * i);
            if (dims[i] < 0) {
                throw QuantaException.inFile(
                        file, "dimension " + i + " at offset " + (4 + 4 * i) + " is negative (" + dims[i] + ")");
            }
        }
        return new Header(type, dims, header, magic);
    }

    /**
     * Checks the declared size against the file before reading: a raw file's exact length, or the most a gzip file
     * can inflate to.
     */
    private static void checkSize(DataStream s, Header h) {
        Path file = s.file();
        long expected = h.dataBytes();
        if (s.length() >= 0) {
            long found = s.length() - h.dataOffset();
            if (found < expected) {
                throw QuantaException.inFile(file, "truncated: " + h.describe() + ", found " + found);
            }
            if (found > expected) {
                throw QuantaException.inFile(file, h.describe() + ", but " + found + " bytes follow (trailing data)");
            }
            return;
        }
        if (total(h) > s.maxLength()) {
            throw QuantaException.inFile(
                    file,
                    h.describe() + ", but a gzip file of "
                            + DataIo.count(s.compressedSize()) + " bytes inflates to at most "
                            + DataIo.count(s.maxLength())
                            + " bytes");
        }
    }

    /**
     * Before a whole gzip file is read: when its trailer's length (mod 2^32) disagrees with the header, inflates it
     * once without storing anything, which reports truncation, trailing data or a corrupt trailer as reading would
     * (and accepts files of several gzip members, whose last trailer covers only the last member).
     */
    private static void checkTrailer(DataStream s, Header h) {
        long total = total(h);
        if (!s.gzip() || s.gzipTrailerSize() < 0 || (total & 0xFFFFFFFFL) == s.gzipTrailerSize()) {
            return;
        }
        try (DataStream again = DataStream.open(s.file(), "IDX")) {
            long found = again.skip(total + 1) - h.dataOffset();
            if (found < h.dataBytes()) {
                throw truncated(again, h, found);
            }
            if (found > h.dataBytes()) {
                throw trailing(again, h);
            }
        }
    }

    /** Header plus data bytes (saturated). */
    private static long total(Header h) {
        long expected = h.dataBytes();
        return expected > Long.MAX_VALUE - h.dataOffset() ? Long.MAX_VALUE : expected + h.dataOffset();
    }

    private static QuantaException truncated(DataStream s, Header h, long found) {
        return QuantaException.inFile(s.file(), "truncated: " + h.describe() + ", found " + found + s.gzipNote());
    }

    private static QuantaException trailing(DataStream s, Header h) {
        return QuantaException.inFile(
                s.file(), h.describe() + ", but more bytes follow" + s.gzipNote() + " (trailing data)");
    }

    private static void requireEnd(DataStream s, Header h) {
        if (!s.atEnd()) {
            throw trailing(s, h);
        }
    }

    private static SampleType typeOf(int code) {
        return switch (code) {
            case 0x08 -> SampleType.UINT8;
            case 0x09 -> SampleType.INT8;
            case 0x0B -> SampleType.INT16;
            case 0x0C -> SampleType.INT32;
            case 0x0D -> SampleType.FLOAT32;
            case 0x0E -> SampleType.FLOAT64;
            default -> null;
        };
    }
}
