package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.ir.Model;
import dev.quanta.testing.UsesFixtures;
import org.junit.jupiter.api.Test;

/**
 * Acceptance: {@code evaluate} accuracy of the Keras fixture models on their full test sets, to the sample
 * (numbers from the fixtures' MANIFEST, measured there with an independent float implementation).
 */
@UsesFixtures
class KerasAccuracyIT {
    private static EvaluationResult evaluate(Model m, Dataset d) {
        return Evaluator.evaluate(
                m, d, Evaluator.Options.defaults().withBatchSize(100).withThreads(2), Evaluator.Progress.NONE);
    }

    @Test
    void kerasMlpOnMnistScores9719() {
        EvaluationResult r =
                evaluate(KerasFixtureModels.model("mnist/keras_mlp/mnist.h5"), KerasFixtureModels.idx("mnist", null));
        assertThat(r.samples()).isEqualTo(10000);
        assertThat(r.correct()).isEqualTo(9719);
        assertThat(r.lossName()).isEqualTo("sparse_categorical_crossentropy");
        assertThat(r.loss()).isBetween(0.05, 0.2);
    }

    @Test
    void keras3MlpOnMnistScores9797() {
        EvaluationResult r = evaluate(
                KerasFixtureModels.model("mnist/keras3_mlp/mnist_model.keras"),
                KerasFixtureModels.idx("mnist", new int[] {784}));
        assertThat(r.correct()).isEqualTo(9797);
    }

    @Test
    void lenetOnFashionMnistScores8414() {
        EvaluationResult r =
                evaluate(KerasFixtureModels.lenet(), KerasFixtureModels.idx("fashion-mnist", new int[] {28, 28, 1}));
        assertThat(r.correct()).isEqualTo(8414);
        assertThat(r.fromLogits()).as("LeNet ends in a linear Dense: logits").isTrue();
    }

    @Test
    void resnet8OnIcPerfSamplesScores171Of200() {
        EvaluationResult r =
                evaluate(KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5"), KerasFixtureModels.icImages());
        assertThat(r.samples()).isEqualTo(200);
        assertThat(r.correct()).isEqualTo(171);
    }
}
