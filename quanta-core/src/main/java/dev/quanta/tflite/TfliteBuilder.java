package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.tflite.TfliteSchema.BufferF;
import dev.quanta.tflite.TfliteSchema.MetadataF;
import dev.quanta.tflite.TfliteSchema.ModelF;
import dev.quanta.tflite.TfliteSchema.OperatorCodeF;
import dev.quanta.tflite.TfliteSchema.OperatorF;
import dev.quanta.tflite.TfliteSchema.QuantF;
import dev.quanta.tflite.TfliteSchema.SignatureDefF;
import dev.quanta.tflite.TfliteSchema.SubGraphF;
import dev.quanta.tflite.TfliteSchema.TensorF;
import dev.quanta.tflite.TfliteSchema.TensorMapF;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes the tables of a TFLite model with a {@link FlatBufferBuilder}. Flatbuffers are built back to front, so
 * callers create children (strings, vectors, sub-tables) before the table that refers to them; every method
 * returns the offset of what it built.
 */
final class TfliteBuilder {
    /** Alignment of constant data, as the schema asks of Buffer.data ({@code force_align: 16}). */
    static final int DATA_ALIGNMENT = 16;

    final FlatBufferBuilder fb;

    TfliteBuilder(int initialCapacity) {
        this.fb = new FlatBufferBuilder(Math.max(1024, initialCapacity));
    }

    static int intVector(FlatBufferBuilder b, int[] values) {
        b.startVector(4, values.length, 4);
        for (int i = values.length - 1; i >= 0; i--) {
            b.addInt(values[i]);
        }
        return b.endVector();
    }

    int ints(int[] values) {
        return intVector(fb, values);
    }

    int floats(float[] values) {
        fb.startVector(4, values.length, 4);
        for (int i = values.length - 1; i >= 0; i--) {
            fb.addFloat(values[i]);
        }
        return fb.endVector();
    }

    int longs(long[] values) {
        fb.startVector(8, values.length, 8);
        for (int i = values.length - 1; i >= 0; i--) {
            fb.addLong(values[i]);
        }
        return fb.endVector();
    }

    int offsets(int[] tables) {
        return fb.createVectorOfTables(tables);
    }

    int string(String s) {
        return fb.createString(s);
    }

    /** A Buffer; {@code data} null or empty makes an empty buffer (no data field). */
    int buffer(byte[] data) {
        int vector = 0;
        if (data != null && data.length > 0) {
            ByteBuffer dst = fb.createUnintializedVector(1, data.length, DATA_ALIGNMENT);
            dst.put(data);
            vector = fb.endVector();
        }
        fb.startTable(BufferF.COUNT);
        if (vector != 0) {
            fb.addOffset(BufferF.DATA, vector, 0);
        }
        return fb.endTable();
    }

    /** Content keys of what is already built, so that equal parameters share one table or vector. */
    private record QuantKey(List<Float> scale, List<Long> zeroPoint, int quantizedDimension) {}

    private final Map<QuantKey, Integer> quantTables = new HashMap<>();
    private final Map<List<Long>, Integer> zeroPointVectors = new HashMap<>();

    /**
     * QuantizationParameters with scale, zero_point and quantized_dimension. Tensors with equal parameters share
     * one table, and equal zero-point vectors (all zeros, typically) are stored once: per-channel models carry
     * one scale and one 8-byte zero point per channel for both weights and biases.
     */
    int quantization(float[] scale, long[] zeroPoint, int quantizedDimension) {
        List<Float> scaleKey = new ArrayList<>(scale.length);
        for (float f : scale) {
            scaleKey.add(f);
        }
        List<Long> zpKey = new ArrayList<>(zeroPoint.length);
        for (long z : zeroPoint) {
            zpKey.add(z);
        }
        QuantKey key = new QuantKey(scaleKey, zpKey, quantizedDimension);
        Integer existing = quantTables.get(key);
        if (existing != null) {
            return existing;
        }
        int s = floats(scale);
        Integer z = zeroPointVectors.get(zpKey);
        if (z == null) {
            z = longs(zeroPoint);
            zeroPointVectors.put(zpKey, z);
        }
        fb.startTable(QuantF.COUNT);
        fb.addOffset(QuantF.SCALE, s, 0);
        fb.addOffset(QuantF.ZERO_POINT, z, 0);
        fb.addInt(QuantF.QUANTIZED_DIMENSION, quantizedDimension, 0);
        int table = fb.endTable();
        quantTables.put(key, table);
        return table;
    }

    /**
     * A Tensor.
     *
     * @param signature shape_signature, or null to omit it
     * @param quantization offset of its QuantizationParameters, or 0
     */
    int tensor(String name, int[] shape, int[] signature, int type, int buffer, int quantization) {
        return tensor(name, shape, signature, type, buffer, quantization, false);
    }

    /** A Tensor table; {@code variable} sets is_variable (state tensors such as the LSTM's). */
    int tensor(String name, int[] shape, int[] signature, int type, int buffer, int quantization, boolean variable) {
        int n = string(name);
        int s = ints(shape);
        int sig = signature == null ? 0 : ints(signature);
        fb.startTable(TensorF.COUNT);
        fb.addOffset(TensorF.SHAPE, s, 0);
        fb.addByte(TensorF.TYPE, (byte) type, 0);
        fb.addInt(TensorF.BUFFER, buffer, 0);
        fb.addOffset(TensorF.NAME, n, 0);
        if (quantization != 0) {
            fb.addOffset(TensorF.QUANTIZATION, quantization, 0);
        }
        if (sig != 0) {
            fb.addOffset(TensorF.SHAPE_SIGNATURE, sig, 0);
        }
        fb.addBoolean(TensorF.IS_VARIABLE, variable, false);
        return fb.endTable();
    }

    /** An OperatorCode with both code fields, as the converter writes them. */
    int operatorCode(int builtinCode, int version) {
        return operatorCode(builtinCode, version, null);
    }

    /** An OperatorCode with both code fields and, for a custom op, its {@code customCode} (else null). */
    int operatorCode(int builtinCode, int version, String customCode) {
        int custom = customCode == null ? 0 : string(customCode);
        fb.startTable(OperatorCodeF.COUNT);
        if (customCode != null) {
            fb.addOffset(OperatorCodeF.CUSTOM_CODE, custom, 0);
        }
        fb.addByte(
                OperatorCodeF.DEPRECATED_BUILTIN_CODE,
                (byte) Math.min(builtinCode, TfliteSchema.PLACEHOLDER_FOR_GREATER_OP_CODES),
                0);
        fb.addInt(OperatorCodeF.VERSION, version, 1);
        fb.addInt(OperatorCodeF.BUILTIN_CODE, builtinCode, 0);
        return fb.endTable();
    }

    /** An Operator; {@code optionsType} 0 (NONE) writes no options. */
    int operator(int opcodeIndex, int[] inputs, int[] outputs, int optionsType, int options) {
        return operator(opcodeIndex, inputs, outputs, optionsType, options, null);
    }

    /** An Operator table; {@code intermediates} (tensor indices, the integer LSTM's) may be null. */
    int operator(int opcodeIndex, int[] inputs, int[] outputs, int optionsType, int options, int[] intermediates) {
        return operator(opcodeIndex, inputs, outputs, optionsType, options, intermediates, null);
    }

    /**
     * An Operator table; {@code intermediates} (tensor indices, the integer LSTM's) and {@code customOptions} (a custom
     * op's FlexBuffer, custom_options_format FLEXBUFFERS) may be null.
     */
    int operator(
            int opcodeIndex,
            int[] inputs,
            int[] outputs,
            int optionsType,
            int options,
            int[] intermediates,
            byte[] customOptions) {
        int in = ints(inputs);
        int out = ints(outputs);
        int inter = intermediates == null ? 0 : ints(intermediates);
        int custom = customOptions == null ? 0 : fb.createByteVector(customOptions);
        fb.startTable(OperatorF.COUNT);
        if (customOptions != null) {
            fb.addOffset(OperatorF.CUSTOM_OPTIONS, custom, 0);
        }
        if (intermediates != null) {
            fb.addOffset(OperatorF.INTERMEDIATES, inter, 0);
        }
        fb.addInt(OperatorF.OPCODE_INDEX, opcodeIndex, 0);
        fb.addOffset(OperatorF.INPUTS, in, 0);
        fb.addOffset(OperatorF.OUTPUTS, out, 0);
        if (optionsType != TfliteSchema.BO_NONE) {
            fb.addOffset(OperatorF.BUILTIN_OPTIONS, options, 0);
            fb.addByte(OperatorF.BUILTIN_OPTIONS_TYPE, (byte) optionsType, 0);
        }
        return fb.endTable();
    }

    int subgraph(int[] tensors, int[] inputs, int[] outputs, int[] operators, String name) {
        int t = offsets(tensors);
        int in = ints(inputs);
        int out = ints(outputs);
        int ops = offsets(operators);
        int n = string(name);
        fb.startTable(SubGraphF.COUNT);
        fb.addOffset(SubGraphF.TENSORS, t, 0);
        fb.addOffset(SubGraphF.INPUTS, in, 0);
        fb.addOffset(SubGraphF.OUTPUTS, out, 0);
        fb.addOffset(SubGraphF.OPERATORS, ops, 0);
        fb.addOffset(SubGraphF.NAME, n, 0);
        return fb.endTable();
    }

    int metadata(String name, int buffer) {
        int n = string(name);
        fb.startTable(MetadataF.COUNT);
        fb.addOffset(MetadataF.NAME, n, 0);
        fb.addInt(MetadataF.BUFFER, buffer, 0);
        return fb.endTable();
    }

    int tensorMap(String name, int tensorIndex) {
        int n = string(name);
        fb.startTable(TensorMapF.COUNT);
        fb.addOffset(TensorMapF.NAME, n, 0);
        fb.addInt(TensorMapF.TENSOR_INDEX, tensorIndex, 0);
        return fb.endTable();
    }

    int signatureDef(int[] inputMaps, int[] outputMaps, String key, int subgraphIndex) {
        int in = offsets(inputMaps);
        int out = offsets(outputMaps);
        int k = string(key);
        fb.startTable(SignatureDefF.COUNT);
        fb.addOffset(SignatureDefF.INPUTS, in, 0);
        fb.addOffset(SignatureDefF.OUTPUTS, out, 0);
        fb.addOffset(SignatureDefF.SIGNATURE_KEY, k, 0);
        fb.addInt(SignatureDefF.SUBGRAPH_INDEX, subgraphIndex, 0);
        return fb.endTable();
    }

    /** The Model table; finishes the buffer with the "TFL3" identifier and returns the file's bytes. */
    byte[] finishModel(
            int[] operatorCodes,
            int[] subgraphs,
            String description,
            int[] buffers,
            int[] metadata,
            int[] signatureDefs) {
        int codes = offsets(operatorCodes);
        int sgs = offsets(subgraphs);
        int desc = string(description);
        int bufs = offsets(buffers);
        int meta = metadata.length == 0 ? 0 : offsets(metadata);
        int sigs = signatureDefs.length == 0 ? 0 : offsets(signatureDefs);
        fb.startTable(ModelF.COUNT);
        fb.addInt(ModelF.VERSION, TfliteSchema.SCHEMA_VERSION, 0);
        fb.addOffset(ModelF.OPERATOR_CODES, codes, 0);
        fb.addOffset(ModelF.SUBGRAPHS, sgs, 0);
        fb.addOffset(ModelF.DESCRIPTION, desc, 0);
        fb.addOffset(ModelF.BUFFERS, bufs, 0);
        if (meta != 0) {
            fb.addOffset(ModelF.METADATA, meta, 0);
        }
        if (sigs != 0) {
            fb.addOffset(ModelF.SIGNATURE_DEFS, sigs, 0);
        }
        int model = fb.endTable();
        fb.finish(model, TfliteSchema.FILE_IDENTIFIER);
        return fb.sizedByteArray();
    }
}
