package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.OnnxExportRuntime;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, "ONNX Runtime as oracle": Quanta and ONNX Runtime agree op by op, given the same inputs. For every op of
 * a Quanta model whose output ONNX Runtime also computes, Quanta runs that op alone on ONNX Runtime's values of the
 * op's inputs (the same sample through the whole graph in ONNX Runtime, every intermediate value made a graph output)
 * and its result is compared with ONNX Runtime's value of the op's output:
 *
 * <ul>
 *   <li>int8: IC ResNet-8 (from the Keras file) and KWS DS-CNN (from the float .tflite), quantized as the
 *       AccuracyTableIT calibrates them, written as QDQ ONNX ({@link OnnxWriter}). Every int8 activation is ONNX
 *       Runtime's QuantizeLinear output of the same name. Values one step apart and more than one step apart are
 *       counted per op type: ONNX Runtime requantizes in float, Quanta in TFLite's fixed point, so one step is
 *       allowed; more than one is not.
 *   <li>float: {@code mnist.onnx} read by Quanta's importer, every op whose output has the name of an ONNX value;
 *       a value counts as a mismatch when it differs by more than 1e-5 of the range (max − min) of ONNX Runtime's
 *       value of that tensor.
 * </ul>
 *
 * An input that ONNX Runtime has no value of the same name for (a layout Transpose the importer adds) is Quanta's own
 * value from the full run. Rank-4 values ONNX Runtime holds NCHW are moved to Quanta's NHWC before comparing.
 */
@UsesFixtures
@UsesOracle
class OnnxRuntimePerOpAgreementIT {
    @TempDir
    Path tmp;

    /** Samples per model: every op is compared on each. */
    static final int SAMPLES = 20;

    /** Values compared per op type: equal, one step (or within the tolerance), more; and the largest difference. */
    static final class Count {
        int ops;
        /** Of {@link #more}: Quanta 127, ONNX Runtime −128 (see {@link OnnxRuntimePerOpAgreementIT}). */
        long wrapped;

        long same;
        long one;
        long more;
        double largest;

        void add(double difference, double tolerance) {
            double d = Math.abs(difference);
            if (d == 0) {
                same++;
            } else if (d <= tolerance) {
                one++;
            } else {
                more++;
            }
            largest = Math.max(largest, d);
        }
    }

    /** Op types to counts, printed as a table under {@code title}. */
    private static void print(String title, Map<String, Count> counts, String oneHeader, String moreHeader) {
        System.out.println(title);
        System.out.printf(
                Locale.ROOT,
                "  %-22s %5s %10s %10s %10s %10s %12s %9s%n",
                "op",
                "ops",
                "values",
                "equal",
                oneHeader,
                moreHeader,
                "largest",
                "127/-128");
        for (var e : counts.entrySet()) {
            Count c = e.getValue();
            System.out.printf(
                    Locale.ROOT,
                    "  %-22s %5d %10d %10d %10d %10d %12.4g %9d%n",
                    e.getKey(),
                    c.ops,
                    c.same + c.one + c.more,
                    c.same,
                    c.one,
                    c.more,
                    c.largest,
                    c.wrapped);
        }
    }

    /**
     * The index map that moves ONNX Runtime's values of shape {@code theirs} into Quanta's order of shape {@code
     * mine}: identity when the shapes agree, NCHW to NHWC when {@code mine} is {@code theirs} with axis 1 moved last.
     */
    private static int[] order(long[] theirs, int[] mine, String name) {
        int n = Math.toIntExact(Arrays.stream(mine).asLongStream().reduce(1, Math::multiplyExact));
        int[] index = new int[n];
        if (Arrays.equals(theirs, Arrays.stream(mine).asLongStream().toArray())) {
            for (int i = 0; i < n; i++) {
                index[i] = i;
            }
            return index;
        }
        assertThat(theirs).as(name).containsExactly(mine[0], mine[3], mine[1], mine[2]);
        int h = mine[1];
        int w = mine[2];
        int c = mine[3];
        for (int b = 0; b < mine[0]; b++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < c; k++) {
                        index[((b * h + y) * w + x) * c + k] = ((b * c + k) * h + y) * w + x;
                    }
                }
            }
        }
        return index;
    }

    /** ONNX Runtime's value {@code v} (float or int8) in Quanta's order and array type. */
    private static Object inQuantaOrder(OnnxTensor v, int[] mine, String name) {
        int[] index = order(v.getInfo().getShape(), mine, name);
        if (v.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
            FloatBuffer b = v.getFloatBuffer();
            float[] out = new float[index.length];
            for (int i = 0; i < index.length; i++) {
                out[i] = b.get(index[i]);
            }
            return out;
        }
        java.nio.ByteBuffer b = v.getByteBuffer();
        byte[] out = new byte[index.length];
        for (int i = 0; i < index.length; i++) {
            out[i] = b.get(index[i]);
        }
        return out;
    }

    /**
     * Runs {@code samples} through {@code model} in Quanta and through {@code onnx} (its ONNX form) in ONNX Runtime,
     * with {@code probed} (IR tensor name to ONNX value name) as extra graph outputs of element type {@code elemType},
     * and compares every op whose output is probed, run alone in Quanta on ONNX Runtime's inputs.
     */
    private static Map<String, Count> perOp(
            Model model,
            byte[] onnx,
            Map<String, String> probed,
            int elemType,
            Dataset samples,
            boolean integer,
            double relativeTolerance,
            boolean fused)
            throws Exception {
        ModelProto.Builder withProbes = ModelProto.parseFrom(onnx).toBuilder();
        Set<String> outputs = new HashSet<>();
        withProbes.getGraph().getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String v : new java.util.LinkedHashSet<>(probed.values())) {
            if (!outputs.contains(v)) {
                withProbes
                        .getGraphBuilder()
                        .addOutput(ValueInfoProto.newBuilder()
                                .setName(v)
                                .setType(TypeProto.newBuilder()
                                        .setTensorType(
                                                TypeProto.Tensor.newBuilder().setElemType(elemType))));
            }
        }
        int[] dims = model.inputs().get(0).shape().dims().clone();
        for (int i = 0; i < dims.length; i++) {
            dims[i] = Math.max(1, dims[i]);
        }
        long[] ortShape = Arrays.stream(dims).asLongStream().toArray();
        Map<String, Count> counts = new TreeMap<>();
        Map<Op, Interpreter> single = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Interpreter full =
                        new Interpreter(model, Interpreter.Options.defaults().withPreserveAllTensors(true));
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            full.resizeInput(0, dims);
            full.allocateTensors();
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (!fused) {
                options.addConfigEntry("session.disable_quant_qdq", "1"); // DQ -> float op -> Q, as the QDQ file reads
            }
            Set<Tensor> modelInputs = new HashSet<>(model.inputs());
            List<Op> compared = new ArrayList<>();
            for (Op op : model.ops()) {
                if (op.outputs().size() == 1 && probed.containsKey(op.output(0).name())) {
                    compared.add(op);
                    counts.computeIfAbsent(op.type().name(), k -> new Count()).ops++;
                }
            }
            assertThat(compared).isNotEmpty();
            float[] x = new float[samples.sampleSize()];
            try (OrtSession ort = env.createSession(withProbes.build().toByteArray(), options)) {
                String inputName = ort.getInputNames().iterator().next();
                for (int s = 0; s < samples.size(); s++) {
                    samples.copySample(s, x, 0);
                    full.run(x, null);
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), ortShape);
                            OrtSession.Result r = ort.run(Map.of(inputName, in))) {
                        for (Op op : compared) {
                            // the op alone: its activation inputs are the model's inputs
                            List<Tensor> ins = op.inputs().stream()
                                    .filter(t -> t != null && !t.isConstant())
                                    .distinct()
                                    .toList();
                            Interpreter it = single.computeIfAbsent(op, o -> {
                                Interpreter i = new Interpreter(
                                        new Model("op", ins, o.outputs(), List.of(o), model.metadata()));
                                for (int k = 0; k < ins.size(); k++) {
                                    i.resizeInput(k, full.tensorShape(ins.get(k)));
                                }
                                return i;
                            });
                            Object[] values = new Object[ins.size()];
                            for (int k = 0; k < ins.size(); k++) {
                                Tensor t = ins.get(k);
                                String v = probed.get(t.name());
                                values[k] = modelInputs.contains(t)
                                        ? x.clone()
                                        : v != null
                                                ? inQuantaOrder(
                                                        (OnnxTensor) r.get(v).orElseThrow(),
                                                        full.tensorShape(t),
                                                        t.name())
                                                : full.readTensor(t); // no ONNX value of that name: Quanta's own
                            }
                            it.runForMultipleInputsOutputs(values, new Object[1]);
                            Tensor y = op.output(0);
                            Object mine = it.readTensor(y);
                            Object theirs = inQuantaOrder(
                                    (OnnxTensor) r.get(probed.get(y.name())).orElseThrow(),
                                    full.tensorShape(y),
                                    y.name());
                            Count c = counts.get(op.type().name());
                            if (integer) {
                                byte[] a = (byte[]) mine;
                                byte[] b = (byte[]) theirs;
                                assertThat(a).as(y.name()).hasSameSizeAs(b);
                                for (int i = 0; i < a.length; i++) {
                                    c.add(a[i] - b[i], 1);
                                    if (a[i] == Byte.MAX_VALUE && b[i] == Byte.MIN_VALUE) {
                                        c.wrapped++;
                                    }
                                }
                            } else {
                                float[] a = (float[]) mine;
                                float[] b = (float[]) theirs;
                                assertThat(a).as(y.name()).hasSameSizeAs(b);
                                double lo = Double.POSITIVE_INFINITY;
                                double hi = Double.NEGATIVE_INFINITY;
                                for (float v : b) {
                                    lo = Math.min(lo, v);
                                    hi = Math.max(hi, v);
                                }
                                double range = Math.max(hi - lo, Float.MIN_NORMAL);
                                for (int i = 0; i < a.length; i++) {
                                    // in units of the range, so that the tolerance is the same for every tensor
                                    c.add(((double) a[i] - b[i]) / range, relativeTolerance);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            single.values().forEach(Interpreter::close);
        }
        return counts;
    }

    /**
     * The int8 per-op table of {@code source} quantized on {@code calibration}, written as QDQ ONNX, on the first
     * {@link #SAMPLES} of {@code scored}; every int8 activation that an op computes is compared.
     */
    private Map<String, Count> int8(Model source, Dataset calibration, Dataset scored, String name) throws Exception {
        Model q = Converter.fromModel(source)
                .withConfig(QuantizationConfig.defaults().withCalibrationThreads(2))
                .withRepresentativeDataset(calibration)
                .convert()
                .model();
        byte[] onnx = OnnxWriter.toBytes(q);
        ModelProto file = ModelProto.parseFrom(onnx);
        Set<String> quantized = new HashSet<>();
        for (NodeProto n : file.getGraph().getNodeList()) {
            if (n.getOpType().equals("QuantizeLinear")) {
                quantized.add(n.getOutput(0));
            }
        }
        // IR tensor t's QuantizeLinear output is named t_quantized by the writer
        Map<String, String> probed = new LinkedHashMap<>();
        int int8Activations = 0;
        for (Op op : q.ops()) {
            for (Tensor t : op.outputs()) {
                if (t.dtype() == DType.INT8) {
                    int8Activations++;
                    if (quantized.contains(t.name() + "_quantized")) {
                        probed.put(t.name(), t.name() + "_quantized");
                    }
                }
            }
        }
        assertThat(probed).as("int8 activations with an ONNX value").hasSize(int8Activations);
        Map<String, Integer> optimized = OnnxExportRuntime.optimizedOpCounts(onnx, tmp.resolve(name + "_ort.onnx"));
        System.out.printf(Locale.ROOT, "%s: ONNX Runtime's optimized graph of the QDQ file: %s%n", name, optimized);
        Dataset samples = scored.slice(0, Math.min(SAMPLES, scored.size()));
        Map<String, Count> unfused = perOp(q, onnx, probed, 3, samples, true, 1, false);
        Map<String, Count> fused = perOp(q, onnx, probed, 3, samples, true, 1, true);
        for (var table : List.of(Map.entry("QDQ fusion off", unfused), Map.entry("QDQ fusion on (default)", fused))) {
            print(
                    String.format(
                            Locale.ROOT,
                            "%s int8 (QDQ ONNX), per op, Quanta on ONNX Runtime's inputs vs ONNX Runtime (%s),"
                                    + " %d samples:",
                            name,
                            table.getKey(),
                            samples.size()),
                    table.getValue(),
                    "1 step",
                    ">1 step");
        }
        // ONNX Runtime's QDQ file semantics (DequantizeLinear, the float op, QuantizeLinear): within one step
        assertWithinOneStep(unfused);
        // its fused integer kernels too, but for one defect of its int8 QLinearSoftmax: a probability that rounds to
        // 1.0 (q = 1.0 / (1/256) − 128 = 128) wraps to −128 instead of saturating to 127, so that every output of that
        // sample is −128 (probabilities summing to 0); Quanta saturates, as the unfused graph and TFLite do
        for (var e : fused.entrySet()) {
            Count c = e.getValue();
            if (e.getKey().equals("SOFTMAX")) {
                assertThat(c.more)
                        .as("SOFTMAX values more than one step apart, other than 127/-128")
                        .isEqualTo(c.wrapped);
            } else {
                assertThat(c.more)
                        .as(e.getKey() + " values more than one step apart")
                        .isZero();
            }
        }
        return unfused;
    }

    private static void assertWithinOneStep(Map<String, Count> counts) {
        assertThat(counts).isNotEmpty();
        long values = 0;
        for (var e : counts.entrySet()) {
            assertThat(e.getValue().more)
                    .as(e.getKey() + " values more than one step apart")
                    .isZero();
            values += e.getValue().same + e.getValue().one;
        }
        assertThat(values).isPositive();
    }

    @Test
    void icResNet8Int8AgreesOpByOpWithinOneStep() throws Exception {
        Dataset ic = KerasFixtureModels.icImages();
        Map<String, Count> counts = int8(
                KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5"),
                AccuracyTableIT.calibration(ic),
                AccuracyTableIT.held(ic),
                "IC ResNet-8");
        assertThat(counts).containsKeys("CONV_2D", "ADD", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX");
    }

    @Test
    void kwsInt8AgreesOpByOpWithinOneStep() throws Exception {
        Dataset all = TfliteInputQuantizationIT.kwsFeatures();
        Map<String, Count> counts = int8(
                ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite")),
                AccuracyTableIT.calibration(all),
                AccuracyTableIT.held(all),
                "KWS DS-CNN");
        assertThat(counts).containsKeys("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX");
    }

    @Test
    void mnistOnnxFloatAgreesOpByOpWithinOneHundredThousandthOfTheRange() throws Exception {
        Path file = Fixtures.require("onnx/mnist/mnist.onnx");
        Model m = ModelFiles.load(file);
        byte[] onnx = java.nio.file.Files.readAllBytes(file);
        Set<String> values = new HashSet<>();
        for (NodeProto n : ModelProto.parseFrom(onnx).getGraph().getNodeList()) {
            values.addAll(n.getOutputList());
        }
        Map<String, String> probed = new LinkedHashMap<>();
        List<String> unmatched = new ArrayList<>();
        for (Op op : m.ops()) {
            for (Tensor t : op.outputs()) {
                if (values.contains(t.name())) {
                    probed.put(t.name(), t.name());
                } else {
                    unmatched.add(op.type() + " " + t.name());
                }
            }
        }
        System.out.println("mnist.onnx: Quanta ops whose output has no ONNX value of the same name: " + unmatched);
        Dataset images = dev.quanta.data.Datasets.load(
                        dev.quanta.data.DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                                .withFormat("idx")
                                .withPreprocessing(dev.quanta.data.Preprocessing.scale(1f / 255)
                                        .withReshape(new int[] {1, 28, 28})))
                .slice(0, SAMPLES);
        Map<String, Count> counts = perOp(m, onnx, probed, 1, images, false, 1e-5, true);
        Map<String, Count> inRange = new HashMap<>(counts);
        print(
                "mnist.onnx float, per op, Quanta on ONNX Runtime's inputs vs ONNX Runtime, " + SAMPLES
                        + " samples (differences in units of the tensor's range):",
                counts,
                "<=1e-5",
                ">1e-5");
        assertThat(inRange).isNotEmpty();
        for (var e : counts.entrySet()) {
            assertThat(e.getValue().more)
                    .as(e.getKey() + " values more than 1e-5 of the range apart")
                    .isZero();
        }
    }
}
