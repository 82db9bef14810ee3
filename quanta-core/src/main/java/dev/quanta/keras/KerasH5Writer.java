package dev.quanta.keras;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.QuantaException;
import dev.quanta.files.AtomicFiles;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import io.jhdf.HdfFile;
import io.jhdf.JhdfInfo;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import io.jhdf.checksum.ChecksumUtils;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes an IR {@link Model} that is a plain chain of layers as a Keras 2 (tf.keras) full-model HDF5 file, the
 * layout {@code model.save("m.h5")} produces and {@code keras.models.load_model} reads:
 *
 * <pre>
 * /                      attributes model_config (Sequential JSON), training_config (JSON), keras_version, backend
 * /model_weights         attributes layer_names, keras_version, backend
 * /model_weights/&lt;layer&gt;            attribute weight_names, e.g. ["conv2d/kernel:0", "conv2d/bias:0"]
 * /model_weights/&lt;layer&gt;/&lt;layer&gt;/kernel:0   float32 datasets in Keras layouts (Dense [in, out],
 *                                             Conv2D [kh, kw, in, out], DepthwiseConv2D [kh, kw, in, multiplier])
 * </pre>
 *
 * The IR has no Keras layer configs, so they are rebuilt from ops, attributes and {@link dev.quanta.ir.Origin}s:
 * consecutive ops with the same origin form one layer (a FULLY_CONNECTED followed by a SOFTMAX of the same origin
 * is {@code Dense(activation="softmax")}), fused activations become the layer's {@code activation}, a RESHAPE to
 * {@code [-1, n]} is {@code Flatten}. Supported ops: CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D,
 * RESHAPE, FULLY_CONNECTED, and the activations RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX and IDENTITY;
 * anything else, or a graph that is not a single chain, is a {@link QuantaException} naming the op.
 *
 * <p>File details, and how they differ from h5py's output:
 *
 * <ul>
 *   <li>jhdf 0.13 writes every string attribute as a fixed-length, null-terminated UTF-8 string (scalars for the
 *       JSON and version attributes, 1-D arrays for {@code layer_names} and {@code weight_names}). h5py writes
 *       the scalars as variable-length strings and the lists as null-padded ASCII. jhdf reads both kinds as Java
 *       strings; h5py reads fixed-length strings as {@code bytes}, which Keras' HDF5 loader decodes (as it does
 *       for files from older h5py versions).
 *   <li>jhdf cannot write an empty attribute, which is how h5py stores the {@code weight_names} of a layer
 *       without weights. Such layers (Flatten, pooling, activations) therefore get no group, and
 *       {@code layer_names} lists only the layers that have weights. Keras' loader keeps only those layers anyway
 *       and matches them by order.
 *   <li>No optimizer state ({@code optimizer_weights}) is written. jhdf's provenance marks, which name the jhdf
 *       version, the operating system and the CPU (a {@code _jHDF} root attribute and a text after the last
 *       object), are removed, so the bytes depend only on the model (with jhdf 0.13).
 * </ul>
 *
 * <p>The file is written with {@link AtomicFiles}: to a temporary file next to the target, then moved into place,
 * atomically where the file system allows; a failed write never leaves a partial file behind. The model's own
 * source file is never replaced.
 */
public final class KerasH5Writer {
    /** The Keras version the file claims (a Keras 2 line release, so that Keras 2 loaders accept it). */
    public static final String KERAS_VERSION = "2.15.0";
    /** The backend the file claims. */
    public static final String BACKEND = "tensorflow";

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private KerasH5Writer() {}

    /**
     * The optimizer recorded in {@code training_config} (Keras needs one to compile the loaded model).
     *
     * @param className Keras class name, e.g. {@code Adam}
     * @param config its config (insertion order is kept), without {@code name}
     */
    public record Optimizer(String className, Map<String, Object> config) {
        public Optimizer {
            Objects.requireNonNull(className, "className");
            config = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(config));
        }

        /** Adam with the given hyper-parameters. */
        public static Optimizer adam(double learningRate, double beta1, double beta2, double epsilon) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("learning_rate", learningRate);
            c.put("beta_1", beta1);
            c.put("beta_2", beta2);
            c.put("epsilon", epsilon);
            c.put("amsgrad", false);
            return new Optimizer("Adam", c);
        }

        /** RMSprop with Keras' defaults: what {@code compile()} uses when no optimizer is named. */
        public static Optimizer kerasDefault() {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("learning_rate", 0.001);
            c.put("rho", 0.9);
            c.put("momentum", 0.0);
            c.put("epsilon", 1e-7);
            c.put("centered", false);
            return new Optimizer("RMSprop", c);
        }
    }

    /** Writes {@code model} to {@code file}, recording Keras' default optimizer if it has a training config. */
    public static void write(Model model, Path file) {
        write(model, file, null);
    }

    /**
     * Writes {@code model} to {@code file} (replacing it).
     *
     * @param optimizer recorded in {@code training_config}; null for {@link Optimizer#kerasDefault()}. Without a
     *     {@link TrainingConfig} in the model's metadata no {@code training_config} is written.
     * @throws QuantaException when {@code file} is not a regular file or is the model's own source file, when the
     *     model is not a chain of supported layers, or when the file cannot be written
     */
    public static void write(Model model, Path file, Optimizer optimizer) {
        AtomicFiles.requireWritableTarget(file);
        AtomicFiles.requireNotAnInput(file, source(model));
        List<Layer> layers = layers(model);
        ObjectNode modelConfig = modelConfig(model, layers);
        TrainingConfig tc = model.metadata().trainingConfig();
        String trainingConfig = tc == null ? null
                : json(trainingConfig(tc, optimizer == null ? Optimizer.kerasDefault() : optimizer));
        try {
            AtomicFiles.writeFile(file, tmp -> {
                try (WritableHdfFile h5 = HdfFile.write(tmp)) {
                    h5.removeAttribute("_jHDF");
                    h5.putAttribute("model_config", json(modelConfig));
                    if (trainingConfig != null) {
                        h5.putAttribute("training_config", trainingConfig);
                    }
                    h5.putAttribute("keras_version", KERAS_VERSION);
                    h5.putAttribute("backend", BACKEND);
                    WritableGroup weights = h5.putGroup("model_weights");
                    List<String> withWeights = new ArrayList<>();
                    for (Layer l : layers) {
                        if (!l.weights().isEmpty()) {
                            withWeights.add(l.name());
                        }
                    }
                    if (!withWeights.isEmpty()) {
                        weights.putAttribute("layer_names", withWeights.toArray(new String[0]));
                    }
                    weights.putAttribute("backend", BACKEND);
                    weights.putAttribute("keras_version", KERAS_VERSION);
                    for (Layer l : layers) {
                        if (l.weights().isEmpty()) {
                            continue;
                        }
                        WritableGroup lg = weights.putGroup(l.name());
                        String[] names = new String[l.weights().size()];
                        for (int i = 0; i < names.length; i++) {
                            names[i] = l.name() + "/" + l.weights().get(i).key() + ":0";
                        }
                        lg.putAttribute("weight_names", names);
                        WritableGroup inner = lg.putGroup(l.name());
                        for (Weight w : l.weights()) {
                            inner.putDataset(w.key() + ":0", nested(w.values(), w.shape()));
                        }
                    }
                }
                dropProvenanceTrailer(tmp);
            });
        } catch (RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw QuantaException.inFile(file, "cannot write the Keras HDF5 file: " + e.getMessage(), e);
        }
    }

    /** The model's source file as the one input a write must not replace; empty when it has none. */
    private static Map<String, Path> source(Model model) {
        String source = model.metadata().source();
        if (source == null) {
            return Map.of();
        }
        try {
            return Map.of("model source", Path.of(source));
        } catch (java.nio.file.InvalidPathException e) {
            return Map.of();
        }
    }

    /**
     * jhdf ends every file it writes with the text {@code jHDF - <version> - <os> - <arch> - <byte order>}, after
     * the last HDF5 object and inside the end-of-file address; nothing refers to it. Removes it and rewrites the
     * version 2/3 superblock's end-of-file address and checksum, so that the bytes depend only on the model. Leaves
     * the file alone when it does not look exactly like that (another jhdf version, say).
     */
    private static void dropProvenanceTrailer(Path file) throws IOException {
        byte[] trailer = ("jHDF - " + JhdfInfo.VERSION + " - " + JhdfInfo.OS + " - " + JhdfInfo.ARCH + " - "
                + JhdfInfo.BYTE_ORDER).getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            if (size < SUPERBLOCK_SIZE + trailer.length) {
                return;
            }
            ByteBuffer sb = ByteBuffer.allocate(SUPERBLOCK_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, sb, 0);
            ByteBuffer tail = ByteBuffer.allocate(trailer.length);
            readFully(ch, tail, size - trailer.length);
            byte[] signature = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
            boolean v2 = Arrays.equals(Arrays.copyOf(sb.array(), 8), signature)
                    && (sb.get(8) == 2 || sb.get(8) == 3) && sb.get(9) == 8 && sb.get(10) == 8
                    && sb.getLong(12) == 0 && sb.getLong(28) == size
                    && sb.getInt(44) == ChecksumUtils.checksum(Arrays.copyOf(sb.array(), 44));
            if (!v2 || !Arrays.equals(tail.array(), trailer)) {
                return;
            }
            long end = size - trailer.length;
            sb.putLong(28, end);
            sb.putInt(44, ChecksumUtils.checksum(Arrays.copyOf(sb.array(), 44)));
            sb.rewind();
            while (sb.hasRemaining()) {
                ch.write(sb, sb.position());
            }
            ch.truncate(end);
        }
    }

    private static final int SUPERBLOCK_SIZE = 48;

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // From ops to Keras layers

    /** One weight in Keras layout; {@code key} is {@code kernel}, {@code bias} or {@code depthwise_kernel}. */
    private record Weight(String key, int[] shape, float[] values) {}

    /** One Keras layer rebuilt from one or two ops. */
    private record Layer(String name, String className, ObjectNode config, List<Weight> weights, Shape inputShape) {}

    private static List<Layer> layers(Model model) {
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras Sequential HDF5 file: it has "
                    + model.inputs().size() + " inputs and " + model.outputs().size() + " outputs (need 1 and 1)");
        }
        Tensor input = model.inputs().get(0);
        if (input.dtype() != DType.FLOAT32 || input.quant() != null) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: its input "
                    + input.name() + " is " + input.dtype().lowerName() + (input.quant() != null ? " (quantized)" : "")
                    + ", not float32");
        }
        List<Op> ops = model.ops();
        if (ops.isEmpty()) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: it has no ops");
        }
        List<Layer> layers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Tensor current = input;
        int i = 0;
        while (i < ops.size()) {
            Op op = ops.get(i);
            requireChained(model, op, current);
            Op activation = null;
            if (i + 1 < ops.size() && ops.get(i + 1).origin().equals(op.origin()) && takesActivation(op)) {
                activation = ops.get(i + 1);
                requireChained(model, activation, op.output(0));
            }
            Layer layer = layer(model, op, activation);
            if (layer.name().isEmpty() || layer.name().contains("/") || layer.name().equals(".")
                    || !names.add(layer.name())) {
                throw unsupported(model, op, "layer name '" + layer.name() + "' is "
                        + (layer.name().isEmpty() || layer.name().contains("/") || layer.name().equals(".")
                                ? "not a valid HDF5 group name" : "used by more than one layer"));
            }
            layers.add(layer);
            current = (activation != null ? activation : op).output(0);
            i += activation != null ? 2 : 1;
        }
        if (current != model.outputs().get(0)) {
            throw new QuantaException("cannot write model '" + model.name() + "' as a Keras Sequential HDF5 file: its "
                    + "output " + model.outputs().get(0).name() + " is not the output of the last op");
        }
        return layers;
    }

    private static void requireChained(Model model, Op op, Tensor current) {
        if (op.outputs().size() != 1 || op.inputs().isEmpty() || op.input(0) != current) {
            throw unsupported(model, op, "the graph is not a single chain of layers (it does not read the previous "
                    + "layer's output)");
        }
        for (int k = 1; k < op.inputs().size(); k++) {
            if (!op.input(k).isConstant()) {
                throw unsupported(model, op, "input " + op.input(k).name() + " is not a constant");
            }
        }
        for (Tensor t : op.inputs()) {
            if (t.quant() != null || t.dtype() != DType.FLOAT32) {
                throw unsupported(model, op, "tensor " + t.name() + " is " + t.dtype().lowerName()
                        + (t.quant() != null ? " (quantized)" : "") + "; only float32 models can be written");
            }
        }
    }

    private static boolean takesActivation(Op op) {
        Activation fused = switch (op.type()) {
            case FULLY_CONNECTED -> op.attrs(OpAttributes.FullyConnected.class).activation();
            case CONV_2D -> op.attrs(OpAttributes.Conv2D.class).activation();
            case DEPTHWISE_CONV_2D -> op.attrs(OpAttributes.DepthwiseConv2D.class).activation();
            default -> null;
        };
        return fused == Activation.NONE;
    }

    private static QuantaException unsupported(Model model, Op op, String why) {
        return new QuantaException("cannot write model '" + model.name() + "' as a Keras HDF5 file: op '" + op.name()
                + "' (" + op.type() + ") of " + op.describe() + ": " + why);
    }

    private static Layer layer(Model model, Op op, Op activationOp) {
        String name = op.origin().layerName();
        Shape in = op.input(0).shape();
        String activation = activationOp == null ? null : activationName(model, activationOp);
        return switch (op.type()) {
            case FULLY_CONNECTED -> dense(model, op, name, in, activation);
            case CONV_2D -> conv(model, op, name, in, activation);
            case DEPTHWISE_CONV_2D -> depthwise(model, op, name, in, activation);
            case MAX_POOL_2D, AVERAGE_POOL_2D -> pool(model, op, name, in);
            case RESHAPE -> reshape(op, name, in);
            case RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, IDENTITY -> activationLayer(model, op, name, in);
            case UNIDIRECTIONAL_SEQUENCE_LSTM -> lstm(model, op, name, in);
            default -> throw unsupported(model, op, op.type() + " has no Keras HDF5 equivalent in this writer");
        };
    }

    private static Layer dense(Model model, Op op, String name, Shape in, String activation) {
        requireWeights(model, op, 2);
        Tensor w = op.input(1);
        int units = w.shape().dim(0);
        int features = w.shape().dim(1);
        float[] ir = w.data().floats();
        float[] kernel = new float[ir.length];
        for (int o = 0; o < units; o++) {
            for (int i = 0; i < features; i++) {
                kernel[i * units + o] = ir[o * features + i];
            }
        }
        List<Weight> weights = new ArrayList<>();
        weights.add(new Weight("kernel", new int[] {features, units}, kernel));
        boolean bias = addBias(op, weights);
        ObjectNode c = base(name);
        c.put("units", units);
        c.put("activation", activation != null ? activation
                : fusedName(model, op, op.attrs(OpAttributes.FullyConnected.class).activation()));
        c.put("use_bias", bias);
        c.set("kernel_initializer", initializer("GlorotUniform"));
        c.set("bias_initializer", initializer("Zeros"));
        nulls(c, "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint");
        return new Layer(name, "Dense", c, weights, in);
    }

    /**
     * A batch-major float LSTM without peepholes, projection, layer normalization or clipping, as a Keras LSTM
     * with return_sequences: the 4 gates' weights fused back into Keras' [in, 4u] kernel, [u, 4u] recurrent kernel
     * and [4u] bias (gate order i, f, c, o).
     */
    private static Layer lstm(Model model, Op op, String name, Shape in) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int i = 0; i < 24; i++) {
            boolean expected = i <= 8 || (i >= 12 && i <= 15);
            if (a.has(i) != expected) {
                throw unsupported(model, op, "only an LSTM with all gates and no peepholes, projection or layer"
                        + " normalization has a Keras equivalent (TFLite input " + i + ")");
            }
        }
        if (a.timeMajor() || a.cellClip() != 0f || a.projClip() != 0f || op.input(0).dtype() != DType.FLOAT32) {
            throw unsupported(model, op, "only a float, batch-major LSTM without clipping has a Keras equivalent");
        }
        String activation = switch (a.activation()) {
            case TANH -> "tanh";
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case NONE -> "linear";
            case RELU_N1_TO_1 -> throw unsupported(model, op, "activation RELU_N1_TO_1 has no Keras name");
        };
        int features = op.input(a.position(1)).shape().dim(1);
        int units = op.input(a.position(1)).shape().dim(0);
        float[] kernel = new float[features * 4 * units];
        float[] recurrent = new float[units * 4 * units];
        float[] bias = new float[4 * units];
        for (int g = 0; g < 4; g++) {
            float[] wx = op.input(a.position(1 + g)).data().floats();
            float[] wh = op.input(a.position(5 + g)).data().floats();
            float[] b = op.input(a.position(12 + g)).data().floats();
            for (int u = 0; u < units; u++) {
                for (int r = 0; r < features; r++) {
                    kernel[r * 4 * units + g * units + u] = wx[u * features + r];
                }
                for (int r = 0; r < units; r++) {
                    recurrent[r * 4 * units + g * units + u] = wh[u * units + r];
                }
                bias[g * units + u] = b[u];
            }
        }
        List<Weight> weights = List.of(new Weight("kernel", new int[] {features, 4 * units}, kernel),
                new Weight("recurrent_kernel", new int[] {units, 4 * units}, recurrent),
                new Weight("bias", new int[] {4 * units}, bias));
        ObjectNode c = base(name);
        c.put("units", units);
        c.put("activation", activation);
        c.put("recurrent_activation", "sigmoid");
        c.put("use_bias", true);
        c.put("return_sequences", true);
        c.put("return_state", false);
        c.put("go_backwards", false);
        c.put("stateful", false);
        c.put("unroll", false);
        c.put("time_major", false);
        c.put("unit_forget_bias", true);
        c.put("dropout", 0.0);
        c.put("recurrent_dropout", 0.0);
        c.put("implementation", 2);
        c.set("kernel_initializer", initializer("GlorotUniform"));
        c.set("recurrent_initializer", initializer("Orthogonal"));
        c.set("bias_initializer", initializer("Zeros"));
        nulls(c, "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
                "kernel_constraint", "recurrent_constraint", "bias_constraint");
        return new Layer(name, "LSTM", c, weights, in);
    }

    private static Layer conv(Model model, Op op, String name, Shape in, String activation) {
        requireWeights(model, op, 4);
        OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
        Tensor w = op.input(1);
        int cout = w.shape().dim(0);
        int kh = w.shape().dim(1);
        int kw = w.shape().dim(2);
        int cin = w.shape().dim(3);
        float[] ir = w.data().floats();
        float[] kernel = new float[ir.length];
        for (int o = 0; o < cout; o++) {
            for (int k = 0; k < kh * kw; k++) {
                for (int c = 0; c < cin; c++) {
                    kernel[(k * cin + c) * cout + o] = ir[(o * kh * kw + k) * cin + c];
                }
            }
        }
        List<Weight> weights = new ArrayList<>();
        weights.add(new Weight("kernel", new int[] {kh, kw, cin, cout}, kernel));
        boolean bias = addBias(op, weights);
        ObjectNode c = base(name);
        c.put("filters", cout);
        c.set("kernel_size", pair(kh, kw));
        c.set("strides", pair(a.strideH(), a.strideW()));
        c.put("padding", padding(a.padding()));
        c.put("data_format", "channels_last");
        c.set("dilation_rate", pair(a.dilationH(), a.dilationW()));
        c.put("groups", 1);
        c.put("activation", activation != null ? activation : fusedName(model, op, a.activation()));
        c.put("use_bias", bias);
        c.set("kernel_initializer", initializer("GlorotUniform"));
        c.set("bias_initializer", initializer("Zeros"));
        nulls(c, "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
                "bias_constraint");
        return new Layer(name, "Conv2D", c, weights, in);
    }

    private static Layer depthwise(Model model, Op op, String name, Shape in, String activation) {
        requireWeights(model, op, 4);
        OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
        Tensor w = op.input(1);
        int kh = w.shape().dim(1);
        int kw = w.shape().dim(2);
        int mult = a.depthMultiplier();
        int channels = w.shape().dim(3) / mult;
        // IR [1, kh, kw, C*m] with channel c*m+j and Keras [kh, kw, C, m] have the same row-major order.
        List<Weight> weights = new ArrayList<>();
        weights.add(new Weight("depthwise_kernel", new int[] {kh, kw, channels, mult}, w.data().floats()));
        boolean bias = addBias(op, weights);
        ObjectNode c = base(name);
        c.set("kernel_size", pair(kh, kw));
        c.set("strides", pair(a.strideH(), a.strideW()));
        c.put("padding", padding(a.padding()));
        c.put("data_format", "channels_last");
        c.set("dilation_rate", pair(a.dilationH(), a.dilationW()));
        c.put("groups", 1);
        c.put("activation", activation != null ? activation : fusedName(model, op, a.activation()));
        c.put("use_bias", bias);
        c.set("bias_initializer", initializer("Zeros"));
        nulls(c, "bias_regularizer", "activity_regularizer", "bias_constraint");
        c.put("depth_multiplier", mult);
        c.set("depthwise_initializer", initializer("GlorotUniform"));
        nulls(c, "depthwise_regularizer", "depthwise_constraint");
        return new Layer(name, "DepthwiseConv2D", c, weights, in);
    }

    private static Layer pool(Model model, Op op, String name, Shape in) {
        OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
        if (a.activation() != Activation.NONE) {
            throw unsupported(model, op, "Keras pooling layers have no fused activation (found " + a.activation() + ")");
        }
        ObjectNode c = base(name);
        c.set("pool_size", pair(a.filterH(), a.filterW()));
        c.put("padding", padding(a.padding()));
        c.set("strides", pair(a.strideH(), a.strideW()));
        c.put("data_format", "channels_last");
        return new Layer(name, op.type() == OpType.MAX_POOL_2D ? "MaxPooling2D" : "AveragePooling2D", c, List.of(), in);
    }

    private static Layer reshape(Op op, String name, Shape in) {
        int[] target = op.attrs(OpAttributes.Reshape.class).newShape();
        Shape out = op.output(0).shape();
        boolean flatten = out.rank() == 2 && target.length == 2 && target[0] == -1
                && !"Reshape".equals(op.origin().layerClass());
        ObjectNode c = base(name);
        if (flatten) {
            c.put("data_format", "channels_last");
            return new Layer(name, "Flatten", c, List.of(), in);
        }
        ArrayNode t = c.putArray("target_shape");
        int[] dims = out.dims();
        for (int k = 1; k < dims.length; k++) {
            t.add(dims[k]);
        }
        return new Layer(name, "Reshape", c, List.of(), in);
    }

    private static Layer activationLayer(Model model, Op op, String name, Shape in) {
        String cls = op.origin().layerClass();
        ObjectNode c = base(name);
        switch (op.type()) {
            case RELU, RELU6 -> {
                if ("ReLU".equals(cls)) {
                    if (op.type() == OpType.RELU6) {
                        c.put("max_value", 6.0);
                    } else {
                        c.putNull("max_value");
                    }
                    c.put("negative_slope", 0.0);
                    c.put("threshold", 0.0);
                    return new Layer(name, "ReLU", c, List.of(), in);
                }
            }
            case LEAKY_RELU -> {
                c.put("alpha", (double) op.attrs(OpAttributes.LeakyRelu.class).alpha());
                return new Layer(name, "LeakyReLU", c, List.of(), in);
            }
            case SOFTMAX -> {
                if ("Softmax".equals(cls)) {
                    requireUnitBeta(model, op);
                    c.put("axis", -1);
                    return new Layer(name, "Softmax", c, List.of(), in);
                }
            }
            default -> {
                // an Activation layer below
            }
        }
        c.put("activation", op.type() == OpType.IDENTITY ? "linear" : activationName(model, op));
        return new Layer(name, "Activation", c, List.of(), in);
    }

    /** The Keras activation name of an element-wise activation op. */
    private static String activationName(Model model, Op op) {
        return switch (op.type()) {
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case LOGISTIC -> "sigmoid";
            case TANH -> "tanh";
            case SOFTMAX -> {
                requireUnitBeta(model, op);
                yield "softmax";
            }
            default -> throw unsupported(model, op, op.type() + " cannot be written as a Keras activation of layer '"
                    + op.origin().layerName() + "'");
        };
    }

    private static void requireUnitBeta(Model model, Op op) {
        float beta = op.attrs(OpAttributes.Softmax.class).beta();
        if (beta != 1f) {
            throw unsupported(model, op, "Keras softmax has no beta (found beta=" + beta + ")");
        }
    }

    private static String fusedName(Model model, Op op, Activation a) {
        return switch (a) {
            case NONE -> "linear";
            case RELU -> "relu";
            case RELU6 -> "relu6";
            case RELU_N1_TO_1 -> throw unsupported(model, op, "fused activation RELU_N1_TO_1 has no Keras name");
        };
    }

    private static void requireWeights(Model model, Op op, int rank) {
        if (op.inputs().size() < 2 || op.inputs().size() > 3 || !op.input(1).isConstant()
                || op.input(1).shape().rank() != rank) {
            throw unsupported(model, op, "expected a constant rank-" + rank + " weight tensor and an optional bias");
        }
    }

    private static boolean addBias(Op op, List<Weight> weights) {
        if (op.inputs().size() < 3) {
            return false;
        }
        Tensor b = op.input(2);
        weights.add(new Weight("bias", new int[] {Math.toIntExact(b.shape().elementCount())}, b.data().floats()));
        return true;
    }

    // ---------------------------------------------------------------------------------------------------------
    // JSON

    private static ObjectNode modelConfig(Model model, List<Layer> layers) {
        ObjectNode root = JSON.objectNode();
        root.put("class_name", "Sequential");
        ObjectNode config = root.putObject("config");
        config.put("name", model.name());
        ArrayNode list = config.putArray("layers");
        Tensor input = model.inputs().get(0);
        String inputName = input.name();
        for (Layer l : layers) {
            if (l.name().equals(inputName)) {
                inputName = inputName + "_input";
            }
        }
        ObjectNode inputLayer = JSON.objectNode();
        inputLayer.set("batch_input_shape", dims(input.shape()));
        inputLayer.put("dtype", "float32");
        inputLayer.put("sparse", false);
        inputLayer.put("ragged", false);
        inputLayer.put("name", inputName);
        list.add(layerEntry("InputLayer", inputLayer, null));
        for (Layer l : layers) {
            list.add(layerEntry(l.className(), l.config(), l.inputShape()));
        }
        return root;
    }

    private static ObjectNode layerEntry(String className, ObjectNode config, Shape inputShape) {
        ObjectNode e = JSON.objectNode();
        e.put("module", "keras.layers");
        e.put("class_name", className);
        e.set("config", config);
        e.putNull("registered_name");
        if (inputShape != null) {
            e.putObject("build_config").set("input_shape", dims(inputShape));
        }
        return e;
    }

    private static ObjectNode trainingConfig(TrainingConfig tc, Optimizer optimizer) {
        ObjectNode c = JSON.objectNode();
        if (tc.fromLogits()) {
            ObjectNode loss = c.putObject("loss");
            loss.put("module", "keras.losses");
            loss.put("class_name", camelCase(tc.loss()));
            ObjectNode lc = loss.putObject("config");
            lc.put("reduction", "auto");
            lc.put("name", tc.loss());
            lc.put("from_logits", true);
            loss.putNull("registered_name");
        } else {
            c.put("loss", tc.loss());
        }
        ArrayNode metrics = c.putArray("metrics");
        tc.metrics().forEach(metrics::add);
        c.putNull("weighted_metrics");
        c.putNull("loss_weights");
        ObjectNode opt = c.putObject("optimizer_config");
        opt.put("class_name", optimizer.className());
        ObjectNode oc = opt.putObject("config");
        oc.put("name", optimizer.className());
        optimizer.config().forEach((k, v) -> oc.set(k, MAPPER.valueToTree(v)));
        return c;
    }

    private static ObjectNode base(String name) {
        ObjectNode c = JSON.objectNode();
        c.put("name", name);
        c.put("trainable", true);
        c.put("dtype", "float32");
        return c;
    }

    private static ObjectNode initializer(String className) {
        ObjectNode i = JSON.objectNode();
        i.put("module", "keras.initializers");
        i.put("class_name", className);
        ObjectNode c = i.putObject("config");
        if (!"Zeros".equals(className)) {
            c.putNull("seed");
        }
        i.putNull("registered_name");
        return i;
    }

    private static void nulls(ObjectNode c, String... keys) {
        for (String k : keys) {
            c.putNull(k);
        }
    }

    private static ArrayNode pair(int a, int b) {
        return JSON.arrayNode().add(a).add(b);
    }

    private static ArrayNode dims(Shape s) {
        ArrayNode a = JSON.arrayNode();
        for (int d : s.dims()) {
            if (d == Shape.DYNAMIC) {
                a.addNull();
            } else {
                a.add(d);
            }
        }
        return a;
    }

    private static String padding(Padding p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    /** {@code sparse_categorical_crossentropy} → {@code SparseCategoricalCrossentropy}. */
    private static String camelCase(String snake) {
        StringBuilder sb = new StringBuilder();
        for (String part : snake.split("_")) {
            if (!part.isEmpty()) {
                sb.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return sb.toString();
    }

    private static String json(ObjectNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Data

    /** A row-major float array as a nested Java array of {@code shape} (jhdf takes the shape from the nesting). */
    private static Object nested(float[] values, int[] shape) {
        if (shape.length == 0) {
            throw new IllegalArgumentException("scalar weights are not supported");
        }
        Object array = Array.newInstance(float.class, shape);
        fill(array, shape, 0, values, 0);
        return array;
    }

    private static int fill(Object array, int[] shape, int axis, float[] values, int offset) {
        if (axis == shape.length - 1) {
            float[] row = (float[]) array;
            System.arraycopy(values, offset, row, 0, row.length);
            return offset + row.length;
        }
        for (int i = 0; i < shape[axis]; i++) {
            offset = fill(Array.get(array, i), shape, axis + 1, values, offset);
        }
        return offset;
    }
}
