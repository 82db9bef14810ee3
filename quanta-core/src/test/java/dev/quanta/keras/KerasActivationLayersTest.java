package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpAttributes;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreOps;
import io.jhdf.HdfFile;
import io.jhdf.WritableHdfFile;
import io.jhdf.api.WritableGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Keras activations that lower onto TFLite builtins of issue 11: the Activation strings hard_silu, gelu, elu and
 * silu (also as a Dense layer's activation), and the layers ELU and PReLU (with shared axes), imported from a Keras 3
 * config and weights file and run against the formulas in double precision.
 */
class KerasActivationLayersTest {
    @TempDir
    Path tmp;

    private static String tensor(String layer) {
        return "{\"class_name\": \"__keras_tensor__\", \"config\": {\"shape\": null, \"dtype\": \"float32\", "
                + "\"keras_history\": [\"" + layer + "\", 0, 0]}}";
    }

    private static String layer(String cls, String name, String config, String input) {
        return "{\"module\": \"keras.layers\", \"class_name\": \"" + cls + "\", \"name\": \"" + name + "\", "
                + "\"config\": {\"name\": \"" + name + "\", \"trainable\": true" + (config.isEmpty() ? "" : ", ")
                + config + "}, \"inbound_nodes\": [{\"args\": [" + tensor(input) + "], \"kwargs\": {}}]}";
    }

    private Path config(String layers, String output) throws IOException {
        String json = "{\"module\": \"keras\", \"class_name\": \"Functional\", \"config\": {\"name\": \"acts\", "
                + "\"trainable\": true, \"layers\": ["
                + "{\"module\": \"keras.layers\", \"class_name\": \"InputLayer\", \"name\": \"x\", \"config\": "
                + "{\"name\": \"x\", \"batch_shape\": [null, 2, 3, 4], \"dtype\": \"float32\", \"sparse\": false}, "
                + "\"inbound_nodes\": []}, " + layers + "], \"input_layers\": [\"x\", 0, 0], "
                + "\"output_layers\": [[\"" + output + "\", 0, 0]]}}";
        return Files.writeString(tmp.resolve("config.json"), json);
    }

    private static double sigmoid(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    private static double hardSwish(double v) {
        return v * Math.min(6, Math.max(0, v + 3)) / 6;
    }

    /** erf by Abramowitz and Stegun 7.1.26 (|error| below 1.5e-7), independent of Quanta's. */
    private static double erf(double v) {
        double t = 1 / (1 + 0.3275911 * Math.abs(v));
        double p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
        double e = 1 - p * Math.exp(-v * v);
        return v < 0 ? -e : e;
    }

    private static double gelu(double v) {
        return 0.5 * v * (1 + erf(v / Math.sqrt(2)));
    }

    private static double elu(double v) {
        return v < 0 ? Math.expm1(v) : v;
    }

    @Test
    void activationStringsAndLayersBecomeTheirBuiltins() throws IOException {
        String layers = layer("Activation", "hs", "\"activation\": \"hard_silu\"", "x") + ", "
                + layer("Activation", "ge", "\"activation\": \"gelu\"", "hs") + ", "
                + layer("Activation", "el", "\"activation\": \"elu\"", "ge") + ", "
                + layer("Activation", "sw", "\"activation\": \"silu\"", "el") + ", "
                + layer("ELU", "elu", "\"alpha\": 1.0", "sw") + ", "
                + layer("PReLU", "pr", "\"shared_axes\": [1, 2]", "elu");
        Path json = config(layers, "pr");
        double[][][] alpha = {{{0.1, -0.2, 0.3, 0.05}}};
        Path weights = tmp.resolve("acts.weights.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            WritableGroup pr = h.putGroup("layers").putGroup("pr").putGroup("vars");
            pr.putDataset("0", alpha);
        }
        Model m = KerasImporter.load(json, weights);
        assertThat(CoreOps.types(m)).isEqualTo("HARD_SWISH GELU ELU LOGISTIC MUL ELU PRELU");
        assertThat(m.ops().get(1).attrs(OpAttributes.Gelu.class).approximate()).isFalse();
        assertThat(m.ops().get(6).input(1).shape().dims()).containsExactly(1, 1, 4);
        assertThat(m.ops().get(4).output(0).name()).isEqualTo("sw");

        Random r = new Random(3);
        float[] x = new float[24];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3);
        }
        float[] y = new float[24];
        try (Interpreter it = new Interpreter(m)) {
            it.resizeInput(0, new int[] {1, 2, 3, 4});
            it.run(x, y);
        }
        for (int i = 0; i < x.length; i++) {
            double v = gelu(hardSwish(x[i]));
            v = elu(v);
            v = v * sigmoid(v);
            v = elu(v);
            v = v >= 0 ? v : v * alpha[0][0][i % 4];
            assertThat((double) y[i]).as("element " + i).isCloseTo(v, within(2e-6 * Math.max(1, Math.abs(v))));
        }
    }

    @Test
    void aDenseLayerTakesTheNewActivationsAsASeparateOp() throws IOException {
        String layers = layer("Dense", "d", "\"units\": 2, \"activation\": \"hard_swish\", \"use_bias\": false", "x");
        Path json = config(layers, "d");
        Path weights = tmp.resolve("d.weights.h5");
        try (WritableHdfFile h = HdfFile.write(weights)) {
            h.putGroup("layers").putGroup("d").putGroup("vars").putDataset("0", new double[][] {
                {1, 0}, {0, 1}, {1, 1}, {0.5, -1}
            });
        }
        Model m = KerasImporter.load(json, weights);
        assertThat(CoreOps.types(m)).isEqualTo("FULLY_CONNECTED HARD_SWISH");
        assertThat(m.ops().get(1).output(0).name()).isEqualTo("d");
    }

    @Test
    void whatTfliteHasNoBuiltinForIsRefusedNamingTheLayer() throws IOException {
        Path selu = config(layer("Activation", "s", "\"activation\": \"selu\"", "x"), "s");
        Path noWeights = tmp.resolve("none.weights.h5");
        try (WritableHdfFile h = HdfFile.write(noWeights)) {
            h.putGroup("layers");
        }
        assertThatThrownBy(() -> KerasImporter.load(selu, noWeights))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("'s'")
                .hasMessageContaining("selu");
        Path elu = config(layer("ELU", "e", "\"alpha\": 0.5", "x"), "e");
        assertThatThrownBy(() -> KerasImporter.load(elu, noWeights))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("alpha")
                .hasMessageContaining("only 1.0");
    }
}
