package dev.quanta.tflite;

import com.google.flatbuffers.Table;
import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A flatbuffer table whose every access is checked against the buffer: the table's vtable, each field's slot
 * against the table's inline size, each offset and each vector's length against the end of the buffer. A bad
 * file yields a one-line {@link QuantaException} naming the file, the table and the field, never an
 * {@link IndexOutOfBoundsException} or an allocation larger than the file implies.
 *
 * <p>Reading charges a budget proportional to the file size, so that a file whose offsets make many tables
 * share one huge vector cannot make the reader do (or allocate) unbounded work.
 */
final class FbTable extends Table {

    /** The buffer being read, its name for messages and the remaining work budget. */
    static final class Source {
        final Path path;
        final ByteBuffer bb;
        final int limit;
        private long budget;

        Source(Path path, byte[] bytes) {
            this.path = path;
            this.bb = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            this.limit = bytes.length;
            this.budget = 16L * bytes.length + (1 << 16);
        }

        QuantaException error(String what) {
            return QuantaException.inFile(path, what);
        }

        /** Charges {@code bytes} of reading or copying; fails when the file makes the reader do too much. */
        void charge(long bytes, String what) {
            budget -= bytes;
            if (budget < 0) {
                throw error(what + ": the file's offsets make the reader visit far more data than the file holds"
                        + " (malformed or hostile file)");
            }
        }

        /** The table whose offset is at the start of the buffer (the root). */
        FbTable root(String what) {
            if (limit < 8) {
                throw error("too short to be a TFLite flatbuffer (" + limit + " bytes)");
            }
            return new FbTable(this, uoffsetTarget(0, what), what);
        }

        /** Absolute position that the unsigned 32-bit offset stored at {@code at} points to, checked. */
        int uoffsetTarget(int at, String what) {
            long target = at + (bb.getInt(at) & 0xFFFFFFFFL);
            if (target > limit - 4L) {
                throw error(what + ": offset at byte " + at + " points to byte " + target + ", past the end of the "
                        + limit + "-byte file (truncated or corrupt)");
            }
            return (int) target;
        }
    }

    private final Source src;
    private final String what;
    private final int objectSize;

    /** Checks the table at absolute position {@code pos} and its vtable. */
    FbTable(Source src, int pos, String what) {
        this.src = src;
        this.what = what;
        src.charge(16, what);
        if (pos < 0 || pos > src.limit - 4L) {
            throw src.error(what + ": table at byte " + pos + " lies outside the " + src.limit + "-byte file");
        }
        long vtable = (long) pos - src.bb.getInt(pos);
        if (vtable < 0 || vtable > src.limit - 4L) {
            throw src.error(
                    what + ": vtable of the table at byte " + pos + " lies outside the file (byte " + vtable + ")");
        }
        int vtableSize = src.bb.getShort((int) vtable) & 0xFFFF;
        int objSize = src.bb.getShort((int) vtable + 2) & 0xFFFF;
        if (vtableSize < 4 || (vtableSize & 1) != 0 || vtable + vtableSize > src.limit) {
            throw src.error(what + ": vtable at byte " + vtable + " has an invalid size " + vtableSize);
        }
        if (objSize < 4 || (long) pos + objSize > src.limit) {
            throw src.error(what + ": table at byte " + pos + " of " + objSize + " bytes runs past the end of the "
                    + src.limit + "-byte file");
        }
        this.objectSize = objSize;
        __reset(pos, src.bb);
    }

    String what() {
        return what;
    }

    Source source() {
        return src;
    }

    QuantaException error(String problem) {
        return src.error(what + ": " + problem);
    }

    /** Absolute position of field {@code id}'s inline value of {@code size} bytes, or -1 when absent. */
    private int fieldPos(int id, int size, String field) {
        int o = __offset(4 + 2 * id) & 0xFFFF;
        if (o == 0) {
            return -1;
        }
        if (o + size > objectSize) {
            throw error(
                    "field '" + field + "' at table byte " + o + " lies outside the table's " + objectSize + " bytes");
        }
        return bb_pos + o;
    }

    boolean has(int id) {
        return (__offset(4 + 2 * id) & 0xFFFF) != 0;
    }

    int int8(int id, int def, String field) {
        int p = fieldPos(id, 1, field);
        return p < 0 ? def : bb.get(p);
    }

    int uint8(int id, int def, String field) {
        int p = fieldPos(id, 1, field);
        return p < 0 ? def : bb.get(p) & 0xFF;
    }

    boolean bool(int id, boolean def, String field) {
        int p = fieldPos(id, 1, field);
        return p < 0 ? def : bb.get(p) != 0;
    }

    int int32(int id, int def, String field) {
        int p = fieldPos(id, 4, field);
        return p < 0 ? def : bb.getInt(p);
    }

    long uint32(int id, long def, String field) {
        int p = fieldPos(id, 4, field);
        return p < 0 ? def : bb.getInt(p) & 0xFFFFFFFFL;
    }

    long int64(int id, long def, String field) {
        int p = fieldPos(id, 8, field);
        return p < 0 ? def : bb.getLong(p);
    }

    float float32(int id, float def, String field) {
        int p = fieldPos(id, 4, field);
        return p < 0 ? def : bb.getFloat(p);
    }

    /** Position of the object (table, vector or string) that offset field {@code id} refers to, or -1. */
    private int target(int id, String field) {
        int p = fieldPos(id, 4, field);
        return p < 0 ? -1 : src.uoffsetTarget(p, what + " field '" + field + "'");
    }

    /** The sub-table in field {@code id}, or null when absent. */
    FbTable table(int id, String field, String tableWhat) {
        int t = target(id, field);
        return t < 0 ? null : new FbTable(src, t, tableWhat);
    }

    /** Start (first element) and length of the vector in field {@code id}; null when absent. */
    private int[] vector(int id, int elementSize, String field) {
        int t = target(id, field);
        if (t < 0) {
            return null;
        }
        long length = bb.getInt(t) & 0xFFFFFFFFL;
        long end = t + 4L + length * elementSize;
        if (end > src.limit) {
            throw error("field '" + field + "' holds " + length + " elements of " + elementSize + " bytes at byte " + t
                    + ", past the end of the " + src.limit + "-byte file (truncated or corrupt)");
        }
        src.charge(8 + length * elementSize, what + " field '" + field + "'");
        return new int[] {t + 4, (int) length};
    }

    /** Absolute position of the first element of the vector in field {@code id}, or -1 when absent. */
    int vectorStart(int id, int elementSize, String field) {
        int[] v = vector(id, elementSize, field);
        return v == null ? -1 : v[0];
    }

    /** Number of elements of the vector in field {@code id}, 0 when absent. */
    int vectorLength(int id, int elementSize, String field) {
        int[] v = vector(id, elementSize, field);
        return v == null ? 0 : v[1];
    }

    int[] ints(int id, String field) {
        int[] v = vector(id, 4, field);
        if (v == null) {
            return null;
        }
        int[] out = new int[v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getInt(v[0] + 4 * i);
        }
        return out;
    }

    long[] longs(int id, String field) {
        int[] v = vector(id, 8, field);
        if (v == null) {
            return null;
        }
        long[] out = new long[v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getLong(v[0] + 8 * i);
        }
        return out;
    }

    float[] floats(int id, String field) {
        int[] v = vector(id, 4, field);
        if (v == null) {
            return null;
        }
        float[] out = new float[v[1]];
        for (int i = 0; i < out.length; i++) {
            out[i] = bb.getFloat(v[0] + 4 * i);
        }
        return out;
    }

    /** A copy of the byte vector in field {@code id}, or null when absent. */
    byte[] bytes(int id, String field) {
        int[] v = vector(id, 1, field);
        if (v == null) {
            return null;
        }
        byte[] out = new byte[v[1]];
        bb.get(v[0], out);
        return out;
    }

    /** The string in field {@code id} (malformed UTF-8 replaced), or null when absent. */
    String string(int id, String field) {
        byte[] b = bytes(id, field);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** The tables of the vector in field {@code id}; empty when absent. */
    List<FbTable> tables(int id, String field, String elementWhat) {
        int[] v = vector(id, 4, field);
        if (v == null) {
            return List.of();
        }
        List<FbTable> out = new ArrayList<>(v[1]);
        for (int i = 0; i < v[1]; i++) {
            int at = v[0] + 4 * i;
            String w = elementWhat + " #" + i;
            out.add(new FbTable(src, src.uoffsetTarget(at, w), w));
        }
        return out;
    }
}
