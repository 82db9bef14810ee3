package dev.quanta.testing;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Layers as one call on a {@link ModelBuilder}, each op named {@code name} and tagged as the Keras layer {@code name}
 * of the class it stands for, and the tiny models that several of quanta-core's tests share.
 */
public final class CoreModels {
    /** The loss {@link #classifier()} records as trained with. */
    public static final String CLASSIFIER_LOSS = "sparse_categorical_crossentropy";

    private CoreModels() {}

    /** x[2] → Dense(1) "dense", kernel [1, 2] ("dense/kernel"), bias 0.5 ("dense/bias"): y = x0 + 2·x1 + 0.5. */
    public static Model tinyDense() {
        ModelBuilder b = new ModelBuilder("tiny");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor y = dense(b, "dense", x, new float[] {1, 2}, new float[] {0.5f});
        return b.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * Model "tiny": input[4] → Dense(3, softmax) (ops "dense" and "dense/softmax" of layer "dense"), kernel uniform
     * in [−2, 2) from seed 11, bias [0.1, −0.2, 0.05]; a Sequential model trained with {@link #CLASSIFIER_LOSS}
     * and accuracy.
     */
    public static Model classifier() {
        ModelBuilder b = new ModelBuilder("tiny");
        Tensor x = b.input("input", Shape.batched(4));
        float[] kernel = CoreArrays.uniform(new SplittableRandom(11), 12, -2, 2);
        Tensor d = dense(b, "dense", x, kernel, new float[] {0.1f, -0.2f, 0.05f});
        Tensor s = b.add(OpType.SOFTMAX, "dense/softmax", dense("dense"), new OpAttributes.Softmax(1f), d);
        return b.output(s)
                .build(new ModelMetadata(
                        SourceFormat.IN_MEMORY,
                        null,
                        null,
                        null,
                        "Sequential",
                        new TrainingConfig(CLASSIFIER_LOSS, false, List.of("accuracy"))));
    }

    /** An int8 converter of {@code m} calibrated on all of {@code d}. */
    public static Converter int8(Model m, Dataset d) {
        return int8(m, d, c -> c);
    }

    /** An int8 converter of {@code m} calibrated on all of {@code d}, with more {@code settings}. */
    public static Converter int8(Model m, Dataset d, UnaryOperator<QuantizationConfig> settings) {
        return Converter.fromModel(m)
                .withConfig(settings.apply(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationSamples(d.size())))
                .withRepresentativeDataset(d);
    }

    /** The origin of the ops of Dense layer {@code name}. */
    public static Origin dense(String name) {
        return new Origin(name, "Dense");
    }

    /** Dense layer {@code name} without a fused activation: FULLY_CONNECTED of {@code x}, kernel [out, in], bias. */
    public static Tensor dense(ModelBuilder b, String name, Tensor x, Tensor... kernelAndBias) {
        return dense(b, name, Activation.NONE, x, kernelAndBias);
    }

    /** Dense layer {@code name} with {@code fused} applied to its output. */
    public static Tensor dense(ModelBuilder b, String name, Activation fused, Tensor x, Tensor... kernelAndBias) {
        return b.add(
                OpType.FULLY_CONNECTED,
                name,
                dense(name),
                new OpAttributes.FullyConnected(fused),
                withInput(x, kernelAndBias));
    }

    /**
     * Dense layer {@code name} with its constants named as Keras names them: kernel "name/kernel" of shape [units, in]
     * (one row of {@code in} values per unit; in = the sample size of {@code x}), no bias.
     */
    public static Tensor dense(ModelBuilder b, String name, Tensor x, float[] kernel) {
        return dense(b, name, x, kernel(b, name, x, kernel));
    }

    /** As {@link #dense(ModelBuilder, String, Tensor, float[])}, and bias "name/bias" of the units' count. */
    public static Tensor dense(ModelBuilder b, String name, Tensor x, float[] kernel, float[] bias) {
        return dense(b, name, x, kernel(b, name, x, kernel), b.constant(name + "/bias", Shape.of(bias.length), bias));
    }

    /** The kernel constant "name/kernel" of a Dense layer over {@code x}: [units, in], in = x's sample size. */
    private static Tensor kernel(ModelBuilder b, String name, Tensor x, float[] values) {
        int in = x.shape().sampleElementCount();
        return b.constant(name + "/kernel", Shape.of(values.length / in, in), values);
    }

    /** Conv2D layer {@code name}: CONV_2D of {@code x}, kernel [out, kh, kw, in] and an optional bias. */
    public static Tensor conv2d(
            ModelBuilder b, String name, OpAttributes.Conv2D attrs, Tensor x, Tensor... kernelAndBias) {
        return b.add(OpType.CONV_2D, name, new Origin(name, "Conv2D"), attrs, withInput(x, kernelAndBias));
    }

    /** AveragePooling2D layer {@code name}. */
    public static Tensor averagePool(ModelBuilder b, String name, OpAttributes.Pool2D attrs, Tensor x) {
        return b.add(OpType.AVERAGE_POOL_2D, name, new Origin(name, "AveragePooling2D"), attrs, x);
    }

    /** MaxPooling2D layer {@code name}. */
    public static Tensor maxPool(ModelBuilder b, String name, OpAttributes.Pool2D attrs, Tensor x) {
        return b.add(OpType.MAX_POOL_2D, name, new Origin(name, "MaxPooling2D"), attrs, x);
    }

    /** Flatten layer {@code name}: RESHAPE of {@code x} to [batch, its sample's element count]. */
    public static Tensor flatten(ModelBuilder b, String name, Tensor x) {
        int size = x.shape().sampleElementCount();
        return b.add(
                OpType.RESHAPE, name, new Origin(name, "Flatten"), new OpAttributes.Reshape(new int[] {-1, size}), x);
    }

    /** Softmax layer {@code name} (β = 1). */
    public static Tensor softmax(ModelBuilder b, String name, Tensor x) {
        return b.add(OpType.SOFTMAX, name, new Origin(name, "Softmax"), new OpAttributes.Softmax(1f), x);
    }

    /** ReLU layer {@code name}. */
    public static Tensor relu(ModelBuilder b, String name, Tensor x) {
        return b.add(OpType.RELU, name, new Origin(name, "ReLU"), OpAttributes.None.INSTANCE, x);
    }

    /** Activation layer {@code name} of an attribute-free {@code type} (TANH, LOGISTIC, RELU6…). */
    public static Tensor activation(ModelBuilder b, OpType type, String name, Tensor x) {
        return b.add(type, name, new Origin(name, "Activation"), OpAttributes.None.INSTANCE, x);
    }

    private static Tensor[] withInput(Tensor x, Tensor[] constants) {
        Tensor[] all = new Tensor[constants.length + 1];
        all[0] = x;
        System.arraycopy(constants, 0, all, 1, constants.length);
        return all;
    }
}
