package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads NumPy {@code .npy} files, format versions 1.0, 2.0 and 3.0.
 *
 * <p>Layout: magic {@code \x93NUMPY}, major and minor version bytes, header length (uint16 LE in v1, uint32 LE in
 * v2/v3), then a Python dict literal such as {@code {'descr': '<f4', 'fortran_order': False, 'shape': (45, 40), }}
 * (ASCII; UTF-8 in v3), then the data. Supported dtypes: {@code f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1}, little- or
 * big-endian. Only C order is supported; object and structured dtypes are rejected.
 */
public final class NpyReader {
    private NpyReader() {}

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    /** Largest header accepted: NumPy itself writes a few hundred bytes (and refuses over 10,000 by default). */
    static final int MAX_HEADER = 1 << 20;

    /** A parsed {@code .npy} header: dtype text and type, shape, and where the data starts. */
    record Header(String dtype, ElementType type, int[] shape, long dataOffset) {
        /** Number of elements (saturated at {@link Long#MAX_VALUE}). */
        long count() {
            return Shapes.saturatedProduct(shape);
        }

        /** Declared data bytes (saturated). */
        long dataBytes() {
            return Shapes.saturatedMultiply(count(), type.size());
        }

        /** E.g. {@code "shape (4,) <f4 needs 16 data bytes from offset 128"}. */
        String describe() {
            return "shape " + shapeText(shape) + " " + dtype + " needs " + dataBytes() + " data bytes from offset "
                    + dataOffset;
        }
    }

    /**
     * Reads one {@code .npy} file.
     *
     * @throws QuantaException for a missing, truncated or unsupported file, or an array larger than the heap
     */
    public static NpyArray read(Path file) {
        try (DataStream s = DataStream.openRaw(file, "NumPy .npy")) {
            return read(s);
        }
    }

    /** True if {@code b} starts with the {@code .npy} magic. */
    static boolean isNpy(byte[] b) {
        if (b.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** Reads a whole array from {@code s} (a file or an archive entry of known length). */
    static NpyArray read(DataStream s) {
        Header h = header(s);
        Path file = s.file();
        String where = s.where();
        long count = h.count();
        if (count > DataIo.MAX_VALUES) {
            throw QuantaException.inFile(file, where + "array too large: " + shapeText(h.shape()));
        }
        boolean asFloat = h.type().exactInFloat();
        DataIo.requireHeap(
                file,
                where,
                count * (asFloat ? 4 : 8),
                "shape " + shapeText(h.shape()),
                " as " + (asFloat ? "float32" : "float64"));
        int n = (int) count;
        NpyArray array;
        if (asFloat) {
            float[] out = new float[n];
            s.readFloats(h.type(), out, 0, n, found -> truncated(s, h, found));
            array = new NpyArray(h.dtype(), h.shape(), out, null);
        } else {
            double[] out = new double[n];
            s.readValues(h.type(), n, (i, v) -> out[(int) i] = v, found -> truncated(s, h, found));
            array = new NpyArray(h.dtype(), h.shape(), null, out);
        }
        requireEnd(s, h);
        return array;
    }

    /**
     * Reads and checks the header from the start of {@code s}, and the declared data size against the length of the
     * file or entry (so that nothing a header merely claims is allocated).
     */
    static Header header(DataStream s) {
        Path file = s.file();
        String where = s.where();
        long length = s.length();
        byte[] prefix = new byte[12];
        int got = s.read(prefix, 0, 10);
        if (got < MAGIC.length || !isNpy(prefix)) {
            throw QuantaException.inFile(
                    file,
                    where + "bad magic at offset 0: expected \\x93NUMPY, found "
                            + hex(prefix, Math.min(MAGIC.length, got)));
        }
        if (got < 10) {
            throw QuantaException.inFile(file, where + "truncated header: " + got + " bytes");
        }
        int major = prefix[6] & 0xFF;
        int headerStart;
        long headerLen;
        ByteBuffer bb = ByteBuffer.wrap(prefix).order(ByteOrder.LITTLE_ENDIAN);
        if (major == 1) {
            headerLen = bb.getShort(8) & 0xFFFF;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (s.read(prefix, 10, 2) < 2) {
                throw QuantaException.inFile(file, where + "truncated header: " + s.position() + " bytes");
            }
            headerLen = bb.getInt(8) & 0xFFFFFFFFL;
            headerStart = 12;
        } else {
            throw QuantaException.inFile(
                    file,
                    where + "unsupported .npy format version " + major + "." + (prefix[7] & 0xFF)
                            + " at offset 6 (expected 1, 2 or 3)");
        }
        if (headerStart + headerLen > length) {
            throw QuantaException.inFile(
                    file,
                    where + "truncated header: declares " + headerLen + " header bytes from offset " + headerStart
                            + ", found " + (length - headerStart));
        }
        if (headerLen > MAX_HEADER) {
            throw QuantaException.inFile(
                    file,
                    where + "header of " + DataIo.count(headerLen) + " bytes at offset " + headerStart
                            + " is larger than the " + DataIo.count(MAX_HEADER) + " a .npy header may have");
        }
        byte[] text = new byte[(int) headerLen];
        if (s.read(text, 0, text.length) < text.length) {
            throw QuantaException.inFile(
                    file,
                    where + "truncated header: declares " + headerLen + " header bytes from offset " + headerStart
                            + ", found " + (s.position() - headerStart));
        }
        String header = new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1).strip();
        Object parsed;
        try {
            parsed = new Literal(header).parseAll();
        } catch (IllegalArgumentException e) {
            throw QuantaException.inFile(
                    file, where + "malformed header at offset " + headerStart + ": " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw QuantaException.inFile(file, where + "malformed header: expected a dict, found " + shorten(header));
        }
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shapeObj = dict.get("shape");
        if (descr == null || fortran == null || shapeObj == null) {
            throw QuantaException.inFile(
                    file,
                    where + "malformed header: needs keys 'descr', 'fortran_order' and 'shape', found "
                            + shorten(header));
        }
        if (!(descr instanceof String dtype)) {
            throw QuantaException.inFile(
                    file,
                    where + "structured dtype " + shorten(String.valueOf(descr))
                            + " is not supported; save a plain numeric array");
        }
        if (Boolean.TRUE.equals(fortran)) {
            throw QuantaException.inFile(
                    file,
                    where + "fortran_order True (column-major) is not supported; save the array "
                            + "with np.ascontiguousarray(a)");
        }
        if (!(shapeObj instanceof List<?> dimsList)) {
            throw QuantaException.inFile(
                    file,
                    where + "malformed header: 'shape' must be a tuple, found " + shorten(String.valueOf(shapeObj)));
        }
        if (dimsList.size() > 64) {
            throw QuantaException.inFile(
                    file,
                    where + "malformed header: 'shape' has " + dimsList.size()
                            + " dimensions (NumPy allows at most 64)");
        }
        int[] shape = new int[dimsList.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dimsList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw QuantaException.inFile(
                        file,
                        where + "malformed header: bad dimension " + shorten(String.valueOf(dimsList.get(i)))
                                + " in 'shape'");
            }
            shape[i] = (int) (long) d;
        }
        ElementType t = ElementType.numpy(dtype, file, where);
        Header h = new Header(dtype, t, shape, headerStart + headerLen);
        long expected = h.dataBytes();
        long found = length - h.dataOffset();
        if (found < expected) {
            throw QuantaException.inFile(file, where + "truncated: " + h.describe() + ", found " + found);
        }
        if (found > expected) {
            throw QuantaException.inFile(
                    file, where + h.describe() + ", but " + found + " bytes follow (trailing data)");
        }
        return h;
    }

    /** The error for data that ends after {@code found} bytes although the archive declared more. */
    static QuantaException truncated(DataStream s, Header h, long found) {
        return QuantaException.inFile(s.file(), s.where() + "truncated: " + h.describe() + ", found " + found);
    }

    /** Fails when bytes follow the data (an archive entry longer than it declared). */
    static void requireEnd(DataStream s, Header h) {
        if (!s.atEnd()) {
            throw QuantaException.inFile(
                    s.file(), s.where() + h.describe() + ", but more bytes follow (trailing data)");
        }
    }

    static String shapeText(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(shape[i]).append(shape.length == 1 || i < shape.length - 1 ? "," : "");
            if (i < shape.length - 1) {
                sb.append(' ');
            }
        }
        return sb.append(')').toString();
    }

    private static String hex(byte[] b, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(n, b.length); i++) {
            sb.append(String.format("%02x", b[i] & 0xFF));
        }
        return sb.isEmpty() ? "an empty file" : "0x" + sb;
    }

    private static String shorten(String s) {
        return s.length() > 120 ? s.substring(0, 117) + "..." : s;
    }

    /** A parser for the Python literals in a header: dict, tuple, list, str, int, True/False/None. */
    private static final class Literal {
        private static final int MAX_DEPTH = 32;
        private final String s;
        private int pos;
        private int depth;

        Literal(String s) {
            this.s = s;
        }

        Object parseAll() {
            Object v = value();
            skipSpace();
            if (pos != s.length()) {
                throw new IllegalArgumentException("unexpected '" + s.charAt(pos) + "' at character " + pos);
            }
            return v;
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private Object value() {
            skipSpace();
            if (pos >= s.length()) {
                throw new IllegalArgumentException("unexpected end of header");
            }
            char c = s.charAt(pos);
            if ((c == '{' || c == '(' || c == '[') && depth == MAX_DEPTH) {
                throw new IllegalArgumentException("more than " + MAX_DEPTH + " nested brackets at character " + pos);
            }
            switch (c) {
                case '{' -> {
                    pos++;
                    depth++;
                    Map<Object, Object> map = new LinkedHashMap<>();
                    while (true) {
                        skipSpace();
                        if (peek('}')) {
                            depth--;
                            return map;
                        }
                        Object key = value();
                        skipSpace();
                        expect(':');
                        map.put(key, value());
                        skipSpace();
                        if (peek('}')) {
                            depth--;
                            return map;
                        }
                        expect(',');
                    }
                }
                case '(', '[' -> {
                    char close = c == '(' ? ')' : ']';
                    pos++;
                    depth++;
                    List<Object> list = new ArrayList<>();
                    while (true) {
                        skipSpace();
                        if (peek(close)) {
                            depth--;
                            return list;
                        }
                        list.add(value());
                        skipSpace();
                        if (peek(close)) {
                            depth--;
                            return list;
                        }
                        expect(',');
                    }
                }
                case '\'', '"' -> {
                    int end = s.indexOf(c, pos + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated string at character " + pos);
                    }
                    String str = s.substring(pos + 1, end);
                    pos = end + 1;
                    return str;
                }
                default -> {
                    int start = pos;
                    while (pos < s.length()
                            && (Character.isLetterOrDigit(s.charAt(pos))
                                    || s.charAt(pos) == '-'
                                    || s.charAt(pos) == '_')) {
                        pos++;
                    }
                    String word = s.substring(start, pos);
                    switch (word) {
                        case "True":
                            return Boolean.TRUE;
                        case "False":
                            return Boolean.FALSE;
                        case "None":
                            return null;
                        default:
                            String digits = word.endsWith("L") ? word.substring(0, word.length() - 1) : word;
                            try {
                                return Long.parseLong(digits);
                            } catch (NumberFormatException e) {
                                throw new IllegalArgumentException(
                                        "unexpected " + (word.isEmpty() ? "'" + c + "'" : "'" + word + "'")
                                                + " at character " + start);
                            }
                    }
                }
            }
        }

        private boolean peek(char c) {
            if (pos < s.length() && s.charAt(pos) == c) {
                pos++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            if (!peek(c)) {
                throw new IllegalArgumentException("expected '" + c + "' at character " + pos
                        + (pos < s.length() ? ", found '" + s.charAt(pos) + "'" : ", found the end"));
            }
        }
    }
}
