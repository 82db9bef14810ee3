package dev.quanta.testing;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A tiny classifier with one obviously quantization-sensitive layer: "outlier" has one weight of 1000 (reading a
 * unit that is always 0), so per-tensor int8 weights (scale 1000/127) round all its other weights to 0.
 */
public final class SensitiveModels {
    public static final int IN = 8;
    public static final int CLASSES = 4;

    private SensitiveModels() {}

    private static final int HIDDEN = 12;

    /**
     * x[8] → Dense(12) + ReLU "d1" → Dense(12) + ReLU "outlier" (weight [0][7] = 1000) → Dense(4) "d2" → Softmax
     * "softmax".
     */
    public static Model outlierNet() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder mb = new ModelBuilder("outlier_net");
        Tensor x = mb.input("x", Shape.batched(IN));
        float[] k1 = CoreArrays.uniform(r, HIDDEN * IN, -1, 1);
        float[] b1 = CoreArrays.uniform(r, HIDDEN, 0, 0.5);
        // d1's unit 11 is always 0 (zero weights, bias −1 under the ReLU): the outlier weight reads it
        Arrays.fill(k1, 11 * IN, 12 * IN, 0f);
        b1[11] = -1;
        Tensor d1 = CoreModels.dense(
                mb,
                "d1",
                Activation.RELU,
                x,
                mb.constant("d1/kernel", Shape.of(HIDDEN, IN), k1),
                mb.constant("d1/bias", Shape.of(HIDDEN), b1));
        float[] w = CoreArrays.uniform(r, HIDDEN * HIDDEN, -1, 1);
        w[11] = 1000;
        Tensor outlier = CoreModels.dense(
                mb,
                "outlier",
                Activation.RELU,
                d1,
                mb.constant("outlier/kernel", Shape.of(HIDDEN, HIDDEN), w),
                mb.constant("outlier/bias", Shape.of(HIDDEN), CoreArrays.uniform(r, HIDDEN, 0, 0.5)));
        Tensor d2 = CoreModels.dense(mb, "d2", outlier, CoreArrays.uniform(r, CLASSES * HIDDEN, -1, 1));
        Tensor sm = CoreModels.softmax(mb, "softmax", d2);
        return mb.output(sm).build(ModelMetadata.inMemory());
    }

    /**
     * x[8] → Dense(12) + ReLU "d1", whose unit 11 has a bias of 500 (values near 500 where the others stay below
     * ~4) → Dense(4) "d2", which ignores unit 11 → Softmax "softmax". Int8 activations over d1's range keep its other
     * units to a step of ~2: what d2 reads is lost; 16x8 keeps them (a step of ~0.015), but only when d1 writes and d2
     * reads int16.
     */
    public static Model activationOutlierNet() {
        SplittableRandom r = new SplittableRandom(7);
        ModelBuilder mb = new ModelBuilder("activation_outlier_net");
        Tensor x = mb.input("x", Shape.batched(IN));
        float[] b1 = CoreArrays.uniform(r, HIDDEN, 0, 0.5);
        b1[11] = 500;
        Tensor d1 = CoreModels.dense(
                mb,
                "d1",
                Activation.RELU,
                x,
                mb.constant("d1/kernel", Shape.of(HIDDEN, IN), CoreArrays.uniform(r, HIDDEN * IN, -1, 1)),
                mb.constant("d1/bias", Shape.of(HIDDEN), b1));
        float[] k2 = CoreArrays.uniform(r, CLASSES * HIDDEN, -1, 1);
        for (int c = 0; c < CLASSES; c++) {
            k2[c * HIDDEN + 11] = 0;
        }
        Tensor d2 = CoreModels.dense(mb, "d2", d1, k2);
        Tensor sm = CoreModels.softmax(mb, "softmax", d2);
        return mb.output(sm).build(ModelMetadata.inMemory());
    }

    /** n samples in [−1, 1], labelled by the float model's own prediction (float accuracy is 100%). */
    public static Dataset data(Model m, int n, long seed) {
        float[] x = CoreArrays.uniform(new SplittableRandom(seed), n * IN, -1, 1);
        int[] labels = new int[n];
        try (Interpreter it = new Interpreter(m)) {
            float[] y = new float[CLASSES];
            for (int s = 0; s < n; s++) {
                float[] sample = new float[IN];
                System.arraycopy(x, s * IN, sample, 0, IN);
                it.run(sample, y);
                labels[s] = CoreArrays.argmax(y);
            }
        }
        return Dataset.of("samples", new int[] {IN}, x, labels, CLASSES);
    }

    /** The samples of {@link #data} as a little-endian float32 {@code .npy} of shape [n, 8]. */
    public static byte[] samplesNpy(Dataset d) {
        float[] x = new float[d.size() * IN];
        d.copyBatch(0, d.size(), x);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(x.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            b.putFloat(v);
        }
        return concat(HostileFiles.npyHeader("<f4", "(" + d.size() + ", " + IN + ")"), b.array());
    }

    /** The labels of {@code d} as a little-endian int64 {@code .npy} of shape [n]. */
    public static byte[] labelsNpy(Dataset d) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(d.size() * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int s = 0; s < d.size(); s++) {
            b.putLong(d.label(s));
        }
        return concat(HostileFiles.npyHeader("<i8", "(" + d.size() + ",)"), b.array());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
