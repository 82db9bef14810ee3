package dev.quanta.examples.shapes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ShapesDatasetTest {

    @Test
    void classesAreBalancedInEveryBlockOfFour() {
        ShapesDataset.Samples s = ShapesDataset.generate(7, 1000);
        int[] counts = new int[ShapesDataset.CLASSES];
        for (int l : s.labels()) {
            counts[l]++;
        }
        assertThat(counts).containsExactly(250, 250, 250, 250);
        for (int b = 0; b < 1000; b += 4) {
            int[] block = Arrays.copyOfRange(s.labels(), b, b + 4);
            Arrays.sort(block);
            assertThat(block).as("labels %d..%d", b, b + 3).containsExactly(0, 1, 2, 3);
        }
        // the order inside blocks is random, not a fixed cycle
        assertThat(Arrays.copyOf(s.labels(), 40)).isNotEqualTo(new int[] {
            0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3,
            0, 1, 2, 3
        });
    }

    @Test
    void pixelsUseSixteenGreyLevelsAcrossTheFullRange() {
        ShapesDataset.Samples s = ShapesDataset.generate(11, 400);
        assertThat(s.images()).hasSize(400 * 256);
        boolean[] seen = new boolean[256];
        for (int i = 0; i < s.count(); i++) {
            int min = 255;
            int max = 0;
            for (int p = 0; p < ShapesDataset.PIXELS; p++) {
                int v = s.pixel(i, p);
                assertThat(v % 17).as("pixel value %d", v).isZero();
                seen[v] = true;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertThat(max - min).as("contrast of image %d", i).isGreaterThanOrEqualTo(34);
        }
        for (int level = 0; level <= 255; level += 17) {
            assertThat(seen[level]).as("grey level %d used", level).isTrue();
        }
        float[] x = s.scaledPixels();
        assertThat(x).hasSize(400 * 256);
        for (float v : x) {
            assertThat(v).isBetween(0f, 1f);
        }
    }

    @Test
    void classMeansAreAlikeSoBrightnessDoesNotGiveTheClassAway() {
        ShapesDataset.Samples s = ShapesDataset.generate(3, 2000);
        double[] sum = new double[4];
        int[] n = new int[4];
        for (int i = 0; i < s.count(); i++) {
            long t = 0;
            for (int p = 0; p < ShapesDataset.PIXELS; p++) {
                t += s.pixel(i, p);
            }
            sum[s.labels()[i]] += t / 256.0;
            n[s.labels()[i]]++;
        }
        for (int c = 0; c < 4; c++) {
            assertThat(sum[c] / n[c])
                    .as("mean pixel of class %s", ShapesDataset.CLASS_NAMES.get(c))
                    .isBetween(100.0, 155.0);
        }
    }

    @Test
    void deterministicPerSeedAndIndex() {
        ShapesDataset.Samples a = ShapesDataset.generate(42, 200);
        ShapesDataset.Samples b = ShapesDataset.generate(42, 200);
        assertThat(a.images()).isEqualTo(b.images());
        assertThat(a.labels()).isEqualTo(b.labels());
        ShapesDataset.Samples prefix = ShapesDataset.generate(42, 37);
        assertThat(prefix.images()).isEqualTo(Arrays.copyOf(a.images(), 37 * 256));
        assertThat(prefix.labels()).isEqualTo(Arrays.copyOf(a.labels(), 37));
        ShapesDataset.Samples other = ShapesDataset.generate(43, 200);
        assertThat(other.images()).isNotEqualTo(a.images());
        assertThat(ShapesDataset.generate(42, 0).count()).isZero();
        assertThatThrownBy(() -> ShapesDataset.generate(42, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void idxFilesRoundTripWithMnistHeaders() {
        ShapesDataset.Samples s = ShapesDataset.generate(5, 12);
        byte[] images = IdxFiles.imagesGz(s);
        byte[] labels = IdxFiles.labelsGz(s);
        // gzip header: magic, deflate, no flags (no file name), modification time 0
        assertThat(Arrays.copyOf(images, 8)).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0);
        assertThat(Arrays.copyOf(labels, 8)).containsExactly(0x1f, 0x8b, 8, 0, 0, 0, 0, 0);
        byte[] raw = IdxFiles.gunzip(images);
        assertThat(Arrays.copyOf(raw, 16)).containsExactly(0, 0, 8, 3, 0, 0, 0, 12, 0, 0, 0, 16, 0, 0, 0, 16);
        assertThat(raw).hasSize(16 + 12 * 256);
        byte[] rawLabels = IdxFiles.gunzip(labels);
        assertThat(Arrays.copyOf(rawLabels, 8)).containsExactly(0, 0, 8, 1, 0, 0, 0, 12);
        assertThat(rawLabels).hasSize(8 + 12);
        ShapesDataset.Samples back = IdxFiles.read(images, labels);
        assertThat(back.images()).isEqualTo(s.images());
        assertThat(back.labels()).isEqualTo(s.labels());
        assertThat(IdxFiles.imagesGz(s)).isEqualTo(images);
    }
}
