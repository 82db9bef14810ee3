package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxJavaType;
import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.UsesOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OnnxWriter} on small models built in code, float and quantized: every written file loads in ONNX Runtime,
 * which agrees with Quanta's interpreter (float within 1e-5 of the output range, integer within one quantization step),
 * and the graph follows ONNX's checker rules as tested here.
 */
@UsesOracle
class OnnxWriterTest {
    @TempDir
    Path tmp;

    private static final int SAMPLES = 24;

    /**
     * Input [N, 8, 8, 3] through Conv (ReLU), DepthwiseConv (ReLU6, stride 2), MaxPool, Add, Concat (channels), Pad,
     * AveragePool (SAME), then two heads: Flatten → Dense (NHWC element order) and Mean (H, W) → Dense, added: logits
     * [N, 5].
     */
    static Model vision() {
        SplittableRandom r = new SplittableRandom(7);
        ModelBuilder b = new ModelBuilder("vision");
        Tensor x = b.input("image", Shape.batched(8, 8, 3));
        Tensor c1 = b.add(
                OpType.CONV_2D,
                "conv",
                new Origin("conv", "Conv2D"),
                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                x,
                b.constant("conv/kernel", Shape.of(4, 3, 3, 3), CoreArrays.uniform(r, 108, -0.5, 0.5)),
                b.constant("conv/bias", Shape.of(4), CoreArrays.uniform(r, 4, -0.1, 0.1)));
        Tensor d1 = b.add(
                OpType.DEPTHWISE_CONV_2D,
                "dw",
                new Origin("dw", "DepthwiseConv2D"),
                new OpAttributes.DepthwiseConv2D(Padding.SAME, 2, 2, 1, 1, 1, Activation.RELU6),
                c1,
                b.constant("dw/kernel", Shape.of(1, 3, 3, 4), CoreArrays.uniform(r, 36, -0.8, 0.8)),
                b.constant("dw/bias", Shape.of(4), CoreArrays.uniform(r, 4, -0.1, 0.1)));
        Tensor p1 = b.add(
                OpType.MAX_POOL_2D,
                "pool",
                new Origin("pool", "MaxPooling2D"),
                new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE),
                c1);
        Tensor a1 = b.add(OpType.ADD, "add", new Origin("add", "Add"), new OpAttributes.Add(Activation.NONE), d1, p1);
        Tensor cat = b.add(
                OpType.CONCATENATION,
                "concat",
                new Origin("concat", "Concatenate"),
                new OpAttributes.Concatenation(3, Activation.NONE),
                a1,
                d1);
        Tensor padded = b.add(
                OpType.PAD,
                "pad",
                new Origin("pad", "ZeroPadding2D"),
                new OpAttributes.Pad(new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}),
                cat);
        Tensor ap = b.add(
                OpType.AVERAGE_POOL_2D,
                "avg",
                new Origin("avg", "AveragePooling2D"),
                new OpAttributes.Pool2D(Padding.SAME, 3, 3, 1, 1, Activation.NONE),
                padded);
        Tensor flat = b.add(
                OpType.RESHAPE,
                "flatten",
                new Origin("flatten", "Flatten"),
                new OpAttributes.Reshape(new int[] {-1, 288}),
                ap);
        Tensor h1 = dense(b, r, "dense1", flat, 288);
        Tensor m = b.add(
                OpType.MEAN,
                "mean",
                new Origin("mean", "GlobalAveragePooling2D"),
                new OpAttributes.Mean(new int[] {1, 2}, false),
                ap);
        Tensor h2 = dense(b, r, "dense2", m, 8);
        Tensor logits =
                b.add(OpType.ADD, "logits", new Origin("logits", "Add"), new OpAttributes.Add(Activation.NONE), h1, h2);
        return b.output(logits).build(ModelMetadata.inMemory());
    }

    private static Tensor dense(ModelBuilder b, SplittableRandom r, String name, Tensor x, int in) {
        return b.add(
                OpType.FULLY_CONNECTED,
                name,
                new Origin(name, "Dense"),
                new OpAttributes.FullyConnected(Activation.NONE),
                x,
                b.constant(name + "/kernel", Shape.of(5, in), CoreArrays.uniform(r, 5 * in, -0.3, 0.3)),
                b.constant(name + "/bias", Shape.of(5), CoreArrays.uniform(r, 5, -0.2, 0.2)));
    }

    /** Input [N, 6] → Dense(8, ReLU) → Dense(4) → Softmax. */
    static Model classifier() {
        SplittableRandom r = new SplittableRandom(3);
        ModelBuilder b = new ModelBuilder("classifier");
        Tensor x = b.input("features", Shape.batched(6));
        Tensor h = b.add(
                OpType.FULLY_CONNECTED,
                "hidden",
                new Origin("hidden", "Dense"),
                new OpAttributes.FullyConnected(Activation.RELU),
                x,
                b.constant("hidden/kernel", Shape.of(8, 6), CoreArrays.uniform(r, 48, -1, 1)),
                b.constant("hidden/bias", Shape.of(8), CoreArrays.uniform(r, 8, -0.2, 0.2)));
        Tensor y = b.add(
                OpType.FULLY_CONNECTED,
                "out",
                new Origin("out", "Dense"),
                new OpAttributes.FullyConnected(Activation.NONE),
                h,
                b.constant("out/kernel", Shape.of(4, 8), CoreArrays.uniform(r, 32, -1, 1)));
        Tensor s = b.add(OpType.SOFTMAX, "softmax", new Origin("out", "Dense"), new OpAttributes.Softmax(1f), y);
        return b.output(s).build(ModelMetadata.inMemory());
    }

    static Dataset data(Model m, int n, long seed) {
        int[] sample = m.inputs().get(0).shape().sampleDims();
        int size = m.inputs().get(0).shape().sampleElementCount();
        return Dataset.of("random", sample, CoreArrays.uniform(new SplittableRandom(seed), n * size, -1, 1), null);
    }

    static Model quantized(Model m, QuantizationScheme scheme, IoType io) {
        return Converter.fromModel(m)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withScheme(scheme)
                        .withGranularity(
                                scheme == QuantizationScheme.ASYMMETRIC
                                        ? Granularity.PER_TENSOR
                                        : Granularity.PER_CHANNEL)
                        .withIo(io)
                        .withCalibrationSamples(SAMPLES))
                .withRepresentativeDataset(data(m, SAMPLES, 1))
                .convert()
                .model();
    }

    /** Largest |ONNX Runtime − Quanta| over the samples, float in and out; fills {@code range} with the output range. */
    static double maxFloatDifference(Model m, Dataset d, double[] range) {
        long[] shape = onnxShape(m.inputs().get(0));
        float[] x = new float[d.sampleSize()];
        float[] mine = new float[m.outputs().get(0).shape().sampleElementCount()];
        double worst = 0;
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        try (OnnxExportRuntime ort = new OnnxExportRuntime(OnnxWriter.toBytes(m));
                Interpreter it = new Interpreter(m)) {
            for (int s = 0; s < d.size(); s++) {
                d.copySample(s, x, 0);
                float[] theirs = ort.run(x, shape);
                it.run(x, mine);
                assertThat(theirs).hasSize(mine.length);
                for (int i = 0; i < mine.length; i++) {
                    worst = Math.max(worst, Math.abs(theirs[i] - mine[i]));
                    lo = Math.min(lo, mine[i]);
                    hi = Math.max(hi, mine[i]);
                }
            }
        }
        range[0] = hi - lo;
        return worst;
    }

    static long[] onnxShape(Tensor t) {
        int[] dims = t.shape().dims();
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            shape[i] = dims[i] == Shape.DYNAMIC ? 1 : dims[i];
        }
        return shape;
    }

    @Test
    void floatVisionModelAgreesWithTheInterpreterWithin1e5OfTheRange() {
        Model m = vision();
        double[] range = new double[1];
        double worst = maxFloatDifference(m, data(m, SAMPLES, 2), range);
        System.out.printf("float vision: max |ORT - Quanta| %.3g, output range %.3g%n", worst, range[0]);
        assertThat(range[0]).isGreaterThan(0.1);
        assertThat(worst).isLessThanOrEqualTo(1e-5 * range[0]);
    }

    @Test
    void floatClassifierAgreesWithTheInterpreter() {
        Model m = classifier();
        double[] range = new double[1];
        double worst = maxFloatDifference(m, data(m, SAMPLES, 2), range);
        assertThat(range[0]).isGreaterThan(0.1);
        assertThat(worst).isLessThanOrEqualTo(1e-5 * range[0]);
    }

    /** Integer in, integer out: ONNX Runtime's outputs differ from Quanta's by at most one step. */
    private static int integerModelWorstStep(Model source, QuantizationScheme scheme, IoType io, String what) {
        return integerModelWorstStep(source, scheme, io, what, OnnxWriter.Options.defaults());
    }

    private static int integerModelWorstStep(
            Model source, QuantizationScheme scheme, IoType io, String what, OnnxWriter.Options options) {
        Model q = quantized(source, scheme, io);
        Tensor in = q.inputs().get(0);
        Tensor out = q.outputs().get(0);
        assertThat(in.dtype()).isEqualTo(io == IoType.UINT8 ? DType.UINT8 : DType.INT8);
        assertThat(out.dtype()).isEqualTo(in.dtype());
        boolean unsigned = in.dtype() == DType.UINT8;
        Dataset d = data(source, SAMPLES, 2);
        float[] x = new float[d.sampleSize()];
        byte[] xq = new byte[x.length];
        byte[] mine = new byte[out.shape().sampleElementCount()];
        int mismatches = 0;
        int worst = 0;
        try (OnnxExportRuntime ort = new OnnxExportRuntime(OnnxWriter.toBytes(q, options));
                Interpreter it = new Interpreter(q)) {
            for (int s = 0; s < d.size(); s++) {
                d.copySample(s, x, 0);
                float scale = in.quant().scale();
                long zp = in.quant().zeroPoint();
                for (int i = 0; i < x.length; i++) {
                    long v = Math.round(x[i] / scale) + zp;
                    xq[i] = (byte) Math.max(unsigned ? 0 : -128, Math.min(unsigned ? 255 : 127, v));
                }
                byte[] theirs = (byte[]) ort.run(xq, onnxShape(in), unsigned ? OnnxJavaType.UINT8 : OnnxJavaType.INT8);
                it.run(xq, mine);
                for (int i = 0; i < mine.length; i++) {
                    int a = unsigned ? theirs[i] & 0xff : theirs[i];
                    int b = unsigned ? mine[i] & 0xff : mine[i];
                    if (a != b) {
                        mismatches++;
                        worst = Math.max(worst, Math.abs(a - b));
                    }
                }
            }
        }
        System.out.printf(
                "%s: %d of %d outputs differ from Quanta's, by at most %d step(s)%n",
                what, mismatches, SAMPLES * mine.length, worst);
        return worst;
    }

    /** One op (or two) per model, int8 and uint8 I/O: each within one step of Quanta's integer kernels. */
    @Test
    void everyExportedOpIsWithinOneStepInIntegerIo() {
        for (var e : singleOpModels().entrySet()) {
            for (QuantizationScheme scheme : QuantizationScheme.values()) {
                IoType io = scheme == QuantizationScheme.SYMMETRIC ? IoType.INT8 : IoType.UINT8;
                int worst = integerModelWorstStep(e.getValue(), scheme, io, e.getKey() + " " + io);
                assertThat(worst).as("%s %s", e.getKey(), io).isLessThanOrEqualTo(1);
            }
        }
    }

    /**
     * The nine-layer vision model end to end: one-step differences of ONNX Runtime's float requantization propagate
     * (the 288-input Dense adds up many), so its outputs may differ by two steps; the counts are printed.
     */
    @Test
    void deepInt8VisionModelStaysWithinTwoSteps() {
        assertThat(integerModelWorstStep(vision(), QuantizationScheme.SYMMETRIC, IoType.INT8, "int8 vision"))
                .isLessThanOrEqualTo(2);
        assertThat(integerModelWorstStep(vision(), QuantizationScheme.ASYMMETRIC, IoType.UINT8, "uint8 vision"))
                .isLessThanOrEqualTo(2);
    }

    /**
     * U8S8: int8 activations written as uint8 (zero point + 128) inside the graph, the int8 graph input and output
     * kept; ONNX Runtime then fuses every convolution into an integer kernel, and stays within a step of Quanta.
     */
    @Test
    void uint8ActivationsOptionKeepsIntegerIoAndLetsOnnxRuntimeFuseEveryConvolution() {
        OnnxWriter.Options u8s8 = OnnxWriter.Options.defaults().withUint8Activations(true);
        for (var e : singleOpModels().entrySet()) {
            int worst = integerModelWorstStep(
                    e.getValue(), QuantizationScheme.SYMMETRIC, IoType.INT8, e.getKey() + " u8s8", u8s8);
            assertThat(worst).as(e.getKey()).isLessThanOrEqualTo(1);
        }
        Model q = quantized(vision(), QuantizationScheme.SYMMETRIC, IoType.INT8);
        ModelProto proto = OnnxWriter.toProto(q, u8s8);
        checkGraphRules(proto);
        GraphProto g = proto.getGraph();
        Map<String, TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        // the int8 values: the graph input and its integer transposes; everything else quantized is uint8
        Set<String> int8Values = new HashSet<>(Set.of(g.getInput(0).getName()));
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Transpose") && int8Values.contains(n.getInput(0))) {
                int8Values.add(n.getOutput(0));
            }
            boolean activationQdq = n.getOpType().equals("QuantizeLinear")
                    || n.getOpType().equals("DequantizeLinear") && !init.containsKey(n.getInput(0));
            if (activationQdq) {
                boolean int8 = int8Values.contains(n.getInput(0))
                        || n.getOutput(0).equals(g.getOutput(0).getName());
                assertThat(init.get(n.getInput(2)).getDataType())
                        .as(n.getName())
                        .isEqualTo(int8 ? 3 : 2);
            }
        }
        assertThat(g.getInput(0).getType().getTensorType().getElemType()).isEqualTo(3);
        assertThat(g.getOutput(0).getType().getTensorType().getElemType()).isEqualTo(3);
        // with float I/O (the int8 input of q stays int8, so its first convolution cannot be u8s8)
        Model floatIo = quantized(vision(), QuantizationScheme.SYMMETRIC, IoType.FLOAT);
        Map<String, Integer> fused =
                OnnxExportRuntime.optimizedOpCounts(OnnxWriter.toBytes(floatIo, u8s8), tmp.resolve("u8s8.onnx"));
        Map<String, Integer> plain =
                OnnxExportRuntime.optimizedOpCounts(OnnxWriter.toBytes(floatIo), tmp.resolve("s8s8.onnx"));
        System.out.println("ONNX Runtime's optimized vision graph, u8s8: " + fused + "; as the IR (s8s8): " + plain);
        assertThat(fused).doesNotContainKey(":Conv");
        assertThat(fused.entrySet().stream()
                        .filter(e -> e.getKey().endsWith(":QLinearConv"))
                        .mapToInt(Map.Entry::getValue)
                        .sum())
                .isEqualTo(2);
        assertThat(integerModelWorstStep(vision(), QuantizationScheme.SYMMETRIC, IoType.INT8, "int8 vision u8s8", u8s8))
                .isLessThanOrEqualTo(2);
    }

    /**
     * 16x8 (int16 activations, int8 weights, int64 biases): int16 Q/DQ in ONNX Runtime's com.microsoft domain, the
     * int64 bias as float; float I/O, within one int16 output step of Quanta.
     */
    @Test
    void int16x8ModelsRunInOnnxRuntimeWithinOneStep() {
        for (var e : singleOpModels().entrySet()) {
            Model q = Converter.fromModel(e.getValue())
                    .withConfig(QuantizationConfig.defaults()
                            .withMode(QuantizationMode.INT16X8)
                            .withCalibrationSamples(SAMPLES))
                    .withRepresentativeDataset(data(e.getValue(), SAMPLES, 1))
                    .convert()
                    .model();
            ModelProto proto = OnnxWriter.toProto(q);
            checkGraphRules(proto);
            assertThat(proto.getOpsetImportList()).anyMatch(o -> o.getDomain().equals(OnnxWriter.CONTRIB_DOMAIN));
            Tensor last = q.producer(q.outputs().get(0)).input(0);
            assertThat(last.dtype()).isEqualTo(DType.INT16);
            double[] range = new double[1];
            double worst = maxFloatDifference(q, data(e.getValue(), SAMPLES, 2), range);
            System.out.printf(
                    "%s 16x8: max |ORT - Quanta| = %.2f steps%n",
                    e.getKey(), worst / last.quant().scale());
            // one step, and the float32 rounding of two dequantized values up to 32768 steps: 2 · 32768 · 2⁻²⁴ steps
            assertThat(worst).as(e.getKey()).isLessThanOrEqualTo(last.quant().scale() * (1 + 0x1p-8));
        }
    }

    /** Small models of the ops the writer exports, by name. */
    static Map<String, Model> singleOpModels() {
        Map<String, Model> m = new java.util.LinkedHashMap<>();
        SplittableRandom r = new SplittableRandom(5);
        m.put(
                "conv same relu",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.CONV_2D,
                                "conv",
                                new Origin("conv", "Conv2D"),
                                new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.RELU),
                                x,
                                b.constant("k", Shape.of(4, 3, 3, 3), CoreArrays.uniform(r, 108, -0.5, 0.5)),
                                b.constant("b", Shape.of(4), CoreArrays.uniform(r, 4, -0.1, 0.1)))));
        m.put(
                "conv valid stride 2",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.CONV_2D,
                                "conv",
                                new Origin("conv", "Conv2D"),
                                new OpAttributes.Conv2D(Padding.VALID, 2, 2, 1, 1, Activation.NONE),
                                x,
                                b.constant("k", Shape.of(5, 2, 2, 3), CoreArrays.uniform(r, 60, -0.5, 0.5)),
                                b.constant("b", Shape.of(5), CoreArrays.uniform(r, 5, -0.1, 0.1)))));
        m.put(
                "depthwise relu6",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.DEPTHWISE_CONV_2D,
                                "dw",
                                new Origin("dw", "DepthwiseConv2D"),
                                new OpAttributes.DepthwiseConv2D(Padding.SAME, 1, 1, 1, 1, 2, Activation.RELU6),
                                x,
                                b.constant("k", Shape.of(1, 3, 3, 6), CoreArrays.uniform(r, 54, -1, 1)),
                                b.constant("b", Shape.of(6), CoreArrays.uniform(r, 6, -0.1, 0.1)))));
        m.put(
                "max pool",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.MAX_POOL_2D,
                                "pool",
                                new Origin("pool", "MaxPooling2D"),
                                new OpAttributes.Pool2D(Padding.VALID, 2, 2, 2, 2, Activation.NONE),
                                x)));
        m.put(
                "average pool same",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.AVERAGE_POOL_2D,
                                "pool",
                                new Origin("pool", "AveragePooling2D"),
                                new OpAttributes.Pool2D(Padding.SAME, 3, 3, 1, 1, Activation.NONE),
                                x)));
        m.put(
                "add",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.ADD,
                                "add",
                                new Origin("add", "Add"),
                                new OpAttributes.Add(Activation.NONE),
                                x,
                                b.add(
                                        OpType.RELU,
                                        "relu",
                                        new Origin("relu", "ReLU"),
                                        OpAttributes.None.INSTANCE,
                                        x))));
        m.put(
                "concat",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.CONCATENATION,
                                "concat",
                                new Origin("concat", "Concatenate"),
                                new OpAttributes.Concatenation(3, Activation.NONE),
                                x,
                                b.add(
                                        OpType.RELU,
                                        "relu",
                                        new Origin("relu", "ReLU"),
                                        OpAttributes.None.INSTANCE,
                                        x))));
        m.put(
                "pad",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.PAD,
                                "pad",
                                new Origin("pad", "ZeroPadding2D"),
                                new OpAttributes.Pad(new int[][] {{0, 0}, {1, 2}, {2, 1}, {0, 0}}),
                                x)));
        m.put(
                "mean",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.MEAN,
                                "mean",
                                new Origin("mean", "GlobalAveragePooling2D"),
                                new OpAttributes.Mean(new int[] {1, 2}, false),
                                x)));
        m.put(
                "conv flatten",
                spatial(
                        r,
                        (b, x) -> b.add(
                                OpType.RESHAPE,
                                "flatten",
                                new Origin("flatten", "Flatten"),
                                new OpAttributes.Reshape(new int[] {-1, 72}),
                                b.add(
                                        OpType.CONV_2D,
                                        "conv",
                                        new Origin("conv", "Conv2D"),
                                        new OpAttributes.Conv2D(Padding.VALID, 2, 2, 1, 1, Activation.NONE),
                                        x,
                                        b.constant("k", Shape.of(2, 1, 1, 3), CoreArrays.uniform(r, 6, -0.5, 0.5)),
                                        b.constant("b", Shape.of(2), CoreArrays.uniform(r, 2, -0.1, 0.1))))));
        m.put("dense softmax", classifier());
        return m;
    }

    /** The ops of a test model after its input. */
    interface Body {
        Tensor apply(ModelBuilder b, Tensor x);
    }

    /** Input [N, 12, 12, 3] → {@code body}. */
    private static Model spatial(SplittableRandom r, Body body) {
        ModelBuilder b = new ModelBuilder("op");
        Tensor x = b.input("x", Shape.batched(12, 12, 3));
        return b.output(body.apply(b, x)).build(ModelMetadata.inMemory());
    }

    @Test
    void floatIoQuantizedModelIsWithinOneOutputStep() {
        Model q = quantized(classifier(), QuantizationScheme.SYMMETRIC, IoType.FLOAT);
        assertThat(q.inputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        // the output's step: the DEQUANTIZE before the float graph output reads the int8 probabilities
        Tensor logits = q.producer(q.outputs().get(0)).input(0);
        double step = logits.quant().scale();
        double[] range = new double[1];
        double worst = maxFloatDifference(q, data(classifier(), SAMPLES, 2), range);
        System.out.printf("int8 classifier, float io: max |ORT - Quanta| %.3g = %.2f steps%n", worst, worst / step);
        assertThat(worst).isLessThanOrEqualTo(step * 1.001);
    }

    /** Every quantized activation gets a QuantizeLinear/DequantizeLinear pair; weights are per-axis int8 with DQ. */
    @Test
    void quantizedGraphIsQdqAsOnnxRuntimeWritesIt() {
        Model q = quantized(vision(), QuantizationScheme.SYMMETRIC, IoType.FLOAT);
        GraphProto g = OnnxWriter.toProto(q).getGraph();
        Map<String, TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        Map<String, Integer> ops = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            ops.merge(n.getOpType(), 1, Integer::sum);
        }
        assertThat(ops).containsEntry("Conv", 2).containsEntry("Gemm", 2).containsKey("QuantizeLinear");
        NodeProto conv = g.getNodeList().stream()
                .filter(n -> n.getOpType().equals("Conv") && !hasAttribute(n, "group"))
                .findFirst()
                .orElseThrow();
        NodeProto weightDq = producer(g, conv.getInput(1));
        assertThat(weightDq.getOpType()).isEqualTo("DequantizeLinear");
        TensorProto w = init.get(weightDq.getInput(0));
        assertThat(w.getDataType()).isEqualTo(3); // INT8
        assertThat(w.getDimsList()).containsExactly(4L, 3L, 3L, 3L); // OIHW
        assertThat(init.get(weightDq.getInput(1)).getDimsList()).containsExactly(4L); // one scale per output channel
        assertThat(weightDq.getAttributeList()).anyMatch(a -> a.getName().equals("axis") && a.getI() == 0);
        NodeProto biasDq = producer(g, conv.getInput(2));
        assertThat(init.get(biasDq.getInput(0)).getDataType()).isEqualTo(6); // INT32
        NodeProto dw = g.getNodeList().stream()
                .filter(n -> n.getOpType().equals("Conv") && hasAttribute(n, "group"))
                .findFirst()
                .orElseThrow();
        TensorProto dww = init.get(producer(g, dw.getInput(1)).getInput(0));
        assertThat(dww.getDimsList()).containsExactly(4L, 1L, 3L, 3L);
        // the ReLU6 fused into the depthwise convolution is a Clip before the output's QuantizeLinear, unless the
        // quantization clamps to within [0, 6] already (then left out, as ONNX Runtime's quantizer does)
        Tensor dwOutput = q.ops().stream()
                .filter(o -> o.type() == OpType.DEPTHWISE_CONV_2D)
                .findFirst()
                .orElseThrow()
                .output(0);
        String dwOut = dw.getOutput(0);
        NodeProto after = g.getNodeList().stream()
                .filter(n -> n.getInputCount() > 0 && n.getInput(0).equals(dwOut))
                .findFirst()
                .orElseThrow();
        assertThat(dwOutput.quant().zeroPoint()).isEqualTo(-128);
        assertThat(after.getOpType())
                .isEqualTo(OnnxWriter.clampedByQuantization(Activation.RELU6, dwOutput) ? "QuantizeLinear" : "Clip");
        // the float input is transposed to NCHW once, and quantized
        assertThat(ops.get("Transpose")).isEqualTo(2); // NHWC → NCHW at the input, NCHW → NHWC before the flatten
    }

    private static boolean hasAttribute(NodeProto n, String name) {
        return n.getAttributeList().stream().anyMatch(a -> a.getName().equals(name));
    }

    private static NodeProto producer(GraphProto g, String value) {
        return g.getNodeList().stream()
                .filter(n -> n.getOutputList().contains(value))
                .findFirst()
                .orElseThrow(() -> new AssertionError("nothing produces " + value));
    }

    /**
     * ONNX's checker rules, as far as they apply to what the writer makes: IR version and opset present, names
     * unique, every node input defined before use, initializers' data matching their type and dims, graph inputs and
     * outputs typed, every graph output produced, per-axis Q/DQ parameters as long as their axis.
     */
    static void checkGraphRules(ModelProto model) {
        assertThat(model.getIrVersion()).isEqualTo(OnnxWriter.IR_VERSION);
        assertThat(model.getOpsetImportList())
                .anyMatch(o -> o.getDomain().isEmpty() && o.getVersion() == OnnxWriter.OPSET);
        GraphProto g = model.getGraph();
        Set<String> defined = new HashSet<>();
        Map<String, TensorProto> init = new HashMap<>();
        for (ValueInfoProto in : g.getInputList()) {
            assertThat(defined.add(in.getName()))
                    .as("input name %s unique", in.getName())
                    .isTrue();
            assertThat(in.getType().getTensorType().getElemType()).isPositive();
        }
        for (TensorProto t : g.getInitializerList()) {
            assertThat(defined.add(t.getName()))
                    .as("initializer %s unique", t.getName())
                    .isTrue();
            init.put(t.getName(), t);
            long n = t.getDimsList().stream().mapToLong(Long::longValue).reduce(1, (a, b) -> a * b);
            int bytes = switch (t.getDataType()) {
                case 1, 6 -> 4;
                case 2, 3 -> 1;
                case 5 -> 2;
                case 7 -> 8;
                default -> throw new AssertionError("unexpected initializer type " + t.getDataType());
            };
            assertThat(t.getRawData().size()).as("bytes of %s", t.getName()).isEqualTo(n * bytes);
        }
        Set<String> nodeNames = new HashSet<>();
        for (NodeProto n : g.getNodeList()) {
            assertThat(nodeNames.add(n.getName()))
                    .as("node name %s unique", n.getName())
                    .isTrue();
            for (String in : n.getInputList()) {
                assertThat(defined).as("%s reads %s", n.getName(), in).contains(in);
            }
            for (String out : n.getOutputList()) {
                assertThat(defined.add(out))
                        .as("%s output %s unique", n.getName(), out)
                        .isTrue();
            }
            if (n.getOpType().equals("DequantizeLinear") || n.getOpType().equals("QuantizeLinear")) {
                TensorProto scale = init.get(n.getInput(1));
                TensorProto zp = init.get(n.getInput(2));
                assertThat(scale.getDataType()).isEqualTo(1);
                assertThat(zp.getDimsList()).isEqualTo(scale.getDimsList());
                if (hasAttribute(n, "axis")) {
                    long axis = n.getAttributeList().stream()
                            .filter(a -> a.getName().equals("axis"))
                            .findFirst()
                            .orElseThrow()
                            .getI();
                    TensorProto x = init.get(n.getInput(0));
                    assertThat(scale.getDims(0)).isEqualTo(x.getDims((int) axis));
                } else {
                    assertThat(scale.getDimsCount()).isZero();
                }
                if (init.containsKey(n.getInput(0))) {
                    assertThat(init.get(n.getInput(0)).getDataType()).isEqualTo(zp.getDataType());
                }
            }
        }
        for (ValueInfoProto out : g.getOutputList()) {
            assertThat(defined).as("graph output %s produced", out.getName()).contains(out.getName());
            assertThat(out.getType().getTensorType().getElemType()).isPositive();
        }
    }

    @Test
    void writtenGraphsFollowTheCheckerRules() {
        checkGraphRules(OnnxWriter.toProto(vision()));
        checkGraphRules(OnnxWriter.toProto(classifier()));
        checkGraphRules(OnnxWriter.toProto(quantized(vision(), QuantizationScheme.SYMMETRIC, IoType.FLOAT)));
        checkGraphRules(OnnxWriter.toProto(quantized(vision(), QuantizationScheme.ASYMMETRIC, IoType.UINT8)));
        ModelProto q = OnnxWriter.toProto(quantized(classifier(), QuantizationScheme.SYMMETRIC, IoType.INT8));
        checkGraphRules(q);
        // integer graph inputs and outputs keep the IR's names, types and shapes (dynamic batch as a parameter)
        ValueInfoProto in = q.getGraph().getInput(0);
        assertThat(in.getName()).isEqualTo("features");
        assertThat(in.getType().getTensorType().getElemType()).isEqualTo(3);
        assertThat(in.getType().getTensorType().getShape().getDim(0).getDimParam())
                .isEqualTo("batch");
        assertThat(in.getType().getTensorType().getShape().getDim(1).getDimValue())
                .isEqualTo(6);
        assertThat(q.getGraph().getOutput(0).getType().getTensorType().getElemType())
                .isEqualTo(3);
    }

    @Test
    void writeReplacesTheFileAtomicallyWithTheSameBytes() throws IOException {
        Model m = classifier();
        Path out = tmp.resolve("classifier.onnx");
        Files.write(out, new byte[] {1, 2, 3});
        OnnxWriter.write(m, out);
        byte[] written = Files.readAllBytes(out);
        assertThat(written).isEqualTo(OnnxWriter.toBytes(m));
        assertThat(ModelProto.parseFrom(written).getGraph().getNodeList()).isNotEmpty();
        try (var files = Files.list(tmp)) {
            assertThat(files.toList()).containsExactly(out); // no temporary file left
        }
    }

    @Test
    void anOpWithoutOnnxFormIsAOneLineErrorNamingIt() {
        ModelBuilder b = new ModelBuilder("argmax");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor y = b.add(OpType.ARG_MAX, "which", new Origin("which", "ArgMax"), new OpAttributes.ArgMinMax(-1), x);
        Model m = b.output(y).build(ModelMetadata.inMemory());
        Path out = tmp.resolve("argmax.onnx");
        assertThatThrownBy(() -> OnnxWriter.write(m, out))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("ARG_MAX")
                .hasMessageContaining("'which'")
                .hasMessageNotContaining("\n");
        assertThat(out).doesNotExist();
    }

    @Test
    void aFusedActivationIsLeftOutWhereTheQuantizedRangeLiesWithinIt() {
        // int8, zp −128, scale 0.02: [0, 5.1]; zp −100: [−0.56, 4.54]
        Tensor relu6Range = quantizedActivation(DType.INT8, 0.02f, -128);
        Tensor signed = quantizedActivation(DType.INT8, 0.02f, -100);
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU, relu6Range))
                .isTrue();
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU6, relu6Range))
                .isTrue();
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU, signed)).isFalse();
        // uint8, zp 0, scale 0.05: [0, 12.75] is within ReLU's range, not ReLU6's
        Tensor wide = quantizedActivation(DType.UINT8, 0.05f, 0);
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU, wide)).isTrue();
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU6, wide)).isFalse();
        // a calibrated [0, 6]: scale 6/255 as a float, 255 · s a hair above 6, and still Q(6) = 255
        Tensor six = quantizedActivation(DType.UINT8, 6f / 255, 0);
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU6, six)).isTrue();
        // a float tensor has no quantization to clamp
        assertThat(OnnxWriter.clampedByQuantization(Activation.RELU, Tensor.activation("f", Shape.of(1))))
                .isFalse();
    }

    private static Tensor quantizedActivation(DType type, float scale, long zeroPoint) {
        return new Tensor("t", Shape.of(4), type, null, dev.quanta.ir.QuantParams.perTensor(scale, zeroPoint), false);
    }

    @Test
    void transposeOfConstantsMovesElementsAndThePerAxisAxis() {
        // [2, 3] → perm (1, 0) → [3, 2]
        byte[] data = {0, 1, 2, 3, 4, 5};
        assertThat(OnnxWriter.transposeBytes(data, new int[] {2, 3}, new int[] {1, 0}, 1))
                .containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(OnnxWriter.axisIn(-1, 4, OnnxWriter.Layout.CHANNELS_FIRST)).isEqualTo(1);
        assertThat(OnnxWriter.axisIn(1, 4, OnnxWriter.Layout.CHANNELS_FIRST)).isEqualTo(2);
        assertThat(OnnxWriter.axisIn(2, 3, OnnxWriter.Layout.CHANNELS_FIRST)).isEqualTo(2);
    }
}
