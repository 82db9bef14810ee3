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
 */
public final class IdxReader {
    private IdxReader() {}

    /** One decoded IDX file: element type, dimensions and the raw (decompressed) bytes. */
    record Idx(SampleType type, int[] dims, byte[] bytes, int dataOffset, int magic) {
        int count() {
            return dims[0];
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
        Idx x = read(images, "IDX images");
        int n = x.count();
        int[] sampleShape = x.dims().length == 1 ? new int[] {1} : Arrays.copyOfRange(x.dims(), 1, x.dims().length);
        long total = (long) n * Shapes.product(sampleShape);
        if (total > Integer.MAX_VALUE - 8) {
            throw QuantaException.inFile(images, "too large to load in memory: " + Shapes.format(x.dims()));
        }
        int[] y = null;
        if (labels != null) {
            y = readLabels(labels);
            if (y.length != n) {
                throw QuantaException.inFile(labels, "has " + y.length + " labels but the images file " + images.getFileName()
                        + " has " + n + " samples");
            }
        }
        float[] values = new float[(int) total];
        x.type().decode(x.bytes(), x.dataOffset(), true, values, 0, values.length);
        return DataIo.finish(String.valueOf(images.getFileName()), images, sampleShape, values, y, 0, preprocessing, null);
    }

    /**
     * Reads a 1-D IDX label file (magic {@code 0x00000801} or another numeric type holding integer values).
     *
     * @throws QuantaException if the file is not 1-D or a label is not a non-negative integer
     */
    public static int[] readLabels(Path labels) {
        Idx y = read(labels, "IDX labels");
        if (y.dims().length != 1) {
            throw QuantaException.inFile(labels, String.format(
                    "expected a 1-D IDX label file (magic 0x00000801), found magic 0x%08X (%d-D, %s); are images and labels swapped?",
                    y.magic(), y.dims().length, Shapes.format(y.dims())));
        }
        ByteBuffer b = ByteBuffer.wrap(y.bytes()).order(ByteOrder.BIG_ENDIAN);
        return DataIo.indexLabels(y.count(), i -> y.type().get(b, y.dataOffset(), i), labels, "");
    }

    static Idx read(Path file, String what) {
        DataIo.Contents contents = DataIo.readMaybeGzip(file, what);
        byte[] b = contents.bytes();
        String gz = contents.gzip() ? " (after gzip decompression)" : "";
        if (b.length < 4) {
            throw QuantaException.inFile(file, "truncated: " + b.length + " bytes" + gz + ", an IDX header needs at least 4");
        }
        int magic = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN).getInt(0);
        int code = b[2] & 0xFF;
        int ndims = b[3] & 0xFF;
        SampleType type = typeOf(code);
        if (b[0] != 0 || b[1] != 0 || type == null || ndims == 0) {
            throw QuantaException.inFile(file, String.format(
                    "bad magic 0x%08X at offset 0: expected an IDX header 0x0000TTNN (TT = type 08/09/0B/0C/0D/0E, NN = "
                            + "number of dimensions), e.g. 0x00000803 for images or 0x00000801 for labels", magic));
        }
        int header = 4 + 4 * ndims;
        if (b.length < header) {
            throw QuantaException.inFile(file, "truncated header: " + ndims + " dimensions need " + header + " bytes, found "
                    + b.length + gz);
        }
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN);
        int[] dims = new int[ndims];
        long elements = 1;
        for (int i = 0; i < ndims; i++) {
            dims[i] = bb.getInt(4 + 4 * i);
            if (dims[i] < 0) {
                throw QuantaException.inFile(file, "dimension " + i + " at offset " + (4 + 4 * i) + " is negative ("
                        + dims[i] + ")");
            }
            elements *= dims[i];
        }
        long expected = elements * type.bytes();
        long found = b.length - (long) header;
        if (found < expected) {
            throw QuantaException.inFile(file, "truncated: header declares " + Shapes.format(dims) + " " + type.label()
                    + " = " + expected + " data bytes from offset " + header + ", found " + found + gz);
        }
        if (found > expected) {
            throw QuantaException.inFile(file, "header declares " + Shapes.format(dims) + " " + type.label() + " = "
                    + expected + " data bytes from offset " + header + ", but " + found + " bytes follow" + gz
                    + " (trailing data)");
        }
        return new Idx(type, dims, b, header, magic);
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
