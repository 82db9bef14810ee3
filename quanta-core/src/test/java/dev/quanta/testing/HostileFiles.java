package dev.quanta.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.quanta.QuantaException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Builds hostile data files cheaply: gzip and zip entries that inflate to gigabytes of one repeated byte (a bomb),
 * IDX and {@code .npy} headers that claim whatever a test needs; and the plain pieces such files are made of (gzip
 * streams, concatenation, writing).
 *
 * <p>A long run is deflated once per mebibyte and the compressed mebibyte is repeated: after a sync flush a deflate
 * block sequence ends on a byte boundary, and within a run every back reference (at most 32 KiB back) reads the
 * same byte, so the copies decode alike. A gigabyte costs about a megabyte and a few milliseconds to write.
 */
public final class HostileFiles {
    private HostileFiles() {}

    private static final int MIB = 1 << 20;

    /** How long reading a hostile file may take before it is refused: the refusal must come before any large work. */
    public static final Duration REFUSAL_LIMIT = Duration.ofSeconds(2);

    /**
     * Runs {@code load}, which must end within {@link #REFUSAL_LIMIT} in a {@link QuantaException} of one line, and
     * returns that exception.
     */
    public static QuantaException refusal(Runnable load) {
        QuantaException[] caught = new QuantaException[1];
        assertTimeoutPreemptively(REFUSAL_LIMIT, () -> {
            try {
                load.run();
            } catch (QuantaException e) {
                caught[0] = e;
            }
        });
        assertThat(caught[0]).as("a QuantaException").isNotNull();
        assertThat(caught[0].getMessage()).doesNotContain("\n");
        return caught[0];
    }

    /** A raw deflate stream with its uncompressed size and CRC-32. */
    public record Deflated(byte[] data, long size, long crc) {}

    /** Raw deflate of {@code prefix} followed by {@code count} bytes of {@code value}, then {@code suffix}. */
    public static Deflated deflate(byte[] prefix, int value, long count, byte[] suffix) {
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CRC32 crc = new CRC32();
        byte[] run = new byte[MIB];
        Arrays.fill(run, (byte) value);
        feed(d, prefix, prefix.length, out, crc);
        long left = count;
        int first = (int) Math.min(left, MIB);
        feed(d, run, first, out, crc);
        left -= first;
        if (left >= MIB) {
            int start = out.size();
            feed(d, run, MIB, out, crc);
            left -= MIB;
            byte[] block = Arrays.copyOfRange(out.toByteArray(), start, out.size());
            for (; left >= MIB; left -= MIB) {
                out.write(block, 0, block.length);
                crc.update(run, 0, MIB);
            }
        }
        feed(d, run, (int) left, out, crc);
        feed(d, suffix, suffix.length, out, crc);
        d.finish();
        byte[] buf = new byte[1 << 16];
        while (!d.finished()) {
            int n = d.deflate(buf);
            out.write(buf, 0, n);
        }
        d.end();
        long size = prefix.length + count + suffix.length;
        return new Deflated(out.toByteArray(), size, crc.getValue());
    }

    private static void feed(Deflater d, byte[] data, int len, ByteArrayOutputStream out, CRC32 crc) {
        if (len == 0) {
            return;
        }
        crc.update(data, 0, len);
        d.setInput(data, 0, len);
        byte[] buf = new byte[1 << 16];
        int n;
        do {
            n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
            out.write(buf, 0, n);
        } while (n == buf.length || !d.needsInput());
    }

    /** Writes a gzip file of {@code prefix}, {@code count} bytes of {@code value}, and {@code suffix}. */
    public static Path gzip(Path file, byte[] prefix, int value, long count, byte[] suffix) {
        Deflated z = deflate(prefix, value, count, suffix);
        ByteBuffer trailer = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        trailer.putInt((int) z.crc()).putInt((int) z.size());
        byte[] header = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};
        return write(file, header, z.data(), trailer.array());
    }

    /** Writes a gzip file of {@code prefix} followed by {@code zeros} zero bytes. */
    public static Path gzipZeros(Path file, byte[] prefix, long zeros) {
        return gzip(file, prefix, 0, zeros, new byte[0]);
    }

    /**
     * One zip entry: its name, content (deflated, or stored when {@code stored} holds the bytes), and the
     * uncompressed size the archive declares (normally {@code content.size()}; a test may make it lie).
     */
    public record ZipItem(String name, Deflated deflated, byte[] stored, long declaredSize) {
        /** A deflated entry that declares its true size. */
        public static ZipItem deflated(String name, Deflated d) {
            return new ZipItem(name, d, null, d.size());
        }

        /** A stored entry. */
        public static ZipItem stored(String name, byte[] bytes) {
            return new ZipItem(name, null, bytes, bytes.length);
        }

        /** The same entry declaring {@code size} uncompressed bytes. */
        public ZipItem declaring(long size) {
            return new ZipItem(name, deflated, stored, size);
        }
    }

    /** Writes a zip archive (no zip64: entries below 4 GiB) of {@code items}. */
    public static Path zip(Path file, ZipItem... items) {
        try (OutputStream os = Files.newOutputStream(file)) {
            List<byte[]> central = new ArrayList<>();
            long offset = 0;
            for (ZipItem it : items) {
                byte[] name = it.name().getBytes(StandardCharsets.UTF_8);
                byte[] data = it.stored() != null ? it.stored() : it.deflated().data();
                long crc;
                if (it.stored() != null) {
                    CRC32 c = new CRC32();
                    c.update(it.stored());
                    crc = c.getValue();
                } else {
                    crc = it.deflated().crc();
                }
                int method = it.stored() != null ? 0 : 8;
                ByteBuffer local = ByteBuffer.allocate(30 + name.length).order(ByteOrder.LITTLE_ENDIAN);
                local.putInt(0x04034b50);
                entryFields(local, method, crc, data.length, it.declaredSize(), name.length)
                        .put(name);
                os.write(local.array());
                os.write(data);
                ByteBuffer cd = ByteBuffer.allocate(46 + name.length).order(ByteOrder.LITTLE_ENDIAN);
                cd.putInt(0x02014b50).putShort((short) 20); // version made by: 2.0
                entryFields(cd, method, crc, data.length, it.declaredSize(), name.length)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putShort((short) 0)
                        .putInt(0)
                        .putInt((int) offset)
                        .put(name);
                central.add(cd.array());
                offset += local.capacity() + data.length;
            }
            long cdSize = 0;
            for (byte[] c : central) {
                os.write(c);
                cdSize += c.length;
            }
            ByteBuffer end = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN);
            end.putInt(0x06054b50)
                    .putShort((short) 0)
                    .putShort((short) 0)
                    .putShort((short) items.length)
                    .putShort((short) items.length)
                    .putInt((int) cdSize)
                    .putInt((int) offset)
                    .putShort((short) 0);
            os.write(end.array());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * The fields a zip entry's local header and its central directory record share, from "version needed to extract"
     * (2.0) to the extra field's length (0): no flags, {@code method}, time 00:00 of 1980-01-01, the CRC and sizes.
     */
    private static ByteBuffer entryFields(
            ByteBuffer b, int method, long crc, int compressedSize, long size, int nameLength) {
        return b.putShort((short) 20)
                .putShort((short) 0)
                .putShort((short) method)
                .putShort((short) 0)
                .putShort((short) 0x21)
                .putInt((int) crc)
                .putInt(compressedSize)
                .putInt((int) size)
                .putShort((short) nameLength)
                .putShort((short) 0);
    }

    /** An IDX header: magic {@code 0x0000TTNN} and big-endian dimensions. */
    public static byte[] idxHeader(int typeCode, int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) 0).put((byte) typeCode).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    /** A version 1 {@code .npy} header for {@code descr} and a Python shape tuple, padded to 64 bytes. */
    public static byte[] npyHeader(String descr, String shape) {
        return npyHeader(1, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }");
    }

    /**
     * A {@code .npy} header of format version {@code major} holding the dict text {@code dict} as it is: magic,
     * version, header length (2 bytes in version 1, 4 after), the text (UTF-8 in version 3, else Latin-1), then spaces
     * and a newline to a multiple of 64 bytes.
     */
    public static byte[] npyHeader(int major, String dict) {
        byte[] text = dict.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int prefix = major == 1 ? 10 : 12;
        int padded = (prefix + text.length + 1 + 63) / 64 * 64;
        ByteBuffer b = ByteBuffer.allocate(padded).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) major)
                .put((byte) 0);
        if (major == 1) {
            b.putShort((short) (padded - prefix));
        } else {
            b.putInt(padded - prefix);
        }
        b.put(text);
        while (b.position() < padded - 1) {
            b.put((byte) ' ');
        }
        return b.put((byte) '\n').array();
    }

    /** {@code data} as one gzip member, as {@link GZIPOutputStream} writes it. */
    public static byte[] gzipBytes(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Concatenates byte arrays. */
    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** Writes the concatenation of {@code parts} to {@code file}. */
    public static Path write(Path file, byte[]... parts) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, concat(parts));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
