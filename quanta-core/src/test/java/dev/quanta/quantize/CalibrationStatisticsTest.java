package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Calibration statistics per partition, merged: for any split of the calibration samples into batch-aligned
 * partitions, collected separately, shipped (Java serialization) and merged in any order, the statistics equal
 * those of one pass, value for value, and so does the calibration chosen from them, for every calibrator.
 */
class CalibrationStatisticsTest {

    /** x[3] → Dense(3→4) "d1" → ReLU "r1" → Dense(4→2) "d2", fixed weights with both signs. */
    private static Model mlp() {
        ModelBuilder mb = new ModelBuilder("mlp");
        Tensor x = mb.input("x", Shape.batched(3));
        Tensor d1 = CoreModels.dense(
                mb, "d1", x, new float[] {1, -2, 0.5f, 0.25f, 1, -1, 3, 0.125f, -0.75f, 2, -0.5f, 1.5f}, new float[] {
                    0.5f, -1, 0.25f, 0
                });
        Tensor r1 = CoreModels.relu(mb, "r1", d1);
        Tensor d2 = CoreModels.dense(mb, "d2", r1, new float[] {1, -1, 0.5f, 2, -3, 0.25f, 1, -0.5f});
        return mb.output(d2).build(ModelMetadata.inMemory());
    }

    /**
     * {@code n} samples of 3 values: mostly Gaussian with a heavy tail, with exact zeros and negative zeros so that
     * the first-of-equal-extremes rule is exercised (for an even seed, magnitudes only).
     */
    private static Dataset samples(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        // half the sets hold no negative value: the input's minimum is then 0.0 or −0.0, whichever comes first
        boolean nonNegative = (seed & 1) == 0;
        float[] v = new float[n * 3];
        for (int i = 0; i < v.length; i++) {
            int kind = r.nextInt(10);
            v[i] = kind == 0 ? 0f : kind == 1 ? -0f : (float) (r.nextGaussian() * (kind == 2 ? 20 : 1));
            if (nonNegative && v[i] < 0) {
                v[i] = -v[i];
            }
        }
        return Dataset.of("random", new int[] {3}, v, null);
    }

    /** Cut points of [0, n) at random multiples of the batch: at most {@code parts} ranges. */
    private static List<int[]> randomPartitions(int n, int parts, Random r) {
        int batches = (n + CalibrationStatistics.ALIGN - 1) / CalibrationStatistics.ALIGN;
        TreeSet<Integer> cuts = new TreeSet<>();
        for (int i = 1; i < parts && batches > 1; i++) {
            cuts.add(1 + r.nextInt(batches - 1));
        }
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            ranges.add(new int[] {from, c * CalibrationStatistics.ALIGN});
            from = c * CalibrationStatistics.ALIGN;
        }
        ranges.add(new int[] {from, n});
        return ranges;
    }

    /** {@code s} through Java serialization, as Spark ships a partition's result to the driver. */
    static CalibrationStatistics shipped(CalibrationStatistics s) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
                out.writeObject(s);
            }
            try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
                return (CalibrationStatistics) in.readObject();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }

    @Property(tries = 60)
    void anyPartitioningMergesIntoTheStatisticsAndCalibrationOfOnePass(
            @ForAll @IntRange(min = 1, max = 300) int n,
            @ForAll @IntRange(min = 1, max = 6) int parts,
            @ForAll Calibrator calibrator,
            @ForAll boolean keepHistograms,
            @ForAll long seed) {
        Model m = mlp();
        Dataset data = samples(n, seed);
        QuantizationConfig config =
                QuantizationConfig.defaults().withCalibrator(calibrator).withCalibrationSamples(n);
        CalibrationStatistics one = CalibrationStatistics.collect(m, data, 0, n, config, keepHistograms);
        Random r = new Random(seed);
        List<CalibrationStatistics> partials = new ArrayList<>();
        for (int[] range : randomPartitions(n, parts, r)) {
            partials.add(shipped(CalibrationStatistics.collect(m, data, range[0], range[1], config, keepHistograms)));
        }
        Collections.shuffle(partials, r);
        CalibrationStatistics merged = CalibrationStatistics.merge(partials);
        assertThat(merged.first()).isZero();
        assertThat(merged.end()).isEqualTo(n);
        assertThat(merged.sameAs(one))
                .as("merged statistics of %d partitions", partials.size())
                .isTrue();

        MinMaxCalibrator.Both fromMerged = MinMaxCalibrator.calibrateBoth(m, merged, n, config);
        Calibration single = MinMaxCalibrator.calibrate(m, data, config, keepHistograms);
        assertThat(byName(fromMerged.chosen().ranges())).isEqualTo(byName(single.ranges()));
        assertThat(fromMerged.chosen().warnings()).isEqualTo(single.warnings());
        assertThat(fromMerged.chosen().tensors())
                .extracting(TensorCalibration::chosen)
                .isEqualTo(
                        single.tensors().stream().map(TensorCalibration::chosen).toList());
        assertThat(fromMerged.chosen().tensors())
                .extracting(TensorCalibration::coverage)
                .isEqualTo(single.tensors().stream()
                        .map(TensorCalibration::coverage)
                        .toList());
    }

    /** The ranges by tensor name (an identity map compares its values by identity too). */
    private static Map<String, TensorRange> byName(Map<Tensor, TensorRange> ranges) {
        Map<String, TensorRange> named = new TreeMap<>();
        ranges.forEach((t, r) -> named.put(t.name(), r));
        return named;
    }

    @Test
    void partitionsAreBatchAlignedConsecutiveAndCoverEverySample() {
        assertThat(CalibrationStatistics.partitions(100, 2)).containsExactly(new int[] {0, 64}, new int[] {64, 100});
        assertThat(CalibrationStatistics.partitions(100, 4))
                .containsExactly(new int[] {0, 32}, new int[] {32, 64}, new int[] {64, 96}, new int[] {96, 100});
        // more partitions than batches: one per batch
        assertThat(CalibrationStatistics.partitions(40, 8)).containsExactly(new int[] {0, 32}, new int[] {32, 40});
        assertThat(CalibrationStatistics.partitions(10, 3)).containsExactly(new int[] {0, 10});
    }

    @Test
    void mergeRefusesGapsAndStatisticsOfAnotherCalibrator() {
        Model m = mlp();
        Dataset data = samples(100, 1);
        QuantizationConfig minmax = QuantizationConfig.defaults();
        CalibrationStatistics a = CalibrationStatistics.collect(m, data, 0, 32, minmax, false);
        CalibrationStatistics c = CalibrationStatistics.collect(m, data, 64, 100, minmax, false);
        assertThatThrownBy(() -> a.merge(c))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("calibration statistics of samples [0, 32) and [64, 100) are not consecutive");
        CalibrationStatistics b =
                CalibrationStatistics.collect(m, data, 32, 64, minmax.withCalibrator(Calibrator.ENTROPY), false);
        assertThatThrownBy(() -> a.merge(b))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not merge");
        assertThatThrownBy(() -> CalibrationStatistics.collect(m, data, 16, 48, minmax, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must start at a multiple of 32");
    }
}
