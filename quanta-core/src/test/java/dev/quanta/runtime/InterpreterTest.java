package dev.quanta.runtime;

import static dev.quanta.testing.CoreArrays.uniform;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Float kernels on tiny models built in code, with values worked out by hand. */
class InterpreterTest {
    private static final Origin O = new Origin("layer", "Test");

    private static float[] ones(int n) {
        float[] f = new float[n];
        Arrays.fill(f, 1f);
        return f;
    }

    private static float[] run(Model m, float[] input) {
        try (Interpreter it = new Interpreter(m)) {
            float[] out = new float[it.getOutputTensor(0).numElements()];
            it.run(input, out);
            return out;
        }
    }

    @Test
    void denseComputesXWPlusBiasThenRelu() {
        ModelBuilder b = new ModelBuilder("dense");
        Tensor x = b.input("x", Shape.batched(3));
        // IR layout [out=2, in=3]
        Tensor w = b.constant("w", Shape.of(2, 3), new float[] {1, 2, 3, -1, -1, -1});
        Tensor bias = b.constant("b", Shape.of(2), new float[] {0.5f, 1f});
        Tensor y = b.add(OpType.FULLY_CONNECTED, "fc", O, new OpAttributes.FullyConnected(Activation.RELU), x, w, bias);
        Model m = b.output(y).build(ModelMetadata.inMemory());
        // [1,2,3]: 1+4+9+0.5 = 14.5 ; -6+1 = -5 -> relu 0
        assertThat(run(m, new float[] {1, 2, 3})).containsExactly(14.5f, 0f);
    }

    @Test
    void convSamePaddingWithStridePutsTheExtraPaddingAfter() {
        ModelBuilder b = new ModelBuilder("conv");
        Tensor x = b.input("x", Shape.batched(4, 4, 1));
        Tensor w = b.constant("w", Shape.of(1, 3, 3, 1), ones(9));
        Tensor y = b.add(
                OpType.CONV_2D, "conv", O, new OpAttributes.Conv2D(Padding.SAME, 2, 2, 1, 1, Activation.NONE), x, w);
        Model m = b.output(y).build(ModelMetadata.inMemory());
        assertThat(y.shape()).isEqualTo(Shape.of(-1, 2, 2, 1));
        // total padding 1 per axis, all of it after: window (0,0) is fully inside (9), the others are clipped.
        assertThat(run(m, ones(16))).containsExactly(9f, 6f, 6f, 4f);
    }

    @Test
    void convSamePaddingStrideOneSumsTheValidNeighbourhood() {
        ModelBuilder b = new ModelBuilder("conv");
        Tensor x = b.input("x", Shape.batched(3, 3, 1));
        Tensor w = b.constant("w", Shape.of(1, 3, 3, 1), ones(9));
        Tensor y = b.add(
                OpType.CONV_2D, "conv", O, new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE), x, w);
        assertThat(run(b.output(y).build(ModelMetadata.inMemory()), ones(9)))
                .containsExactly(4f, 6f, 4f, 6f, 9f, 6f, 4f, 6f, 4f);
    }

    @Test
    void dilatedValidConvReadsSpreadTaps() {
        ModelBuilder b = new ModelBuilder("conv");
        Tensor x = b.input("x", Shape.batched(5, 5, 1));
        float[] k = new float[9];
        k[0] = 1; // top-left tap only
        k[8] = 10; // bottom-right tap only
        Tensor w = b.constant("w", Shape.of(1, 3, 3, 1), k);
        Tensor y = b.add(
                OpType.CONV_2D, "conv", O, new OpAttributes.Conv2D(Padding.VALID, 1, 1, 2, 2, Activation.NONE), x, w);
        float[] in = new float[25];
        for (int i = 0; i < 25; i++) {
            in[i] = i;
        }
        // dilation 2: effective kernel 5, output 1x1 = x[0,0]*1 + x[4,4]*10
        assertThat(run(b.output(y).build(ModelMetadata.inMemory()), in)).containsExactly(0f + 24f * 10f);
    }

    @Test
    void depthwiseMultiplierMapsOutputChannelToInputChannelTimesMultiplier() {
        ModelBuilder b = new ModelBuilder("dw");
        Tensor x = b.input("x", Shape.batched(1, 1, 2));
        // weights [1,1,1,C*M=4]: channel 0 -> outputs 0,1 ; channel 1 -> outputs 2,3
        Tensor w = b.constant("w", Shape.of(1, 1, 1, 4), new float[] {1, 2, 3, 4});
        Tensor bias = b.constant("b", Shape.of(4), new float[] {0, 0, 0, 0.5f});
        Tensor y = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                O,
                new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 2, Activation.NONE),
                x,
                w,
                bias);
        assertThat(run(b.output(y).build(ModelMetadata.inMemory()), new float[] {10, 100}))
                .containsExactly(10f, 20f, 300f, 400.5f);
    }

    @Test
    void averagePoolWithSamePaddingDividesByTheValidCount() {
        ModelBuilder b = new ModelBuilder("pool");
        Tensor x = b.input("x", Shape.batched(3, 3, 1));
        Tensor y = b.add(
                OpType.AVERAGE_POOL_2D,
                "pool",
                O,
                new OpAttributes.Pool2D(Padding.SAME, 2, 2, 2, 2, Activation.NONE),
                x);
        float[] in = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        // windows: {1,2,4,5} {3,6} {7,8} {9}
        assertThat(run(b.output(y).build(ModelMetadata.inMemory()), in)).containsExactly(3f, 4.5f, 7.5f, 9f);
    }

    @Test
    void maxPoolIgnoresPaddingEvenForNegativeInputs() {
        ModelBuilder b = new ModelBuilder("pool");
        Tensor x = b.input("x", Shape.batched(3, 3, 1));
        Tensor y = b.add(
                OpType.MAX_POOL_2D, "pool", O, new OpAttributes.Pool2D(Padding.SAME, 2, 2, 2, 2, Activation.NONE), x);
        float[] in = {-1, -2, -3, -4, -5, -6, -7, -8, -9};
        assertThat(run(b.output(y).build(ModelMetadata.inMemory()), in)).containsExactly(-1f, -3f, -7f, -9f);
    }

    @Test
    void batchNormUsesKerasInferenceFormula() {
        ModelBuilder b = new ModelBuilder("bn");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor gamma = b.constant("g", Shape.of(2), new float[] {2, 1});
        Tensor beta = b.constant("b", Shape.of(2), new float[] {1, 0});
        Tensor mean = b.nonTrainableConstant("m", Shape.of(2), new float[] {3, 0});
        Tensor var = b.nonTrainableConstant("v", Shape.of(2), new float[] {4, 1});
        Tensor y = b.add(
                OpType.BATCH_NORM,
                "bn",
                O,
                new OpAttributes.BatchNorm(0.001f, -1, true, true),
                x,
                gamma,
                beta,
                mean,
                var);
        float[] out = run(b.output(y).build(ModelMetadata.inMemory()), new float[] {5, 2});
        assertThat(out[0]).isCloseTo((float) (2 * (5 - 3) / Math.sqrt(4.001) + 1), within(1e-6f));
        assertThat(out[1]).isCloseTo((float) (2 / Math.sqrt(1.001)), within(1e-6f));
    }

    @Test
    void softmaxLogisticTanhAndRelu6() {
        ModelBuilder b = new ModelBuilder("act");
        Tensor x = b.input("x", Shape.batched(3));
        Tensor s = b.add(OpType.SOFTMAX, "s", O, new OpAttributes.Softmax(1f), x);
        Model m = b.output(s).build(ModelMetadata.inMemory());
        float[] p = run(m, new float[] {1, 2, 3});
        double z = Math.exp(1) + Math.exp(2) + Math.exp(3);
        assertThat(p[2]).isCloseTo((float) (Math.exp(3) / z), within(1e-7f));
        assertThat(p[0] + p[1] + p[2]).isCloseTo(1f, within(1e-6f));

        for (OpType t : new OpType[] {OpType.LOGISTIC, OpType.TANH, OpType.RELU6}) {
            ModelBuilder b2 = new ModelBuilder("act");
            Tensor x2 = b2.input("x", Shape.batched(3));
            Tensor y2 = b2.add(t, "a", O, OpAttributes.None.INSTANCE, x2);
            float[] r = run(b2.output(y2).build(ModelMetadata.inMemory()), new float[] {-7, 0.5f, 8});
            switch (t) {
                case LOGISTIC -> assertThat(r[1]).isCloseTo((float) (1 / (1 + Math.exp(-0.5))), within(1e-7f));
                case TANH -> assertThat(r[1]).isCloseTo((float) Math.tanh(0.5), within(1e-7f));
                default -> assertThat(r).containsExactly(0f, 0.5f, 6f);
            }
        }
    }

    @Test
    void addBroadcastsConcatenatesPadsAndMeans() {
        ModelBuilder b = new ModelBuilder("mix");
        Tensor x = b.input("x", Shape.batched(2, 2, 2));
        Tensor c = b.constant("c", Shape.of(2), new float[] {10, 20});
        Tensor added = b.add(OpType.ADD, "add", O, new OpAttributes.Add(Activation.NONE), x, c);
        Tensor cat =
                b.add(OpType.CONCATENATION, "cat", O, new OpAttributes.Concatenation(-1, Activation.NONE), x, added);
        Tensor padded =
                b.add(OpType.PAD, "pad", O, new OpAttributes.Pad(new int[][] {{0, 0}, {1, 0}, {0, 1}, {0, 0}}), cat);
        Tensor mean = b.add(OpType.MEAN, "mean", O, new OpAttributes.Mean(new int[] {1, 2}, false), padded);
        Model m = b.output(mean).build(ModelMetadata.inMemory());
        assertThat(padded.shape()).isEqualTo(Shape.of(-1, 3, 3, 4));
        float[] in = {1, 2, 3, 4, 5, 6, 7, 8};
        // channel sums over the 4 real pixels: c0 = 1+3+5+7 = 16, c1 = 20; padded to 9 pixels
        float[] out = run(m, in);
        assertThat(out).containsExactly(16f / 9, 20f / 9, (16f + 40) / 9, (20f + 80) / 9);
    }

    /** A random conv → depthwise → pool → dense model, for split and batch checks. */
    private static Model randomCnn(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        ModelBuilder b = new ModelBuilder("cnn");
        Tensor x = b.input("x", Shape.batched(9, 9, 3));
        Tensor w1 = b.constant("w1", Shape.of(8, 3, 3, 3), uniform(r, 8 * 27, -1, 1));
        Tensor b1 = b.constant("b1", Shape.of(8), uniform(r, 8, -1, 1));
        Tensor c1 = b.add(
                OpType.CONV_2D,
                "c1",
                O,
                new OpAttributes.Conv2D(Padding.SAME, 2, 2, 1, 1, Activation.RELU6),
                x,
                w1,
                b1);
        Tensor w2 = b.constant("w2", Shape.of(1, 3, 3, 16), uniform(r, 9 * 16, -1, 1));
        Tensor c2 = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "c2",
                O,
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 2, Activation.RELU),
                c1,
                w2);
        Tensor p = b.add(
                OpType.MAX_POOL_2D, "p", O, new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE), c2);
        Tensor f = b.add(OpType.RESHAPE, "f", O, new OpAttributes.Reshape(new int[] {-1, 64}), p);
        Tensor w3 = b.constant("w3", Shape.of(300, 64), uniform(r, 300 * 64, -1, 1));
        Tensor d = b.add(OpType.FULLY_CONNECTED, "d", O, new OpAttributes.FullyConnected(Activation.NONE), f, w3);
        Tensor s = b.add(OpType.SOFTMAX, "s", O, new OpAttributes.Softmax(1f), d);
        return b.output(s).build(ModelMetadata.inMemory());
    }

    @Test
    void resultsDoNotDependOnThreadCountOrBatching() {
        Model m = randomCnn(7);
        SplittableRandom r = new SplittableRandom(11);
        int batch = 5;
        float[] in = uniform(r, batch * 9 * 9 * 3, -1, 1);
        float[] single = new float[batch * 300];
        try (Interpreter one = new Interpreter(m)) {
            for (int s = 0; s < batch; s++) {
                float[] o = new float[300];
                one.run(Arrays.copyOfRange(in, s * 243, (s + 1) * 243), o);
                System.arraycopy(o, 0, single, s * 300, 300);
            }
        }
        for (int threads : new int[] {1, 2, 3}) {
            try (Interpreter it =
                    new Interpreter(m, Interpreter.Options.defaults().withNumThreads(threads))) {
                it.resizeInput(0, new int[] {batch, 9, 9, 3});
                assertThat(it.getOutputTensor(0).shape()).containsExactly(batch, 300);
                float[] out = new float[batch * 300];
                it.run(in, out);
                assertThat(out).as("threads=%d", threads).containsExactly(single);
                // and a single sample with the whole dense layer split across threads
                it.resizeInput(0, new int[] {1, 9, 9, 3});
                float[] o = new float[300];
                it.run(Arrays.copyOfRange(in, 0, 243), o);
                assertThat(o).containsExactly(Arrays.copyOfRange(single, 0, 300));
            }
        }
    }

    @Test
    void rejectsWrongInputLengthAndBadResize() {
        Model m = randomCnn(1);
        try (Interpreter it = new Interpreter(m)) {
            assertThatThrownBy(() -> it.run(new float[10], new float[300])).hasMessageContaining("needs 243 values");
            assertThatThrownBy(() -> it.resizeInput(0, new int[] {1, 8, 9, 3})).hasMessageContaining("cannot resize");
            assertThat(it.getInputTensor(0).shape()).containsExactly(1, 9, 9, 3);
        }
    }

    @Test
    void resizeInputRefusesDimensionsWhoseElementCountOverflows() {
        ModelBuilder b = new ModelBuilder("any-shape");
        Tensor x = b.input("x", Shape.of(Shape.DYNAMIC, Shape.DYNAMIC, Shape.DYNAMIC, Shape.DYNAMIC));
        Tensor y = b.add(OpType.RELU, "r", O, OpAttributes.None.INSTANCE, x);
        Model m = b.output(y).build(ModelMetadata.inMemory());
        try (Interpreter it = new Interpreter(m)) {
            // 1 × 100000 × 100000 × 3 = 3e10 elements: more than an int holds, let alone MAX_TENSOR_ELEMENTS
            assertThatThrownBy(() -> it.resizeInput(0, new int[] {1, 100_000, 100_000, 3}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("cannot resize input 0 ('x') to [1, 100000, 100000, 3]: 30000000000 elements, more "
                            + "than the 268435456 an interpreter tensor may hold");
            // a product that overflows even a long
            assertThatThrownBy(() -> it.resizeInput(0, new int[] {1 << 30, 1 << 30, 1 << 30, 1 << 30}))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("more than 2^63 elements");
            // the refused shapes left the interpreter as it was
            assertThat(it.getInputTensor(0).shape()).containsExactly(1, 1, 1, 1);
            it.resizeInput(0, new int[] {2, 1, 1, 2});
            float[] out = new float[4];
            it.run(new float[] {-1, 2, -3, 4}, out);
            assertThat(out).containsExactly(0, 2, 0, 4);
        }
    }

    @Test
    void optionsRefuseThreadCountsOutOfRangeNamingTheSetting() {
        assertThat(Interpreter.MAX_THREADS)
                .isEqualTo(Interpreter.THREADS_PER_CPU * Runtime.getRuntime().availableProcessors());
        for (int bad : new int[] {0, -1, Interpreter.MAX_THREADS + 1, 100_000}) {
            assertThatThrownBy(() -> Interpreter.Options.defaults().withNumThreads(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("numThreads must be between 1 and " + Interpreter.MAX_THREADS + " ("
                            + Interpreter.THREADS_PER_CPU + " per CPU), got " + bad);
        }
        assertThatThrownBy(() -> Interpreter.Options.defaults().withKernelPath(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("kernelPath");
        Interpreter.Options o = Interpreter.Options.defaults()
                .withNumThreads(Interpreter.MAX_THREADS)
                .withKernelPath(dev.quanta.kernels.QuantizedPath.BUILTIN);
        assertThat(o.numThreads()).isEqualTo(Interpreter.MAX_THREADS);
        assertThat(o.kernelPath()).isEqualTo(dev.quanta.kernels.QuantizedPath.BUILTIN);
        // immutable: the defaults are unchanged by the withers
        assertThat(Interpreter.Options.defaults().numThreads()).isEqualTo(1);
        assertThat(Interpreter.Options.defaults().kernelPath()).isEqualTo(dev.quanta.kernels.QuantizedPath.XNNPACK);
    }

    @Test
    void everyPublicMethodRefusesAClosedInterpreterAndCloseIsIdempotent() throws Exception {
        Model m = randomCnn(3);
        for (int threads : new int[] {1, 3}) {
            Interpreter it = new Interpreter(m, Interpreter.Options.defaults().withNumThreads(threads));
            it.resizeInput(0, new int[] {2, 9, 9, 3});
            it.run(new float[2 * 243], new float[2 * 300]);
            it.close();
            it.close();
            int checked = 0;
            for (java.lang.reflect.Method method : Interpreter.class.getMethods()) {
                if (method.getDeclaringClass() != Interpreter.class
                        || java.lang.reflect.Modifier.isStatic(method.getModifiers())
                        || method.getName().equals("close")) {
                    continue;
                }
                Object[] args = argumentsFor(method, m);
                assertThatThrownBy(() -> {
                            try {
                                method.invoke(it, args);
                            } catch (java.lang.reflect.InvocationTargetException e) {
                                throw e.getCause();
                            }
                        })
                        .as("%s with %d threads", method, threads)
                        .isExactlyInstanceOf(IllegalStateException.class)
                        .hasMessage("interpreter is closed");
                checked++;
            }
            assertThat(checked).isGreaterThanOrEqualTo(16);
            it.close();
        }
    }

    /** Plausible arguments for an interpreter method, so that only the closed state can make it fail. */
    private static Object[] argumentsFor(java.lang.reflect.Method method, Model m) {
        Class<?>[] types = method.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            Class<?> t = types[i];
            if (t == int.class) {
                args[i] = 0;
            } else if (t == boolean.class) {
                args[i] = true;
            } else if (t == int[].class) {
                args[i] = new int[] {1, 9, 9, 3};
            } else if (t == Object[].class) {
                args[i] = new Object[] {new float[243]};
            } else if (t == Object.class) {
                args[i] = new float[i == 0 ? 243 : 300];
            } else if (t == Tensor.class) {
                args[i] = m.inputs().get(0);
            } else if (t == dev.quanta.ir.Op.class) {
                args[i] = m.ops().get(0);
            } else {
                throw new AssertionError("no test argument for " + t + " of " + method);
            }
        }
        return args;
    }

    @Test
    void closingOneInterpreterLeavesAnotherOfTheSameModelWorking() {
        Model m = randomCnn(5);
        float[] in = uniform(new SplittableRandom(2), 243, -1, 1);
        for (int threads : new int[] {1, 2}) {
            Interpreter.Options options = Interpreter.Options.defaults().withNumThreads(threads);
            try (Interpreter kept = new Interpreter(m, options)) {
                float[] before = new float[300];
                kept.run(in, before);
                Interpreter closed = new Interpreter(m, options);
                closed.run(in, new float[300]);
                closed.close();
                float[] after = new float[300];
                kept.run(in, after);
                assertThat(after).as("threads=%d", threads).containsExactly(before);
                try (Interpreter fresh = new Interpreter(m, options)) {
                    float[] again = new float[300];
                    fresh.run(in, again);
                    assertThat(again).containsExactly(before);
                }
            }
        }
    }
}
