package dev.quanta.conformance;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A minimal, test-only view of a {@code .tflite} flatbuffer (schema v3, main subgraph only), independent of
 * Quanta's reader so that the suite does not check the reader against itself.
 *
 * <p>It reads the operators' output tensor indices, the graph inputs and outputs and the custom op names, and makes
 * two patched copies for the official runtime:
 * <ul>
 *   <li>{@link #withOutputs}: the graph outputs re-pointed at any tensors (a new vector appended after the original
 *       bytes; flatbuffer offsets point forwards, so the rest of the file stays valid). With every operator's output
 *       listed, one {@code Invoke} exposes every intermediate on either path: the XNNPACK delegate has to write
 *       graph outputs out, and the built-in kernels never reuse an output's memory;</li>
 *   <li>{@link #withRankOneQuantizedDimensionZeroed}: quantized_dimension set to 0 where a rank-1 tensor carries an
 *       out-of-range value (tflite-micro's person_detect: 3 on its biases, which stock TFLite refuses).</li>
 * </ul>
 * Field numbers are those of TFLite's {@code schema.fbs}.
 */
final class FlatModel {
    // Model
    private static final int MODEL_OPERATOR_CODES = 1;
    private static final int MODEL_SUBGRAPHS = 2;
    // OperatorCode
    private static final int CODE_DEPRECATED_BUILTIN = 0;
    private static final int CODE_CUSTOM = 1;
    private static final int CODE_BUILTIN = 3;
    // SubGraph
    private static final int SUBGRAPH_TENSORS = 0;
    private static final int SUBGRAPH_INPUTS = 1;
    private static final int SUBGRAPH_OUTPUTS = 2;
    private static final int SUBGRAPH_OPERATORS = 3;
    // Operator
    private static final int OP_OPCODE_INDEX = 0;
    private static final int OP_OUTPUTS = 2;
    // Tensor
    private static final int TENSOR_SHAPE = 0;
    private static final int TENSOR_QUANTIZATION = 4;
    // QuantizationParameters
    private static final int QUANT_SCALE = 2;
    private static final int QUANT_DIMENSION = 6;
    private static final int BUILTIN_CUSTOM = 32;

    private final byte[] bytes;
    private final ByteBuffer b;

    FlatModel(byte[] bytes) {
        this.bytes = bytes;
        this.b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    byte[] bytes() {
        return bytes;
    }

    /** The output tensor index of every operator of the main subgraph, in execution order (the first output). */
    int[] operatorOutputs() {
        int ops = vector(subgraph(), SUBGRAPH_OPERATORS);
        int n = b.getInt(ops);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int outputs = vector(element(ops, i), OP_OUTPUTS);
            out[i] = b.getInt(outputs) > 0 ? b.getInt(outputs + 4) : -1;
        }
        return out;
    }

    /** The builtin code of every operator of the main subgraph ({@value #BUILTIN_CUSTOM} for custom ops). */
    int[] operatorCodes() {
        int ops = vector(subgraph(), SUBGRAPH_OPERATORS);
        int codes = vector(root(), MODEL_OPERATOR_CODES);
        int[] out = new int[b.getInt(ops)];
        for (int i = 0; i < out.length; i++) {
            int op = element(ops, i);
            out[i] = builtinCode(element(codes, scalarInt(op, OP_OPCODE_INDEX, 0)));
        }
        return out;
    }

    /** The names of the custom operator codes (empty when there are none). */
    Set<String> customOps() {
        int codes = vector(root(), MODEL_OPERATOR_CODES);
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < b.getInt(codes); i++) {
            int code = element(codes, i);
            if (builtinCode(code) == BUILTIN_CUSTOM) {
                out.add(string(code, CODE_CUSTOM));
            }
        }
        return out;
    }

    int[] graphOutputs() {
        return ints(vector(subgraph(), SUBGRAPH_OUTPUTS));
    }

    /** A copy whose main subgraph's outputs are {@code tensors}, in that order. */
    byte[] withOutputs(int[] tensors) {
        int field = fieldPosition(subgraph(), SUBGRAPH_OUTPUTS);
        if (field < 0) {
            throw new IllegalStateException("the subgraph has no outputs field");
        }
        int vec = (bytes.length + 3) & ~3;
        byte[] out = Arrays.copyOf(bytes, vec + 4 + 4 * tensors.length);
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        o.putInt(vec, tensors.length);
        for (int i = 0; i < tensors.length; i++) {
            o.putInt(vec + 4 + 4 * i, tensors[i]);
        }
        o.putInt(field, vec - field);
        return out;
    }

    /**
     * A copy in which every rank-1 tensor with per-axis scales and a quantized_dimension other than 0 has it set to
     * 0 (in place: the field is stored, so only its value changes); {@code patched[0]} receives the count.
     */
    byte[] withRankOneQuantizedDimensionZeroed(int[] patched) {
        byte[] out = bytes.clone();
        ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        int tensors = vector(subgraph(), SUBGRAPH_TENSORS);
        int count = 0;
        for (int i = 0; i < b.getInt(tensors); i++) {
            int t = element(tensors, i);
            int q = table(t, TENSOR_QUANTIZATION);
            int shape = vector(t, TENSOR_SHAPE);
            if (q < 0 || shape < 0 || b.getInt(shape) != 1) {
                continue;
            }
            int scales = vector(q, QUANT_SCALE);
            int dimField = fieldPosition(q, QUANT_DIMENSION);
            if (scales >= 0 && b.getInt(scales) > 1 && dimField >= 0 && b.getInt(dimField) != 0) {
                o.putInt(dimField, 0);
                count++;
            }
        }
        patched[0] = count;
        return out;
    }

    // ---------------------------------------------------------------- flatbuffer access

    private int root() {
        return b.getInt(0);
    }

    private int subgraph() {
        return element(vector(root(), MODEL_SUBGRAPHS), 0);
    }

    private int builtinCode(int code) {
        int builtin = scalarInt(code, CODE_BUILTIN, 0);
        int deprecated = scalarByte(code, CODE_DEPRECATED_BUILTIN);
        return Math.max(builtin, deprecated);
    }

    /** Absolute position of field {@code field} of the table at {@code table}, or -1 when it is not stored. */
    private int fieldPosition(int table, int field) {
        int vtable = table - b.getInt(table);
        int size = b.getShort(vtable) & 0xFFFF;
        int entry = 4 + 2 * field;
        if (entry + 2 > size) {
            return -1;
        }
        int off = b.getShort(vtable + entry) & 0xFFFF;
        return off == 0 ? -1 : table + off;
    }

    private int vector(int table, int field) {
        int pos = fieldPosition(table, field);
        return pos < 0 ? -1 : pos + b.getInt(pos);
    }

    private int table(int table, int field) {
        int pos = fieldPosition(table, field);
        return pos < 0 ? -1 : pos + b.getInt(pos);
    }

    private int element(int vector, int i) {
        int pos = vector + 4 + 4 * i;
        return pos + b.getInt(pos);
    }

    private int scalarInt(int table, int field, int dflt) {
        int pos = fieldPosition(table, field);
        return pos < 0 ? dflt : b.getInt(pos);
    }

    private int scalarByte(int table, int field) {
        int pos = fieldPosition(table, field);
        return pos < 0 ? 0 : b.get(pos);
    }

    private String string(int table, int field) {
        int s = vector(table, field);
        if (s < 0) {
            return "";
        }
        return new String(bytes, s + 4, b.getInt(s), StandardCharsets.UTF_8);
    }

    private int[] ints(int vector) {
        if (vector < 0) {
            return new int[0];
        }
        int[] out = new int[b.getInt(vector)];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getInt(vector + 4 + 4 * i);
        }
        return out;
    }
}
