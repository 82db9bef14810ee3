package dev.quanta.keras;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.QuantaException;
import dev.quanta.files.AtomicFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.TrainingConfig;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
            config = Collections.unmodifiableMap(new LinkedHashMap<>(config));
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
        AtomicFiles.requireNotAnInput(
                file, Collections.singletonMap("model source", model.metadata().sourceFile()));
        List<RebuiltLayer> layers = KerasLayerRebuilder.rebuild(model);
        ObjectNode modelConfig = KerasConfigJson.modelConfig(model, layers);
        TrainingConfig tc = model.metadata().trainingConfig();
        String trainingConfig = tc == null
                ? null
                : KerasConfigJson.toJson(
                        KerasConfigJson.trainingConfig(tc, optimizer == null ? Optimizer.kerasDefault() : optimizer));
        try {
            AtomicFiles.writeFile(
                    file, tmp -> KerasH5File.write(tmp, KerasConfigJson.toJson(modelConfig), trainingConfig, layers));
        } catch (RuntimeException e) {
            if (e instanceof QuantaException q) {
                throw q;
            }
            throw QuantaException.inFile(file, "cannot write the Keras HDF5 file: " + e.getMessage(), e);
        }
    }
}
