package dev.quanta.data;

import dev.quanta.testing.HostileFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Builds small test files (npy, npz, IDX) byte by byte, on {@link HostileFiles}' pieces. */
final class TestFiles {
    private TestFiles() {}

    /** A .npy file: the header dict text is padded with spaces and a newline to a multiple of 64 bytes. */
    static byte[] npy(int major, String descr, boolean fortran, String shape, byte[] data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + shape + ", }";
        return npyRaw(major, dict, data);
    }

    /** A .npy file with the given header dict text ({@link HostileFiles#npyHeader(int, String)}), then {@code data}. */
    static byte[] npyRaw(int major, String dict, byte[] data) {
        return HostileFiles.concat(HostileFiles.npyHeader(major, dict), data);
    }

    static ByteBuffer buffer(int bytes, boolean bigEndian) {
        return ByteBuffer.allocate(bytes).order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] floatsLE(float... v) {
        ByteBuffer b = buffer(4 * v.length, false);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] doublesLE(double... v) {
        ByteBuffer b = buffer(8 * v.length, false);
        for (double d : v) {
            b.putDouble(d);
        }
        return b.array();
    }

    /** An IDX file: {@link HostileFiles#idxHeader}, then {@code data}. */
    static byte[] idx(int typeCode, int[] dims, byte[] data) {
        return HostileFiles.concat(HostileFiles.idxHeader(typeCode, dims), data);
    }

    /** A zip of {@code name -> bytes} pairs; {@code stored} selects STORED instead of DEFLATED entries. */
    static byte[] zip(boolean stored, Object... nameBytes) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (int i = 0; i < nameBytes.length; i += 2) {
                byte[] content = (byte[]) nameBytes[i + 1];
                ZipEntry e = new ZipEntry((String) nameBytes[i]);
                if (stored) {
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(content.length);
                    CRC32 crc = new CRC32();
                    crc.update(content);
                    e.setCrc(crc.getValue());
                }
                z.putNextEntry(e);
                z.write(content);
                z.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    static Path write(Path file, byte[] content) {
        return HostileFiles.write(file, content);
    }

    static Path write(Path file, String content) {
        return write(file, content.getBytes(StandardCharsets.UTF_8));
    }

    /** A copy of {@code src} cut to {@code length} bytes, written to {@code dst}. */
    static Path truncatedCopy(Path src, Path dst, int length) {
        try {
            byte[] all = Files.readAllBytes(src);
            return write(dst, Arrays.copyOf(all, length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] counts(int[] labels, int classes) {
        int[] c = new int[classes];
        for (int l : labels) {
            c[l]++;
        }
        return c;
    }

    static float max(float[] v) {
        float m = Float.NEGATIVE_INFINITY;
        for (float f : v) {
            m = Math.max(m, f);
        }
        return m;
    }
}
