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
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, acceptance 3: the QDQ ONNX files of IC ResNet-8 (from the Keras file) and KWS DS-CNN (from the float
 * .tflite), written as {@link OnnxQdqAccuracyIT} writes them, read back by Quanta's ONNX reader (QDQ groups folded
 * into integer ops) and run by Quanta's interpreter, agree with ONNX Runtime on the same file: every int8 logit (the
 * value the final Softmax reads) within one step, and the same top-1 accuracy. ONNX Runtime requantizes in float,
 * Quanta in TFLite's fixed point, so values may differ by one step; the counts are printed, for the int8 Softmax
 * outputs too, where one step of a logit (scale s) moves a probability p by about p·s, several steps of 1/256.
 */
@UsesFixtures
class OnnxQdqRoundTripIT {
    @TempDir
    Path tmp;

    /** The largest difference of an int8 activation measured on IC and KWS (IC's residual Adds), in steps. */
    static final int MAX_DRIFT = 4;

    /** How many integer values agree, differ by one step, and by more (the largest difference too). */
    static final class Steps {
        long same;
        long one;
        long more;
        long largest;

        void add(long difference) {
            long d = Math.abs(difference);
            if (d == 0) {
                same++;
            } else if (d == 1) {
                one++;
            } else {
                more++;
            }
            largest = Math.max(largest, d);
        }

        Steps plus(Steps o) {
            Steps s = new Steps();
            s.same = same + o.same;
            s.one = one + o.one;
            s.more = more + o.more;
            s.largest = Math.max(largest, o.largest);
            return s;
        }

        @Override
        public String toString() {
            return String.format(
                    Locale.ROOT,
                    "%d of %d one step apart, %d more (largest %d)",
                    one,
                    same + one + more,
                    more,
                    largest);
        }
    }

    /**
     * One QDQ file run by Quanta (as read back) and by ONNX Runtime on the same samples: correct top-1 of each, and
     * how the int8 logits (the Softmax's input) and the int8 outputs differ.
     */
    record RoundTrip(int quanta, int onnxRuntime, Steps logits, Steps outputs) {
        RoundTrip plus(RoundTrip o) {
            return new RoundTrip(
                    quanta + o.quanta, onnxRuntime + o.onnxRuntime, logits.plus(o.logits), outputs.plus(o.outputs));
        }
    }

    private RoundTrip roundTrip(Model source, Dataset calibration, Dataset scored, String name) throws Exception {
        Model q = Converter.fromModel(source)
                .withConfig(QuantizationConfig.defaults().withCalibrationThreads(2))
                .withRepresentativeDataset(calibration)
                .convert()
                .model();
        Path onnx = tmp.resolve(name + ".onnx");
        OnnxWriter.write(q, onnx);
        QuantParams out = outputParams(q);
        Model back = ModelFiles.load(onnx);
        assertThat(back.metadata().sourceFormat()).isEqualTo(SourceFormat.ONNX);
        // the QDQ groups became integer convolutions: as many as the int8 model has
        assertThat(integerConvolutions(back)).isEqualTo(integerConvolutions(q)).isPositive();
        ModelProto file = ModelProto.parseFrom(Files.readAllBytes(onnx));
        String logits = softmaxInput(file.getGraph());
        // the Softmax output is compared in the file as written (below): made a graph output, ONNX Runtime's
        // quantized Softmax gives other values than its plain session on some samples
        String softmaxOutput = softmaxOutput(file.getGraph());
        // every int8 activation the file quantizes (QuantizeLinear of a computed value), in graph order, that Quanta
        // holds under the same name: ONNX Runtime returns them as extra graph outputs of a second session
        Map<String, Tensor> quantaTensors = new HashMap<>();
        back.ops().forEach(o -> o.outputs().forEach(t -> quantaTensors.put(t.name(), t)));
        java.util.Set<String> initializers = new java.util.HashSet<>();
        file.getGraph().getInitializerList().forEach(t -> initializers.add(t.getName()));
        List<String> probed = new ArrayList<>();
        for (NodeProto n : file.getGraph().getNodeList()) {
            String y = n.getOutput(0);
            if (n.getOpType().equals("QuantizeLinear")
                    && !initializers.contains(n.getInput(0))
                    && !y.equals(softmaxOutput)
                    && quantaTensors.containsKey(y)
                    && quantaTensors.get(y).dtype() == DType.INT8) {
                probed.add(y);
            }
        }
        assertThat(probed).contains(logits);
        ModelProto.Builder withLogits = file.toBuilder();
        for (String t : probed) {
            withLogits
                    .getGraphBuilder()
                    .addOutput(ValueInfoProto.newBuilder()
                            .setName(t)
                            .setType(TypeProto.newBuilder()
                                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(3))));
        }
        Map<String, Steps> perTensor = new java.util.LinkedHashMap<>();
        probed.forEach(t -> perTensor.put(t, new Steps()));
        int[] dims = back.inputs().get(0).shape().dims();
        int[] one = dims.clone();
        long[] ortShape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            one[i] = dims[i] == Shape.DYNAMIC ? 1 : dims[i];
            ortShape[i] = one[i];
        }
        float[] x = new float[scored.sampleSize()];
        float[] mine =
                new float[(int) back.outputs().get(0).shape().withBatch(1).elementCount()];
        int quantaCorrect = 0;
        int ortCorrect = 0;
        Steps outputs = new Steps();
        Steps logitSteps;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Interpreter it =
                        new Interpreter(back, Interpreter.Options.defaults().withPreserveAllTensors(true));
                OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession ort = env.createSession(Files.readAllBytes(onnx), options);
                    OrtSession probe = env.createSession(withLogits.build().toByteArray(), options)) {
                String input = ort.getInputNames().iterator().next();
                it.resizeInput(0, one);
                for (int s = 0; s < scored.size(); s++) {
                    scored.copySample(s, x, 0);
                    it.run(x, mine);
                    float[] theirs;
                    try (OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), ortShape)) {
                        try (OrtSession.Result r = ort.run(Map.of(input, in))) {
                            FloatBuffer y = ((OnnxTensor) r.get(0)).getFloatBuffer();
                            theirs = new float[y.remaining()];
                            y.get(theirs);
                        }
                        try (OrtSession.Result r = probe.run(Map.of(input, in))) {
                            for (String t : probed) {
                                Tensor mineT = quantaTensors.get(t);
                                byte[] myValues = (byte[]) it.readTensor(mineT);
                                OnnxTensor their = (OnnxTensor) r.get(t).orElseThrow();
                                byte[] theirValues = toNhwcIfNchw(
                                        their.getByteBuffer(), their.getInfo().getShape(), it.tensorShape(mineT));
                                assertThat(theirValues).as(t).hasSameSizeAs(myValues);
                                Steps st = perTensor.get(t);
                                for (int i = 0; i < myValues.length; i++) {
                                    st.add(myValues[i] - theirValues[i]);
                                }
                            }
                        }
                    }
                    assertThat(theirs).hasSameSizeAs(mine);
                    for (int i = 0; i < mine.length; i++) {
                        outputs.add(step(mine[i], out) - step(theirs[i], out));
                    }
                    if (CoreArrays.argmax(mine) == scored.label(s)) {
                        quantaCorrect++;
                    }
                    if (CoreArrays.argmax(theirs) == scored.label(s)) {
                        ortCorrect++;
                    }
                }
            }
        }
        perTensor.forEach((t, st) -> System.out.printf(
                Locale.ROOT, "  %s %s: %s%n", name, t.length() > 60 ? "..." + t.substring(t.length() - 57) : t, st));
        // the input is quantized alike; the first layer's requantization differs by one step at most; the one-step
        // differences then drift through the layers (the residual Adds sum two of them): a few steps at most
        List<Steps> layers = new ArrayList<>(perTensor.values());
        assertThat(layers.get(0).largest).isZero();
        assertThat(layers.get(1).largest).isLessThanOrEqualTo(1);
        for (String t : probed) {
            assertThat(perTensor.get(t).largest).as(t).isLessThanOrEqualTo(MAX_DRIFT);
        }
        logitSteps = perTensor.get(logits);
        return new RoundTrip(quantaCorrect, ortCorrect, logitSteps, outputs);
    }

    /**
     * ONNX Runtime's values of a tensor in the order of Quanta's: as they are when the shapes agree, moved from NCHW
     * to NHWC when Quanta holds the tensor channels-last ({@code mine} = [N, H, W, C], {@code theirs} = [N, C, H, W]).
     */
    private static byte[] toNhwcIfNchw(ByteBuffer values, long[] theirs, int[] mine) {
        byte[] v = new byte[values.remaining()];
        values.get(v);
        long[] same = java.util.Arrays.stream(mine).asLongStream().toArray();
        if (java.util.Arrays.equals(theirs, same)) {
            return v;
        }
        assertThat(theirs).containsExactly(mine[0], mine[3], mine[1], mine[2]);
        int n = mine[0];
        int h = mine[1];
        int w = mine[2];
        int c = mine[3];
        byte[] out = new byte[v.length];
        for (int b = 0; b < n; b++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    for (int k = 0; k < c; k++) {
                        out[((b * h + y) * w + x) * c + k] = v[((b * c + k) * h + y) * w + x];
                    }
                }
            }
        }
        return out;
    }

    /** The int8 tensor the graph's Softmax output is quantized to. */
    private static String softmaxOutput(GraphProto g) {
        String p = g.getNodeList().stream()
                .filter(n -> n.getOpType().equals("Softmax"))
                .findFirst()
                .orElseThrow()
                .getOutput(0);
        return g.getNodeList().stream()
                .filter(n ->
                        n.getOpType().equals("QuantizeLinear") && n.getInput(0).equals(p))
                .findFirst()
                .orElseThrow()
                .getOutput(0);
    }

    /** The int8 tensor that the graph's Softmax reads through a DequantizeLinear. */
    private static String softmaxInput(GraphProto g) {
        Map<String, NodeProto> producer = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            n.getOutputList().forEach(o -> producer.put(o, n));
        }
        NodeProto softmax = g.getNodeList().stream()
                .filter(n -> n.getOpType().equals("Softmax"))
                .findFirst()
                .orElseThrow();
        NodeProto dq = producer.get(softmax.getInput(0));
        assertThat(dq.getOpType()).isEqualTo("DequantizeLinear");
        return dq.getInput(0);
    }

    /** The int8 parameters of the model's output: those of the tensor its final DEQUANTIZE reads. */
    private static QuantParams outputParams(Model q) {
        Tensor y = q.outputs().get(0);
        assertThat(y.dtype()).isEqualTo(DType.FLOAT32);
        Op last = q.ops().stream()
                .filter(o -> o.outputs().get(0).name().equals(y.name()))
                .findFirst()
                .orElseThrow();
        assertThat(last.type()).isEqualTo(OpType.DEQUANTIZE);
        QuantParams p = last.inputs().get(0).quant();
        assertThat(p.isPerTensor()).isTrue();
        return p;
    }

    /** The integer value q = round(y / s) + zp that the float output y stands for. */
    private static long step(float y, QuantParams p) {
        return Math.round(y / p.scale()) + p.zeroPoint();
    }

    /** CONV_2D and DEPTHWISE_CONV_2D ops with an int8 input. */
    private static long integerConvolutions(Model m) {
        return m.ops().stream()
                .filter(o -> o.type() == OpType.CONV_2D || o.type() == OpType.DEPTHWISE_CONV_2D)
                .filter(o -> o.inputs().get(0).dtype() == DType.INT8)
                .count();
    }

    private static void report(String model, RoundTrip r, int n) {
        System.out.printf(
                Locale.ROOT,
                "%s QDQ ONNX read back: Quanta %d (%.1f%%), ONNX Runtime %d (%.1f%%) of %d; int8 logits: %s;"
                        + " int8 softmax outputs: %s%n",
                model,
                r.quanta(),
                100.0 * r.quanta() / n,
                r.onnxRuntime(),
                100.0 * r.onnxRuntime() / n,
                n,
                r.logits(),
                r.outputs());
        assertThat(r.logits().largest).isLessThanOrEqualTo(MAX_DRIFT);
    }

    @Test
    void icResNet8FromKerasInTwoFolds() throws Exception {
        Dataset ic = KerasFixtureModels.icImages();
        Model keras = KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5");
        RoundTrip r = roundTrip(keras, AccuracyTableIT.calibration(ic), AccuracyTableIT.held(ic), "ic_a")
                .plus(roundTrip(keras, AccuracyTableIT.held(ic), AccuracyTableIT.calibration(ic), "ic_b"));
        report("IC ResNet-8", r, ic.size());
        assertThat(r.quanta()).isEqualTo(r.onnxRuntime()).isEqualTo(OnnxQdqAccuracyIT.EXPECTED_IC_ORT);
    }

    @Test
    void kwsFromTheFloatTflite() throws Exception {
        Dataset all = TfliteInputQuantizationIT.kwsFeatures();
        Model kws = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite"));
        Dataset scored = AccuracyTableIT.held(all);
        RoundTrip r = roundTrip(kws, AccuracyTableIT.calibration(all), scored, "kws");
        report("KWS DS-CNN", r, scored.size());
        assertThat(r.quanta()).isEqualTo(r.onnxRuntime()).isEqualTo(OnnxQdqAccuracyIT.EXPECTED_KWS_ORT);
    }
}
