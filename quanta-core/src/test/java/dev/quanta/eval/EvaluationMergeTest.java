package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Evaluator#merge} and {@link Reconstruction#merge} of parts (issue 13, what a cluster's tasks return) give
 * {@link Evaluator#evaluate} and {@link Reconstruction#evaluate} to the bit, however the samples were cut and in
 * whatever order the parts arrive.
 */
class EvaluationMergeTest {
    private static final int N = 103;

    private static Dataset randomData(int classes) {
        SplittableRandom random = new SplittableRandom(5);
        float[] x = CoreArrays.uniform(random, N * 4, -3, 3);
        int[] labels = new int[N];
        for (int i = 0; i < N; i++) {
            labels[i] = random.nextInt(classes);
        }
        return Dataset.of("random", new int[] {4}, x, labels, classes);
    }

    /** Parts cut at multiples of {@code batch}: {@code cuts} batch indexes, the parts shuffled. */
    private static List<int[]> cut(int batch, int... cuts) {
        List<int[]> ranges = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            ranges.add(new int[] {from, Math.min(N, c * batch)});
            from = Math.min(N, c * batch);
        }
        ranges.add(new int[] {from, N});
        Collections.shuffle(ranges, new java.util.Random(3));
        return ranges;
    }

    @Test
    void classifierPartsInAnyOrderEqualTheWholeEvaluation() {
        Model model = CoreModels.classifier();
        Dataset d = randomData(3);
        Evaluator.Options o = Evaluator.Options.defaults().withBatchSize(10).withTopK(2);
        EvaluationResult whole = Evaluator.evaluate(model, d, o, Evaluator.Progress.NONE);
        List<Evaluator.Partial> parts = new ArrayList<>();
        for (int[] r : cut(10, 1, 2, 7)) {
            parts.add(Evaluator.evaluateRange(model, d, o, r[0], r[1], Evaluator.Progress.NONE));
        }
        EvaluationResult merged = Evaluator.merge(model, d, o, parts, 0);
        assertThat(whole.lossName()).isEqualTo("sparse_categorical_crossentropy");
        assertThat(Double.doubleToRawLongBits(merged.loss())).isEqualTo(Double.doubleToRawLongBits(whole.loss()));
        assertThat(merged.correct()).isEqualTo(whole.correct()).isBetween(1, N - 1);
        assertThat(merged.predictions()).containsExactly(whole.predictions());
        assertThat(merged.topK()).isEqualTo(2);

        // a missing part, or a range that does not start on a batch
        assertThatThrownBy(() -> Evaluator.merge(model, d, o, parts.subList(1, parts.size()), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Evaluator.evaluateRange(model, d, o, 5, 20, Evaluator.Progress.NONE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("range start 5 is not a multiple of the batch size 10");
    }

    /**
     * Issue 13's driver holds no data: the merge from one sample, the count, the parts and their tallies equals the
     * whole evaluation, notices included (an int8 model fed unscaled values saturates its input).
     */
    @Test
    void mergeFromOneSampleAndTheTalliesEqualsTheWholeEvaluation() {
        Dataset calibration = randomData(3).slice(0, 50);
        Model model = dev.quanta.quantize.Converter.fromModel(CoreModels.classifier())
                .withRepresentativeDataset(calibration)
                .convert()
                .model();
        float[] x = randomData(3).features().clone();
        for (int i = 0; i < x.length; i++) {
            x[i] *= 40; // far beyond the calibrated range
        }
        Dataset d = Dataset.of("random", new int[] {4}, x, randomData(3).labels(), 3);
        Evaluator.Options o = Evaluator.Options.defaults().withBatchSize(10);
        EvaluationResult whole = Evaluator.evaluate(model, d, o, Evaluator.Progress.NONE);
        List<Evaluator.Partial> parts = new ArrayList<>();
        InputChecks.Tally tally = InputChecks.Tally.NONE;
        for (int[] r : cut(10, 2, 3, 9)) {
            Dataset range = d.slice(r[0], r[1]);
            Evaluator.Partial p = Evaluator.evaluateRange(model, range, o, 0, range.size(), Evaluator.Progress.NONE);
            parts.add(new Evaluator.Partial(r[0], p.predictions(), p.correct(), p.losses()));
            tally = tally.plus(InputChecks.tally(model, range));
        }
        EvaluationResult merged = Evaluator.merge(model, d.slice(0, 1), N, o, parts, 0, tally);
        assertThat(merged.predictions()).containsExactly(whole.predictions());
        assertThat(merged.correct()).isEqualTo(whole.correct());
        assertThat(merged.notices()).isEqualTo(whole.notices()).isNotEmpty();
        assertThat(merged.notices().get(0).toString()).contains("saturate");
    }

    /** A range's label check names the sample by its index in the whole data. */
    @Test
    void aRangesLabelErrorNamesTheSampleInTheWhole() {
        Dataset d = Dataset.of("d", new int[] {4}, new float[4 * 6], new int[] {0, 1, 2, 1, 7, 0});
        assertThatThrownBy(() -> d.validateLabels(3, null))
                .hasMessageEndingWith("label 7 at sample 4 is out of range for a model with 3 classes");
        assertThatThrownBy(() -> d.slice(3, 6).validateLabels(3, null, 3))
                .hasMessageEndingWith("label 7 at sample 4 is out of range for a model with 3 classes");
    }

    @Test
    void reconstructionPartsEqualTheWholeScoring() {
        // an autoencoder in shape (4 values to 4): Dense(4) with a random kernel
        ModelBuilder b = new ModelBuilder("ae");
        Tensor x = b.input("x", Shape.batched(4));
        Tensor y = CoreModels.dense(
                b, "dense", x, CoreArrays.uniform(new SplittableRandom(8), 16, -1, 1), new float[] {0, 0.1f, 0, 0});
        Model model = b.output(y).build(ModelMetadata.inMemory());
        Dataset d = randomData(2);
        assertThat(Metric.isAutoencoder(model)).isTrue();
        Evaluator.Options o = Evaluator.Options.defaults().withBatchSize(8);
        ReconstructionResult whole = Reconstruction.evaluate(model, d, Metric.AUC, o, Evaluator.Progress.NONE);
        List<Reconstruction.Partial> parts = new ArrayList<>();
        for (int[] r : cut(8, 3, 4, 11)) {
            parts.add(Reconstruction.windowErrors(model, d, Metric.AUC, o, r[0], r[1], Evaluator.Progress.NONE));
        }
        ReconstructionResult merged = Reconstruction.merge(model, d, Metric.AUC, parts, 0);
        assertThat(merged.auc()).isEqualTo(whole.auc()).isBetween(0.0, 1.0);
        assertThat(Double.doubleToRawLongBits(merged.meanMse())).isEqualTo(Double.doubleToRawLongBits(whole.meanMse()));
        assertThat(merged.windowMse()).containsExactly(whole.windowMse());
        assertThat(merged.clipScores()).containsExactly(whole.clipScores());

        // from one sample, the count, every sample's label and clips of three windows each (issue 13's driver)
        int[] clipOf = new int[N];
        List<String> names = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            clipOf[i] = i / 3;
        }
        for (int c = 0; c <= (N - 1) / 3; c++) {
            names.add("clip" + c);
        }
        int[] clipLabels = new int[N];
        for (int i = 0; i < N; i++) {
            clipLabels[i] = (i / 3) % 2;
        }
        Dataset clipped = Dataset.of("clipped", new int[] {4}, d.features(), clipLabels, 2)
                .withClips(clipOf, names);
        ReconstructionResult wholeClips =
                Reconstruction.evaluate(model, clipped, Metric.AUC, o, Evaluator.Progress.NONE);
        ReconstructionResult fromParts =
                Reconstruction.merge(model, clipped.slice(0, 1), N, Metric.AUC, parts, clipLabels, clipOf, 0, null);
        assertThat(fromParts.auc()).isEqualTo(wholeClips.auc()).isBetween(0.0, 1.0);
        assertThat(fromParts.clipNames()).isEqualTo(wholeClips.clipNames()).hasSize(35);
        assertThat(fromParts.clipScores()).containsExactly(wholeClips.clipScores());
    }
}
