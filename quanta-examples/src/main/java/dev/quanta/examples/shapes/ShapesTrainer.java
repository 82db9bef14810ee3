package dev.quanta.examples.shapes;

import dev.quanta.eval.Evaluator;
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

    // The taps of each layer's weighted sums (see weightedSum): the convolutions', and a Dense layer's single tap
    // (one output position, one weight block).
    private static final int[] CONV1 = convTaps(S, 1, C1, C1W);
    private static final int[] CONV2 = convTaps(H2, C1, C2, C2W);
    private static final int[] DENSE1 = {0, 0, D1W};
    private static final int[] DENSE2 = {0, 0, D2W};

    /** What the model records as its compilation: the loss {@link #train} minimizes, and the accuracy metric. */
    private static final TrainingConfig TRAINING =
            new TrainingConfig("sparse_categorical_crossentropy", false, List.of("accuracy"));

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
                    if (Evaluator.argmax(t.prob, 0, OUT) == label) {
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
        weightedSum(x, xo, CONV1, 1, C1B, C1, z1);
        maxPool(z1, S, C1, p1, arg1);
        weightedSum(p1, 0, CONV2, C1, C2B, C2, z2);
        maxPool(z2, H2, C2, p2, arg2);
        // dense1 + relu
        weightedSum(p2, 0, DENSE1, FLAT, D1B, HIDDEN, z3);
        for (int o = 0; o < HIDDEN; o++) {
            a3[o] = z3[o] > 0f ? z3[o] : 0f;
        }
        // dense2 + softmax
        float[] z4 = prob;
        weightedSum(a3, 0, DENSE2, HIDDEN, D2B, OUT, z4);
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

    /**
     * A layer's weighted sums before the activation: {@code out} = the bias at {@code bOff}, plus for each tap (in
     * the order of {@code taps}, triples of offsets: output block, input block from {@code io}, weight block) the
     * {@code cin} inputs times the {@code cin×cout} weights ([cin][cout], Keras' layout) added to the {@code cout}
     * outputs. A convolution has a tap per kernel position inside the input at every output position
     * ({@link #convTaps}); a Dense layer has a single tap.
     */
    private void weightedSum(float[] in, int io, int[] taps, int cin, int bOff, int cout, float[] out) {
        for (int o0 = 0; o0 < out.length; o0 += cout) {
            System.arraycopy(params, bOff, out, o0, cout);
        }
        for (int t = 0; t < taps.length; t += 3) {
            tapForward(in, io + taps[t + 1], taps[t + 2], taps[t], cin, cout, out);
        }
    }

    /**
     * The backward pass of {@link #weightedSum} for the output gradients {@code dz}: adds the weight and bias
     * gradients to {@link #grads}, and the input gradients to {@code dIn} when it is not null.
     */
    private void weightedSumBackward(
            float[] in, int io, int[] taps, int cin, int bOff, int cout, float[] dz, float[] dIn) {
        for (int o0 = 0; o0 < dz.length; o0 += cout) {
            for (int co = 0; co < cout; co++) {
                grads[bOff + co] += dz[o0 + co];
            }
        }
        for (int t = 0; t < taps.length; t += 3) {
            tapBackward(in, io, taps[t + 1], taps[t + 2], taps[t], cin, cout, dz, dIn);
        }
    }

    /**
     * The taps of a same-padded 3×3 convolution of an {@code n×n×cin} input into {@code cout} channels with the
     * kernel at {@code wOff}, in the order both passes sum them (output position row-major, then ky, kx): per tap
     * the offsets of its output block {@code (y·n + x)·cout}, input block {@code (iy·n + ix)·cin} and weight block
     * {@code wOff + (ky·3 + kx)·cin·cout}; taps outside the input (the zero padding) are left out.
     */
    private static int[] convTaps(int n, int cin, int cout, int wOff) {
        int[] taps = new int[n * n * 9 * 3];
        int size = 0;
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                for (int ky = 0; ky < 3; ky++) {
                    for (int kx = 0; kx < 3; kx++) {
                        int iy = y + ky - 1;
                        int ix = x + kx - 1;
                        if (iy >= 0 && iy < n && ix >= 0 && ix < n) {
                            taps[size++] = (y * n + x) * cout;
                            taps[size++] = (iy * n + ix) * cin;
                            taps[size++] = wOff + (ky * 3 + kx) * cin * cout;
                        }
                    }
                }
            }
        }
        return java.util.Arrays.copyOf(taps, size);
    }

    /** Adds one kernel tap's contribution to the output block at {@code o0}. */
    private void tapForward(float[] in, int i0, int w0, int o0, int cin, int cout, float[] out) {
        for (int ci = 0; ci < cin; ci++) {
            float xv = in[i0 + ci];
            int w = w0 + ci * cout;
            for (int co = 0; co < cout; co++) {
                out[o0 + co] += xv * params[w + co];
            }
        }
    }

    /** Adds one kernel tap's weight gradients, and its input gradients into {@code dIn} when not null. */
    private void tapBackward(float[] in, int io, int i0, int w0, int o0, int cin, int cout, float[] dz, float[] dIn) {
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
        // dense2, then the derivative of dense1's ReLU (an input gradient is a sum from +0, never -0, so adding it
        // to a zeroed array gives it exactly)
        java.util.Arrays.fill(dz3, 0f);
        weightedSumBackward(a3, 0, DENSE2, HIDDEN, D2B, OUT, dz4, dz3);
        for (int i = 0; i < HIDDEN; i++) {
            dz3[i] = z3[i] > 0f ? dz3[i] : 0f;
        }
        // dense1
        java.util.Arrays.fill(dp2, 0f);
        weightedSumBackward(p2, 0, DENSE1, FLAT, D1B, HIDDEN, dz3, dp2);
        // pool2 + relu2, conv2: weight, bias and input gradients
        poolBackward(dp2, arg2, z2, dz2);
        java.util.Arrays.fill(dp1, 0f);
        weightedSumBackward(p1, 0, CONV2, C1, C2B, C2, dz2, dp1);
        // pool1 + relu1, conv1: weight and bias gradients only
        poolBackward(dp1, arg1, z1, dz1);
        weightedSumBackward(x, xo, CONV1, 1, C1B, C1, dz1, null);
    }

    /**
     * Routes the gradients {@code dp} of a max pool's outputs to each window's winner ({@code arg}), where the
     * pooled {@code z} was positive (the ReLU before the pool); {@code dz} is overwritten.
     */
    private static void poolBackward(float[] dp, int[] arg, float[] z, float[] dz) {
        java.util.Arrays.fill(dz, 0f);
        for (int i = 0; i < dp.length; i++) {
            int idx = arg[i];
            if (z[idx] > 0f) {
                dz[idx] += dp[i];
            }
        }
    }

    /** The network with every parameter zero: the layers, ops and weight shapes of the model {@link #train} makes. */
    static Model architecture() {
        return new ShapesTrainer().toModel();
    }

    /** The trained network as an IR model, weights in the IR (TFLite) layouts. */
    private Model toModel() {
        ModelBuilder b = new ModelBuilder(DemoExample.MODEL_NAME);
        Tensor t = b.input("input_1", Shape.batched(S, S, 1));
        t = conv2d(b, t, "conv2d", 1, C1, C1W, C1B);
        t = maxPool2x2(b, t, "max_pooling2d");
        t = conv2d(b, t, "conv2d_1", C1, C2, C2W, C2B);
        t = maxPool2x2(b, t, "max_pooling2d_1");
        t = b.add(
                OpType.RESHAPE,
                "flatten",
                new Origin("flatten", "Flatten"),
                new OpAttributes.Reshape(new int[] {-1, FLAT}),
                t);
        t = dense(b, t, "dense", Activation.RELU, FLAT, HIDDEN, D1W, D1B);
        t = dense(b, t, "dense_1", Activation.NONE, HIDDEN, OUT, D2W, D2B);
        t = b.add(OpType.SOFTMAX, "dense_1/softmax", new Origin("dense_1", "Dense"), new OpAttributes.Softmax(1f), t);
        return b.output(t).build(ModelMetadata.inMemorySequential(TRAINING));
    }

    /** A Keras Conv2D layer {@code name}: 3×3, same padding, ReLU, weights at {@code wOff} and {@code bOff}. */
    private Tensor conv2d(ModelBuilder b, Tensor in, String name, int cin, int cout, int wOff, int bOff) {
        OpAttributes attrs = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU);
        Origin origin = new Origin(name, "Conv2D");
        Shape kernel = Shape.of(cout, 3, 3, cin);
        return withWeights(b, in, OpType.CONV_2D, origin, attrs, kernel, convToIr(wOff, cin, cout), bOff);
    }

    /** A Keras Dense layer {@code name} of {@code out} units, weights at {@code wOff} and {@code bOff}. */
    private Tensor dense(
            ModelBuilder b, Tensor x, String name, Activation activation, int in, int out, int wOff, int bOff) {
        OpAttributes attrs = new OpAttributes.FullyConnected(activation);
        Origin origin = new Origin(name, "Dense");
        return withWeights(
                b, x, OpType.FULLY_CONNECTED, origin, attrs, Shape.of(out, in), denseToIr(wOff, in, out), bOff);
    }

    /**
     * The op of a layer with a kernel (IR layout, output channels first) and the bias at {@code biasOffset} of the
     * parameters; the op and the constants {@code name/kernel} and {@code name/bias} take the layer's name.
     */
    private Tensor withWeights(
            ModelBuilder b,
            Tensor in,
            OpType type,
            Origin layer,
            OpAttributes attrs,
            Shape kernelShape,
            float[] kernel,
            int biasOffset) {
        String name = layer.layerName();
        int units = kernelShape.dims()[0];
        return b.add(
                type,
                name,
                layer,
                attrs,
                in,
                b.constant(name + "/kernel", kernelShape, kernel),
                b.constant(name + "/bias", Shape.of(units), slice(biasOffset, units)));
    }

    /** A Keras MaxPooling2D layer {@code name}: 2×2 windows, stride 2. */
    private static Tensor maxPool2x2(ModelBuilder b, Tensor in, String name) {
        OpAttributes pool = new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE);
        return b.add(OpType.MAX_POOL_2D, name, new Origin(name, "MaxPooling2D"), pool, in);
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
