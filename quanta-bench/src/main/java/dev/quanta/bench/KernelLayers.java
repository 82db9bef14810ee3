package dev.quanta.bench;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The layers {@link KernelThroughput} times: one single-op model per kernel family, at shapes of the fixture models
 * (IC ResNet-8, VWW, KWS), built with the IR API. Weights are seeded random; int8 layers are quantized as the TFLite
 * converter writes them (activations per-tensor, weights symmetric per-channel, INT32 bias at s_x·s_w) and run on
 * the interpreter's default XNNPACK path.
 *
 * <p>Work per layer: convolutions and fully connected count 2 ops per multiply-accumulate (the usual GFLOP/s
 * convention); ADD one op per output element; pools one op per window tap (a compare or an add).
 */
final class KernelLayers {
    private KernelLayers() {}

    /**
     * One benchmarked layer.
     *
     * @param family the kernel family ({@code "float conv"}, {@code "int8 depthwise"} ...)
     * @param shape the shape in words
     * @param ops the work of one run: 2·MACs, elements or window taps (see the class comment)
     * @param model builds the single-op model (seeded, so every fork gets the same weights)
     */
    record Layer(String key, String family, String shape, long ops, Supplier<Model> model) {
        boolean isInt() {
            return family.startsWith("int8");
        }
    }

    /** Every layer by key, in table order: float families first, then int8. */
    static final Map<String, Layer> LAYERS = layers();

    private static Map<String, Layer> layers() {
        Map<String, Layer> m = new LinkedHashMap<>();
        for (DType t : new DType[] {DType.FLOAT32, DType.INT8}) {
            String p = t == DType.FLOAT32 ? "f32" : "i8";
            String f = t == DType.FLOAT32 ? "float " : "int8 ";
            put(
                    m,
                    new Layer(
                            p + "-conv3x3-16-32x32",
                            f + "conv 3x3",
                            "32x32x16 -> 16 (IC)",
                            2L * 32 * 32 * 16 * 9 * 16,
                            () -> conv(t, 32, 16, 16, 3)));
            put(
                    m,
                    new Layer(
                            p + "-conv3x3-64-8x8",
                            f + "conv 3x3",
                            "8x8x64 -> 64 (IC)",
                            2L * 8 * 8 * 64 * 9 * 64,
                            () -> conv(t, 8, 64, 64, 3)));
            put(
                    m,
                    new Layer(
                            p + "-conv1x1-32-24x24",
                            f + "pointwise 1x1",
                            "24x24x32 -> 32 (VWW)",
                            2L * 24 * 24 * 32 * 32,
                            () -> conv(t, 24, 32, 32, 1)));
            put(
                    m,
                    new Layer(
                            p + "-dw3x3-48x48x32",
                            f + "depthwise 3x3",
                            "48x48x32",
                            2L * 48 * 48 * 32 * 9,
                            () -> depthwise(t, 48, 32)));
            put(
                    m,
                    new Layer(
                            p + "-fc-256-64",
                            f + "fully connected",
                            "256 -> 64",
                            2L * 256 * 64,
                            () -> fullyConnected(t, 256, 64)));
            put(
                    m,
                    new Layer(
                            p + "-add-32x32x16",
                            f + "add",
                            "32x32x16 + 32x32x16 (IC)",
                            32L * 32 * 16,
                            () -> add(t, 32, 16)));
            put(
                    m,
                    new Layer(
                            p + "-maxpool2x2-32x32x16",
                            f + "max pool 2x2 s2",
                            "32x32x16",
                            16L * 16 * 16 * 4,
                            () -> pool(t, true, 32, 16)));
            if (t == DType.INT8) {
                put(
                        m,
                        new Layer(
                                p + "-avgpool2x2-32x32x16",
                                f + "avg pool 2x2 s2",
                                "32x32x16",
                                16L * 16 * 16 * 4,
                                () -> pool(t, false, 32, 16)));
            }
        }
        return m;
    }

    private static void put(Map<String, Layer> m, Layer l) {
        m.put(l.key(), l);
    }

    static Layer get(String key) {
        Layer l = LAYERS.get(key);
        if (l == null) {
            throw new IllegalArgumentException("unknown layer '" + key + "'; known: " + LAYERS.keySet());
        }
        return l;
    }

    private static final float SX = 0.02f;
    private static final int ZX = -10;

    /** A square {@code k × k} SAME convolution, stride 1, ReLU, batch 1. */
    static Model conv(DType t, int hw, int in, int out, int k) {
        SplittableRandom r = new SplittableRandom(1);
        Tensor x = activation("x", t, SX, ZX, 1, hw, hw, in);
        Tensor w = weights(r, t, new int[] {out, k, k, in}, 0);
        Tensor b = bias(r, t, x, w, out);
        Tensor y = activation("y", t, outScale(w, k * k * in), -128, 1, hw, hw, out);
        var a = new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU);
        return model("conv", List.of(x), op(OpType.CONV_2D, a, y, x, w, b));
    }

    /** A 3 × 3 SAME depthwise convolution, stride 1, multiplier 1, ReLU. */
    static Model depthwise(DType t, int hw, int c) {
        SplittableRandom r = new SplittableRandom(2);
        Tensor x = activation("x", t, SX, ZX, 1, hw, hw, c);
        Tensor w = weights(r, t, new int[] {1, 3, 3, c}, 3);
        Tensor b = bias(r, t, x, w, c);
        Tensor y = activation("y", t, outScale(w, 9), -128, 1, hw, hw, c);
        var a = new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 1, Activation.RELU);
        return model("dw", List.of(x), op(OpType.DEPTHWISE_CONV_2D, a, y, x, w, b));
    }

    static Model fullyConnected(DType t, int k, int n) {
        SplittableRandom r = new SplittableRandom(3);
        Tensor x = activation("x", t, SX, ZX, 1, k);
        Tensor w = weights(r, t, new int[] {n, k}, 0);
        Tensor b = bias(r, t, x, w, n);
        Tensor y = activation("y", t, outScale(w, k), 5, 1, n);
        return model(
                "fc",
                List.of(x),
                op(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.NONE), y, x, w, b));
    }

    static Model add(DType t, int hw, int c) {
        Tensor a = activation("a", t, 0.05f, -3, 1, hw, hw, c);
        Tensor b = activation("b", t, 0.04f, 7, 1, hw, hw, c);
        Tensor y = activation("y", t, 0.08f, -1, 1, hw, hw, c);
        return model("add", List.of(a, b), op(OpType.ADD, new OpAttributes.Add(Activation.NONE), y, a, b));
    }

    /** A 2 × 2 VALID pool, stride 2. */
    static Model pool(DType t, boolean max, int hw, int c) {
        Tensor x = activation("x", t, SX, ZX, 1, hw, hw, c);
        Tensor y = activation("y", t, SX, ZX, 1, hw / 2, hw / 2, c);
        var a = new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE);
        return model("pool", List.of(x), op(max ? OpType.MAX_POOL_2D : OpType.AVERAGE_POOL_2D, a, y, x));
    }

    private static Tensor activation(String name, DType t, float scale, int zp, int... dims) {
        return new Tensor(
                name, Shape.of(dims), t, null, t == DType.FLOAT32 ? null : QuantParams.perTensor(scale, zp), false);
    }

    /** Float weights ~ N(0, 0.1²); int8 weights uniform in [-127, 127], per-channel scales along {@code axis}. */
    private static Tensor weights(SplittableRandom r, DType t, int[] dims, int axis) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        if (t == DType.FLOAT32) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                v[i] = (float) (gaussian(r) * 0.1);
            }
            return Tensor.constant("w", Shape.of(dims), v);
        }
        byte[] v = new byte[n];
        for (int i = 0; i < n; i++) {
            v[i] = (byte) (r.nextInt(255) - 127);
        }
        float[] s = new float[dims[axis]];
        for (int i = 0; i < s.length; i++) {
            s[i] = 0.005f + 0.01f * (float) r.nextDouble();
        }
        QuantParams q = QuantParams.perAxis(s, new long[s.length], axis);
        return new Tensor("w", Shape.of(dims), DType.INT8, TensorData.ofBytes(DType.INT8, v), q, true);
    }

    /** Float bias ~ N(0, 0.1²); int8: INT32 in [-2000, 2000] at scale s_x·s_w[c]. */
    private static Tensor bias(SplittableRandom r, DType t, Tensor x, Tensor w, int channels) {
        if (t == DType.FLOAT32) {
            float[] v = new float[channels];
            for (int i = 0; i < channels; i++) {
                v[i] = (float) (gaussian(r) * 0.1);
            }
            return Tensor.constant("b", Shape.of(channels), v);
        }
        ByteBuffer b = ByteBuffer.allocate(channels * 4).order(ByteOrder.LITTLE_ENDIAN);
        float[] ws = w.quant().scales();
        float[] bs = new float[channels];
        for (int i = 0; i < channels; i++) {
            b.putInt(r.nextInt(4001) - 2000);
            bs[i] = x.quant().scale() * ws[i];
        }
        QuantParams q = QuantParams.perAxis(bs, new long[channels], 0);
        return new Tensor("b", Shape.of(channels), DType.INT32, TensorData.ofBytes(DType.INT32, b.array()), q, true);
    }

    /** An output scale that spreads a {@code taps}-term accumulation of random int8 products over the int8 range. */
    private static float outScale(Tensor w, int taps) {
        return w.quant() == null ? 0 : SX * w.quant().scales()[0] * (float) Math.sqrt(taps) * 60f;
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
    }

    private static Model model(String name, List<Tensor> inputs, Op op) {
        return new Model(name, inputs, List.of(op.output(0)), List.of(op), ModelMetadata.inMemory());
    }

    private static Op op(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        return new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin(out.name(), type.name()));
    }
}
