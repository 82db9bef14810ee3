package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.ModelChecks;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * The quantization rewriter, through {@link Converter}, on tiny generated models: every parameter is checked against
 * the TFLite quantization spec, worked out in the test from the weights and from ranges observed by running the
 * float model (weights max|w|/127 per channel or per tensor, bias round(b / (s_in·s_w)), asymmetric activations with
 * zero exactly representable, fixed softmax / logistic / tanh outputs, uint8 and 16x8 schemes, float16, dynamic
 * range, I/O types).
 */
class QuantizationRewriterTest {
    private static final double[] CHANNEL_MAGNITUDE = {0.5, 2.0, 0.01};

    /** A VALID convolution with strides and dilations 1 and no fused activation. */
    private static final OpAttributes.Conv2D VALID_1X1 =
            new OpAttributes.Conv2D(Padding.VALID, 1, 1, 1, 1, Activation.NONE);

    /**
     * x[3, 3, 2] → Conv2D 2×2 VALID, 3 filters of very different magnitudes ("conv", [2, 2, 3]) → Reshape [12]
     * ("flatten") → Dense(4) ("dense") → Softmax ("softmax").
     */
    static Model convNet() {
        SplittableRandom r = new SplittableRandom(17);
        ModelBuilder mb = new ModelBuilder("convnet");
        Tensor x = mb.input("x", Shape.batched(3, 3, 2));
        float[] k = new float[3 * 2 * 2 * 2];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) ((r.nextDouble() * 2 - 1) * CHANNEL_MAGNITUDE[i / 8]);
        }
        Tensor conv = CoreModels.conv2d(
                mb,
                "conv",
                VALID_1X1,
                x,
                mb.constant("conv/kernel", Shape.of(3, 2, 2, 2), k),
                mb.constant("conv/bias", Shape.of(3), new float[] {0.1f, -0.3f, 0.02f}));
        Tensor flat = CoreModels.flatten(mb, "flatten", conv);
        float[] w = CoreArrays.uniform(r, 4 * 12, -1, 1);
        for (int i = 0; i < 12; i++) {
            w[i] *= 0.25f; // row 0 drawn 4× smaller
        }
        Tensor dense = CoreModels.dense(mb, "dense", flat, w, new float[] {0.5f, -0.25f, 0f, 1e-3f});
        Tensor sm = CoreModels.softmax(mb, "softmax", dense);
        return mb.output(sm).build(ModelMetadata.inMemory());
    }

    /** The op types of {@link #convNet()}, in order, as {@link CoreOps#types} gives them. */
    private static final String CONV_NET_OPS = "CONV_2D RESHAPE FULLY_CONNECTED SOFTMAX";

    /** 24 seeded samples for {@link #convNet()}, roughly in [−2, 1.5]. */
    static Dataset convData() {
        SplittableRandom r = new SplittableRandom(23);
        return Dataset.of("conv-data", new int[] {3, 3, 2}, CoreArrays.uniform(r, 24 * 18, -2, 1.5), null);
    }

    /** x[4] → Dense(3) "d1" → tanh "t" → Dense(2) "d2" → logistic "l". */
    static Model tanhLogistic() {
        ModelBuilder mb = new ModelBuilder("tanh_logistic");
        Tensor x = mb.input("x", Shape.batched(4));
        Tensor d1 = CoreModels.dense(
                mb, "d1", x, new float[] {0.5f, -1f, 0.25f, 0.75f, 1f, 0.5f, -0.5f, 0.1f, -0.3f, 0.2f, 0.9f, -0.8f});
        Tensor t = CoreModels.activation(mb, OpType.TANH, "t", d1);
        Tensor d2 = CoreModels.dense(mb, "d2", t, new float[] {1f, -2f, 0.5f, 0.3f, 0.3f, -1.5f});
        Tensor l = CoreModels.activation(mb, OpType.LOGISTIC, "l", d2);
        return mb.output(l).build(ModelMetadata.inMemory());
    }

    static Dataset vectorData(int size, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return Dataset.of("vectors", new int[] {size}, CoreArrays.uniform(r, n * size, -2, 2), null);
    }

    // ------------------------------------------------------------------ expected values from the spec

    /** min and max of a tensor of {@code m} over the first {@code n} samples, one float inference each. */
    static float[] observedRange(Model m, String tensor, Dataset d, int n) {
        Tensor t = m.tensor(tensor);
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        try (Interpreter it = new Interpreter(m, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            for (int s = 0; s < n; s++) {
                it.run(
                        d.sample(s),
                        new float[Math.toIntExact(m.outputs().get(0).shape().sampleElementCount())]);
                for (float v : it.readTensorAsFloats(t)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return new float[] {lo, hi};
    }

    /** Asymmetric parameters of the spec: [min(lo, 0), max(hi, 0)] on [qmin, qmax], zero point an integer. */
    static QuantParams asymmetric(float[] range, int qmin, int qmax) {
        double lo = Math.min(range[0], 0);
        double hi = Math.max(range[1], 0);
        float scale = (float) ((hi - lo) / (qmax - qmin));
        long zp = qmin + Math.round(-lo / scale);
        return QuantParams.perTensor(scale, Math.max(qmin, Math.min(qmax, zp)));
    }

    static byte[] bytes(Tensor t) {
        return t.data().bytes();
    }

    static long[] longs(Tensor t) {
        ByteBuffer b = t.data().buffer();
        long[] v = new long[t.data().elementCount()];
        b.asLongBuffer().get(v);
        return v;
    }

    static Op producer(Model m, String tensor) {
        return m.producer(m.tensor(tensor));
    }

    // ------------------------------------------------------------------ weights

    /** Per channel (axis 0 for CONV_2D): scale[c] = max|w_c| / 127, zero point 0, q = round(w / scale[c]). */
    @Test
    void convWeightsPerChannelAreSymmetricWithTheChannelsLargestMagnitude() {
        Model f = convNet();
        Model q = int8(f, convData()).convert().model();
        float[] w = f.tensor("conv/kernel").data().floats();
        Tensor qw = q.tensor("conv/kernel");
        assertThat(qw.dtype()).isEqualTo(DType.INT8);
        QuantParams p = qw.quant();
        assertThat(p.axis()).isZero();
        assertThat(p.zeroPoints()).containsExactly(0, 0, 0);
        byte[] v = bytes(qw);
        for (int c = 0; c < 3; c++) {
            double absMax = 0;
            for (int i = c * 8; i < c * 8 + 8; i++) {
                absMax = Math.max(absMax, Math.abs(w[i]));
            }
            float s = (float) (absMax / 127);
            assertThat(p.scales()[c]).as("channel " + c).isEqualTo(s);
            boolean reaches127 = false;
            for (int i = c * 8; i < c * 8 + 8; i++) {
                assertThat((int) v[i]).isEqualTo((int) Math.round(w[i] / (double) s));
                assertThat(Math.abs(v[i] * (double) s - w[i])).isLessThanOrEqualTo(s / 2 * 1.0001);
                reaches127 |= Math.abs(v[i]) == 127;
            }
            assertThat(reaches127)
                    .as("the largest weight of channel " + c + " maps to ±127")
                    .isTrue();
        }
        // the tiny channel keeps its resolution: its scale is over 100 times smaller than channel 1's
        assertThat(p.scales()[2]).isLessThan(p.scales()[1] / 100);
    }

    @Test
    void perTensorWeightsShareOneScale() {
        Model f = convNet();
        Model q = int8(f, convData(), c -> c.withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model();
        float[] w = f.tensor("conv/kernel").data().floats();
        double absMax = 0;
        for (float x : w) {
            absMax = Math.max(absMax, Math.abs(x));
        }
        QuantParams p = q.tensor("conv/kernel").quant();
        assertThat(p.isPerTensor()).isTrue();
        assertThat(p.scale()).isEqualTo((float) (absMax / 127));
        assertThat(p.zeroPoint()).isZero();
        byte[] v = bytes(q.tensor("conv/kernel"));
        for (int i = 0; i < w.length; i++) {
            assertThat((int) v[i]).isEqualTo((int) Math.round(w[i] / (double) p.scale()));
        }
        // the tiny channel now rounds to a few steps at most
        for (int i = 16; i < 24; i++) {
            assertThat(Math.abs(v[i])).isLessThanOrEqualTo(1);
        }
    }

    /** As TFLite's converter: Dense stays per tensor unless per-channel Dense is asked for. */
    @Test
    void denseWeightsArePerTensorUnlessAskedOtherwise() {
        Model f = convNet();
        float[] w = f.tensor("dense/kernel").data().floats();
        double all = 0;
        double[] rows = new double[4];
        for (int i = 0; i < w.length; i++) {
            all = Math.max(all, Math.abs(w[i]));
            rows[i / 12] = Math.max(rows[i / 12], Math.abs(w[i]));
        }
        QuantParams perTensor =
                int8(f, convData()).convert().model().tensor("dense/kernel").quant();
        assertThat(perTensor.isPerTensor()).isTrue();
        assertThat(perTensor.scale()).isEqualTo((float) (all / 127));
        QuantParams perChannel = int8(f, convData(), c -> c.withPerChannelDense(true))
                .convert()
                .model()
                .tensor("dense/kernel")
                .quant();
        assertThat(perChannel.axis()).isZero();
        for (int o = 0; o < 4; o++) {
            assertThat(perChannel.scales()[o]).isEqualTo((float) (rows[o] / 127));
        }
        assertThat(perChannel.scales()[0]).isLessThan(perChannel.scales()[1]); // row 0 was drawn 4× smaller
    }

    /** DEPTHWISE_CONV_2D weights [1, kh, kw, C·m] are quantized per channel along axis 3. */
    @Test
    void depthwiseWeightsArePerChannelAlongTheLastAxis() {
        ModelBuilder mb = new ModelBuilder("dw");
        Tensor x = mb.input("x", Shape.batched(3, 3, 2));
        float[] k = new float[2 * 2 * 4];
        for (int i = 0; i < k.length; i++) {
            k[i] = (i % 4 + 1) * 0.1f * (i % 3 == 0 ? -1 : 1) * (1 + i / 4); // channel c = i % 4
        }
        Tensor y = mb.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 2, Activation.NONE),
                x,
                mb.constant("dw/kernel", Shape.of(1, 2, 2, 4), k),
                mb.constant("dw/bias", Shape.of(4), new float[4]));
        Model f = mb.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("d", new int[] {3, 3, 2}, new float[36], null);
        Model q = int8(f, d).convert().model();
        QuantParams p = q.tensor("dw/kernel").quant();
        assertThat(p.axis()).isEqualTo(3);
        for (int c = 0; c < 4; c++) {
            double absMax = 0;
            for (int i = c; i < k.length; i += 4) {
                absMax = Math.max(absMax, Math.abs(k[i]));
            }
            assertThat(p.scales()[c]).isEqualTo((float) (absMax / 127));
        }
    }

    /**
     * A channel of zeros gets the minimum scale 5e-7 / 127 (all its values quantize to 0) instead of a division by
     * zero; {@link WeightScaleGuardsTest} has the rest of the guards.
     */
    @Test
    void anAllZeroChannelGetsTheMinimumScale() {
        ModelBuilder mb = new ModelBuilder("zeros");
        Tensor x = mb.input("x", Shape.batched(2, 2, 1));
        Tensor y = CoreModels.conv2d(
                mb, "conv", VALID_1X1, x, mb.constant("k", Shape.of(2, 1, 1, 1), new float[] {0f, -0.5f}));
        Model q = Converter.fromModel(mb.output(y).build(ModelMetadata.inMemory()))
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert()
                .model();
        assertThat(q.tensor("k").quant().scales()).containsExactly((float) (5e-7 / 127), 0.5f / 127);
        assertThat(bytes(q.tensor("k"))).containsExactly(0, -127);
    }

    /** Seeded random weights: every dequantized weight is within half a step of the float weight. */
    @Property(seed = "20240611", tries = 30)
    void dequantizedWeightsAreWithinHalfAStep(
            @ForAll @Size(min = 1, max = 40) List<@FloatRange(min = -8, max = 8) Float> values,
            @ForAll @IntRange(min = 1, max = 4) int channels,
            @ForAll boolean perChannel) {
        int per = (values.size() + channels - 1) / channels;
        float[] w = new float[per * channels];
        for (int i = 0; i < w.length; i++) {
            w[i] = values.get(i % values.size()) * (1 + i / per);
        }
        ModelBuilder mb = new ModelBuilder("p");
        Tensor x = mb.input("x", Shape.batched(1, 1, per));
        Tensor y = CoreModels.conv2d(mb, "conv", VALID_1X1, x, mb.constant("k", Shape.of(channels, 1, 1, per), w));
        Model f = mb.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("d", new int[] {1, 1, per}, new float[per], null);
        Model q = int8(f, d, c -> c.withGranularity(perChannel ? Granularity.PER_CHANNEL : Granularity.PER_TENSOR))
                .convert()
                .model();
        Tensor qk = q.tensor("k");
        float[] s = qk.quant().scales();
        byte[] v = bytes(qk);
        for (int i = 0; i < w.length; i++) {
            float scale = s[perChannel ? i / per : 0];
            assertThat(v[i]).isBetween((byte) -127, (byte) 127);
            assertThat(Math.abs(v[i] * (double) scale - w[i]))
                    .as("w[%d] = %s", i, w[i])
                    .isLessThanOrEqualTo(scale / 2 * 1.0001);
        }
    }

    // ------------------------------------------------------------------ bias and activations

    /**
     * Bias: int32, zero point 0, scale s_in·s_w[c] per channel, q = round(b / (s_in·s_w[c])); s_in is the conv
     * input's scale, from the calibrated input range [min(x), max(x)].
     */
    @Test
    void biasIsInt32AtInputScaleTimesWeightScale() {
        Model f = convNet();
        Dataset d = convData();
        Model q = int8(f, d).convert().model();
        float[] xr = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (float v : d.features()) {
            xr[0] = Math.min(xr[0], v);
            xr[1] = Math.max(xr[1], v);
        }
        Op conv = producer(q, "conv");
        QuantParams in = conv.input(0).quant();
        assertThat(in).isEqualTo(asymmetric(xr, -128, 127));
        float[] ws = q.tensor("conv/kernel").quant().scales();
        Tensor bias = q.tensor("conv/bias");
        assertThat(conv.input(2)).isSameAs(bias);
        assertThat(bias.dtype()).isEqualTo(DType.INT32);
        float[] b = f.tensor("conv/bias").data().floats();
        int[] qb = bias.data().ints();
        for (int c = 0; c < 3; c++) {
            float s = in.scale() * ws[c];
            assertThat(bias.quant().scales()[c]).isEqualTo(s);
            assertThat(bias.quant().zeroPoints()[c]).isZero();
            assertThat(qb[c]).isEqualTo((int) Math.round(b[c] / (double) s));
        }
        // Dense: per-tensor weights, one bias scale
        Tensor db = q.tensor("dense/bias");
        float sd = q.tensor("flatten").quant().scale()
                * q.tensor("dense/kernel").quant().scale();
        assertThat(db.quant()).isEqualTo(QuantParams.perTensor(sd, 0));
        float[] fb = f.tensor("dense/bias").data().floats();
        for (int o = 0; o < 4; o++) {
            assertThat(db.data().ints()[o]).isEqualTo((int) Math.round(fb[o] / (double) sd));
        }
    }

    /**
     * Activations: int8 asymmetric over the observed range widened to zero; reshape keeps its input's parameters;
     * softmax is fixed at 1/256 with zero point −128.
     */
    @Test
    void activationParametersFollowTheObservedRanges() {
        Model f = convNet();
        Dataset d = convData();
        Model q = int8(f, d).convert().model();
        float[] convRange = observedRange(f, "conv", d, d.size());
        QuantParams conv = q.tensor("conv").quant();
        assertThat(q.tensor("conv").dtype()).isEqualTo(DType.INT8);
        assertThat(conv).isEqualTo(asymmetric(convRange, -128, 127));
        assertThat(conv.zeroPoint()).isBetween(-128L, 127L);
        assertThat(QuantMath.quantize(0f, conv.scale(), conv.zeroPoint(), -128, 127))
                .isEqualTo(conv.zeroPoint());
        assertThat(q.tensor("flatten").quant()).isEqualTo(conv);
        assertThat(q.tensor("dense").quant()).isEqualTo(asymmetric(observedRange(f, "dense", d, d.size()), -128, 127));
        assertThat(q.tensor("softmax/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 256, -128));
        // the report lists each layer with its parameters and weights
        List<LayerReport> layers = int8(f, d).convert().report().layers();
        assertThat(layers).extracting(LayerReport::layer).containsExactly("conv", "flatten", "dense", "softmax");
        assertThat(layers.get(0).outputParams()).isEqualTo(conv.toString());
        assertThat(layers.get(0).weightParams()).startsWith("per-channel x3");
        assertThat(layers).noneMatch(LayerReport::leftInFloat);
    }

    /**
     * Ranges that exclude zero are widened to it: inputs in [0.5, 1] give (1/255, −128) in int8 and (1/255, 0) in
     * uint8; x0 + x1 − 10 in [−9, −8] gives [−9, 0]: (9/255, 127) and (9/255, 255).
     */
    @Test
    void rangesThatExcludeZeroAreWidenedToIt() {
        ModelBuilder mb = new ModelBuilder("negative");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor y = CoreModels.dense(mb, "neg", x, new float[] {1, 1}, new float[] {-10});
        Model f = mb.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("positive", new int[] {2}, new float[] {0.5f, 0.5f, 1f, 1f, 0.75f, 0.5f}, null);
        Model q = int8(f, d, c -> c.withIo(IoType.INT8)).convert().model();
        assertThat(q.inputs().get(0).quant()).isEqualTo(QuantParams.perTensor((float) (1.0 / 255), -128));
        assertThat(q.outputs().get(0).quant()).isEqualTo(QuantParams.perTensor((float) (9.0 / 255), 127));
        Model u = int8(
                        f,
                        d,
                        c -> c.withScheme(QuantizationScheme.ASYMMETRIC)
                                .withGranularity(Granularity.PER_TENSOR)
                                .withIo(IoType.UINT8))
                .convert()
                .model();
        assertThat(u.inputs().get(0).quant()).isEqualTo(QuantParams.perTensor((float) (1.0 / 255), 0));
        assertThat(u.outputs().get(0).quant()).isEqualTo(QuantParams.perTensor((float) (9.0 / 255), 255));
    }

    @Test
    void tanhAndLogisticOutputsAreFixed() {
        Dataset d = vectorData(4, 16, 2);
        Model int8 = int8(tanhLogistic(), d).convert().model();
        assertThat(int8.tensor("t").quant()).isEqualTo(QuantParams.perTensor(1f / 128, 0));
        assertThat(int8.tensor("l/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 256, -128));
        Model uint8 = int8(
                        tanhLogistic(),
                        d,
                        c -> c.withScheme(QuantizationScheme.ASYMMETRIC).withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model();
        assertThat(uint8.tensor("t").quant()).isEqualTo(QuantParams.perTensor(1f / 128, 128));
        assertThat(uint8.tensor("l/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 256, 0));
        Model int16 = Converter.fromModel(tanhLogistic())
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT16X8)
                        .withCalibrationSamples(16))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        assertThat(int16.tensor("t").quant()).isEqualTo(QuantParams.perTensor(1f / 32768, 0));
        assertThat(int16.tensor("l/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 32768, 0));
    }

    // ------------------------------------------------------------------ schemes and modes

    /** The uint8 scheme: uint8 asymmetric weights over [min(w, 0), max(w, 0)] and uint8 activations. */
    @Test
    void asymmetricSchemeIsUint8Throughout() {
        Model f = convNet();
        Dataset d = convData();
        assertThatThrownBy(() -> int8(f, d, c -> c.withScheme(QuantizationScheme.ASYMMETRIC))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("one weight scale per tensor");
        Model q = int8(f, d, c -> c.withScheme(QuantizationScheme.ASYMMETRIC).withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model();
        float[] w = f.tensor("dense/kernel").data().floats();
        float[] wr = {0, 0};
        for (float v : w) {
            wr[0] = Math.min(wr[0], v);
            wr[1] = Math.max(wr[1], v);
        }
        Tensor qw = q.tensor("dense/kernel");
        assertThat(qw.dtype()).isEqualTo(DType.UINT8);
        QuantParams wp = asymmetric(wr, 0, 255);
        assertThat(qw.quant()).isEqualTo(wp);
        byte[] v = bytes(qw);
        for (int i = 0; i < w.length; i++) {
            long want = Math.max(0, Math.min(255, Math.round(w[i] / (double) wp.scale()) + wp.zeroPoint()));
            assertThat(v[i] & 0xFF).isEqualTo((int) want);
        }
        for (String t : new String[] {"x/quantized", "conv", "flatten", "dense", "softmax/quantized"}) {
            assertThat(q.tensor(t).dtype()).as(t).isEqualTo(DType.UINT8);
        }
        assertThat(q.tensor("conv").quant()).isEqualTo(asymmetric(observedRange(f, "conv", d, d.size()), 0, 255));
        assertThat(q.tensor("softmax/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 256, 0));
        Tensor bias = q.tensor("dense/bias");
        assertThat(bias.dtype()).isEqualTo(DType.INT32);
        assertThat(bias.quant().scale()).isEqualTo(q.tensor("flatten").quant().scale() * wp.scale());
    }

    /** 16x8: int16 symmetric activations (max|x| / 32767, zero point 0), int8 weights, int64 bias. */
    @Test
    void int16x8HasSymmetricInt16ActivationsAndInt64Bias() {
        Model f = convNet();
        Dataset d = convData();
        Model q = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT16X8)
                        .withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        float[] convRange = observedRange(f, "conv", d, d.size());
        double absMax = Math.max(Math.abs(convRange[0]), Math.abs(convRange[1]));
        Tensor conv = q.tensor("conv");
        assertThat(conv.dtype()).isEqualTo(DType.INT16);
        assertThat(conv.quant()).isEqualTo(QuantParams.perTensor((float) (absMax / 32767), 0));
        Tensor in = producer(q, "conv").input(0);
        assertThat(in.dtype()).isEqualTo(DType.INT16);
        assertThat(in.quant().zeroPoint()).isZero();
        assertThat(q.tensor("conv/kernel").dtype()).isEqualTo(DType.INT8);
        Tensor bias = q.tensor("conv/bias");
        assertThat(bias.dtype()).isEqualTo(DType.INT64);
        float[] ws = q.tensor("conv/kernel").quant().scales();
        float[] b = f.tensor("conv/bias").data().floats();
        long[] qb = longs(bias);
        for (int c = 0; c < 3; c++) {
            float s = in.quant().scale() * ws[c];
            assertThat(bias.quant().scales()[c]).isEqualTo(s);
            assertThat(qb[c]).isEqualTo(Math.round(b[c] / (double) s));
        }
        assertThat(q.tensor("softmax/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 32768, 0));
        assertThat(q.tensor("flatten").quant()).isEqualTo(conv.quant());
    }

    /** float16: each float constant is stored as half floats and widened by a DEQUANTIZE before its use. */
    @Test
    void float16StoresHalfWeightsBehindDequantize() {
        Model f = convNet();
        Converter.Conversion c = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.FLOAT16))
                .convert();
        Model q = c.model();
        for (String name : new String[] {"conv/kernel", "conv/bias", "dense/kernel", "dense/bias"}) {
            Tensor h = q.tensor(name);
            assertThat(h.dtype()).as(name).isEqualTo(DType.FLOAT16);
            float[] w = f.tensor(name).data().floats();
            short[] bits = new short[w.length];
            h.data().buffer().asShortBuffer().get(bits);
            for (int i = 0; i < w.length; i++) {
                assertThat(bits[i]).isEqualTo(Float.floatToFloat16(w[i]));
            }
            Op deq = q.consumers(h).get(0);
            assertThat(deq.type()).isEqualTo(OpType.DEQUANTIZE);
            assertThat(deq.output(0).dtype()).isEqualTo(DType.FLOAT32);
        }
        assertThat(producer(q, "conv").input(1).name()).isEqualTo("conv/kernel/dequantize");
        assertThat(q.inputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(q.outputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(c.report().quantizedBytes() * 2).isEqualTo(c.report().floatBytes());
        assertThat(ModelChecks.maxDifference(f, q, convData(), 5)).isLessThan(1e-3);
    }

    /**
     * Dynamic range: int8 weights for Dense and the convolutions (convolutions per channel even when per-tensor is
     * asked, as TFLite's hybrid convolutions need), float bias, activations and I/O; other ops untouched.
     */
    @Test
    void dynamicRangeQuantizesWeightsOnly() {
        Model f = convNet();
        Converter.Conversion c = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.DYNAMIC)
                        .withGranularity(Granularity.PER_TENSOR))
                .convert();
        Model q = c.model();
        assertThat(CoreOps.types(q)).isEqualTo(CONV_NET_OPS);
        Op conv = producer(q, "conv");
        assertThat(conv.input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(conv.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(conv.input(1).quant().axis()).isZero();
        assertThat(conv.input(2).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(conv.output(0).dtype()).isEqualTo(DType.FLOAT32);
        Op dense = producer(q, "dense");
        assertThat(dense.input(1).quant().isPerTensor()).isTrue();
        assertThat(dense.attrs(OpAttributes.FullyConnected.class).asymmetricQuantizeInputs())
                .isTrue();
        assertThat(c.report().floatLayers()).extracting(LayerReport::layer).containsExactly("flatten", "softmax");
        assertThat(ModelChecks.maxDifference(f, q, convData(), 5)).isLessThan(0.05);
    }

    // ------------------------------------------------------------------ I/O types

    @Test
    void floatIoPutsQuantizeAndDequantizeAtTheBoundary() {
        Model f = convNet();
        Converter.Conversion c = int8(f, convData()).convert();
        Model q = c.model();
        List<Op> ops = q.ops();
        assertThat(CoreOps.types(q)).isEqualTo("QUANTIZE " + CONV_NET_OPS + " DEQUANTIZE");
        Tensor in = q.inputs().get(0);
        assertThat(in.name()).isEqualTo("x");
        assertThat(in.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(ops.get(0).input(0)).isSameAs(in);
        assertThat(ops.get(0).output(0).name()).isEqualTo("x/quantized");
        assertThat(ops.get(0).output(0).dtype()).isEqualTo(DType.INT8);
        Tensor out = q.outputs().get(0);
        assertThat(out.name()).isEqualTo("softmax");
        assertThat(out.dtype()).isEqualTo(DType.FLOAT32);
        assertThat(ops.get(5).output(0)).isSameAs(out);
        assertThat(ops.get(5).input(0).name()).isEqualTo("softmax/quantized");
        assertThat(ops.get(5).input(0)).isSameAs(ops.get(4).output(0));
        // the converted model computes about what the float model does (the error of three quantized layers)
        assertThat(ModelChecks.maxDifference(f, q, convData(), 24)).isLessThan(0.05);
    }

    @Test
    void integerIoExposesTheQuantizedTensors() {
        Model f = convNet();
        Model q = int8(f, convData(), c -> c.withIo(IoType.INT8)).convert().model();
        assertThat(CoreOps.types(q)).isEqualTo(CONV_NET_OPS);
        Tensor in = q.inputs().get(0);
        assertThat(in.name()).isEqualTo("x");
        assertThat(in.dtype()).isEqualTo(DType.INT8);
        assertThat(q.ops().get(0).input(0)).isSameAs(in);
        Tensor out = q.outputs().get(0);
        assertThat(out.name()).isEqualTo("softmax");
        assertThat(out.dtype()).isEqualTo(DType.INT8);
        assertThat(out.quant()).isEqualTo(QuantParams.perTensor(1f / 256, -128));
    }

    /** uint8 I/O of an int8 model: the same real values with zero points shifted by 128, requantized inside. */
    @Test
    void uint8IoOfAnInt8ModelShiftsTheZeroPoints() {
        Model f = convNet();
        Model int8Io = int8(f, convData(), c -> c.withIo(IoType.INT8)).convert().model();
        Model q = int8(f, convData(), c -> c.withIo(IoType.UINT8)).convert().model();
        assertThat(CoreOps.types(q)).isEqualTo("QUANTIZE " + CONV_NET_OPS + " QUANTIZE");
        QuantParams inner = int8Io.inputs().get(0).quant();
        Tensor in = q.inputs().get(0);
        assertThat(in.dtype()).isEqualTo(DType.UINT8);
        assertThat(in.quant()).isEqualTo(QuantParams.perTensor(inner.scale(), inner.zeroPoint() + 128));
        assertThat(q.ops().get(0).output(0).name()).isEqualTo("x/requantized");
        assertThat(q.ops().get(0).output(0).quant()).isEqualTo(inner);
        Tensor out = q.outputs().get(0);
        assertThat(out.dtype()).isEqualTo(DType.UINT8);
        assertThat(out.quant()).isEqualTo(QuantParams.perTensor(1f / 256, 0));
    }

    @Test
    void int16IoNeedsTheInt16x8Mode() {
        Model f = convNet();
        assertThatThrownBy(
                        () -> int8(f, convData(), c -> c.withIo(IoType.INT16)).convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("int16x8");
        Model q = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT16X8)
                        .withIo(IoType.INT16)
                        .withCalibrationSamples(24))
                .withRepresentativeDataset(convData())
                .convert()
                .model();
        assertThat(q.inputs().get(0).dtype()).isEqualTo(DType.INT16);
        assertThat(q.inputs().get(0).quant().zeroPoint()).isZero();
        assertThat(q.outputs().get(0).quant()).isEqualTo(QuantParams.perTensor(1f / 32768, 0));
        assertThatThrownBy(() -> Converter.fromModel(f)
                        .withConfig(QuantizationConfig.defaults()
                                .withMode(QuantizationMode.INT16X8)
                                .withIo(IoType.INT8)
                                .withCalibrationSamples(24))
                        .withRepresentativeDataset(convData())
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("int16 activations");
    }

    // ------------------------------------------------------------------ LSTM and float fallback

    /**
     * An LSTM becomes TFLite's integer LSTM: int8 per-tensor weights, the output state asymmetric over the observed
     * output range (as the TFLite converter writes it; the output and intermediate 4 share it), the cell state int16 with scale 2^p / 32768, p = ⌈log2 max|c|⌉.
     */
    @Test
    void lstmGetsPowerOfTwoCellScale() {
        Model f = MinMaxCalibratorTest.lstmModel();
        Dataset d = MinMaxCalibratorTest.lstmData();
        Calibration cal = MinMaxCalibrator.calibrate(f, d, d.size(), 1);
        float cellMax = cal.lstmCellStates().values().iterator().next().max();
        assertThat(cellMax).isGreaterThan(2f).isLessThanOrEqualTo(4f); // so p = 2
        Model q = int8(f, d).convert().model();
        Op lstm = q.ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .findFirst()
                .orElseThrow();
        OpAttributes.Lstm a = lstm.attrs(OpAttributes.Lstm.class);
        assertThat(a.cellStateQuant()).isEqualTo(QuantParams.perTensor(4f / 32768, 0));
        TensorRange out = cal.ranges().get(f.outputs().get(0));
        assertThat(a.outputStateQuant()).isEqualTo(QuantMath.asymmetric(out.min(), out.max(), -128, 127));
        assertThat(a.outputStateQuant().zeroPoint()).isNotZero();
        assertThat(lstm.output(0).quant()).isEqualTo(a.outputStateQuant());
        assertThat(a.intermediates()[4]).isEqualTo(a.outputStateQuant());
        for (int i = 1; i < 9; i++) {
            Tensor w = lstm.input(i);
            assertThat(w.dtype()).isEqualTo(DType.INT8);
            assertThat(w.quant().isPerTensor()).isTrue();
        }
        for (int g = 0; g < 4; g++) {
            Tensor b = lstm.input(9 + g);
            assertThat(b.dtype()).isEqualTo(DType.INT32);
            assertThat(b.quant().scale())
                    .isEqualTo(lstm.input(0).quant().scale()
                            * lstm.input(1 + g).quant().scale());
        }
    }

    /** An op without an integer kernel fails the conversion, or stays float between DEQUANTIZE and QUANTIZE. */
    @Test
    void opsWithoutIntegerKernelsFailOrFallBackToFloat() {
        ModelBuilder mb = new ModelBuilder("mul");
        Tensor x = mb.input("x", Shape.batched(4));
        Tensor two = mb.constant("two", Shape.of(4), new float[] {2, 2, 2, 2});
        Tensor m = mb.add(
                OpType.DIV, "mul", new Origin("mul", "Divide"), new OpAttributes.Arithmetic(Activation.NONE), x, two);
        Tensor r = CoreModels.relu(mb, "relu_after", m);
        Tensor t = CoreModels.activation(mb, OpType.TANH, "tanh", r);
        Model f = mb.output(t).build(ModelMetadata.inMemory());
        Dataset d = vectorData(4, 8, 3);
        assertThatThrownBy(() -> int8(f, d).convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("DIV has no int8 kernel")
                .hasMessageContaining("allowFloatFallback");
        Converter.Conversion c = int8(f, d, s -> s.withAllowFloatFallback(true)).convert();
        Model q = c.model();
        // the DIV reads the float graph input itself (no QUANTIZE/DEQUANTIZE round trip before it)
        assertThat(CoreOps.types(q)).isEqualTo("DIV QUANTIZE RELU TANH DEQUANTIZE");
        Op mul = q.ops().get(0);
        assertThat(mul.input(0)).isSameAs(q.inputs().get(0));
        assertThat(mul.input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(mul.output(0).dtype()).isEqualTo(DType.FLOAT32);
        // the QUANTIZE after it takes the DIV output's observed range (a DIV takes no fused ReLU here)
        Tensor back = q.ops().get(1).output(0);
        assertThat(back.name()).isEqualTo("mul");
        assertThat(back.dtype()).isEqualTo(DType.INT8);
        assertThat(back.quant()).isEqualTo(asymmetric(observedRange(f, "mul", d, d.size()), -128, 127));
        assertThat(c.report().floatLayers()).singleElement().satisfies(l -> {
            assertThat(l.op()).isEqualTo("DIV");
            assertThat(l.reason()).isEqualTo("no int8 kernel for DIV; kept in float as allowed");
        });
        assertThat(ModelChecks.maxDifference(f, q, d, 8)).isLessThan(0.05);
    }
}
