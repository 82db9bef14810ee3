package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DatasetTest {

    /** 4 samples of shape [2, 3]: sample i holds i*10 + 0..5. */
    private static Dataset small() {
        float[] f = new float[24];
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                f[i * 6 + j] = i * 10 + j;
            }
        }
        return Dataset.of("small", new int[] {2, 3}, f, new int[] {3, 0, 2, 3});
    }

    @Test
    void basicAccessors() {
        Dataset d = small();
        assertThat(d.name()).isEqualTo("small");
        assertThat(d.size()).isEqualTo(4);
        assertThat(d.sampleShape()).containsExactly(2, 3);
        assertThat(d.sampleSize()).isEqualTo(6);
        assertThat(d.hasLabels()).isTrue();
        assertThat(d.labels()).containsExactly(3, 0, 2, 3);
        assertThat(d.label(2)).isEqualTo(2);
        assertThat(d.numClasses()).isEqualTo(4);
        assertThat(d.targets()).isNull();
        assertThat(d.source()).isNull();
        assertThat(d).hasToString("Dataset[small, 4 x 2x3, 4 classes]");
        d.sampleShape()[0] = 99;
        d.labels()[0] = 99;
        assertThat(d.sampleShape()).containsExactly(2, 3);
        assertThat(d.label(0)).isEqualTo(3);
    }

    @Test
    void copySampleAndBatch() {
        Dataset d = small();
        float[] dst = new float[8];
        d.copySample(2, dst, 1);
        assertThat(dst).containsExactly(0, 20, 21, 22, 23, 24, 25, 0);
        float[] batch = new float[12];
        d.copyBatch(1, 2, batch);
        assertThat(batch).containsExactly(10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25);
        assertThat(d.sample(3)).containsExactly(30, 31, 32, 33, 34, 35);
        assertThatThrownBy(() -> d.copyBatch(3, 2, new float[12])).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.copySample(4, dst, 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void limitAndSliceCopyAndKeepClassCount() {
        Dataset d = small();
        Dataset first = d.limit(2);
        assertThat(first.size()).isEqualTo(2);
        assertThat(first.labels()).containsExactly(3, 0);
        assertThat(first.numClasses()).isEqualTo(4);
        assertThat(d.limit(100)).isSameAs(d);
        Dataset mid = d.slice(1, 3);
        assertThat(mid.features()).hasSize(12).startsWith(10f, 11f);
        assertThat(mid.labels()).containsExactly(0, 2);
        assertThat(mid.numClasses()).isEqualTo(4);
        assertThat(d.slice(2, 2).size()).isZero();
        assertThatThrownBy(() -> d.slice(3, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> d.limit(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unlabelledAndDeclaredClasses() {
        Dataset u = Dataset.of("u", new int[] {1}, new float[] {1, 2, 3}, null);
        assertThat(u.hasLabels()).isFalse();
        assertThat(u.labels()).isNull();
        assertThat(u.numClasses()).isZero();
        assertThat(u.size()).isEqualTo(3);
        assertThatThrownBy(() -> u.label(0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> u.validateLabels(10, Path.of("u.npy")))
                .isInstanceOf(QuantaException.class)
                .hasMessage("u.npy: the dataset has no labels");
        Dataset declared = Dataset.of("d", new int[] {1}, new float[] {1, 2}, new int[] {0, 1}, 10);
        assertThat(declared.numClasses()).isEqualTo(10);
        assertThatThrownBy(() -> Dataset.of("bad", new int[] {2}, new float[] {1, 2, 3}, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Dataset.of("bad", new int[] {1}, new float[] {1, 2}, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void targetsAreSlicedWithSamples() {
        Dataset d = small().withTargets(new float[] {0, 1, 10, 11, 20, 21, 30, 31});
        assertThat(d.targetSize()).isEqualTo(2);
        assertThat(d.slice(1, 3).targets()).containsExactly(10, 11, 20, 21);
        assertThatThrownBy(() -> small().withTargets(new float[] {1, 2, 3}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void validateLabelsNamesFileLabelAndSample() {
        int[] labels = new int[40];
        labels[37] = 12;
        Dataset d = Dataset.of("d", new int[] {1}, new float[40], labels);
        d.validateLabels(13, Path.of("x"));
        assertThatThrownBy(() -> d.validateLabels(10, Path.of("data/labels.csv")))
                .isInstanceOf(QuantaException.class)
                .hasMessage(Path.of("data/labels.csv")
                        + ": label 12 at sample 37 is out of range for a model with 10 classes");
        assertThatThrownBy(() -> d.validateLabels(10, null)).hasMessageStartingWith("d: label 12 at sample 37");
    }
}
