package dev.quanta.cli;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.SplittableRandom;

/** Small models built in code for the CLI tests, with seeded random weights; each op named after its layer. */
final class CliTestModels {
    private CliTestModels() {}

    /** Input [N, 28, 28] → flatten 784 → dense 10 → softmax: the MNIST MLP's input and output, in one layer. */
    static Model mnistLike(ModelMetadata metadata) {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[10 * 784];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextDouble() - 0.5) * 0.1f;
        }
        ModelBuilder b = new ModelBuilder("tiny");
        Tensor x = b.input("input", Shape.batched(28, 28));
        Tensor d = flattenThenDense(b, x, 784, 10, w);
        Tensor s = b.add(OpType.SOFTMAX, "softmax", new Origin("dense", "Dense"), new OpAttributes.Softmax(1f), d);
        return b.output(s).build(metadata);
    }

    /** Input [N, 8, 8, 1] → conv 4 → max pool → a standalone ReLU6 → flatten 64 → dense 3. */
    static Model relu6AfterPool() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder b = new ModelBuilder("relu6_after_pool");
        Tensor x = b.input("input_1", Shape.batched(8, 8, 1));
        Tensor w = b.constant("conv2d/kernel", Shape.of(4, 3, 3, 1), random(r, 36));
        Tensor bias = b.constant("conv2d/bias", Shape.of(4), random(r, 4));
        OpAttributes conv = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE);
        Tensor t = layer(b, OpType.CONV_2D, "conv2d", "Conv2D", conv, x, w, bias);
        OpAttributes pool = new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE);
        t = layer(b, OpType.MAX_POOL_2D, "max_pooling2d", "MaxPooling2D", pool, t);
        t = layer(b, OpType.RELU6, "re_lu", "ReLU", OpAttributes.None.INSTANCE, t);
        t = flattenThenDense(b, t, 64, 3, random(r, 192));
        return b.output(t).build(ModelMetadata.inMemory());
    }

    /** Keras Flatten to {@code size} values, then a Dense layer of {@code units} without bias or activation. */
    private static Tensor flattenThenDense(ModelBuilder b, Tensor in, int size, int units, float[] kernel) {
        Tensor f = layer(b, OpType.RESHAPE, "flatten", "Flatten", new OpAttributes.Reshape(new int[] {-1, size}), in);
        Tensor w = b.constant("dense/kernel", Shape.of(units, size), kernel);
        OpAttributes dense = new OpAttributes.FullyConnected(Activation.NONE);
        return layer(b, OpType.FULLY_CONNECTED, "dense", "Dense", dense, f, w);
    }

    /** An op named after the Keras layer {@code name} of class {@code kerasClass} it comes from. */
    private static Tensor layer(
            ModelBuilder b, OpType type, String name, String kerasClass, OpAttributes attrs, Tensor... inputs) {
        return b.add(type, name, new Origin(name, kerasClass), attrs, inputs);
    }

    /** {@code n} values drawn uniformly from [-1, 1). */
    private static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }
}
