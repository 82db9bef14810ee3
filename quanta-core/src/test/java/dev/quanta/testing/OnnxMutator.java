package dev.quanta.testing;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Makes mutants of an ONNX file for fuzzing the reader. Two levels:
 *
 * <ul>
 *   <li>bytes: bit flips, bytes set to edge values, truncations, and wire-level corruption of the protobuf encoding
 *       found by walking it with the schema's descriptors: a varint value or a length prefix rewritten in place
 *       without fixing the lengths of the enclosing messages;
 *   <li>fields: the parsed {@code ModelProto} edited through protobuf reflection and serialized again (so the
 *       encoding is valid and the importer sees the change): tensor dims (up to 10^12), data types, raw_data cut or
 *       grown, attribute types swapped, node input and output names pointing elsewhere, nodes or dims removed,
 *       duplicated or swapped, opset versions.
 * </ul>
 *
 * A mutant is a pure function of the original bytes and the generator state: the same seed gives the same mutant.
 */
public final class OnnxMutator {
    /** Values a varint field is set to: edges of int32/int64, element-count limits, 10^12. */
    private static final long[] EDGE_LONGS = {
        0,
        1,
        -1,
        2,
        3,
        7,
        255,
        256,
        65535,
        1L << 28,
        (1L << 28) + 1,
        Integer.MAX_VALUE,
        1L << 31,
        1L << 32,
        1_000_000,
        1_000_000_000_000L,
        Long.MAX_VALUE,
        Long.MIN_VALUE,
        Integer.MIN_VALUE
    };

    private static final byte[] EDGE_BYTES = {0, 1, -1, 0x7f, (byte) 0x80, 0x08, 0x10, 0x12, 0x1a, 0x22, 0x3a};

    /** Field names whose edits reach the checks the brief is about; they are picked more often. */
    private static final Map<String, Integer> FIELD_WEIGHTS = Map.ofEntries(
            Map.entry("dims", 8),
            Map.entry("data_type", 6),
            Map.entry("raw_data", 6),
            Map.entry("dim_value", 6),
            Map.entry("elem_type", 3),
            Map.entry("type", 5),
            Map.entry("input", 6),
            Map.entry("output", 4),
            Map.entry("ints", 4),
            Map.entry("i", 4),
            Map.entry("f", 2),
            Map.entry("floats", 2),
            Map.entry("t", 3),
            Map.entry("float_data", 3),
            Map.entry("int64_data", 3),
            Map.entry("int32_data", 3),
            Map.entry("node", 3),
            Map.entry("attribute", 3),
            Map.entry("op_type", 2),
            Map.entry("version", 2),
            Map.entry("data_location", 2));

    /** The kinds of mutation, for the per-kind counts. */
    public enum Kind {
        BIT_FLIP,
        BYTE_SET,
        TRUNCATE,
        WIRE_VARINT,
        WIRE_LENGTH,
        FIELD,
        HUGE_DIM
    }

    /** A mutant: its bytes and what was done (for the report of a failure). */
    public record Mutant(Kind kind, byte[] bytes, String what) {}

    private final byte[] original;
    private final ModelProto model;
    private final List<WireField> wire;
    private final List<String> names;

    /** Prepares mutations of {@code original}, a valid serialized {@code ModelProto}. */
    public OnnxMutator(byte[] original) {
        this.original = original.clone();
        try {
            this.model = ModelProto.parseFrom(original);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an ONNX model: " + e.getMessage(), e);
        }
        this.wire = new ArrayList<>();
        scan(this.original, 0, this.original.length, ModelProto.getDescriptor(), wire);
        this.names = new ArrayList<>();
        collectStrings(model, names);
    }

    /** Varint and length-delimited fields of the encoding (for reports). */
    public int wireFieldCount() {
        return wire.size();
    }

    /** One mutant, drawn with {@code rnd}. */
    public Mutant mutate(SplittableRandom rnd) {
        int pick = rnd.nextInt(100);
        if (pick < 12) {
            return bitFlips(rnd);
        } else if (pick < 20) {
            return byteSet(rnd);
        } else if (pick < 28) {
            return truncate(rnd);
        } else if (pick < 40) {
            return wireVarint(rnd);
        } else if (pick < 50) {
            return wireLength(rnd);
        } else if (pick < 88) {
            return fields(rnd);
        } else {
            return hugeDim(rnd);
        }
    }

    private Mutant bitFlips(SplittableRandom rnd) {
        byte[] b = original.clone();
        int n = 1 + rnd.nextInt(4);
        StringBuilder what = new StringBuilder("bits flipped at");
        for (int i = 0; i < n; i++) {
            int at = rnd.nextInt(b.length);
            int bit = rnd.nextInt(8);
            b[at] ^= (byte) (1 << bit);
            what.append(' ').append(at).append('.').append(bit);
        }
        return new Mutant(Kind.BIT_FLIP, b, what.toString());
    }

    private Mutant byteSet(SplittableRandom rnd) {
        byte[] b = original.clone();
        int at = rnd.nextInt(b.length);
        byte v = EDGE_BYTES[rnd.nextInt(EDGE_BYTES.length)];
        b[at] = v;
        return new Mutant(Kind.BYTE_SET, b, "byte " + at + " set to " + (v & 0xff));
    }

    private Mutant truncate(SplittableRandom rnd) {
        int len;
        if (rnd.nextBoolean() && !wire.isEmpty()) {
            WireField f = wire.get(rnd.nextInt(wire.size())); // cut at a field boundary or inside a value
            len = rnd.nextBoolean() ? f.tagStart : Math.max(f.valueStart, f.valueEnd - 1);
        } else {
            len = rnd.nextInt(original.length);
        }
        return new Mutant(Kind.TRUNCATE, Arrays.copyOf(original, len), "truncated to " + len + " bytes");
    }

    /** A varint value rewritten in place; the enclosing lengths are left as they were. */
    private Mutant wireVarint(SplittableRandom rnd) {
        List<WireField> varints = wire.stream().filter(f -> f.wireType == 0).toList();
        if (varints.isEmpty()) {
            return bitFlips(rnd);
        }
        WireField f = varints.get(rnd.nextInt(varints.size()));
        long v = rnd.nextInt(3) == 0 ? rnd.nextLong(64) : EDGE_LONGS[rnd.nextInt(EDGE_LONGS.length)];
        byte[] b = splice(original, f.valueStart, f.valueEnd, varint(v));
        return new Mutant(Kind.WIRE_VARINT, b, f.describe() + " varint set to " + v);
    }

    /** A length prefix rewritten in place (the value's bytes stay): the parser meets a length that lies. */
    private Mutant wireLength(SplittableRandom rnd) {
        List<WireField> lens = wire.stream().filter(f -> f.wireType == 2).toList();
        if (lens.isEmpty()) {
            return bitFlips(rnd);
        }
        WireField f = lens.get(rnd.nextInt(lens.size()));
        long len = f.valueEnd - f.valueStart;
        long v = switch (rnd.nextInt(6)) {
            case 0 -> len + 1;
            case 1 -> Math.max(0, len - 1);
            case 2 -> len + 1 + rnd.nextInt(64);
            case 3 -> rnd.nextInt((int) Math.max(1, len));
            case 4 -> 0;
            default -> EDGE_LONGS[rnd.nextInt(EDGE_LONGS.length)];
        };
        byte[] b = splice(original, f.lengthStart, f.valueStart, varint(v));
        return new Mutant(Kind.WIRE_LENGTH, b, f.describe() + " length " + len + " set to " + v);
    }

    /** One to three edits of parsed fields, serialized again. */
    private Mutant fields(SplittableRandom rnd) {
        ModelProto.Builder b = model.toBuilder();
        int n = 1 + rnd.nextInt(3);
        StringBuilder what = new StringBuilder();
        for (int i = 0; i < n; i++) {
            List<Site> sites = new ArrayList<>();
            collectSites(b, "model", sites);
            if (sites.isEmpty()) {
                break;
            }
            Site s = pickWeighted(sites, rnd);
            what.append(i == 0 ? "" : "; ").append(editSite(s, rnd));
        }
        return new Mutant(Kind.FIELD, b.build().toByteArray(), what.toString());
    }

    /** A dim of a tensor, graph value or ConstantOfShape-style int64 data set so the tensor claims 10^12 or more. */
    private Mutant hugeDim(SplittableRandom rnd) {
        ModelProto.Builder b = model.toBuilder();
        List<Site> sites = new ArrayList<>();
        collectSites(b, "model", sites);
        List<Site> dims = sites.stream()
                .filter(s -> s.index >= 0)
                .filter(s -> s.field.getName().equals("dims")
                        || s.field.getName().equals("dim_value")
                        || s.field.getName().equals("int64_data")
                        || s.field.getName().equals("ints"))
                .toList();
        if (dims.isEmpty()) {
            return fields(rnd);
        }
        Site s = dims.get(rnd.nextInt(dims.size()));
        long v = switch (rnd.nextInt(4)) {
            case 0 -> 1_000_000_000_000L;
            case 1 -> 1_000_000L;
            case 2 -> (1L << 31) - 1;
            default -> 1L << 40;
        };
        set(s, v);
        return new Mutant(Kind.HUGE_DIM, b.build().toByteArray(), s.path + " set to " + v);
    }

    // ---- field edits through protobuf reflection

    /** A scalar (or one element of a repeated field) or a whole repeated field of a message builder. */
    private record Site(Message.Builder owner, FieldDescriptor field, int index, String path) {}

    private static void collectSites(Message.Builder b, String path, List<Site> out) {
        for (FieldDescriptor fd : b.getAllFields().keySet()) {
            String p = path + "." + fd.getName();
            if (fd.isRepeated()) {
                int count = b.getRepeatedFieldCount(fd);
                out.add(new Site(b, fd, -1, p + "[*]")); // the list itself: remove, duplicate, swap
                for (int i = 0; i < count; i++) {
                    if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                        collectSites(b.getRepeatedFieldBuilder(fd, i), p + "[" + i + "]", out);
                    } else {
                        out.add(new Site(b, fd, i, p + "[" + i + "]"));
                    }
                }
            } else if (fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                collectSites(b.getFieldBuilder(fd), p, out);
            } else {
                out.add(new Site(b, fd, 0, p));
            }
        }
    }

    private static Site pickWeighted(List<Site> sites, SplittableRandom rnd) {
        int total = 0;
        for (Site s : sites) {
            total += FIELD_WEIGHTS.getOrDefault(s.field.getName(), 1);
        }
        int r = rnd.nextInt(total);
        for (Site s : sites) {
            r -= FIELD_WEIGHTS.getOrDefault(s.field.getName(), 1);
            if (r < 0) {
                return s;
            }
        }
        return sites.getLast();
    }

    private String editSite(Site s, SplittableRandom rnd) {
        FieldDescriptor fd = s.field;
        if (s.index < 0) {
            return editList(s, rnd);
        }
        Object old = s.index >= 0 && fd.isRepeated() ? s.owner.getRepeatedField(fd, s.index) : s.owner.getField(fd);
        Object v = switch (fd.getJavaType()) {
            case LONG -> mutateLong((Long) old, rnd);
            case INT -> (int) mutateLong((Integer) old, rnd);
            case FLOAT -> mutateFloat((Float) old, rnd);
            case DOUBLE -> (double) mutateFloat(((Double) old).floatValue(), rnd);
            case BOOLEAN -> !(Boolean) old;
            case STRING -> mutateString((String) old, rnd);
            case BYTE_STRING -> mutateBytes((ByteString) old, rnd);
            case ENUM -> {
                List<EnumValueDescriptor> values = fd.getEnumType().getValues();
                yield values.get(rnd.nextInt(values.size()));
            }
            case MESSAGE -> throw new IllegalStateException("message sites are lists");
        };
        set(s, v);
        return s.path + " " + brief(old) + " -> " + brief(v);
    }

    private static void set(Site s, Object v) {
        Object value = v;
        if (s.field.getJavaType() == FieldDescriptor.JavaType.INT && v instanceof Long l) {
            value = (int) (long) l;
        }
        if (s.field.isRepeated()) {
            s.owner.setRepeatedField(s.field, s.index, value);
        } else {
            s.owner.setField(s.field, value);
        }
    }

    /** Removes, duplicates or swaps elements of a repeated field (nodes, dims, inputs, initializers...). */
    private static String editList(Site s, SplittableRandom rnd) {
        FieldDescriptor fd = s.field;
        List<Object> items = new ArrayList<>();
        int count = s.owner.getRepeatedFieldCount(fd);
        for (int i = 0; i < count; i++) {
            Object item = s.owner.getRepeatedField(fd, i);
            items.add(item instanceof Message.Builder mb ? mb.build() : item);
        }
        if (items.isEmpty()) {
            return s.path + " empty";
        }
        int i = rnd.nextInt(items.size());
        String what;
        switch (rnd.nextInt(3)) {
            case 0 -> {
                items.remove(i);
                what = "removed [" + i + "]";
            }
            case 1 -> {
                items.add(rnd.nextInt(items.size() + 1), items.get(i));
                what = "duplicated [" + i + "]";
            }
            default -> {
                int j = rnd.nextInt(items.size());
                Object t = items.get(i);
                items.set(i, items.get(j));
                items.set(j, t);
                what = "swapped [" + i + "] and [" + j + "]";
            }
        }
        s.owner.clearField(fd);
        for (Object item : items) {
            s.owner.addRepeatedField(fd, item);
        }
        return s.path + " " + what;
    }

    private static long mutateLong(long old, SplittableRandom rnd) {
        return switch (rnd.nextInt(6)) {
            case 0 -> old + 1;
            case 1 -> old - 1;
            case 2 -> old * (2 + rnd.nextInt(1000));
            case 3 -> rnd.nextInt(32);
            case 4 -> -old;
            default -> EDGE_LONGS[rnd.nextInt(EDGE_LONGS.length)];
        };
    }

    private static float mutateFloat(float old, SplittableRandom rnd) {
        float[] edges = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 3e38f, 1e-45f, -old};
        return edges[rnd.nextInt(edges.length)];
    }

    private String mutateString(String old, SplittableRandom rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> "";
            case 1 -> old + "_x";
            case 2 -> "../" + old;
            default -> names.isEmpty() ? "" : names.get(rnd.nextInt(names.size()));
        };
    }

    private static ByteString mutateBytes(ByteString old, SplittableRandom rnd) {
        int n = old.size();
        return switch (rnd.nextInt(5)) {
            case 0 -> ByteString.EMPTY;
            case 1 -> old.substring(0, rnd.nextInt(Math.max(1, n)));
            case 2 -> old.concat(ByteString.copyFrom(new byte[1 + rnd.nextInt(16)]));
            case 3 -> old.concat(old);
            default -> {
                byte[] b = old.toByteArray();
                if (b.length > 0) {
                    b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
                }
                yield ByteString.copyFrom(b);
            }
        };
    }

    private static String brief(Object v) {
        String s = v instanceof ByteString bs ? bs.size() + " bytes" : String.valueOf(v);
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    private static void collectStrings(Message m, List<String> out) {
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor fd = e.getKey();
            List<?> values = fd.isRepeated() ? (List<?>) e.getValue() : List.of(e.getValue());
            for (Object v : values) {
                if (v instanceof Message sub) {
                    collectStrings(sub, out);
                } else if (v instanceof String s && !s.isEmpty() && out.size() < 4096) {
                    out.add(s);
                }
            }
        }
    }

    // ---- the wire encoding

    /** A field of the encoding: where its tag, length prefix (wire type 2) and value are. */
    private record WireField(int tagStart, int lengthStart, int valueStart, int valueEnd, int wireType, String name) {
        String describe() {
            return name + "@" + tagStart;
        }
    }

    /**
     * Walks the encoding of a message of type {@code d} in {@code [from, to)}, recording each field and descending
     * into the fields the schema declares as messages. Stops quietly at anything malformed (the original is valid).
     */
    private static void scan(byte[] b, int from, int to, Descriptor d, List<WireField> out) {
        int[] pos = {from};
        while (pos[0] < to) {
            int tagStart = pos[0];
            long tag = readVarint(b, pos, to);
            if (tag < 0) {
                return;
            }
            int number = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            FieldDescriptor fd = d == null ? null : d.findFieldByNumber(number);
            String name = (d == null ? "?" : d.getName()) + "." + (fd == null ? number : fd.getName());
            switch (wireType) {
                case 0 -> {
                    int start = pos[0];
                    if (readVarint(b, pos, to) < 0) {
                        return;
                    }
                    out.add(new WireField(tagStart, -1, start, pos[0], 0, name));
                }
                case 1, 5 -> pos[0] += wireType == 1 ? 8 : 4;
                case 2 -> {
                    int lengthStart = pos[0];
                    long len = readVarint(b, pos, to);
                    if (len < 0 || len > to - pos[0]) {
                        return;
                    }
                    int start = pos[0];
                    int end = start + (int) len;
                    out.add(new WireField(tagStart, lengthStart, start, end, 2, name));
                    if (fd != null && fd.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                        scan(b, start, end, fd.getMessageType(), out);
                    } else if (fd != null && fd.isPackable()) {
                        scanPacked(b, start, end, name, out);
                    }
                    pos[0] = end;
                }
                default -> {
                    return;
                }
            }
        }
    }

    private static void scanPacked(byte[] b, int from, int to, String name, List<WireField> out) {
        int[] pos = {from};
        while (pos[0] < to) {
            int start = pos[0];
            if (readVarint(b, pos, to) < 0) {
                return;
            }
            out.add(new WireField(start, -1, start, pos[0], 0, name + "(packed)"));
        }
    }

    /** The varint at {@code pos[0]}, advancing it; -1 when it runs past {@code to} or is longer than 10 bytes. */
    private static long readVarint(byte[] b, int[] pos, int to) {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos[0] >= to) {
                return -1;
            }
            byte x = b[pos[0]++];
            v |= (long) (x & 0x7f) << shift;
            if (x >= 0) {
                return v & Long.MAX_VALUE; // a negative int64 reads as a huge positive: only its position matters
            }
        }
        return -1;
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        long x = v;
        while ((x & ~0x7fL) != 0) {
            o.write((int) ((x & 0x7f) | 0x80));
            x >>>= 7;
        }
        o.write((int) x);
        return o.toByteArray();
    }

    private static byte[] splice(byte[] b, int from, int to, byte[] with) {
        byte[] r = new byte[b.length - (to - from) + with.length];
        System.arraycopy(b, 0, r, 0, from);
        System.arraycopy(with, 0, r, from, with.length);
        System.arraycopy(b, to, r, from + with.length, b.length - to);
        return r;
    }
}
