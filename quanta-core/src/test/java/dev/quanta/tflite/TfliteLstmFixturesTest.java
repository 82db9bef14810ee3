package dev.quanta.tflite;

import static dev.quanta.testing.CoreArrays.argmax;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/**
 * tflite-micro's mnist_lstm (UNIDIRECTIONAL_SEQUENCE_LSTM over the 28 rows of an MNIST digit) in Quanta against
 * the official runtime, whose LSTM state is reset before every sample (ORACLE-NOTES).
 */
@UsesFixtures
@UsesOracle
class TfliteLstmFixturesTest {
    static final String FLOAT = "tflite-micro/mnist_lstm/trained_lstm.tflite";
    static final String INT8 = "tflite-micro/mnist_lstm/trained_lstm_int8.tflite";

    /** The MNIST test images as raw pixels [n][784]. */
    static byte[][] images(int n) throws IOException {
        try (InputStream raw = Files.newInputStream(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"));
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            assertThat(in.readInt()).isEqualTo(0x803);
            int count = Math.min(n, in.readInt());
            int size = in.readInt() * in.readInt();
            byte[][] out = new byte[count][size];
            for (byte[] img : out) {
                in.readFully(img);
            }
            return out;
        }
    }

    static int[] labels() throws IOException {
        try (InputStream raw = Files.newInputStream(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"));
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            assertThat(in.readInt()).isEqualTo(0x801);
            int[] out = new int[in.readInt()];
            for (int i = 0; i < out.length; i++) {
                out[i] = in.readUnsignedByte();
            }
            return out;
        }
    }

    static float[] pixels(byte[] img) {
        float[] f = new float[img.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (img[i] & 0xFF) / 255f;
        }
        return f;
    }

    @Test
    void readsTheFloatLstm() {
        Model m = TfliteReader.read(Fixtures.require(FLOAT));
        Op lstm = m.ops().get(0);
        assertThat(lstm.type()).isEqualTo(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM);
        OpAttributes.Lstm a = lstm.attrs(OpAttributes.Lstm.class);
        assertThat(a.activation()).isEqualTo(OpAttributes.LstmActivation.TANH);
        assertThat(a.timeMajor()).isFalse();
        // input, 8 weights, 4 biases; no peepholes, projection, states or layer norm
        assertThat(lstm.inputs()).hasSize(13);
        assertThat(a.has(18)).isFalse();
        assertThat(a.has(9)).isFalse();
        assertThat(lstm.output(0).shape().dims()).containsExactly(-1, 28, 20);
    }

    @Test
    void floatMatchesTheOracleAndScores9853() throws IOException {
        Path file = Fixtures.require(FLOAT);
        byte[][] imgs = images(10000);
        int[] labels = labels();
        double maxAbs = 0;
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        int correct = 0;
        int agreeTop1 = 0;
        try (Interpreter quanta = new Interpreter(TfliteReader.read(file));
                TfliteOracle oracle = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            float[] out = new float[10];
            for (int s = 0; s < imgs.length; s++) {
                float[] x = pixels(imgs[s]);
                quanta.run(x, out);
                if (s < 200) {
                    oracle.resetVariableTensors();
                    float[] ref = oracle.runFloat(x);
                    for (int i = 0; i < ref.length; i++) {
                        maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref[i]));
                        lo = Math.min(lo, ref[i]);
                        hi = Math.max(hi, ref[i]);
                    }
                    agreeTop1 += argmax(ref) == argmax(out) ? 1 : 0;
                }
                correct += argmax(out) == labels[s] ? 1 : 0;
            }
        }
        System.out.printf(
                "mnist_lstm float: max |quanta - oracle| = %.3g over range %.3g (%.3g); top-1 agreement"
                        + " %d/200; accuracy %d/10000%n",
                maxAbs, hi - lo, maxAbs / (hi - lo), agreeTop1, correct);
        assertThat(maxAbs / (hi - lo)).isLessThan(1e-5);
        assertThat(agreeTop1).isEqualTo(200);
        assertThat(correct).isEqualTo(9853);
    }

    /** Written back (states as variable tensors), the model runs in the official runtime exactly as the original. */
    @Test
    void floatWrittenBackRunsLikeTheOriginal() throws IOException {
        Path file = Fixtures.require(FLOAT);
        byte[] written = TfliteWriter.toBytes(TfliteReader.read(file));
        byte[][] imgs = images(50);
        try (TfliteOracle original = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1);
                TfliteOracle copy = TfliteOracle.open(written, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (byte[] img : imgs) {
                float[] x = pixels(img);
                original.resetVariableTensors();
                copy.resetVariableTensors();
                assertThat(copy.runFloat(x)).containsExactly(original.runFloat(x));
            }
        }
        Model again = TfliteReader.read(written, Path.of("written.tflite"));
        assertThat(again.ops().get(0).attrs(OpAttributes.Lstm.class).presentInputs())
                .containsExactly(TfliteReader.read(file)
                        .ops()
                        .get(0)
                        .attrs(OpAttributes.Lstm.class)
                        .presentInputs());
    }

    /**
     * int8 (TFLite's integer 8x8→16 LSTM): bit-exact on every output against both oracle paths (XNNPACK does not
     * take the LSTM, so both run the built-in kernel) on all 10000 test images, and 9849/10000 top-1.
     */
    @Test
    void int8IsBitExactAndScores9849() throws IOException {
        Path file = Fixtures.require(INT8);
        byte[][] imgs = images(10000);
        int[] labels = labels();
        int compared = 10000;
        int[] exact = new int[2];
        int correct = 0;
        Model model = TfliteReader.read(file);
        try (Interpreter quanta = new Interpreter(model);
                Interpreter quantaBuiltin = new Interpreter(
                        model,
                        Interpreter.Options.defaults().withKernelPath(dev.quanta.kernels.QuantizedPath.BUILTIN));
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1);
                TfliteOracle xnnpack = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1)) {
            byte[] out = new byte[10];
            byte[] outBuiltin = new byte[10];
            byte[] x = new byte[784];
            for (int s = 0; s < imgs.length; s++) {
                for (int i = 0; i < x.length; i++) {
                    x[i] = (byte) ((imgs[s][i] & 0xFF) - 128);
                }
                quanta.run(x, out);
                quantaBuiltin.run(x, outBuiltin);
                if (s < compared) {
                    TfliteOracle[] oracles = {builtin, xnnpack};
                    byte[][] mine = {outBuiltin, out};
                    for (int p = 0; p < 2; p++) {
                        oracles[p].resetVariableTensors();
                        oracles[p].setInput(0, x);
                        oracles[p].invoke();
                        exact[p] += java.util.Arrays.equals(oracles[p].outputInt8(0), mine[p]) ? 1 : 0;
                    }
                }
                int best = 0;
                for (int i = 1; i < out.length; i++) {
                    if (out[i] > out[best]) {
                        best = i;
                    }
                }
                correct += best == labels[s] ? 1 : 0;
            }
        }
        System.out.printf(
                "mnist_lstm int8: bit-exact %d/%d built-in, %d/%d XNNPACK; accuracy %d/10000%n",
                exact[0], compared, exact[1], compared, correct);
        assertThat(exact[0]).isEqualTo(compared);
        assertThat(exact[1]).isEqualTo(compared);
        assertThat(correct).isEqualTo(9849);
    }
}
