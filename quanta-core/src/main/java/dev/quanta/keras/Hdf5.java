package dev.quanta.keras;

import dev.quanta.QuantaException;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.StringData;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A thin guard around jhdf: every call into the library goes through {@link #call}, so that a damaged file
 * surfaces as a one-line {@link QuantaException} naming the file instead of a raw jhdf exception, an NPE or an
 * index error.
 */
final class Hdf5 implements AutoCloseable {
    /** The 8-byte HDF5 format signature. */
    static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    private final Path file;
    private final HdfFile hdf;

    private Hdf5(Path file, HdfFile hdf) {
        this.file = file;
        this.hdf = hdf;
    }

    /** Opens {@code file}, which must exist; checks that it is not truncated. */
    static Hdf5 open(Path file, long size) {
        HdfFile hdf = guarded(file, () -> new HdfFile(file));
        return checked(file, hdf, size);
    }

    /** Opens an HDF5 image held in memory ({@code displayName} names it in messages). */
    static Hdf5 fromBytes(Path displayName, byte[] bytes) {
        if (!startsWithSignature(bytes)) {
            throw QuantaException.inFile(displayName, "not a readable HDF5 file (no HDF5 signature)");
        }
        HdfFile hdf = guarded(displayName, () -> HdfFile.fromBytes(bytes));
        return checked(displayName, hdf, bytes.length);
    }

    private static Hdf5 checked(Path file, HdfFile hdf, long size) {
        Hdf5 h = new Hdf5(file, hdf);
        try {
            long needed =
                    h.call(() -> hdf.getHdfBackingStorage().getSuperblock().getBaseAddressByte()
                            + hdf.getHdfBackingStorage().getSuperblock().getEndOfFileAddress());
            if (needed > size) {
                throw QuantaException.inFile(
                        file,
                        "not a readable HDF5 file (truncated: the file has " + size
                                + " bytes but its HDF5 superblock says " + needed + ")");
            }
            return h;
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
    }

    static boolean startsWithSignature(byte[] head) {
        if (head.length < SIGNATURE.length) {
            return false;
        }
        for (int i = 0; i < SIGNATURE.length; i++) {
            if (head[i] != SIGNATURE[i]) {
                return false;
            }
        }
        return true;
    }

    Path file() {
        return file;
    }

    HdfFile root() {
        return hdf;
    }

    /** Runs a jhdf call, turning library failures into a {@link QuantaException} that names the file. */
    <T> T call(Supplier<T> action) {
        return guarded(file, action);
    }

    private static <T> T guarded(Path file, Supplier<T> action) {
        try {
            return action.get();
        } catch (QuantaException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw QuantaException.inFile(file, "not a readable HDF5 file (" + describe(e) + ")", e);
        }
    }

    /** A one-line description of a library failure. */
    static String describe(Throwable e) {
        String msg = e.getMessage();
        String text = msg == null || msg.isBlank()
                ? e.getClass().getSimpleName()
                : e.getClass().getSimpleName() + ": " + msg;
        text = text.replaceAll("\\s+", " ").trim();
        return text.length() > 200 ? text.substring(0, 200) + "…" : text;
    }

    /** The child of {@code parent} called {@code name} if it is a group, else null. */
    Group group(Group parent, String name) {
        return call(() -> {
            if (!parent.getChildren().containsKey(name)) {
                return null;
            }
            Node n = parent.getChild(name);
            return n instanceof Group g ? g : null;
        });
    }

    /** The names of the children of {@code g}, in the file's order. */
    List<String> childNames(Group g) {
        return call(() -> new ArrayList<>(g.getChildren().keySet()));
    }

    /** Whether {@code node} has an attribute {@code name}. */
    boolean hasAttribute(Node node, String name) {
        return call(() -> node.getAttributes().containsKey(name));
    }

    /** A scalar string attribute, or null when absent; fails when it is not a string. */
    String stringAttribute(Node node, String name) {
        return stringAttribute(node, name, Long.MAX_VALUE);
    }

    /**
     * A scalar string attribute of at most {@code maxBytes} bytes, or null when absent. A fixed-length string is
     * measured before it is read; a variable-length one (stored elsewhere in the file) after.
     */
    String stringAttribute(Node node, String name, long maxBytes) {
        return call(() -> {
            Attribute a = node.getAttributes().get(name);
            if (a == null) {
                return null;
            }
            if (a.getDataType() instanceof StringData && a.getSizeInBytes() > maxBytes) {
                throw tooLarge(node, name, a.getSizeInBytes(), maxBytes);
            }
            String s = stringValue(node, name, a);
            if (s != null && s.length() > maxBytes) {
                throw tooLarge(node, name, s.length(), maxBytes);
            }
            return s;
        });
    }

    private QuantaException tooLarge(Node node, String name, long bytes, long maxBytes) {
        return QuantaException.inFile(
                file,
                "attribute '" + name + "' of " + where(node) + " is "
                        + KerasImporter.size(bytes) + ", more than the " + KerasImporter.size(maxBytes)
                        + " a Keras model config may have");
    }

    private String stringValue(Node node, String name, Attribute a) {
        Object data = a.getData();
        if (data instanceof String s) {
            return s;
        }
        if (data instanceof String[] arr && arr.length == 1) {
            return arr[0];
        }
        if (data instanceof byte[] bytes) {
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }
        throw QuantaException.inFile(
                file,
                "attribute '" + name + "' of " + where(node) + " is not a string (found "
                        + (data == null ? "nothing" : data.getClass().getSimpleName()) + ")");
    }

    /**
     * A string-list attribute (Keras {@code layer_names}, {@code weight_names}), or null when absent. An empty
     * attribute (stored by h5py as an empty float array) reads as an empty list.
     */
    List<String> stringListAttribute(Node node, String name) {
        return call(() -> {
            Attribute a = node.getAttributes().get(name);
            if (a == null) {
                return null;
            }
            if (a.isEmpty() || a.getSize() == 0) {
                return List.of();
            }
            Object data = a.getData();
            List<String> out = new ArrayList<>();
            if (data instanceof String s) {
                out.add(s);
            } else if (data != null && data.getClass().isArray()) {
                flattenStrings(data, out, name, node);
            } else {
                throw QuantaException.inFile(
                        file, "attribute '" + name + "' of " + where(node) + " is not a list of strings");
            }
            return out;
        });
    }

    private void flattenStrings(Object array, List<String> out, String name, Node node) {
        int n = Array.getLength(array);
        for (int i = 0; i < n; i++) {
            Object v = Array.get(array, i);
            if (v instanceof String s) {
                out.add(s);
            } else if (v instanceof byte[] bytes) {
                out.add(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            } else if (v != null && v.getClass().isArray()) {
                flattenStrings(v, out, name, node);
            } else {
                throw QuantaException.inFile(
                        file, "attribute '" + name + "' of " + where(node) + " is not a list of strings");
            }
        }
    }

    private static String where(Node node) {
        String p = node.getPath();
        return p == null || p.isEmpty() || "/".equals(p) ? "the root group" : "'" + p + "'";
    }

    /** Resolves {@code relativePath} under {@code g} to a dataset, or null when there is none. */
    Dataset dataset(Group g, String relativePath) {
        return call(() -> {
            Group cur = g;
            String[] parts = relativePath.split("/");
            for (int i = 0; i < parts.length; i++) {
                if (parts[i].isEmpty()) {
                    continue;
                }
                if (!cur.getChildren().containsKey(parts[i])) {
                    return null;
                }
                Node n = cur.getChild(parts[i]);
                if (i == parts.length - 1) {
                    return n instanceof Dataset d ? d : null;
                }
                if (!(n instanceof Group next)) {
                    return null;
                }
                cur = next;
            }
            return null;
        });
    }

    /**
     * Reads a floating-point dataset (float16, float32 or float64) as float32 values; an integer dataset (a count,
     * such as Normalization's) is read as float32 too.
     */
    KerasWeight readWeight(Dataset ds, String key, String path) {
        return call(() -> {
            int[] shape = ds.isScalar() ? new int[0] : ds.getDimensions();
            DataType type = ds.getDataType();
            boolean integer = type instanceof FixedPoint;
            if (!(type instanceof FloatingPoint) && !integer) {
                throw QuantaException.inFile(
                        file,
                        "weight '" + path + "' has a non-floating-point element type ("
                                + type.getClass().getSimpleName() + ", " + type.getSize() + " bytes)");
            }
            long count = 1;
            for (int d : shape) {
                count *= d;
            }
            if (count > Integer.MAX_VALUE - 8) {
                throw QuantaException.inFile(file, "weight '" + path + "' is too large (" + count + " elements)");
            }
            float[] values;
            if (count == 0) {
                values = new float[0];
            } else {
                Object flat = ds.isScalar() ? ds.getData() : ds.getDataFlat();
                values = integer ? integersToFloats(flat, path) : toFloats(flat, path);
            }
            if (values.length != count) {
                throw QuantaException.inFile(
                        file,
                        "weight '" + path + "' has " + values.length + " elements but its shape "
                                + java.util.Arrays.toString(shape) + " needs " + count);
            }
            return new KerasWeight(key, path, shape, values);
        });
    }

    /** The values of an integer dataset (any width jhdf reads) as floats. */
    private float[] integersToFloats(Object data, String path) {
        if (data instanceof Number n) {
            return new float[] {n.floatValue()};
        }
        if (data != null
                && data.getClass().isArray()
                && data.getClass().getComponentType().isPrimitive()) {
            int n = java.lang.reflect.Array.getLength(data);
            float[] f = new float[n];
            for (int i = 0; i < n; i++) {
                f[i] = ((Number) java.lang.reflect.Array.get(data, i)).floatValue();
            }
            return f;
        }
        throw QuantaException.inFile(
                file,
                "weight '" + path + "' could not be read as integers (found "
                        + (data == null ? "no data" : data.getClass().getSimpleName()) + ")");
    }

    private float[] toFloats(Object data, String path) {
        if (data instanceof float[] f) {
            return f;
        }
        if (data instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        if (data instanceof short[] half) { // raw IEEE half floats, should jhdf ever hand them over undecoded
            float[] f = new float[half.length];
            for (int i = 0; i < half.length; i++) {
                f[i] = Float.float16ToFloat(half[i]);
            }
            return f;
        }
        if (data instanceof Float f) {
            return new float[] {f};
        }
        if (data instanceof Double d) {
            return new float[] {d.floatValue()};
        }
        if (data instanceof ByteBuffer) {
            throw QuantaException.inFile(file, "weight '" + path + "' has an unsupported float layout");
        }
        throw QuantaException.inFile(
                file,
                "weight '" + path + "' could not be read as floats (found "
                        + (data == null ? "no data" : data.getClass().getSimpleName()) + ")");
    }

    @Override
    public void close() {
        try {
            hdf.close();
        } catch (RuntimeException e) {
            // closing a damaged file must not hide the original error
        }
    }
}
