package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import org.junit.jupiter.api.Test;

/**
 * Per-sample losses against values worked out in the test (log-sum-exp by hand, Keras' clipping to [1e-7, 1 − 1e-7])
 * and against the examples of Keras' own documentation.
 */
class LossTest {
    private static final Loss SCCE = Loss.SPARSE_CATEGORICAL_CROSSENTROPY;
    private static final Loss CCE = Loss.CATEGORICAL_CROSSENTROPY;

    private static void assertParses(Loss expected, String... names) {
        for (String name : names) {
            assertThat(Loss.parse(name)).as(name).isEqualTo(expected);
        }
    }

    @Test
    void parseTakesKerasNamesClassNamesAndAliases() {
        assertParses(SCCE, "sparse_categorical_crossentropy", "SparseCategoricalCrossentropy");
        assertParses(CCE, "categorical_crossentropy", "CategoricalCrossentropy");
        assertParses(Loss.MEAN_SQUARED_ERROR, "mse", "MSE", "mean_squared_error", "MeanSquaredError");
        assertParses(Loss.MEAN_ABSOLUTE_ERROR, "mae", "MeanAbsoluteError", "  mean_absolute_error \n");
        for (Loss l : Loss.values()) {
            assertThat(Loss.parse(l.kerasName())).isEqualTo(l);
        }
        assertThat(SCCE.kerasName()).isEqualTo("sparse_categorical_crossentropy");
        assertThat(Loss.MEAN_ABSOLUTE_ERROR.kerasName()).isEqualTo("mean_absolute_error");
    }

    @Test
    void parseRefusesOtherLossesNamingTheSupportedOnes() {
        assertThatThrownBy(() -> Loss.parse("BinaryCrossentropy"))
                .isInstanceOf(QuantaException.class)
                .hasMessage("unsupported loss 'BinaryCrossentropy' (supported: sparse_categorical_crossentropy, "
                        + "categorical_crossentropy, mean_squared_error, mean_absolute_error)");
        assertThatThrownBy(() -> Loss.parse(""))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith("unsupported loss ''");
        assertThatThrownBy(() -> Loss.parse("ms e")).isInstanceOf(QuantaException.class);
    }

    /** −log softmax(z)_y = log Σ e^{z_j} − z_y, both crossentropies alike. */
    @Test
    void crossentropyFromLogitsIsLogSumExpMinusTheTrueLogit() {
        float[] z = {1f, 2f, 3f};
        double lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)); // 3.40760596444438
        for (Loss l : new Loss[] {SCCE, CCE}) {
            assertThat(l.of(z, 0, 3, 0, true)).isCloseTo(lse - 1, within(1e-12));
            assertThat(l.of(z, 0, 3, 1, true)).isCloseTo(lse - 2, within(1e-12));
            assertThat(l.of(z, 0, 3, 2, true)).isCloseTo(0.40760596444438, within(1e-12));
        }
        // shifting every logit changes nothing
        float[] shifted = {101f, 102f, 103f};
        assertThat(SCCE.of(shifted, 0, 3, 0, true)).isCloseTo(lse - 1, within(1e-12));
    }

    /** exp(1000) overflows a double: the sum must be taken after subtracting the largest logit. */
    @Test
    void crossentropyFromLargeLogitsStaysFinite() {
        float[] z = {1000f, 0f, -1000f};
        assertThat(SCCE.of(z, 0, 3, 0, true)).isCloseTo(0.0, within(1e-12));
        assertThat(SCCE.of(z, 0, 3, 1, true)).isCloseTo(1000.0, within(1e-9));
        assertThat(SCCE.of(z, 0, 3, 2, true)).isCloseTo(2000.0, within(1e-9));
        float[] tiny = {-1000f, -1000f};
        assertThat(CCE.of(tiny, 0, 2, 1, true)).isCloseTo(Math.log(2), within(1e-12));
    }

    @Test
    void crossentropyOfProbabilitiesIsMinusLogOfTheTrueClass() {
        float[] p = {0.2f, 0.3f, 0.5f};
        for (Loss l : new Loss[] {SCCE, CCE}) {
            for (int y = 0; y < 3; y++) {
                // the floats sum to 1 within an ulp: −log(p_y / Σ p)
                double sum = (double) p[0] + p[1] + p[2];
                assertThat(l.of(p, 0, 3, y, false)).isCloseTo(-Math.log(p[y] / sum), within(1e-12));
            }
            assertThat(l.of(p, 0, 3, 2, false)).isCloseTo(Math.log(2), within(1e-7));
        }
    }

    /** A probability of 0 is clipped to ε = 1e-7 and 1 to 1 − ε, so the loss is finite: −log(ε / (1 + ε)). */
    @Test
    void probabilitiesAreClippedToEpsilon() {
        assertThat(Loss.EPSILON).isEqualTo(1e-7);
        float[] p = {0f, 1f, 0f};
        double eps = 1e-7;
        double sum = eps + (1 - eps) + eps;
        assertThat(SCCE.of(p, 0, 3, 0, false)).isCloseTo(-Math.log(eps / sum), within(1e-9));
        assertThat(SCCE.of(p, 0, 3, 0, false)).isCloseTo(16.11809565, within(1e-6));
        assertThat(SCCE.of(p, 0, 3, 1, false)).isCloseTo(-Math.log((1 - eps) / sum), within(1e-12));
        assertThat(SCCE.of(p, 0, 3, 1, false)).isCloseTo(2e-7, within(1e-9));
        // values outside [0, 1] (a model without a final softmax read as probabilities) are clipped too
        float[] out = {-3f, 2f};
        double s2 = eps + (1 - eps);
        assertThat(CCE.of(out, 0, 2, 1, false)).isCloseTo(-Math.log((1 - eps) / s2), within(1e-12));
        assertThat(CCE.of(out, 0, 2, 0, false)).isCloseTo(-Math.log(eps / s2), within(1e-9));
    }

    /**
     * The examples of Keras' documentation: {@code keras.metrics.CategoricalCrossentropy} gives 1.1769392 for
     * labels [1, 2] and predictions [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]; {@code keras.backend.categorical_crossentropy}
     * gives [0.10536, 0.11653, 0.06188] on its 3×3 example.
     */
    @Test
    void kerasDocumentationExamples() {
        float[] p = {0.05f, 0.95f, 0f, 0.1f, 0.8f, 0.1f};
        double mean = (CCE.of(p, 0, 3, 1, false) + CCE.of(p, 3, 3, 2, false)) / 2;
        assertThat(mean).isCloseTo(1.1769392, within(5e-7));
        float[] b = {.9f, .05f, .05f, .05f, .89f, .06f, .05f, .01f, .94f};
        assertThat(CCE.of(b, 0, 3, 0, false)).isCloseTo(0.10536, within(5e-6));
        assertThat(CCE.of(b, 3, 3, 1, false)).isCloseTo(0.11653, within(5e-6));
        assertThat(CCE.of(b, 6, 3, 2, false)).isCloseTo(0.06188, within(5e-6));
    }

    /** Mean squared and absolute error against the one-hot target of the label, over the n outputs. */
    @Test
    void meanSquaredAndAbsoluteErrorAgainstTheOneHotTarget() {
        float[] p = {0.25f, 0.5f, 0.25f, 0f};
        // label 1: differences 0.25, −0.5, 0.25, 0 (all exact in binary)
        assertThat(Loss.MEAN_SQUARED_ERROR.of(p, 0, 4, 1, false)).isEqualTo((0.0625 + 0.25 + 0.0625) / 4);
        assertThat(Loss.MEAN_ABSOLUTE_ERROR.of(p, 0, 4, 1, false)).isEqualTo((0.25 + 0.5 + 0.25) / 4);
        // label 3: differences 0.25, 0.5, 0.25, −1
        assertThat(Loss.MEAN_SQUARED_ERROR.of(p, 0, 4, 3, false)).isEqualTo((0.0625 + 0.25 + 0.0625 + 1) / 4);
        assertThat(Loss.MEAN_ABSOLUTE_ERROR.of(p, 0, 4, 3, false)).isEqualTo((0.25 + 0.5 + 0.25 + 1) / 4);
        // from_logits does not apply to them
        assertThat(Loss.MEAN_SQUARED_ERROR.of(p, 0, 4, 3, true)).isEqualTo((0.0625 + 0.25 + 0.0625 + 1) / 4);
        float[] exact = {0f, 1f};
        assertThat(Loss.MEAN_SQUARED_ERROR.of(exact, 0, 2, 1, false)).isZero();
        assertThat(Loss.MEAN_ABSOLUTE_ERROR.of(exact, 0, 2, 1, false)).isZero();
    }

    /** A sample is read at its offset in a batch array, and only its n values. */
    @Test
    void eachLossReadsOnlyItsSampleOfTheBatch() {
        float[] batch = {9f, 9f, 9f, /* sample 1: */ 0f, 1f, 2f, /* sample 2: */ -5f, 7f, 9f};
        double lse = Math.log(1 + Math.E + Math.exp(2));
        assertThat(SCCE.of(batch, 3, 3, 2, true)).isCloseTo(lse - 2, within(1e-12));
        assertThat(Loss.MEAN_SQUARED_ERROR.of(batch, 3, 3, 1, false)).isEqualTo((0 + 0 + 4) / 3.0);
        assertThat(Loss.MEAN_ABSOLUTE_ERROR.of(batch, 3, 2, 0, false)).isEqualTo((1 + 1) / 2.0);
        float[] probs = {0f, 0f, 0.5f, 0.5f, 7f};
        assertThat(CCE.of(probs, 2, 2, 0, false)).isCloseTo(Math.log(2), within(1e-12));
    }
}
