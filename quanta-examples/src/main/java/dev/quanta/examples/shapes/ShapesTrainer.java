package dev.quanta.examples.shapes;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Trains the demo CNN on {@link ShapesDataset} images in pure Java and returns it as an IR {@link Model}.
 *
 * <pre>
 * Input (16, 16, 1), pixels / 255
 * Conv2D(8, 3×3, same, relu)  → MaxPooling2D(2×2) → Conv2D(16, 3×3, same, relu) → MaxPooling2D(2×2)
 * → Flatten → Dense(32, relu) → Dense(4, softmax)                                      9,604 parameters
 * </pre>
 *
 * <p>Training minimizes the sparse categorical cross-entropy with Adam over shuffled mini-batches. It is fully
 * deterministic: one thread, a fixed seed for the Glorot-uniform initialization and the per-epoch shuffles, a
 * fixed summation order, float32 parameters, and {@link StrictMath} for exp, log and sqrt. (Java never fuses or
 * reorders floating-point operations, so the result is bit-identical on every JVM.)
 *
 * <p>The forward and backward passes here exist only for training; checking the result is done on the built
 * model with the project's {@link dev.quanta.runtime.Interpreter}.
 */
public final class ShapesTrainer {
    static final int S = ShapesDataset.SIZE; // 16
    static final int C1 = 8;
    static final int C2 = 16;
    static final int H2 = S / 2; // 8
    static final int H3 = S / 4; // 4
    static final int FLAT = H3 * H3 * C2; // 256
    static final int HIDDEN = 32;
    static final int OUT = ShapesDataset.CLASSES;

    // Offsets of each parameter block in one flat array. Layouts are Keras': conv [ky][kx][cin][cout],
    // dense [in][out].
    static final int C1W = 0;
    static final int C1B = C1W + 9 * C1;
    static final int C2W = C1B + C1;
    static final int C2B = C2W + 9 * C1 * C2;
    static final int D1W = C2B + C2;
    static final int D1B = D1W + FLAT * HIDDEN;
    static final int D2W = D1B + HIDDEN;
    static final int D2B = D2W + HIDDEN * OUT;
    /** Number of trainable parameters (9,604). */
    public static final int PARAMS = D2B + OUT;

    /**
     * Training settings.
     *
     * @param lrDecayEpoch from this epoch on the learning rate is multiplied by {@code lrDecay}
     */
    public record Config(
            long seed,
            int epochs,
            int batchSize,
            double learningRate,
            double beta1,
            double beta2,
            double epsilon,
            int lrDecayEpoch,
            double lrDecay) {
        /** The settings the shipped demo model was trained with. */
        public static Config defaults() {
            return new Config(20240611L, 14, 32, 0.003, 0.9, 0.999, 1e-7, 9, 0.25);
        }
    }

    /**
     * A training run's outcome.
     *
     * @param epochLoss mean training loss per epoch
     * @param epochAccuracy training accuracy per epoch (of the training-time forward pass, before the update)
     */
    public record Result(Model model, double[] epochLoss, double[] epochAccuracy, long millis) {}

    private final float[] params = new float[PARAMS];
    private final float[] grads = new float[PARAMS];

    // per-sample activations and gradients, reused
    private final float[] z1 = new float[S * S * C1];
    private final float[] p1 = new float[H2 * H2 * C1];
    private final int[] arg1 = new int[H2 * H2 * C1];
    private final float[] z2 = new float[H2 * H2 * C2];
    private final float[] p2 = new float[FLAT];
    private final int[] arg2 = new int[FLAT];
    private final float[] z3 = new float[HIDDEN];
    private final float[] a3 = new float[HIDDEN];
    private final float[] prob = new float[OUT];
    private final float[] dz3 = new float[HIDDEN];
    private final float[] dp2 = new float[FLAT];
    private final float[] dz2 = new float[H2 * H2 * C2];
    private final float[] dp1 = new float[H2 * H2 * C1];
    private final float[] dz1 = new float[S * S * C1];
    private final float[] dz4 = new float[OUT];

    private ShapesTrainer() {}

    /** Trains on {@code train} (pixels are scaled by 1/255) and returns the model and its training curve. */
    public static Result train(ShapesDataset.Samples train, Config config) {
        long start = System.nanoTime();
        ShapesTrainer t = new ShapesTrainer();
        SplittableRandom random = new SplittableRandom(config.seed());
        t.initialize(random);
        float[] x = train.scaledPixels();
        int n = train.count();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        double[] m = new double[PARAMS];
        double[] v = new double[PARAMS];
        double[] epochLoss = new double[config.epochs()];
        double[] epochAcc = new double[config.epochs()];
        long step = 0;
        double b1t = 1;
        double b2t = 1;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            for (int k = n - 1; k > 0; k--) {
                int j = random.nextInt(k + 1);
                int tmp = order[k];
                order[k] = order[j];
                order[j] = tmp;
            }
            double lr = config.learningRate() * (epoch >= config.lrDecayEpoch() ? config.lrDecay() : 1.0);
            double lossSum = 0;
            int correct = 0;
            for (int b0 = 0; b0 < n; b0 += config.batchSize()) {
                int b1 = Math.min(n, b0 + config.batchSize());
                java.util.Arrays.fill(t.grads, 0f);
                for (int b = b0; b < b1; b++) {
                    int i = order[b];
                    int label = train.labels()[i];
                    t.forward(x, i * ShapesDataset.PIXELS);
                    lossSum += -StrictMath.log(Math.max(t.prob[label], 1e-30f));
                    if (argmax(t.prob) == label) {
                        correct++;
                    }
                    t.backward(x, i * ShapesDataset.PIXELS, label);
                }
                // Adam on the batch-mean gradient
                step++;
                b1t *= config.beta1();
                b2t *= config.beta2();
                double scale = 1.0 / (b1 - b0);
                double alpha = lr * StrictMath.sqrt(1 - b2t) / (1 - b1t);
                for (int p = 0; p < PARAMS; p++) {
                    double g = t.grads[p] * scale;
                    m[p] = config.beta1() * m[p] + (1 - config.beta1()) * g;
                    v[p] = config.beta2() * v[p] + (1 - config.beta2()) * g * g;
                    t.params[p] = (float) (t.params[p] - alpha * m[p] / (StrictMath.sqrt(v[p]) + config.epsilon()));
                }
            }
            epochLoss[epoch] = lossSum / n;
            epochAcc[epoch] = (double) correct / n;
        }
        Model model = t.toModel();
        return new Result(model, epochLoss, epochAcc, (System.nanoTime() - start) / 1_000_000);
    }

    /** Glorot-uniform kernels (Keras' default), zero biases. */
    private void initialize(SplittableRandom r) {
        glorot(r, C1W, 9 * C1, 9, 9 * C1);
        glorot(r, C2W, 9 * C1 * C2, 9 * C1, 9 * C2);
        glorot(r, D1W, FLAT * HIDDEN, FLAT, HIDDEN);
        glorot(r, D2W, HIDDEN * OUT, HIDDEN, OUT);
    }

    private void glorot(SplittableRandom r, int offset, int count, int fanIn, int fanOut) {
        double limit = StrictMath.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < count; i++) {
            params[offset + i] = (float) ((r.nextDouble() * 2 - 1) * limit);
        }
    }

    private void forward(float[] x, int xo) {
        // conv -> (relu + 2x2 max pool, fused) twice; activations are [y][x][c], z1 and z2 before the ReLU
        conv3x3(x, xo, S, 1, C1W, C1B, C1, z1);
        maxPool(z1, S, C1, p1, arg1);
        conv3x3(p1, 0, H2, C1, C2W, C2B, C2, z2);
        maxPool(z2, H2, C2, p2, arg2);
        // dense1 + relu
        for (int o = 0; o < HIDDEN; o++) {
            z3[o] = params[D1B + o];
        }
        for (int i = 0; i < FLAT; i++) {
            float xv = p2[i];
            int w = D1W + i * HIDDEN;
            for (int o = 0; o < HIDDEN; o++) {
                z3[o] += xv * params[w + o];
            }
        }
        for (int o = 0; o < HIDDEN; o++) {
            a3[o] = z3[o] > 0f ? z3[o] : 0f;
        }
        // dense2 + softmax
        float[] z4 = prob;
        for (int o = 0; o < OUT; o++) {
            z4[o] = params[D2B + o];
        }
        for (int i = 0; i < HIDDEN; i++) {
            float xv = a3[i];
            int w = D2W + i * OUT;
            for (int o = 0; o < OUT; o++) {
                z4[o] += xv * params[w + o];
            }
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int o = 0; o < OUT; o++) {
            max = Math.max(max, z4[o]);
        }
        float sum = 0f;
        for (int o = 0; o < OUT; o++) {
            z4[o] = (float) StrictMath.exp(z4[o] - max);
            sum += z4[o];
        }
        for (int o = 0; o < OUT; o++) {
            z4[o] /= sum;
        }
    }

    /** Same-padded 3×3 convolution of an {@code n×n×cin} input; output {@code n×n×cout}, before ReLU. */
    private void conv3x3(float[] in, int io, int n, int cin, int wOff, int bOff, int cout, float[] out) {
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int o0 = (y * n + x) * cout;
                for (int co = 0; co < cout; co++) {
                    out[o0 + co] = params[bOff + co];
                }
                for (int ky = 0; ky < 3; ky++) {
                    int iy = y + ky - 1;
                    if (iy < 0 || iy >= n) {
                        continue;
                    }
                    for (int kx = 0; kx < 3; kx++) {
                        int ix = x + kx - 1;
                        if (ix < 0 || ix >= n) {
                            continue;
                        }
                        int i0 = io + (iy * n + ix) * cin;
                        int w0 = wOff + (ky * 3 + kx) * cin * cout;
                        for (int ci = 0; ci < cin; ci++) {
                            float xv = in[i0 + ci];
                            int w = w0 + ci * cout;
                            for (int co = 0; co < cout; co++) {
                                out[o0 + co] += xv * params[w + co];
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * 2×2 max pooling with stride 2 of ReLU({@code z}) ({@code n×n×c} → {@code n/2×n/2×c}); records the index of
     * the winning element of each window (the first maximum in row-major order).
     */
    private static void maxPool(float[] z, int n, int c, float[] out, int[] arg) {
        int h = n / 2;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < h; x++) {
                for (int ch = 0; ch < c; ch++) {
                    int best = -1;
                    float bv = Float.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            int idx = ((2 * y + dy) * n + 2 * x + dx) * c + ch;
                            float v = z[idx] < 0f ? 0f : z[idx];
                            if (v > bv) {
                                bv = v;
                                best = idx;
                            }
                        }
                    }
                    int o = (y * h + x) * c + ch;
                    out[o] = bv;
                    arg[o] = best;
                }
            }
        }
    }

    /** Accumulates the cross-entropy gradient of one sample into {@link #grads}. */
    private void backward(float[] x, int xo, int label) {
        for (int o = 0; o < OUT; o++) {
            dz4[o] = prob[o] - (o == label ? 1f : 0f);
        }
        // dense2
        for (int i = 0; i < HIDDEN; i++) {
            int w = D2W + i * OUT;
            float d = 0f;
            for (int o = 0; o < OUT; o++) {
                grads[w + o] += a3[i] * dz4[o];
                d += params[w + o] * dz4[o];
            }
            dz3[i] = z3[i] > 0f ? d : 0f;
        }
        for (int o = 0; o < OUT; o++) {
            grads[D2B + o] += dz4[o];
        }
        // dense1
        for (int i = 0; i < FLAT; i++) {
            int w = D1W + i * HIDDEN;
            float xv = p2[i];
            float d = 0f;
            for (int o = 0; o < HIDDEN; o++) {
                grads[w + o] += xv * dz3[o];
                d += params[w + o] * dz3[o];
            }
            dp2[i] = d;
        }
        for (int o = 0; o < HIDDEN; o++) {
            grads[D1B + o] += dz3[o];
        }
        // pool2 + relu2: route each window's gradient to its winner, zero where the conv output was not positive
        java.util.Arrays.fill(dz2, 0f);
        for (int i = 0; i < FLAT; i++) {
            int idx = arg2[i];
            if (z2[idx] > 0f) {
                dz2[idx] += dp2[i];
            }
        }
        // conv2: weight, bias and input gradients
        java.util.Arrays.fill(dp1, 0f);
        convBackward(p1, 0, H2, C1, C2W, C2B, C2, dz2, dp1);
        // pool1 + relu1
        java.util.Arrays.fill(dz1, 0f);
        for (int i = 0; i < dp1.length; i++) {
            int idx = arg1[i];
            if (z1[idx] > 0f) {
                dz1[idx] += dp1[i];
            }
        }
        // conv1: weight and bias gradients only
        convBackward(x, xo, S, 1, C1W, C1B, C1, dz1, null);
    }

    private void convBackward(
            float[] in, int io, int n, int cin, int wOff, int bOff, int cout, float[] dz, float[] dIn) {
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int o0 = (y * n + x) * cout;
                for (int co = 0; co < cout; co++) {
                    grads[bOff + co] += dz[o0 + co];
                }
                for (int ky = 0; ky < 3; ky++) {
                    int iy = y + ky - 1;
                    if (iy < 0 || iy >= n) {
                        continue;
                    }
                    for (int kx = 0; kx < 3; kx++) {
                        int ix = x + kx - 1;
                        if (ix < 0 || ix >= n) {
                            continue;
                        }
                        int i0 = (iy * n + ix) * cin;
                        int w0 = wOff + (ky * 3 + kx) * cin * cout;
                        for (int ci = 0; ci < cin; ci++) {
                            float xv = in[io + i0 + ci];
                            int w = w0 + ci * cout;
                            float d = 0f;
                            for (int co = 0; co < cout; co++) {
                                float g = dz[o0 + co];
                                grads[w + co] += xv * g;
                                d += params[w + co] * g;
                            }
                            if (dIn != null) {
                                dIn[i0 + ci] += d;
                            }
                        }
                    }
                }
            }
        }
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The trained network as an IR model, weights in the IR (TFLite) layouts. */
    private Model toModel() {
        ModelBuilder b = new ModelBuilder(DemoExample.MODEL_NAME);
        Tensor x = b.input("input_1", Shape.batched(S, S, 1));
        Origin conv1 = new Origin("conv2d", "Conv2D");
        Tensor t = b.add(
                OpType.CONV_2D,
                "conv2d",
                conv1,
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                x,
                b.constant("conv2d/kernel", Shape.of(C1, 3, 3, 1), convToIr(C1W, 1, C1)),
                b.constant("conv2d/bias", Shape.of(C1), slice(C1B, C1)));
        t = b.add(
                OpType.MAX_POOL_2D,
                "max_pooling2d",
                new Origin("max_pooling2d", "MaxPooling2D"),
                new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE),
                t);
        Origin conv2 = new Origin("conv2d_1", "Conv2D");
        t = b.add(
                OpType.CONV_2D,
                "conv2d_1",
                conv2,
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                t,
                b.constant("conv2d_1/kernel", Shape.of(C2, 3, 3, C1), convToIr(C2W, C1, C2)),
                b.constant("conv2d_1/bias", Shape.of(C2), slice(C2B, C2)));
        t = b.add(
                OpType.MAX_POOL_2D,
                "max_pooling2d_1",
                new Origin("max_pooling2d_1", "MaxPooling2D"),
                new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE),
                t);
        t = b.add(
                OpType.RESHAPE,
                "flatten",
                new Origin("flatten", "Flatten"),
                new OpAttributes.Reshape(new int[] {-1, FLAT}),
                t);
        t = b.add(
                OpType.FULLY_CONNECTED,
                "dense",
                new Origin("dense", "Dense"),
                new OpAttributes.FullyConnected(Activation.RELU),
                t,
                b.constant("dense/kernel", Shape.of(HIDDEN, FLAT), denseToIr(D1W, FLAT, HIDDEN)),
                b.constant("dense/bias", Shape.of(HIDDEN), slice(D1B, HIDDEN)));
        Origin out = new Origin("dense_1", "Dense");
        t = b.add(
                OpType.FULLY_CONNECTED,
                "dense_1",
                out,
                new OpAttributes.FullyConnected(Activation.NONE),
                t,
                b.constant("dense_1/kernel", Shape.of(OUT, HIDDEN), denseToIr(D2W, HIDDEN, OUT)),
                b.constant("dense_1/bias", Shape.of(OUT), slice(D2B, OUT)));
        t = b.add(OpType.SOFTMAX, "dense_1/softmax", out, new OpAttributes.Softmax(1f), t);
        b.output(t);
        return b.build(new ModelMetadata(
                SourceFormat.IN_MEMORY,
                null,
                null,
                null,
                "Sequential",
                new TrainingConfig("sparse_categorical_crossentropy", false, List.of("accuracy"))));
    }

    private float[] slice(int offset, int count) {
        return java.util.Arrays.copyOfRange(params, offset, offset + count);
    }

    /** [ky][kx][cin][cout] → [cout][ky][kx][cin]. */
    private float[] convToIr(int offset, int cin, int cout) {
        float[] w = new float[9 * cin * cout];
        for (int k = 0; k < 9; k++) {
            for (int ci = 0; ci < cin; ci++) {
                for (int co = 0; co < cout; co++) {
                    w[(co * 9 + k) * cin + ci] = params[offset + (k * cin + ci) * cout + co];
                }
            }
        }
        return w;
    }

    /** [in][out] → [out][in]. */
    private float[] denseToIr(int offset, int in, int out) {
        float[] w = new float[in * out];
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < out; o++) {
                w[o * in + i] = params[offset + i * out + o];
            }
        }
        return w;
    }
}
