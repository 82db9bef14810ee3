package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.tflite.TfliteSchema.BufferF;
import dev.quanta.tflite.TfliteSchema.MetadataF;
import dev.quanta.tflite.TfliteSchema.ModelF;
import dev.quanta.tflite.TfliteSchema.OperatorCodeF;
import dev.quanta.tflite.TfliteSchema.OperatorF;
import dev.quanta.tflite.TfliteSchema.QuantF;
import dev.quanta.tflite.TfliteSchema.SubGraphF;
import dev.quanta.tflite.TfliteSchema.TensorF;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A typed, checked view of a {@code .tflite} file: the Model table and what hangs off it, decoded into plain
 * records. Constant data is copied out only on request ({@link #bufferData}).
 */
final class TfliteFile {

    /** An OperatorCode; {@link #code()} is the effective builtin code. */
    record OperatorCode(int builtinCode, int deprecatedBuiltinCode, int version, String customCode) {
        /** As TFLite resolves it: the larger of the two code fields. */
        int code() {
            return Math.max(builtinCode, deprecatedBuiltinCode);
        }
    }

    /** QuantizationParameters (min/max are not kept). */
    record Quantization(float[] scale, long[] zeroPoint, int quantizedDimension, int detailsType) {}

    /** A Tensor table. {@code shapeSignature} is null when absent. */
    record TensorDef(
            int index,
            String name,
            int[] shape,
            int[] shapeSignature,
            int type,
            long buffer,
            Quantization quantization,
            boolean isVariable,
            boolean sparse) {
        /** {@code tensor #3 'conv/out'}: how messages name a tensor. */
        String describe() {
            return "tensor #" + index + " '" + name + "'";
        }
    }

    /**
     * An Operator table; {@code options} is the builtin options table, or null; {@code customOptions} the custom
     * options bytes (a FlexBuffer for custom ops), or null.
     */
    record OperatorDef(
            int index,
            long opcodeIndex,
            int[] inputs,
            int[] outputs,
            int optionsType,
            FbTable options,
            int[] intermediates,
            byte[] customOptions) {
        /** Number of intermediate tensors (the integer LSTM's). */
        int intermediateCount() {
            return intermediates.length;
        }
    }

    /** The first SubGraph. */
    record SubGraph(List<TensorDef> tensors, int[] inputs, int[] outputs, List<OperatorDef> operators, String name) {}

    private final FbTable.Source src;
    private final FbTable model;
    private final List<FbTable> buffers;
    private final java.util.Map<Integer, byte[]> bufferCache = new java.util.HashMap<>();

    private TfliteFile(FbTable.Source src, FbTable model, List<FbTable> buffers) {
        this.src = src;
        this.model = model;
        this.buffers = buffers;
    }

    /**
     * Checks the file identifier and schema version and opens the Model table.
     *
     * @throws QuantaException naming {@code path} when the bytes are not a TFLite schema-3 flatbuffer
     */
    static TfliteFile open(Path path, byte[] bytes) {
        FbTable.Source src = new FbTable.Source(path, bytes);
        if (bytes.length < 8) {
            throw src.error("too short to be a TFLite flatbuffer (" + bytes.length + " bytes)");
        }
        String id = new String(bytes, 4, 4, StandardCharsets.ISO_8859_1);
        if (!TfliteSchema.FILE_IDENTIFIER.equals(id)) {
            throw src.error("not a TFLite flatbuffer: file identifier is '" + printable(id) + "', expected '"
                    + TfliteSchema.FILE_IDENTIFIER + "'");
        }
        FbTable model = src.root("Model");
        long version = model.uint32(ModelF.VERSION, 0, "version");
        if (version != TfliteSchema.SCHEMA_VERSION) {
            throw src.error("TFLite schema version " + version + " is not supported (expected "
                    + TfliteSchema.SCHEMA_VERSION + ")");
        }
        List<FbTable> buffers = model.tables(ModelF.BUFFERS, "buffers", "buffer");
        return new TfliteFile(src, model, buffers);
    }

    /** {@code s} with non-printable characters escaped, cut to {@code max} characters (null: "null"). */
    static String printable(String s, int max) {
        if (s == null) {
            return "null";
        }
        String p = printable(s);
        return p.length() <= max ? p : p.substring(0, max) + "…";
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        }
        return sb.toString();
    }

    Path path() {
        return src.path;
    }

    QuantaException error(String what) {
        return src.error(what);
    }

    String description() {
        return model.string(ModelF.DESCRIPTION, "description");
    }

    List<OperatorCode> operatorCodes() {
        List<OperatorCode> out = new ArrayList<>();
        for (FbTable t : model.tables(ModelF.OPERATOR_CODES, "operator_codes", "operator code")) {
            out.add(new OperatorCode(
                    t.int32(OperatorCodeF.BUILTIN_CODE, 0, "builtin_code"),
                    t.int8(OperatorCodeF.DEPRECATED_BUILTIN_CODE, 0, "deprecated_builtin_code"),
                    t.int32(OperatorCodeF.VERSION, 1, "version"),
                    t.string(OperatorCodeF.CUSTOM_CODE, "custom_code")));
        }
        return out;
    }

    int subgraphCount() {
        return model.vectorLength(ModelF.SUBGRAPHS, 4, "subgraphs");
    }

    /** The main (first) subgraph, fully decoded. */
    SubGraph mainSubgraph() {
        List<FbTable> subgraphs = model.tables(ModelF.SUBGRAPHS, "subgraphs", "subgraph");
        if (subgraphs.isEmpty()) {
            throw src.error("the model has no subgraph");
        }
        FbTable sg = subgraphs.get(0);
        List<TensorDef> tensors = new ArrayList<>();
        List<FbTable> tensorTables = sg.tables(SubGraphF.TENSORS, "tensors", "tensor");
        for (int i = 0; i < tensorTables.size(); i++) {
            tensors.add(tensor(i, tensorTables.get(i)));
        }
        List<OperatorDef> operators = new ArrayList<>();
        List<FbTable> opTables = sg.tables(SubGraphF.OPERATORS, "operators", "operator");
        for (int i = 0; i < opTables.size(); i++) {
            FbTable t = opTables.get(i);
            int optionsType = t.uint8(OperatorF.BUILTIN_OPTIONS_TYPE, 0, "builtin_options_type");
            FbTable options = optionsType == TfliteSchema.BO_NONE
                    ? null
                    : t.table(OperatorF.BUILTIN_OPTIONS, "builtin_options", "operator #" + i + " options");
            int[] in = t.ints(OperatorF.INPUTS, "inputs");
            int[] out = t.ints(OperatorF.OUTPUTS, "outputs");
            operators.add(new OperatorDef(
                    i,
                    t.uint32(OperatorF.OPCODE_INDEX, 0, "opcode_index"),
                    in == null ? new int[0] : in,
                    out == null ? new int[0] : out,
                    optionsType,
                    options,
                    intermediates(t),
                    t.bytes(OperatorF.CUSTOM_OPTIONS, "custom_options")));
        }
        int[] inputs = sg.ints(SubGraphF.INPUTS, "inputs");
        int[] outputs = sg.ints(SubGraphF.OUTPUTS, "outputs");
        return new SubGraph(
                tensors,
                inputs == null ? new int[0] : inputs,
                outputs == null ? new int[0] : outputs,
                operators,
                sg.string(SubGraphF.NAME, "name"));
    }

    /** The operator's intermediates vector (tensor indices), empty when absent. */
    private static int[] intermediates(FbTable t) {
        int[] v = t.ints(OperatorF.INTERMEDIATES, "intermediates");
        return v == null ? new int[0] : v;
    }

    private static TensorDef tensor(int index, FbTable t) {
        int[] shape = t.ints(TensorF.SHAPE, "shape");
        int[] signature = t.ints(TensorF.SHAPE_SIGNATURE, "shape_signature");
        String name = t.string(TensorF.NAME, "name");
        FbTable q = t.table(TensorF.QUANTIZATION, "quantization", "tensor #" + index + " quantization");
        Quantization quant = null;
        if (q != null) {
            quant = new Quantization(
                    q.floats(QuantF.SCALE, "scale"),
                    q.longs(QuantF.ZERO_POINT, "zero_point"),
                    q.int32(QuantF.QUANTIZED_DIMENSION, 0, "quantized_dimension"),
                    q.uint8(QuantF.DETAILS_TYPE, 0, "details_type"));
        }
        return new TensorDef(
                index,
                name == null ? "" : name,
                shape == null ? new int[0] : shape,
                signature,
                t.int8(TensorF.TYPE, 0, "type"),
                t.uint32(TensorF.BUFFER, 0, "buffer"),
                quant,
                t.bool(TensorF.IS_VARIABLE, false, "is_variable"),
                t.has(TensorF.SPARSITY));
    }

    /**
     * The bytes of the {@code Model.metadata} entry called {@code name}, or null when there is none, its buffer is
     * missing or empty, or it holds more than {@code maxBytes}.
     */
    byte[] metadataEntry(String name, int maxBytes) {
        for (FbTable m : model.tables(ModelF.METADATA, "metadata", "metadata entry")) {
            if (!name.equals(m.string(MetadataF.NAME, "name"))) {
                continue;
            }
            long index = m.uint32(MetadataF.BUFFER, 0, "buffer");
            if (index <= 0
                    || index >= buffers.size()
                    || buffers.get((int) index).vectorLength(BufferF.DATA, 1, "data") > maxBytes) {
                return null;
            }
            byte[] data = readBuffer((int) index, "metadata entry '" + name + "'");
            return data.length == 0 ? null : data;
        }
        return null;
    }

    int bufferCount() {
        return buffers.size();
    }

    /** Position in the file of buffer {@code index}'s data, or -1 when it has none inside the flatbuffer. */
    int bufferDataPosition(int index) {
        return buffers.get(index).vectorStart(BufferF.DATA, 1, "data");
    }

    /**
     * The bytes of buffer {@code index} (inside the flatbuffer, or for models over 2 GB at {@code offset} in the
     * file); an empty array for an empty buffer. The array is shared: callers must not change it.
     *
     * @param user the tensor that refers to it, for messages
     */
    byte[] bufferData(long index, String user) {
        if (index < 0 || index >= buffers.size()) {
            throw src.error(user + " refers to buffer " + index + " but the model has " + buffers.size() + " buffers");
        }
        byte[] cached = bufferCache.get((int) index);
        if (cached != null) {
            src.charge(cached.length, user); // the caller copies it
            return cached;
        }
        byte[] data = readBuffer((int) index, user);
        bufferCache.put((int) index, data);
        return data;
    }

    private byte[] readBuffer(int index, String user) {
        FbTable b = buffers.get(index);
        byte[] data = b.bytes(BufferF.DATA, "data");
        if (data != null && data.length > 0) {
            return data;
        }
        long offset = b.int64(BufferF.OFFSET, 0, "offset");
        long size = b.int64(BufferF.SIZE, 0, "size");
        if (offset > 1) {
            if (size < 0 || offset + size > src.limit || offset + size < offset) {
                throw src.error("buffer " + index + " (of " + user + ") holds " + size + " bytes at file offset "
                        + offset + ", past the end of the " + src.limit + "-byte file");
            }
            src.charge(size, user);
            byte[] out = new byte[(int) size];
            src.bb.get((int) offset, out);
            return out;
        }
        return new byte[0];
    }
}
