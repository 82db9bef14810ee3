package dev.quanta.examples.shapes;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.Deflater;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Gzip-compressed IDX files (the MNIST format) for the demo data: images {@code 0x00000803} with dimensions
 * {@code [N, 16, 16]}, labels {@code 0x00000801} with {@code [N]}, all uint8, big-endian header.
 *
 * <p>The gzip header written by {@link GZIPOutputStream} has a modification time of 0 and no file name, so the
 * bytes depend only on the content (and on the JDK's zlib).
 */
public final class IdxFiles {
    static final int IMAGES_MAGIC = 0x00000803;
    static final int LABELS_MAGIC = 0x00000801;

    private IdxFiles() {}

    /** The images of {@code s} as a gzip-compressed IDX file. */
    public static byte[] imagesGz(ShapesDataset.Samples s) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(raw)) {
            out.writeInt(IMAGES_MAGIC);
            out.writeInt(s.count());
            out.writeInt(ShapesDataset.SIZE);
            out.writeInt(ShapesDataset.SIZE);
            out.write(s.images());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gzip(raw.toByteArray());
    }

    /** The labels of {@code s} as a gzip-compressed IDX file. */
    public static byte[] labelsGz(ShapesDataset.Samples s) {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(raw)) {
            out.writeInt(LABELS_MAGIC);
            out.writeInt(s.count());
            for (int l : s.labels()) {
                out.writeByte(l);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gzip(raw.toByteArray());
    }

    /** Reads back an images and a labels file written by this class (gzip-compressed). */
    public static ShapesDataset.Samples read(byte[] imagesGz, byte[] labelsGz) {
        ByteBuffer x = ByteBuffer.wrap(gunzip(imagesGz));
        ByteBuffer y = ByteBuffer.wrap(gunzip(labelsGz));
        if (x.getInt() != IMAGES_MAGIC || y.getInt() != LABELS_MAGIC) {
            throw new IllegalArgumentException("not a uint8 IDX images/labels pair");
        }
        int n = x.getInt();
        if (x.getInt() != ShapesDataset.SIZE
                || x.getInt() != ShapesDataset.SIZE
                || y.getInt() != n
                || x.remaining() != n * ShapesDataset.PIXELS
                || y.remaining() != n) {
            throw new IllegalArgumentException("IDX dimensions do not match " + n + " images of 16x16");
        }
        byte[] images = new byte[n * ShapesDataset.PIXELS];
        x.get(images);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = y.get() & 0xFF;
        }
        return new ShapesDataset.Samples(images, labels);
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(b) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** Decompresses a gzip stream. */
    public static byte[] gunzip(byte[] gz) {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
