package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;

class PreprocessingTest {

    @Test
    void identityKeepsValuesAndShape() {
        Preprocessing p = Preprocessing.identity();
        assertThat(p.isIdentityOnValues()).isTrue();
        assertThat(p.apply(17.5f, 0)).isEqualTo(17.5f);
        assertThat(p.outputShape(new int[] {28, 28})).containsExactly(28, 28);
        assertThat(p).hasToString("identity");
    }

    @Test
    void scaleAndOffset() {
        Preprocessing p = Preprocessing.scale(1 / 127.5f).withOffset(-1f);
        assertThat(p.apply(0f, 0)).isEqualTo(-1f);
        assertThat(p.apply(255f, 0)).isCloseTo(1f, within(1e-6f));
        assertThat(Preprocessing.scale(1 / 255f).apply(255f, 0)).isEqualTo(1f);
        assertThat(p.withScale(2f).apply(3f, 0)).isEqualTo(5f);
    }

    @Test
    void perChannelMeanStdUsesLastAxis() {
        Preprocessing p = Preprocessing.meanStd(new float[] {10, 20, 30}, new float[] {1, 2, 5});
        // two HWC pixels of 3 channels
        float[] v = {11, 24, 40, 10, 20, 30};
        p.applyInPlace(v, p.channels(new int[] {1, 2, 3}, new int[] {1, 2, 3}, ""));
        assertThat(v).containsExactly(1f, 2f, 2f, 0f, 0f, 0f);
    }

    @Test
    void scaleThenMeanStdCombine() {
        Preprocessing p = Preprocessing.scale(1 / 255f).withMeanStd(new float[] {0.5f}, new float[] {0.25f});
        assertThat(p.apply(255f, 0)).isCloseTo(2f, within(1e-6f));
        assertThat(p.apply(0f, 7)).isCloseTo(-2f, within(1e-6f));
    }

    @Test
    void channelAxisMayComeFromStoredShapeWhenReshapedFlat() {
        Preprocessing p = Preprocessing.meanStd(new float[] {1, 2, 3}, new float[] {1, 1, 1})
                .withReshape(12);
        int[] out = p.outputShape(new int[] {2, 2, 3});
        assertThat(out).containsExactly(12);
        assertThat(p.channels(new int[] {2, 2, 3}, out, "")).isEqualTo(3);
    }

    @Test
    void channelCountMismatchIsAnError() {
        Preprocessing p = Preprocessing.meanStd(new float[] {1, 2, 3}, new float[] {1, 1, 1});
        assertThatThrownBy(() -> p.channels(new int[] {28, 28}, new int[] {28, 28}, "f.npy: "))
                .isInstanceOf(QuantaException.class)
                .hasMessage(
                        "f.npy: mean/std have 3 entries but the last (channel) axis of samples of shape 28x28 has 28");
    }

    @Test
    void reshapeKeepsCountOrThrows() {
        assertThat(Preprocessing.identity().withReshape(784).outputShape(new int[] {28, 28}))
                .containsExactly(784);
        assertThat(Preprocessing.identity().withReshape(28, 28, 1).outputShape(new int[] {784}))
                .containsExactly(28, 28, 1);
        assertThat(Preprocessing.identity().withReshape(-1, 1).outputShape(new int[] {28, 28}))
                .containsExactly(784, 1);
        assertThatThrownBy(() -> Preprocessing.identity().withReshape(28, 28, 2).outputShape(new int[] {28, 28}))
                .isInstanceOf(QuantaException.class)
                .hasMessage("reshape [28, 28, 2] has 1568 elements but samples of shape 28x28 have 784");
        assertThatThrownBy(() -> Preprocessing.identity().withReshape(-1, 5).outputShape(new int[] {28, 28}))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("cannot reshape samples of shape 28x28 (784 elements) to [-1, 5]");
        assertThatThrownBy(() -> Preprocessing.identity().withReshape(-1, -1))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("more than one -1");
        assertThatThrownBy(() -> Preprocessing.identity().withReshape(0, 5))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("must be positive");
    }

    @Test
    void invalidParametersAreRejected() {
        assertThatThrownBy(() -> Preprocessing.meanStd(new float[] {0}, new float[] {0}))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("non-zero");
        assertThatThrownBy(() -> Preprocessing.meanStd(new float[] {0, 1}, new float[] {1, 1, 1}))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("mean has 2 entries but std has 3");
        assertThatThrownBy(() -> new Preprocessing(1f, 0f, new float[] {1}, null, null))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("both mean and std");
        assertThatThrownBy(() -> Preprocessing.scale(Float.NaN)).isInstanceOf(QuantaException.class);
    }

    @Test
    void valueSemanticsAndDefensiveCopies() {
        float[] mean = {1, 2};
        Preprocessing a = Preprocessing.meanStd(mean, new float[] {3, 4}).withReshape(2, 1);
        mean[0] = 99;
        Preprocessing b =
                Preprocessing.meanStd(new float[] {1, 2}, new float[] {3, 4}).withReshape(2, 1);
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        a.mean()[1] = 42;
        assertThat(a.mean()).containsExactly(1f, 2f);
        assertThat(a).isNotEqualTo(Preprocessing.identity());
        assertThat(Preprocessing.scale(0.5f).withReshape(4).toString()).isEqualTo("v*0.5+0.0, reshape [4]");
    }

    @Property(tries = 200)
    void scaleMatchesFormula(
            @ForAll @FloatRange(min = -1000, max = 1000) float v,
            @ForAll @FloatRange(min = -10, max = 10) float s,
            @ForAll @FloatRange(min = -10, max = 10) float o) {
        float[] one = {v};
        Preprocessing.scale(s).withOffset(o).applyInPlace(one, 1);
        assertThat(one[0]).isEqualTo(v * s + o);
    }
}
