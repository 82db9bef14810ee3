package dev.quanta.onnx;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.TensorData;
import dev.quanta.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;

/**
 * Decodes ONNX {@code TensorProto}s (initializers, {@code Constant} values, test data) into IR tensor data. Every
 * size is checked against the bytes the file really holds before anything is allocated: the product of the dims
 * times the element size must equal the length of {@code raw_data}, of the external data range, or the count of
 * the typed field.
 */
public final class OnnxTensors {
    /** The most elements one tensor may hold (as the interpreter's limit). */
    public static final long MAX_ELEMENTS = Shape.MAX_ELEMENTS;

    private OnnxTensors() {}

    /** A decoded tensor: its ONNX name, dims and little-endian data of an IR type. */
    public record Decoded(String name, int[] dims, DType dtype, TensorData data) {
        public Shape shape() {
            return Shape.of(dims);
        }
    }

    /** The IR type of an ONNX {@code TensorProto.DataType}, or null when the IR has none. */
    public static DType irType(int onnxType) {
        return switch (onnxType) {
            case TensorProto.DataType.FLOAT_VALUE -> DType.FLOAT32;
            case TensorProto.DataType.FLOAT16_VALUE -> DType.FLOAT16;
            case TensorProto.DataType.INT8_VALUE -> DType.INT8;
            case TensorProto.DataType.UINT8_VALUE -> DType.UINT8;
            case TensorProto.DataType.INT16_VALUE -> DType.INT16;
            case TensorProto.DataType.INT32_VALUE -> DType.INT32;
            case TensorProto.DataType.INT64_VALUE -> DType.INT64;
            case TensorProto.DataType.BOOL_VALUE -> DType.BOOL;
            default -> null;
        };
    }

    /** The ONNX spelling of a data type ({@code DOUBLE}), for messages. */
    public static String typeName(int onnxType) {
        TensorProto.DataType t = TensorProto.DataType.forNumber(onnxType);
        return t == null ? "type " + onnxType : t.name();
    }

    /** The ONNX data type of an IR type. */
    public static int onnxType(DType t) {
        return switch (t) {
            case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
            case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
            case INT8 -> TensorProto.DataType.INT8_VALUE;
            case UINT8 -> TensorProto.DataType.UINT8_VALUE;
            case INT16 -> TensorProto.DataType.INT16_VALUE;
            case INT32 -> TensorProto.DataType.INT32_VALUE;
            case INT64 -> TensorProto.DataType.INT64_VALUE;
            case BOOL -> TensorProto.DataType.BOOL_VALUE;
            case UINT32 -> TensorProto.DataType.UINT32_VALUE;
            case UINT64 -> TensorProto.DataType.UINT64_VALUE;
        };
    }

    /**
     * Decodes {@code t}. {@code modelDir} is the folder external data is resolved in (and must stay inside); it may
     * be null when external data is not allowed.
     *
     * @throws QuantaException naming {@code file}, the tensor and what is wrong
     */
    public static Decoded decode(TensorProto t, Path file, Path modelDir) {
        String name = t.getName();
        int dataType = t.getDataType();
        DType dtype = irType(dataType);
        if (dtype == null) {
            throw OnnxReader.error(
                    file,
                    "tensor '" + name + "' is " + typeName(dataType)
                            + ", which Quanta does not run (supported: FLOAT, FLOAT16, INT8, UINT8, INT16, INT32, "
                            + "INT64, BOOL)");
        }
        int[] dims = dims(t, file);
        long count = elementCount(dims, name, file);
        long bytes = count * dtype.byteSize();
        byte[] data;
        if (t.hasDataLocation() && t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            data = external(t, file, modelDir, bytes);
        } else if (t.hasRawData()) {
            if (t.getRawData().size() != bytes) {
                throw OnnxReader.error(
                        file,
                        "tensor '" + name + "': dims " + java.util.Arrays.toString(dims) + " of " + dtype + " need "
                                + bytes + " bytes of raw_data, found "
                                + t.getRawData().size());
            }
            data = t.getRawData().toByteArray();
        } else {
            data = typed(t, dtype, count, file);
        }
        return new Decoded(name, dims, dtype, TensorData.ofBytes(dtype, data));
    }

    /** The dims, each in [0, 2^31). */
    static int[] dims(TensorProto t, Path file) {
        int[] dims = new int[t.getDimsCount()];
        for (int i = 0; i < dims.length; i++) {
            long d = t.getDims(i);
            if (d < 0 || d > Integer.MAX_VALUE) {
                throw OnnxReader.error(file, "tensor '" + t.getName() + "': dimension " + i + " is " + d);
            }
            dims[i] = (int) d;
        }
        return dims;
    }

    /**
     * The product of {@code dims} (a dynamic dimension counts as 1, one sample), refused when it overflows or passes
     * {@link #MAX_ELEMENTS}.
     */
    static long elementCount(int[] dims, String name, Path file) {
        long n = 1;
        for (int d : dims) {
            try {
                n = Math.multiplyExact(n, d == dev.quanta.ir.Shape.DYNAMIC ? 1 : d);
            } catch (ArithmeticException e) {
                n = Long.MAX_VALUE;
            }
            if (n > MAX_ELEMENTS) {
                throw OnnxReader.error(
                        file,
                        "tensor '" + name + "': dims " + java.util.Arrays.toString(dims) + " claim more than "
                                + MAX_ELEMENTS + " elements");
            }
        }
        return n;
    }

    private static byte[] typed(TensorProto t, DType dtype, long count, Path file) {
        int dataType = t.getDataType();
        int found;
        String field;
        switch (dataType) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                found = t.getFloatDataCount();
                field = "float_data";
            }
            case TensorProto.DataType.INT64_VALUE -> {
                found = t.getInt64DataCount();
                field = "int64_data";
            }
            default -> {
                found = t.getInt32DataCount();
                field = "int32_data";
            }
        }
        if (found != count) {
            throw OnnxReader.error(
                    file,
                    "tensor '" + t.getName() + "': dims " + java.util.Arrays.toString(dims(t, file)) + " hold "
                            + count + " elements but " + field + " has " + found
                            + (found == 0 ? " (and there is no raw_data)" : ""));
        }
        int n = (int) count;
        ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (dtype) {
                case FLOAT32 -> b.putFloat(t.getFloatData(i));
                case INT64 -> b.putLong(t.getInt64Data(i));
                case INT32 -> b.putInt(t.getInt32Data(i));
                case INT16, FLOAT16 -> b.putShort((short) t.getInt32Data(i));
                case INT8, UINT8 -> b.put((byte) t.getInt32Data(i));
                case BOOL -> b.put((byte) (t.getInt32Data(i) != 0 ? 1 : 0));
                default -> throw new IllegalStateException("no typed field for " + dtype);
            }
        }
        return b.array();
    }

    /**
     * Reads external data: keys {@code location} (relative to the model's folder, which it must stay in),
     * {@code offset} and {@code length} (both optional); the range must lie inside the data file and hold exactly
     * the tensor's bytes.
     */
    private static byte[] external(TensorProto t, Path file, Path modelDir, long bytes) {
        String name = t.getName();
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location" -> location = e.getValue();
                case "offset" -> offset = parseLong(e.getValue(), "offset", name, file);
                case "length" -> length = parseLong(e.getValue(), "length", name, file);
                default -> {}
            }
        }
        if (location == null || location.isEmpty()) {
            throw OnnxReader.error(file, "tensor '" + name + "': external data without a location");
        }
        if (modelDir == null) {
            throw OnnxReader.error(file, "tensor '" + name + "': external data is not allowed here");
        }
        Path base = modelDir.toAbsolutePath().normalize();
        Path data;
        try {
            data = base.resolve(location).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw OnnxReader.error(file, "tensor '" + name + "': bad external data location '" + location + "'");
        }
        if (!data.startsWith(base) || data.equals(base)) {
            throw OnnxReader.error(
                    file, "tensor '" + name + "': external data location '" + location + "' leaves the model folder");
        }
        try {
            if (!Files.isRegularFile(data) || !data.toRealPath().startsWith(base.toRealPath())) {
                throw OnnxReader.error(
                        file,
                        "tensor '" + name + "': external data file '" + location + "' not found in the model folder");
            }
            if (length >= 0 && length != bytes) {
                throw OnnxReader.error(
                        file,
                        "tensor '" + name + "': external data length " + length + " but its dims need " + bytes
                                + " bytes");
            }
            try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
                long size = ch.size();
                if (offset < 0 || offset > size || size - offset < bytes) {
                    throw OnnxReader.error(
                            file,
                            "tensor '" + name + "': external data '" + location + "' holds " + size
                                    + " bytes, too few for " + bytes + " bytes at offset " + offset);
                }
                ByteBuffer buf = ByteBuffer.allocate((int) bytes);
                while (buf.hasRemaining()) {
                    if (ch.read(buf, offset + buf.position()) < 0) {
                        throw OnnxReader.error(file, "tensor '" + name + "': external data ends early");
                    }
                }
                return buf.array();
            }
        } catch (IOException e) {
            throw OnnxReader.error(
                    file, "tensor '" + name + "': cannot read external data '" + location + "': " + e.getMessage(), e);
        }
    }

    private static long parseLong(String v, String key, String name, Path file) {
        try {
            long x = Long.parseLong(v.trim());
            if (x < 0) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw OnnxReader.error(
                    file, "tensor '" + name + "': external data " + key + " '" + v + "' is not a byte count");
        }
    }

    /** The values of an integer tensor (INT64, INT32, INT16, INT8, UINT8, BOOL) as longs. */
    public static long[] longs(TensorData d) {
        ByteBuffer b = d.buffer();
        int n = d.elementCount();
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (d.dtype()) {
                case INT64 -> b.getLong(i * 8);
                case INT32 -> b.getInt(i * 4);
                case INT16 -> b.getShort(i * 2);
                case INT8, BOOL -> b.get(i);
                case UINT8 -> b.get(i) & 0xff;
                case FLOAT32 -> (long) b.getFloat(i * 4);
                default -> throw new IllegalArgumentException("not an integer tensor: " + d.dtype());
            };
        }
        return v;
    }

    /** The values of a FLOAT32 or FLOAT16 tensor as floats. */
    public static float[] floats(TensorData d) {
        if (d.dtype() == DType.FLOAT32) {
            return d.floats();
        }
        if (d.dtype() == DType.FLOAT16) {
            short[] h = (short[]) d.toArray();
            float[] f = new float[h.length];
            for (int i = 0; i < h.length; i++) {
                f[i] = Float.float16ToFloat(h[i]);
            }
            return f;
        }
        long[] v = longs(d);
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    /** INT64 tensor data from longs. */
    public static TensorData ofLongs(long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return TensorData.ofBytes(DType.INT64, b.array());
    }

    /** Tensor data of {@code dtype} from the Java array that holds it (as {@link TensorData#toArray}). */
    public static TensorData fromArray(DType dtype, Object array) {
        int n = java.lang.reflect.Array.getLength(array);
        ByteBuffer b = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (array) {
            case float[] f -> b.asFloatBuffer().put(f);
            case byte[] v -> b.put(v);
            case short[] v -> b.asShortBuffer().put(v);
            case int[] v -> b.asIntBuffer().put(v);
            case long[] v -> b.asLongBuffer().put(v);
            case boolean[] v -> {
                for (boolean x : v) {
                    b.put((byte) (x ? 1 : 0));
                }
            }
            default -> throw new IllegalArgumentException("no tensor data from " + array.getClass());
        }
        return TensorData.ofBytes(dtype, b.array());
    }

    /** Lower-case ONNX name of a type, for messages. */
    static String lower(int onnxType) {
        return typeName(onnxType).toLowerCase(Locale.ROOT);
    }
}
