package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.LongFunction;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Sequential reading of the (decompressed) bytes of a data file or of a zip archive entry, with what is known about
 * their size before reading: the exact length of a raw file or of an entry (as the archive declares it), or for a
 * gzip file the trailer's ISIZE and an upper bound. Read failures become one-line {@link QuantaException}s naming
 * the file.
 *
 * <p>Deflate (gzip, zip) emits at most {@value #MAX_DEFLATE_RATIO} bytes per compressed byte (a 258-byte match
 * coded in 2 bits), so {@code n} compressed bytes inflate to at most {@code 1032 n} bytes: a header that declares more
 * is impossible and refused before anything is inflated or allocated.
 */
final class DataStream implements Closeable {
    /** Largest number of bytes one compressed byte of a deflate stream can inflate to. */
    static final long MAX_DEFLATE_RATIO = 1032;

    private static final int BUFFER = 1 << 16;

    private final Path file;
    private final String where;
    private final String entryName;
    private final boolean gzip;
    private final long compressedSize;
    private final long length;
    private final long maxLength;
    private final long gzipTrailerSize;
    /** The (decompressed) bytes; set by the factory methods once the stream is open. */
    private InputStream in;

    private long position;

    private DataStream(
            Path file,
            String where,
            String entryName,
            boolean gzip,
            long compressedSize,
            long length,
            long maxLength,
            long gzipTrailerSize) {
        this.file = file;
        this.where = where;
        this.entryName = entryName;
        this.gzip = gzip;
        this.compressedSize = compressedSize;
        this.length = length;
        this.maxLength = maxLength;
        this.gzipTrailerSize = gzipTrailerSize;
    }

    /**
     * Opens {@code file}, decompressing it when it starts with the gzip magic bytes 1f 8b (whatever its name).
     *
     * @param what the kind of file, for "not found" errors (e.g. {@code "IDX images"})
     */
    static DataStream open(Path file, String what) {
        return open(file, what, true);
    }

    /** Opens {@code file} as it is, without decompressing gzip. */
    static DataStream openRaw(Path file, String what) {
        return open(file, what, false);
    }

    /**
     * Opens {@code file} once: its size, its first two bytes and (gzip) its trailer are read through the channel
     * that then streams the data.
     */
    private static DataStream open(Path file, String what, boolean allowGzip) {
        DataIo.requireFile(file, what);
        SeekableByteChannel channel;
        try {
            channel = Files.newByteChannel(file);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
        }
        InputStream raw = new BufferedInputStream(Channels.newInputStream(channel), BUFFER);
        DataStream s = null;
        try {
            long size = channel.size();
            boolean gzip = allowGzip && DataIo.isGzip(readAt(channel, 0, 2));
            byte[] trailer = gzip && size >= 18 ? readAt(channel, size - 4, 4) : new byte[0];
            long isize = trailer.length < 4
                    ? -1
                    : Integer.toUnsignedLong(ByteBuffer.wrap(trailer)
                            .order(ByteOrder.LITTLE_ENDIAN)
                            .getInt());
            channel.position(0);
            s = gzip
                    ? new DataStream(file, "", null, true, size, -1, MAX_DEFLATE_RATIO * size, isize)
                    : new DataStream(file, "", null, false, size, size, size, -1);
            s.in = gzip ? new GZIPInputStream(raw, BUFFER) : raw;
            return s;
        } catch (IOException e) {
            closeQuietly(raw);
            throw s == null ? QuantaException.inFile(file, "cannot read: " + e.getMessage(), e) : s.failure(e);
        }
    }

    /** Up to {@code n} bytes of {@code channel} from {@code offset}; fewer only at the end of the file. */
    private static byte[] readAt(SeekableByteChannel channel, long offset, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        channel.position(offset);
        while (b.hasRemaining() && channel.read(b) >= 0) {
            // read until full or at the end
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    /**
     * Opens entry {@code e} of {@code zip} (the archive {@code file}); its length is the uncompressed size the
     * archive declares, checked against the entry's compressed size and the archive's size.
     *
     * @param where message prefix after the file name, e.g. {@code "array 'x': "}
     */
    static DataStream entry(ZipFile zip, ZipEntry e, Path file, String where) {
        long size = e.getSize();
        long csize = e.getCompressedSize();
        long archive;
        try {
            archive = Files.size(file);
        } catch (IOException ex) {
            throw QuantaException.inFile(file, "cannot read: " + ex.getMessage(), ex);
        }
        if (size < 0 || csize < 0) {
            throw QuantaException.inFile(file, where + "entry " + e.getName() + " does not declare its size");
        }
        if (csize > archive) {
            throw QuantaException.inFile(
                    file,
                    where + "entry " + e.getName() + " declares " + DataIo.count(csize)
                            + " compressed bytes but the archive has " + DataIo.count(archive));
        }
        boolean stored = e.getMethod() == ZipEntry.STORED;
        long max = stored ? csize : MAX_DEFLATE_RATIO * csize;
        if (size > max) {
            throw QuantaException.inFile(
                    file,
                    where + "entry " + e.getName() + " declares " + DataIo.count(size)
                            + " bytes, "
                            + (stored
                                    ? "but stores only " + DataIo.count(csize)
                                    : "more than its " + DataIo.count(csize) + " deflated bytes can hold (at most "
                                            + DataIo.count(max) + ")"));
        }
        DataStream s = new DataStream(file, where, e.getName(), false, csize, size, size, -1);
        try {
            s.in = new BufferedInputStream(zip.getInputStream(e), BUFFER);
            return s;
        } catch (IOException ex) {
            throw s.failure(ex);
        }
    }

    /** The file named in messages. */
    Path file() {
        return file;
    }

    /** Message prefix after the file name, e.g. {@code "array 'x': "} (empty for a plain file). */
    String where() {
        return where;
    }

    /** True for a gzip file. */
    boolean gzip() {
        return gzip;
    }

    /** The exact uncompressed length, or -1 when unknown (gzip). */
    long length() {
        return length;
    }

    /** An upper bound on the uncompressed length. */
    long maxLength() {
        return maxLength;
    }

    /** The size of the file, or the compressed size of the entry. */
    long compressedSize() {
        return compressedSize;
    }

    /** The gzip trailer's ISIZE (uncompressed length mod 2^32), or -1. */
    long gzipTrailerSize() {
        return gzipTrailerSize;
    }

    /** {@code " (after gzip decompression)"} for gzip files, else empty: appended to size messages. */
    String gzipNote() {
        return gzip ? " (after gzip decompression)" : "";
    }

    /** Uncompressed bytes read so far. */
    long position() {
        return position;
    }

    /** Reads up to {@code len} bytes; fewer only at the end of the data. Returns the number read. */
    int read(byte[] b, int off, int len) {
        int done = 0;
        try {
            while (done < len) {
                int r = in.read(b, off + done, len - done);
                if (r < 0) {
                    break;
                }
                done += r;
            }
        } catch (IOException e) {
            throw failure(e);
        }
        position += done;
        return done;
    }

    /** Receives decoded values in file order; {@code index} counts elements from the first one read. */
    @FunctionalInterface
    interface ValueSink {
        void accept(long index, double value);
    }

    /**
     * Decodes the next {@code count} elements of type {@code t} into {@code dst} from {@code off}, a chunk at a time.
     *
     * @param shortData the error when the data ends first, given the number of element bytes that were read
     */
    void readFloats(ElementType t, float[] dst, int off, int count, LongFunction<QuantaException> shortData) {
        byte[] buf = new byte[chunkBytes(t, count)];
        ByteBuffer bb = t.wrap(buf);
        int done = 0;
        while (done < count) {
            int want = (int) Math.min((long) (count - done) * t.size(), buf.length);
            int got = read(buf, 0, want);
            int elements = got / t.size();
            t.decode(bb, elements, dst, off + done);
            done += elements;
            if (got < want) {
                throw shortData.apply((long) done * t.size() + got % t.size());
            }
        }
    }

    /** Decodes the next {@code count} elements of type {@code t} as doubles, handing each to {@code sink}. */
    void readValues(ElementType t, long count, ValueSink sink, LongFunction<QuantaException> shortData) {
        byte[] buf = new byte[chunkBytes(t, count)];
        ByteBuffer bb = t.wrap(buf);
        long done = 0;
        while (done < count) {
            int want = (int) Math.min(Shapes.saturatedMultiply(count - done, t.size()), buf.length);
            int got = read(buf, 0, want);
            int elements = got / t.size();
            for (int i = 0; i < elements; i++) {
                sink.accept(done + i, t.doubleAt(bb, i * t.size()));
            }
            done += elements;
            if (got < want) {
                throw shortData.apply(done * t.size() + got % t.size());
            }
        }
    }

    private static int chunkBytes(ElementType t, long count) {
        long wanted = Shapes.saturatedMultiply(count, t.size());
        return (int) Math.max(t.size(), Math.min(BUFFER / t.size() * t.size(), wanted));
    }

    /** Skips up to {@code n} bytes; fewer only at the end of the data. Returns the number skipped. */
    long skip(long n) {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(1, n))];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r == 0) {
                break;
            }
            done += r;
        }
        return done;
    }

    /**
     * Skips {@code n} bytes of data, or fewer at the end of the data, and returns how many: a plain file seeks
     * (nothing is read), a gzip file or an archive entry is inflated and the bytes dropped (no memory held).
     */
    long skipBytes(long n) {
        if (gzip || entryName != null) {
            return skip(n);
        }
        long done = 0;
        try {
            while (done < n) {
                long r = in.skip(n - done);
                if (r <= 0) {
                    break;
                }
                done += r;
            }
        } catch (IOException e) {
            throw failure(e);
        }
        position += done;
        return done < n ? done + skip(n - done) : done;
    }

    /** True when no byte follows (reading to the end also makes gzip check its CRC and length trailer). */
    boolean atEnd() {
        byte[] one = new byte[1];
        return read(one, 0, 1) == 0;
    }

    /** The exception for a failed read, naming the file and the kind of damage. */
    QuantaException failure(IOException e) {
        if (gzip) {
            if (e instanceof EOFException) {
                return QuantaException.inFile(
                        file,
                        "truncated gzip data (" + compressedSize
                                + " compressed bytes end before the end of the stream)",
                        e);
            }
            if (e instanceof ZipException) {
                return QuantaException.inFile(file, "corrupt gzip data: " + e.getMessage(), e);
            }
            return QuantaException.inFile(file, "cannot decompress gzip data: " + e.getMessage(), e);
        }
        if (entryName != null) {
            if (e instanceof EOFException) {
                return QuantaException.inFile(file, where + "truncated compressed data in entry " + entryName, e);
            }
            return QuantaException.inFile(file, where + "corrupt entry " + entryName + ": " + e.getMessage(), e);
        }
        return QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
    }

    @Override
    public void close() {
        closeQuietly(in);
    }

    private static void closeQuietly(InputStream s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException e) {
            // nothing was written; a failed close of an input does not change the result
        }
    }
}
