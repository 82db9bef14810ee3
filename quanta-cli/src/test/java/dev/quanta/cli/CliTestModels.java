package dev.quanta.cli;

import static dev.quanta.testing.CoreArrays.uniform;

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
import dev.quanta.testing.CoreModels;
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
        Tensor d = CoreModels.dense(b, "dense", CoreModels.flatten(b, "flatten", x), w);
        Tensor s = b.add(OpType.SOFTMAX, "softmax", CoreModels.dense("dense"), new OpAttributes.Softmax(1f), d);
        return b.output(s).build(metadata);
    }

    /** Input [N, 8, 8, 1] → conv 4 → max pool → a standalone ReLU6 → flatten 64 → dense 3, weights in [−1, 1). */
    static Model relu6AfterPool() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder b = new ModelBuilder("relu6_after_pool");
        Tensor x = b.input("input_1", Shape.batched(8, 8, 1));
        Tensor w = b.constant("conv2d/kernel", Shape.of(4, 3, 3, 1), uniform(r, 36, -1, 1));
        Tensor bias = b.constant("conv2d/bias", Shape.of(4), uniform(r, 4, -1, 1));
        OpAttributes.Conv2D conv = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE);
        Tensor t = CoreModels.conv2d(b, "conv2d", conv, x, w, bias);
        OpAttributes.Pool2D pool = new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE);
        t = CoreModels.maxPool(b, "max_pooling2d", pool, t);
        t = b.add(OpType.RELU6, "re_lu", new Origin("re_lu", "ReLU"), OpAttributes.None.INSTANCE, t);
        t = CoreModels.dense(b, "dense", CoreModels.flatten(b, "flatten", t), uniform(r, 192, -1, 1));
        return b.output(t).build(ModelMetadata.inMemory());
    }
}
