package dev.quanta.tflite;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.QuantaException;
import dev.quanta.ir.InputNormalization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The input normalization a model file records, in a {@code Model.metadata} entry that the TFLite runtime ignores:
 *
 * <ul>
 *   <li>{@value #TFLITE_METADATA}, where it fits: TFLite's metadata flatbuffer (tflite-support's
 *       {@code metadata_schema.fbs}, file identifier {@code M001}) with the input tensor's
 *       {@code NormalizationOptions} {@code (v − mean) / std}, as TFLite's metadata writers record it and other
 *       tools read it. It fits a transform without scale and offset (identity is mean 0, std 1);
 *   <li>{@value #QUANTA_ENTRY} otherwise: Quanta's own JSON {@code {"scale":…, "offset":…, "mean":[…], "std":[…]}},
 *       the transform exactly as given (a scale such as 1/255 is not exactly a division by 255 in float, so it does
 *       not fit {@code NormalizationOptions}).
 * </ul>
 *
 * <p>Reading takes Quanta's entry, else TFLite's (written by other tools too); metadata that cannot be parsed is
 * ignored, as the runtime ignores it.
 */
final class TfliteMetadata {
    private TfliteMetadata() {}

    static final String TFLITE_METADATA = "TFLITE_METADATA";
    static final String QUANTA_ENTRY = "quanta.input_normalization";
    static final String FILE_IDENTIFIER = "M001";
    /** The oldest metadata parser that reads what is written here (NormalizationOptions is in 1.0.0). */
    static final String MIN_PARSER_VERSION = "1.0.0";

    /** Decimals read as written, so that each float comes back exactly (no rounding through double). */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();
    /** Metadata entries larger than this are not parsed. */
    private static final int MAX_ENTRY_BYTES = 1 << 20;

    /** Table ModelMetadata. */
    static final class ModelMetadataF {
        static final int SUBGRAPH_METADATA = 3;
        static final int MIN_PARSER_VERSION = 7;
        static final int COUNT = 8;
    }

    /** Table SubGraphMetadata. */
    static final class SubGraphMetadataF {
        static final int INPUT_TENSOR_METADATA = 2;
        static final int OUTPUT_TENSOR_METADATA = 3;
        static final int COUNT = 4;
    }

    /** Table TensorMetadata. */
    static final class TensorMetadataF {
        static final int NAME = 0;
        static final int PROCESS_UNITS = 4;
        static final int COUNT = 5;
    }

    /** Table ProcessUnit: a union (type, then value). */
    static final class ProcessUnitF {
        static final int OPTIONS_TYPE = 0;
        static final int OPTIONS = 1;
        static final int COUNT = 2;
    }

    /** Member of union ProcessUnitOptions. */
    static final int NORMALIZATION_OPTIONS = 1;

    /** Table NormalizationOptions. */
    static final class NormalizationOptionsF {
        static final int MEAN = 0;
        static final int STD = 1;
        static final int COUNT = 2;
    }

    /** True when TFLite's {@code NormalizationOptions} hold {@code n} exactly: no scale and no offset. */
    static boolean fitsTflite(InputNormalization n) {
        return n.scale() == 1f && n.offset() == 0f;
    }

    /**
     * TFLite's metadata flatbuffer: one TensorMetadata per input and output (by name), the input's normalization
     * as NormalizationOptions.
     *
     * @throws IllegalArgumentException when {@code n} does not {@linkplain #fitsTflite fit}
     */
    static byte[] tfliteMetadata(InputNormalization n, String inputName, List<String> outputs) {
        if (!fitsTflite(n)) {
            throw new IllegalArgumentException(n + " has no NormalizationOptions form");
        }
        FlatBufferBuilder fb = new FlatBufferBuilder(256);
        int mean = floats(fb, n.mean() == null ? new float[] {0f} : n.mean());
        int std = floats(fb, n.std() == null ? new float[] {1f} : n.std());
        fb.startTable(NormalizationOptionsF.COUNT);
        fb.addOffset(NormalizationOptionsF.MEAN, mean, 0);
        fb.addOffset(NormalizationOptionsF.STD, std, 0);
        int options = fb.endTable();
        fb.startTable(ProcessUnitF.COUNT);
        fb.addByte(ProcessUnitF.OPTIONS_TYPE, (byte) NORMALIZATION_OPTIONS, 0);
        fb.addOffset(ProcessUnitF.OPTIONS, options, 0);
        int unit = fb.endTable();
        int units = fb.createVectorOfTables(new int[] {unit});
        int inName = fb.createString(inputName);
        fb.startTable(TensorMetadataF.COUNT);
        fb.addOffset(TensorMetadataF.NAME, inName, 0);
        fb.addOffset(TensorMetadataF.PROCESS_UNITS, units, 0);
        int input = fb.endTable();
        int[] outs = new int[outputs.size()];
        for (int i = 0; i < outs.length; i++) {
            int name = fb.createString(outputs.get(i));
            fb.startTable(TensorMetadataF.COUNT);
            fb.addOffset(TensorMetadataF.NAME, name, 0);
            outs[i] = fb.endTable();
        }
        int inputs = fb.createVectorOfTables(new int[] {input});
        int outputsVector = fb.createVectorOfTables(outs);
        fb.startTable(SubGraphMetadataF.COUNT);
        fb.addOffset(SubGraphMetadataF.INPUT_TENSOR_METADATA, inputs, 0);
        fb.addOffset(SubGraphMetadataF.OUTPUT_TENSOR_METADATA, outputsVector, 0);
        int subgraph = fb.endTable();
        int subgraphs = fb.createVectorOfTables(new int[] {subgraph});
        int version = fb.createString(MIN_PARSER_VERSION);
        fb.startTable(ModelMetadataF.COUNT);
        fb.addOffset(ModelMetadataF.SUBGRAPH_METADATA, subgraphs, 0);
        fb.addOffset(ModelMetadataF.MIN_PARSER_VERSION, version, 0);
        fb.finish(fb.endTable(), FILE_IDENTIFIER);
        return fb.sizedByteArray();
    }

    private static int floats(FlatBufferBuilder fb, float[] values) {
        fb.startVector(4, values.length, 4);
        for (int i = values.length - 1; i >= 0; i--) {
            fb.addFloat(values[i]);
        }
        return fb.endVector();
    }

    /** Quanta's exact entry: UTF-8 JSON. */
    static byte[] quantaEntry(InputNormalization n) {
        ObjectNode o = JSON.createObjectNode();
        o.put("scale", n.scale());
        o.put("offset", n.offset());
        if (n.mean() != null) {
            ArrayNode mean = o.putArray("mean");
            for (float v : n.mean()) {
                mean.add(v);
            }
            ArrayNode std = o.putArray("std");
            for (float v : n.std()) {
                std.add(v);
            }
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The normalization of input 0 that {@code file} records, or null. */
    static InputNormalization read(TfliteFile file) {
        try {
            return readEntries(file);
        } catch (QuantaException malformedMetadata) {
            return null;
        }
    }

    private static InputNormalization readEntries(TfliteFile file) {
        byte[] quanta = file.metadataEntry(QUANTA_ENTRY, MAX_ENTRY_BYTES);
        if (quanta != null) {
            InputNormalization n = parseQuanta(quanta);
            if (n != null) {
                return n;
            }
        }
        byte[] tflite = file.metadataEntry(TFLITE_METADATA, MAX_ENTRY_BYTES);
        return tflite == null ? null : parseTflite(tflite, file.path());
    }

    private static InputNormalization parseQuanta(byte[] bytes) {
        try {
            JsonNode o = JSON.readTree(bytes);
            float scale = number(o.get("scale"));
            float offset = number(o.get("offset"));
            return new InputNormalization(scale, offset, floats(o.get("mean")), floats(o.get("std")));
        } catch (IOException | IllegalArgumentException e) {
            return null;
        }
    }

    private static float[] floats(JsonNode array) {
        if (array == null || !array.isArray()) {
            return null;
        }
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = number(array.get(i));
        }
        return out;
    }

    /** The float a JSON number was written from; NaN for anything else. */
    private static float number(JsonNode n) {
        return n != null && n.isNumber() ? Float.parseFloat(n.decimalValue().toString()) : Float.NaN;
    }

    /** NormalizationOptions of the first subgraph's first input tensor, as {@code (v − mean) / std}. */
    private static InputNormalization parseTflite(byte[] bytes, Path path) {
        if (bytes.length < 8 || !FILE_IDENTIFIER.equals(new String(bytes, 4, 4, StandardCharsets.ISO_8859_1))) {
            return null;
        }
        try {
            FbTable root = new FbTable.Source(Path.of(path + "!" + TFLITE_METADATA), bytes).root("ModelMetadata");
            List<FbTable> subgraphs =
                    root.tables(ModelMetadataF.SUBGRAPH_METADATA, "subgraph_metadata", "subgraph metadata");
            if (subgraphs.isEmpty()) {
                return null;
            }
            List<FbTable> inputs = subgraphs
                    .get(0)
                    .tables(SubGraphMetadataF.INPUT_TENSOR_METADATA, "input_tensor_metadata", "input tensor metadata");
            if (inputs.isEmpty()) {
                return null;
            }
            for (FbTable unit : inputs.get(0).tables(TensorMetadataF.PROCESS_UNITS, "process_units", "process unit")) {
                if (unit.uint8(ProcessUnitF.OPTIONS_TYPE, 0, "options_type") != NORMALIZATION_OPTIONS) {
                    continue;
                }
                FbTable options = unit.table(ProcessUnitF.OPTIONS, "options", "NormalizationOptions");
                float[] mean = options == null ? null : options.floats(NormalizationOptionsF.MEAN, "mean");
                float[] std = options == null ? null : options.floats(NormalizationOptionsF.STD, "std");
                if (mean == null || std == null || mean.length == 0 || std.length == 0) {
                    return null;
                }
                return new InputNormalization(1f, 0f, mean, std);
            }
            return null;
        } catch (QuantaException | IllegalArgumentException e) {
            return null;
        }
    }
}
