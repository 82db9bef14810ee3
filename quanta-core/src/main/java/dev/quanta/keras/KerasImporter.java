package dev.quanta.keras;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.quanta.ByteCounts;
import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.TrainingConfig;
import io.jhdf.api.Group;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Imports Keras models into the IR, in pure Java.
 *
 * <ul>
 *   <li>{@link #load(Path)}: a Keras 2 / tf.keras full-model HDF5 file ({@code .h5}) or a Keras 3 {@code .keras}
 *       zip, recognised by content (HDF5 signature or zip header), not by extension.
 *   <li>{@link #load(Path, Path)}: a model JSON ({@code model.to_json()} or a Keras 3 {@code config.json}) plus a
 *       weights-only HDF5 file ({@code save_weights}, Keras 2 or Keras 3 layout).
 * </ul>
 *
 * <p>Sequential and Functional models are supported, with the layers Dense, Conv2D, DepthwiseConv2D,
 * MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Reshape, Dropout (and other inference-time
 * identities), BatchNormalization, Activation, ReLU, LeakyReLU, Softmax, Add, Concatenate, ZeroPadding2D and LSTM
 * (with the sigmoid recurrent activation).
 * Weights are converted to the IR layouts documented on {@link dev.quanta.ir.OpType} and to float32. Every
 * problem with the input ends in a one-line {@link QuantaException} naming the file.
 */
public final class KerasImporter {
    /**
     * Largest model JSON accepted, in bytes: a {@code config.json} or {@code metadata.json} entry, a model JSON file,
     * or an HDF5 {@code model_config} / {@code training_config} attribute. Real configs are kilobytes to a few
     * megabytes; a larger one is refused before it is read.
     */
    static final long MAX_CONFIG_BYTES = 64L << 20;

    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxDocumentLength(MAX_CONFIG_BYTES)
                            .maxStringLength((int) MAX_CONFIG_BYTES)
                            .maxNestingDepth(1000)
                            .build())
                    .build())
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** The weights of a .keras archive larger than this are refused (they are read into memory). */
    private static final long MAX_ZIP_ENTRY = Integer.MAX_VALUE - 64;

    private KerasImporter() {}

    /**
     * Loads a full Keras model: Keras 2 HDF5 ({@link SourceFormat#KERAS_H5}) or Keras 3 zip
     * ({@link SourceFormat#KERAS_V3}).
     *
     * @throws QuantaException when the file is missing, unreadable, not a Keras model, a weights-only file, or uses
     *     something this importer does not support
     */
    public static Model load(Path file) {
        long size = requireFile(file);
        byte[] head = head(file, 8);
        if (Hdf5.startsWithSignature(head) || hasUserBlockSignature(file, size)) {
            return loadH5(file, size);
        }
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && (head[2] == 3 || head[2] == 5)) {
            return loadKeras3(file);
        }
        if (looksLikeJson(head)) {
            throw QuantaException.inFile(
                    file, "this is a model JSON without weights: load it together with its weights .h5 file");
        }
        String ext = extension(file);
        String start = "starts with " + hex(head);
        if (ext.equals("h5") || ext.equals("hdf5") || ext.equals("hdf")) {
            throw QuantaException.inFile(file, "not a readable HDF5 file (no HDF5 signature; the file " + start + ")");
        }
        if (ext.equals("keras")) {
            throw QuantaException.inFile(
                    file, "not a readable .keras file (not a zip archive; the file " + start + ")");
        }
        throw QuantaException.inFile(
                file, "not a Keras model file: neither HDF5 (.h5) nor a zip archive (.keras); the file " + start);
    }

    /**
     * Loads a model from its JSON config ({@code model.to_json()}, or a Keras 3 {@code config.json}) and a
     * weights-only HDF5 file ({@link SourceFormat#KERAS_JSON_WEIGHTS}). Layers are matched to weight groups by
     * name, or by position (as Keras' {@code load_weights} does) when the names differ.
     *
     * @throws QuantaException naming the JSON file for config problems and the weights file for weight problems
     */
    public static Model load(Path configJson, Path weightsH5) {
        long configSize = requireFile(configJson);
        long weightsSize = requireFile(weightsH5);
        byte[] configHead = head(configJson, 8);
        if (Hdf5.startsWithSignature(configHead)) {
            throw QuantaException.inFile(
                    configJson,
                    "expected a model JSON but this is an HDF5 file (pass it as the "
                            + "weights file, or load a full-model .h5 on its own)");
        }
        if (configHead.length >= 2 && configHead[0] == 'P' && configHead[1] == 'K') {
            throw QuantaException.inFile(
                    configJson, "expected a model JSON but this is a zip archive (load a .keras file on its own)");
        }
        if (configSize > MAX_CONFIG_BYTES) {
            throw QuantaException.inFile(
                    configJson,
                    "the model JSON is " + size(configSize) + ", more than the " + size(MAX_CONFIG_BYTES)
                            + " a Keras model config may have");
        }
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw QuantaException.inFile(configJson, "cannot read the model JSON (" + Hdf5.describe(e) + ")", e);
        }
        JsonNode json = parseJson(configJson, text, "the model JSON");
        if (json.isObject() && !json.has("class_name") && json.has("model_config")) {
            JsonNode inner = json.get("model_config");
            json = inner.isTextual() ? parseJson(configJson, inner.asText(), "model_config") : inner;
        }
        KerasGraph graph = KerasGraph.parse(configJson, json);

        if (!Hdf5.startsWithSignature(head(weightsH5, 8)) && !hasUserBlockSignature(weightsH5, weightsSize)) {
            throw QuantaException.inFile(
                    weightsH5,
                    "not a readable HDF5 file (no HDF5 signature; the file starts with " + hex(head(weightsH5, 8))
                            + ")");
        }
        try (Hdf5 h5 = Hdf5.open(weightsH5, weightsSize)) {
            Group root = h5.root();
            WeightSource weights;
            Group modelWeights = h5.group(root, "model_weights");
            Group layers = h5.group(root, "layers");
            if (h5.hasAttribute(root, "layer_names")) {
                weights = new WeightSource.Keras2(h5, root, "");
            } else if (modelWeights != null) {
                weights = new WeightSource.Keras2(h5, modelWeights, "model_weights/");
            } else if (layers != null) {
                weights = new WeightSource.Keras3(h5, layers);
            } else {
                throw QuantaException.inFile(
                        weightsH5,
                        "not a Keras weights file (no layer_names attribute and no "
                                + "model_weights or layers group)");
            }
            String version = text(json, "keras_version");
            if (version == null) {
                version = h5.stringAttribute(root, "keras_version");
            }
            String backend = text(json, "backend");
            if (backend == null) {
                backend = h5.stringAttribute(root, "backend");
            }
            JsonNode tc = json.has("compile_config") ? json.get("compile_config") : json.get("training_config");
            ModelMetadata md = new ModelMetadata(
                    SourceFormat.KERAS_JSON_WEIGHTS,
                    weightsH5.toString(),
                    version,
                    backend,
                    graph.modelClass(),
                    KerasNames.trainingConfig(tc));
            return new KerasGraphTranslator(configJson, weights, true).translate(graph, md);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private static Model loadH5(Path file, long size) {
        try (Hdf5 h5 = Hdf5.open(file, size)) {
            Group root = h5.root();
            String modelConfig = h5.stringAttribute(root, "model_config", MAX_CONFIG_BYTES);
            if (modelConfig == null) {
                throw QuantaException.inFileAboutSettings(
                        file, "no model_config attribute: this is a weights-only file; give {MODEL_CONFIG}");
            }
            JsonNode model = parseJson(file, modelConfig, "the model_config attribute");
            KerasGraph graph = KerasGraph.parse(file, model);
            TrainingConfig training = null;
            String trainingText = h5.stringAttribute(root, "training_config", MAX_CONFIG_BYTES);
            if (trainingText != null) {
                training = KerasNames.trainingConfig(parseJson(file, trainingText, "the training_config attribute"));
            }
            Group modelWeights = h5.group(root, "model_weights");
            WeightSource weights;
            if (modelWeights != null) {
                weights = new WeightSource.Keras2(h5, modelWeights, "model_weights/");
            } else if (h5.group(root, "layers") != null) {
                weights = new WeightSource.Keras3(h5, h5.group(root, "layers"));
            } else {
                throw QuantaException.inFile(
                        file, "no model_weights group: the file holds a model config but no weights");
            }
            String version = h5.stringAttribute(root, "keras_version");
            String backend = h5.stringAttribute(root, "backend");
            if (modelWeights != null) {
                version = version != null ? version : h5.stringAttribute(modelWeights, "keras_version");
                backend = backend != null ? backend : h5.stringAttribute(modelWeights, "backend");
            }
            ModelMetadata md = new ModelMetadata(
                    SourceFormat.KERAS_H5, file.toString(), version, backend, graph.modelClass(), training);
            return new KerasGraphTranslator(file, weights, false).translate(graph, md);
        }
    }

    private static Model loadKeras3(Path file) {
        JsonNode config;
        String version = null;
        byte[] weightBytes;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry configEntry = zip.getEntry("config.json");
            if (configEntry == null) {
                throw QuantaException.inFile(file, "a zip archive without config.json: not a Keras 3 .keras file");
            }
            config = parseJson(file, readConfig(file, zip, configEntry), "config.json");
            ZipEntry metaEntry = zip.getEntry("metadata.json");
            if (metaEntry != null) {
                JsonNode meta = parseJson(file, readConfig(file, zip, metaEntry), "metadata.json");
                version = text(meta, "keras_version");
            }
            ZipEntry weightsEntry = zip.getEntry("model.weights.h5");
            if (weightsEntry == null) {
                String other = zip.getEntry("model.weights.npz") != null ? " (model.weights.npz is not supported)" : "";
                throw QuantaException.inFile(file, "the .keras archive has no model.weights.h5" + other);
            }
            weightBytes = read(file, zip, weightsEntry);
        } catch (IOException e) {
            throw QuantaException.inFile(file, "not a readable .keras (zip) file (" + Hdf5.describe(e) + ")", e);
        }
        KerasGraph graph = KerasGraph.parse(file, config);
        Path weightsName = Path.of(file + "!/model.weights.h5");
        try (Hdf5 h5 = Hdf5.fromBytes(weightsName, weightBytes)) {
            Group layers = h5.group(h5.root(), "layers");
            if (layers == null) {
                throw QuantaException.inFile(weightsName, "no 'layers' group: not a Keras 3 weights file");
            }
            ModelMetadata md = new ModelMetadata(
                    SourceFormat.KERAS_V3,
                    file.toString(),
                    version,
                    null,
                    graph.modelClass(),
                    KerasNames.trainingConfig(config.get("compile_config")));
            return new KerasGraphTranslator(file, new WeightSource.Keras3(h5, layers), false).translate(graph, md);
        }
    }

    /**
     * Reads a JSON entry of at most {@link #MAX_CONFIG_BYTES}: a larger declared size is refused before inflating, and
     * the entry is read through a bound, so that an archive declaring less than it holds is refused too.
     */
    private static String readConfig(Path file, ZipFile zip, ZipEntry entry) throws IOException {
        if (entry.getSize() > MAX_CONFIG_BYTES) {
            throw QuantaException.inFile(
                    file,
                    entry.getName() + " in the archive is " + size(entry.getSize()) + ", more than the "
                            + size(MAX_CONFIG_BYTES) + " a Keras model config may have");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) MAX_CONFIG_BYTES + 1);
            if (bytes.length > MAX_CONFIG_BYTES) {
                throw QuantaException.inFile(
                        file,
                        entry.getName() + " in the archive inflates to more than the "
                                + size(MAX_CONFIG_BYTES) + " a Keras model config may have (it declares "
                                + size(entry.getSize()) + ")");
            }
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A byte count for messages: bytes below 1 KiB, else KiB / MiB / GiB with one decimal. */
    static String size(long bytes) {
        String scaled = ByteCounts.iec(bytes);
        return bytes < 1024 ? scaled : scaled + String.format(Locale.ROOT, " (%,d bytes)", bytes);
    }

    private static byte[] read(Path file, ZipFile zip, ZipEntry entry) throws IOException {
        if (entry.getSize() > MAX_ZIP_ENTRY) {
            throw QuantaException.inFile(
                    file, entry.getName() + " in the archive is too large (" + entry.getSize() + " bytes)");
        }
        long deflateBound = 1032 * Math.max(0, entry.getCompressedSize());
        boolean deflated = entry.getMethod() == ZipEntry.DEFLATED && entry.getCompressedSize() >= 0;
        if (deflated && entry.getSize() > deflateBound) {
            throw QuantaException.inFile(
                    file,
                    entry.getName() + " in the archive declares " + entry.getSize()
                            + " bytes, more than its " + entry.getCompressedSize()
                            + " deflated bytes can hold (at most "
                            + deflateBound + ")");
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (entry.getSize() > free) {
            throw QuantaException.inFile(
                    file,
                    entry.getName() + " in the archive is " + size(entry.getSize()) + ", more than the "
                            + size(Math.max(0, free)) + " of heap available to read it");
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readAllBytes();
        } catch (OutOfMemoryError e) {
            throw QuantaException.inFile(file, entry.getName() + " in the archive is too large to read");
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Checks that {@code file} is a readable regular file and returns its size. */
    private static long requireFile(Path file) {
        if (file == null) {
            throw new QuantaException("no file given");
        }
        if (!Files.exists(file)) {
            throw QuantaException.inFile(file, "no such file");
        }
        if (Files.isDirectory(file)) {
            throw QuantaException.inFile(
                    file,
                    "is a directory, not a Keras model file (TensorFlow SavedModel "
                            + "directories are not supported)");
        }
        if (!Files.isReadable(file)) {
            throw QuantaException.inFile(file, "cannot read the file (permission denied)");
        }
        try {
            long size = Files.size(file);
            if (size == 0) {
                throw QuantaException.inFile(file, "empty file: not a Keras model");
            }
            return size;
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read the file (" + Hdf5.describe(e) + ")", e);
        }
    }

    private static byte[] head(Path file, int n) {
        return readAt(file, 0, n);
    }

    private static byte[] readAt(Path file, long offset, int n) {
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            if (offset >= raf.length()) {
                return new byte[0];
            }
            raf.seek(offset);
            byte[] buf = new byte[(int) Math.min(n, raf.length() - offset)];
            raf.readFully(buf);
            return buf;
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read the file (" + Hdf5.describe(e) + ")", e);
        }
    }

    /** HDF5 allows a user block before the signature, at 512, 1024, 2048… bytes. */
    private static boolean hasUserBlockSignature(Path file, long size) {
        for (long off = 512; off + 8 <= size && off <= 65536; off *= 2) {
            if (Hdf5.startsWithSignature(readAt(file, off, 8))) {
                return true;
            }
        }
        return false;
    }

    private static boolean looksLikeJson(byte[] head) {
        for (byte b : head) {
            if (b == '{') {
                return true;
            }
            if (!Character.isWhitespace(b)) {
                return false;
            }
        }
        return false;
    }

    private static String extension(Path file) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bytes.length; i++) {
            sb.append(i == 0 ? "" : " ").append(String.format("%02x", bytes[i] & 0xff));
        }
        return sb.toString();
    }

    private static String text(JsonNode n, String key) {
        JsonNode v = n == null ? null : n.get(key);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static JsonNode parseJson(Path file, String text, String what) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw QuantaException.inFile(file, what + " is empty");
            }
            return n;
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            String msg =
                    e.getOriginalMessage() == null ? "" : e.getOriginalMessage().replaceAll("\\s+", " ");
            if (msg.length() > 160) {
                msg = msg.substring(0, 160) + "…";
            }
            throw QuantaException.inFile(file, what + " is not valid JSON" + where + " (" + msg + ")", e);
        }
    }
}
