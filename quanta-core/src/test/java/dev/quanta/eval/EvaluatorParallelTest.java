package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.IdxReader;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@code parallel} interpreters give the one-interpreter evaluation exactly: every prediction, count and loss bit. */
class EvaluatorParallelTest {

    private static EvaluationResult evaluate(Model m, Dataset d, Evaluator.Options o) {
        return Evaluator.evaluate(m, d, o, Evaluator.Progress.NONE);
    }

    /** Everything but the time: the same samples, loss bits, top-k count and prediction of every sample. */
    private static void assertSameResult(EvaluationResult parallel, EvaluationResult one) {
        assertThat(parallel.samples()).isEqualTo(one.samples());
        assertThat(parallel.lossName()).isEqualTo(one.lossName());
        assertThat(parallel.fromLogits()).isEqualTo(one.fromLogits());
        assertThat(Double.doubleToRawLongBits(parallel.loss()))
                .as("loss %s against %s", parallel.loss(), one.loss())
                .isEqualTo(Double.doubleToRawLongBits(one.loss()));
        assertThat(parallel.topK()).isEqualTo(one.topK());
        assertThat(parallel.correct()).isEqualTo(one.correct());
        assertThat(parallel.predictions()).containsExactly(one.predictions());
        assertThat(parallel.notices()).isEqualTo(one.notices());
    }

    @Test
    @UsesFixtures
    void mnistTenThousandWithTwoInterpretersEqualsOneToTheSample() {
        Model model = ModelFiles.load(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        Dataset d = IdxReader.load(
                Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"),
                Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"),
                Preprocessing.scale(1 / 255f));
        // 10,000 = 156 batches of 64 and one of 16
        EvaluationResult one = evaluate(model, d, Evaluator.Options.defaults());
        EvaluationResult two = evaluate(model, d, Evaluator.Options.defaults().withParallel(2));
        assertThat(one.samples()).isEqualTo(10_000);
        assertThat(one.correct()).isEqualTo(9719); // the MANIFEST's independent count
        assertSameResult(two, one);
    }

    @Test
    @UsesFixtures
    void int8KeywordSpotterWithThreeInterpretersEqualsOne() {
        Model model = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite"));
        Dataset d = Datasets.load(DatasetSpec.of(Fixtures.require("mlperf-tiny/kws/kws01_mfcc"))
                .withFormat("raw")
                .withSamples(SampleType.INT8, 49, 10, 1)
                .withPreprocessing(Preprocessing.scale(0.5847029f).withOffset(-83 * 0.5847029f)));
        Evaluator.Options o = Evaluator.Options.defaults()
                .withBatchSize(7)
                .withTopK(2)
                .withLoss(Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
        EvaluationResult one = evaluate(model, d, o);
        EvaluationResult three = evaluate(model, d, o.withParallel(3));
        assertThat(one.samples()).isEqualTo(1000);
        assertThat(one.correct()).isGreaterThan(900); // top-2 of a 90% top-1 model: real scores, not zeros
        assertSameResult(three, one);
    }

    @Test
    void unevenBatchesOnMoreInterpretersThanBatchesEqualOne() {
        Model model = CoreModels.classifier();
        SplittableRandom random = new SplittableRandom(21);
        int n = 103;
        float[] x = CoreArrays.uniform(random, n * 4, -3, 3);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = random.nextInt(3);
        }
        Dataset d = Dataset.of("random", new int[] {4}, x, labels, 3);
        for (int batch : new int[] {1, 10, 64, 200}) {
            Evaluator.Options o = Evaluator.Options.defaults().withBatchSize(batch);
            EvaluationResult one = evaluate(model, d, o);
            assertThat(one.lossName()).isEqualTo("sparse_categorical_crossentropy");
            for (int parallel : new int[] {2, 5}) {
                assertSameResult(evaluate(model, d, o.withParallel(parallel)), one);
            }
        }
    }

    @Test
    void parallelCountsOutOfRangeAreRefusedNamingTheSetting() {
        int max = Interpreter.MAX_THREADS;
        Evaluator.Options o = Evaluator.Options.defaults();
        assertThat(o.parallel()).isEqualTo(1);
        assertThatThrownBy(() -> o.withParallel(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Evaluator parallel must be between 1 and " + max + " (8 per CPU), got 0");
        assertThatThrownBy(() -> o.withParallel(max + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got " + (max + 1));
        assertThatThrownBy(() -> o.withThreads(2).withParallel(max))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Evaluator parallel " + max + " with Evaluator threads 2 makes " + 2 * max
                        + " threads, more than the " + max + " allowed (8 per CPU)");
        // the five-setting constructor of before keeps one interpreter
        assertThat(new Evaluator.Options(null, null, 1, 64, 2).parallel()).isEqualTo(1);
    }
}
