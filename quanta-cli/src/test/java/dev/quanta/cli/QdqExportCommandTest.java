package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.SampleType;
import dev.quanta.onnx.OnnxExportRuntime;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quanta quantize MODEL -o OUT.onnx}: a QDQ ONNX model that ONNX Runtime runs (issue 12). */
@UsesFixtures
@UsesOracle
class QdqExportCommandTest {
    @TempDir
    Path tmp;

    private static Path icSamples() {
        return Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
    }

    private CliRunner quantizeIc(Path out, String... more) {
        String[] head = {"--calibration", icSamples().toString(), "--sample-type", "uint8", "--sample-shape", "32,32,3"
        };
        return CliRunner.quantize(
                Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5"), out, CliRunner.args(head, more));
    }

    /** The int8 weights of every Conv and Gemm of the graph, read through their DequantizeLinear. */
    private static Map<String, byte[]> weights(GraphProto g) {
        Map<String, TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        Map<String, NodeProto> producers = new HashMap<>();
        g.getNodeList().forEach(n -> n.getOutputList().forEach(o -> producers.put(o, n)));
        Map<String, byte[]> w = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            if (n.getOpType().equals("Conv") || n.getOpType().equals("Gemm")) {
                NodeProto dq = producers.get(n.getInput(1));
                assertThat(dq.getOpType()).isEqualTo("DequantizeLinear");
                TensorProto t = init.get(dq.getInput(0));
                assertThat(t.getDataType()).isEqualTo(3); // int8
                w.put(n.getName(), t.getRawData().toByteArray());
            }
        }
        return w;
    }

    private static int maxMagnitude(Map<String, byte[]> weights) {
        int m = 0;
        for (byte[] w : weights.values()) {
            for (byte b : w) {
                m = Math.max(m, Math.abs(b));
            }
        }
        return m;
    }

    @Test
    void kerasImageClassifierToInt8QdqOnnxRunsInOnnxRuntime() throws IOException {
        Path out = tmp.resolve("ic_int8.onnx");
        CliRunner r = quantizeIc(out, "--mode", "int8", "--samples", "100");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Wrote " + out);
        byte[] onnx = Files.readAllBytes(out);
        GraphProto g = ModelProto.parseFrom(onnx).getGraph();
        assertThat(g.getNodeList()).anyMatch(n -> n.getOpType().equals("QuantizeLinear"));
        Map<String, byte[]> w = weights(g);
        assertThat(w).hasSize(10); // 9 convolutions and the Dense
        assertThat(maxMagnitude(w)).isEqualTo(127);
        // images 101-200, not calibrated on, in ONNX Runtime
        Dataset images =
                Datasets.load(DatasetSpec.of(icSamples()).withFormat("raw").withSamples(SampleType.UINT8, 32, 32, 3));
        Dataset scored = images.slice(100, images.size());
        float[] x = new float[scored.sampleSize()];
        int correct = 0;
        try (OnnxExportRuntime ort = new OnnxExportRuntime(onnx)) {
            for (int s = 0; s < scored.size(); s++) {
                scored.copySample(s, x, 0);
                if (CoreArrays.argmax(ort.run(x, new long[] {1, 32, 32, 3})) == scored.label(s)) {
                    correct++;
                }
            }
        }
        System.out.println("IC int8 QDQ from the CLI, ONNX Runtime: " + correct + " of 100");
        assertThat(correct).isEqualTo(88);
    }

    @Test
    void reduceRangeWritesSevenBitWeights() throws IOException {
        Path out = tmp.resolve("ic_int8_7bit.onnx");
        CliRunner r = quantizeIc(out, "--mode", "int8", "--samples", "20", "--reduce-range");
        assertThat(r.exitCode()).as(r.err()).isZero();
        byte[] onnx = Files.readAllBytes(out);
        assertThat(maxMagnitude(weights(ModelProto.parseFrom(onnx).getGraph()))).isEqualTo(63);
        try (OnnxExportRuntime ort = new OnnxExportRuntime(onnx)) {
            assertThat(ort.run(new float[32 * 32 * 3], new long[] {1, 32, 32, 3}))
                    .hasSize(10);
        }
    }

    @Test
    void u8s8WritesUint8ActivationsBetweenTheFloatInputAndOutput() throws IOException {
        Path out = tmp.resolve("ic_u8s8.onnx");
        CliRunner r = quantizeIc(out, "--mode", "int8", "--samples", "20", "--onnx-u8s8");
        assertThat(r.exitCode()).as(r.err()).isZero();
        byte[] onnx = Files.readAllBytes(out);
        GraphProto g = ModelProto.parseFrom(onnx).getGraph();
        Map<String, TensorProto> init = new HashMap<>();
        g.getInitializerList().forEach(t -> init.put(t.getName(), t));
        long quantizers = g.getNodeList().stream()
                .filter(n -> n.getOpType().equals("QuantizeLinear"))
                .peek(n -> assertThat(init.get(n.getInput(2)).getDataType()).isEqualTo(2)) // uint8
                .count();
        assertThat(quantizers).isGreaterThan(10);
        try (OnnxExportRuntime ort = new OnnxExportRuntime(onnx)) {
            assertThat(ort.run(new float[32 * 32 * 3], new long[] {1, 32, 32, 3}))
                    .hasSize(10);
        }
        Path tflite = tmp.resolve("ic.tflite");
        assertOneLineError(quantizeIc(tflite, "--mode", "int8", "--samples", "20", "--onnx-u8s8"), "--onnx-u8s8");
        assertThat(tflite).doesNotExist();
    }

    @Test
    void anOpWithoutOnnxFormIsAOneLineErrorNamingIt() throws IOException {
        Path out = tmp.resolve("lstm.onnx");
        CliRunner r = CliRunner.quantize(
                Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite"), out, "--mode", "float32");
        assertOneLineError(r, "UNIDIRECTIONAL_SEQUENCE_LSTM", "ONNX");
        assertThat(out).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files.toList()).isEmpty(); // no temporary file left either
        }
    }

    @Test
    void reduceRangeOutsideInt8IsAOneLineError() {
        Path out = tmp.resolve("ic_dynamic.onnx");
        CliRunner r = CliRunner.quantize(
                Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5"), out, "--mode", "dynamic", "--reduce-range");
        assertOneLineError(r, "--reduce-range", "int8");
        assertThat(out).doesNotExist();
    }
}
