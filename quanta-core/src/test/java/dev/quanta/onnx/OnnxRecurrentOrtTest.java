package dev.quanta.onnx;

import static dev.quanta.onnx.OnnxLayoutOrtTest.floats;
import static dev.quanta.onnx.OnnxLayoutOrtTest.intAttr;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpType;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.UsesOracle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ONNX GRU, RNN and LSTM in every direction, on graphs built in code, against ONNX Runtime (ONNX's node suite only
 * has forward cases): GRU with linear_before_reset 0 and 1, biases and a non-zero initial_h; RNN with Tanh, Relu and
 * Sigmoid; LSTM reverse and bidirectional with biases and peepholes; Y and Y_h within 1e-5 of the range.
 */
@UsesOracle
class OnnxRecurrentOrtTest {
    private static final int SEQ = 5;
    private static final int BATCH = 2;
    private static final int IN = 3;
    private static final int HIDDEN = 4;

    @TempDir
    Path tmp;

    static AttributeProto string(String name, String v) {
        return AttributeProto.newBuilder()
                .setName(name)
                .setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(v))
                .build();
    }

    /** initial_h [dirs, batch, H] with values in ±0.5. */
    static TensorProto state(String name, int dirs) {
        Random r = new Random(7);
        TensorProto.Builder t = TensorProto.newBuilder()
                .setName(name)
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(dirs)
                .addDims(BATCH)
                .addDims(HIDDEN);
        for (int i = 0; i < dirs * BATCH * HIDDEN; i++) {
            t.addFloatData(r.nextFloat() - 0.5f);
        }
        return t.build();
    }

    static ModelProto recurrent(String op, String direction, int linearBeforeReset, boolean initialH) {
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        int gates = op.equals("GRU") ? 3 : op.equals("RNN") ? 1 : 4;
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName(op.toLowerCase())
                .addInput(OnnxReaderTest.valueInfo("x", TensorProto.DataType.FLOAT_VALUE, SEQ, BATCH, IN))
                .addOutput(OnnxReaderTest.valueInfo("y", TensorProto.DataType.FLOAT_VALUE, SEQ, dirs, BATCH, HIDDEN))
                .addOutput(OnnxReaderTest.valueInfo("y_h", TensorProto.DataType.FLOAT_VALUE, dirs, BATCH, HIDDEN))
                .addInitializer(floats("W", dirs, gates * HIDDEN, IN))
                .addInitializer(floats("R", dirs, gates * HIDDEN, HIDDEN))
                .addInitializer(floats("B", dirs, 2 * gates * HIDDEN));
        NodeProto.Builder n = NodeProto.newBuilder()
                .setName("rnn")
                .setOpType(op)
                .addOutput("y")
                .addOutput("y_h")
                .addAttribute(intAttr("hidden_size", HIDDEN))
                .addAttribute(string("direction", direction));
        if (!op.equals("LSTM")) {
            n.addAllInput(List.of("x", "W", "R", "B", "", initialH ? "h0" : ""));
            if (op.equals("GRU")) {
                n.addAttribute(intAttr("linear_before_reset", linearBeforeReset));
            } else if (linearBeforeReset != 0) {
                // RNN: the column picks the activation of each direction
                AttributeProto.Builder a = AttributeProto.newBuilder()
                        .setName("activations")
                        .setType(AttributeProto.AttributeType.STRINGS);
                for (int d = 0; d < dirs; d++) {
                    a.addStrings(ByteString.copyFromUtf8(d == 0 ? "Relu" : "Sigmoid"));
                }
                n.addAttribute(a);
            }
            if (initialH) {
                g.addInitializer(state("h0", dirs));
            }
        } else {
            g.addInitializer(floats("P", dirs, 3 * HIDDEN));
            n.addAllInput(List.of("x", "W", "R", "B", "", "", "", "P"));
        }
        g.addNode(n);
        return ModelProto.newBuilder()
                .setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(14))
                .setGraph(g)
                .build();
    }

    @ParameterizedTest
    @CsvSource({
        "GRU, forward, 0, false",
        "GRU, forward, 1, true",
        "GRU, reverse, 0, true",
        "GRU, reverse, 1, false",
        "GRU, bidirectional, 0, false",
        "GRU, bidirectional, 1, true",
        "RNN, forward, 0, true",
        "RNN, reverse, 1, false",
        "RNN, bidirectional, 1, true",
        "LSTM, forward, 0, false",
        "LSTM, reverse, 0, false",
        "LSTM, bidirectional, 0, false"
    })
    void yAndYhAgreeWithOnnxRuntime(String op, String direction, int linearBeforeReset, boolean initialH)
            throws Exception {
        ModelProto mp = recurrent(op, direction, linearBeforeReset, initialH);
        Path f = tmp.resolve("rnn.onnx");
        Files.write(f, mp.toByteArray());
        Model m = OnnxImporter.load(f);
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        if (op.equals("LSTM")) {
            assertThat(m.ops().stream()
                            .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                            .count())
                    .isEqualTo(dirs);
        }
        Random r = new Random(3);
        float[] x = new float[SEQ * BATCH * IN];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        float[] y = new float[SEQ * dirs * BATCH * HIDDEN];
        float[] yh = new float[dirs * BATCH * HIDDEN];
        try (Interpreter in = new Interpreter(m)) {
            in.runForMultipleInputsOutputs(new Object[] {x}, new Object[] {y, yh});
        }
        float[][] expected = OnnxLayoutOrtTest.ort(mp, x, new long[] {SEQ, BATCH, IN});
        assertClose(y, expected[0]);
        assertClose(yh, expected[1]);
    }

    @Test
    void aGruWithClipOrShortSequencesIsRefusedInOneLine() throws Exception {
        ModelProto mp = recurrent("GRU", "forward", 0, false);
        var g = mp.getGraph().toBuilder();
        g.setNode(
                0,
                g.getNode(0).toBuilder()
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("clip")
                                .setType(AttributeProto.AttributeType.FLOAT)
                                .setF(1f)));
        Path f = tmp.resolve("clip.onnx");
        Files.write(f, mp.toBuilder().setGraph(g).build().toByteArray());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> OnnxImporter.load(f)))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("clip.onnx")
                .hasMessageContaining("(GRU): attribute 'clip' is not supported");

        var g2 = mp.getGraph().toBuilder();
        g2.addInitializer(OnnxLayoutOrtTest.longs("lens", SEQ, SEQ - 1));
        g2.setNode(0, g2.getNode(0).toBuilder().setInput(4, "lens"));
        Path f2 = tmp.resolve("lens.onnx");
        Files.write(f2, mp.toBuilder().setGraph(g2).build().toByteArray());
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> OnnxImporter.load(f2)))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("sequence_lens 4 shorter than the sequence (5) is not supported");
    }

    private static void assertClose(float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        float range = 0;
        for (float e : expected) {
            range = Math.max(range, Math.abs(e));
        }
        for (int i = 0; i < expected.length; i++) {
            assertThat(Math.abs(actual[i] - expected[i]))
                    .as("element %d: %s vs ONNX Runtime %s", i, actual[i], expected[i])
                    .isLessThanOrEqualTo(1e-5f * Math.max(range, 1f));
        }
    }
}
