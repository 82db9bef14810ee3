package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.LayerError;
import dev.quanta.testing.CoreModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ROC AUC (Mann–Whitney, ties counting one half) on scores worked out by hand, and the reconstruction scores of an
 * autoencoder on generated clips whose window errors are known exactly.
 */
class ReconstructionTest {
    /**
     * Anomalous (1) 0.8 and 0.4 against normal (0) 0.5 and 0.1: of the four pairs only (0.4, 0.5) is ordered
     * wrongly, so AUC = 3/4.
     */
    @Test
    void aucIsTheShareOfCorrectlyOrderedPairs() {
        assertThat(Reconstruction.auc(new double[] {0.8, 0.5, 0.4, 0.1}, new int[] {1, 0, 1, 0}))
                .isEqualTo(0.75);
        assertThat(Reconstruction.auc(new double[] {3, 1, 2}, new int[] {1, 0, 1}))
                .isEqualTo(1.0);
        assertThat(Reconstruction.auc(new double[] {3, 1, 2}, new int[] {0, 1, 0}))
                .isEqualTo(0.0);
    }

    /**
     * A tie between an anomalous and a normal clip counts one half: one tied pair alone gives 0.5; anomalous 0.5 and
     * 0.9 against normal 0.5 and 0.1 give (0.5 + 1 + 1 + 1) / 4 = 0.875; all four equal give 0.5.
     */
    @Test
    void tiesCountOneHalf() {
        assertThat(Reconstruction.auc(new double[] {0.5, 0.5}, new int[] {1, 0}))
                .isEqualTo(0.5);
        assertThat(Reconstruction.auc(new double[] {0.5, 0.9, 0.5, 0.1}, new int[] {1, 1, 0, 0}))
                .isEqualTo(0.875);
        assertThat(Reconstruction.auc(new double[] {2, 2, 2, 2}, new int[] {1, 0, 0, 1}))
                .isEqualTo(0.5);
        // one anomalous clip tied with two of three normal ones, above the third: (0.5 + 0.5 + 1) / 3
        assertThat(Reconstruction.auc(new double[] {7, 7, 7, 1}, new int[] {1, 0, 0, 0}))
                .isCloseTo(2.0 / 3, within(1e-15));
    }

    @Test
    void aucNeedsBothLabels() {
        assertThat(Reconstruction.auc(new double[] {1, 2}, new int[] {0, 0})).isNaN();
        assertThatThrownBy(() -> Reconstruction.auc(new double[] {1, 2}, new int[] {0, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("label 2 at 1 is not 0 or 1");
    }

    /** An autoencoder that reconstructs every window as zeros: a window's MSE is the mean of its squares. */
    private static Model zeroAutoencoder() {
        ModelBuilder mb = new ModelBuilder("zeros");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor y = CoreModels.dense(mb, "decoder", x, new float[4], new float[2]);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * Four clips of windows of two values, reconstructed as zeros. Window MSE (a² + b²)/2 and MAE (|a| + |b|)/2:
     * clip A (normal) windows (1, 1) and (3, 3): MSE 1 and 9, score 5; clip B (anomalous) (2, 2): 4; clip C
     * (anomalous) (4, 0) and (0, 4): 8 and 8, score 8; clip D (normal) (0, 0): 0. Anomalous {4, 8} against normal
     * {5, 0}: (4, 5) is the one pair ordered wrongly, AUC 3/4. Mean window MSE (1 + 9 + 4 + 8 + 8 + 0)/6 = 5, MAE
     * (1 + 3 + 2 + 2 + 2 + 0)/6 = 5/3.
     */
    private static Dataset clips() {
        float[] windows = {1, 1, 4, 0, 3, 3, 2, 2, 0, 4, 0, 0};
        int[] clipOf = {0, 2, 0, 1, 2, 3};
        int[] labels = {0, 1, 0, 1, 1, 0};
        return Dataset.of("clips", new int[] {2}, windows, labels, 2)
                .withClips(clipOf, List.of("a.bin", "b.bin", "c.bin", "d.bin"));
    }

    @Test
    void clipsAreScoredByTheMeanOfTheirWindowsErrors() {
        ReconstructionResult r = Reconstruction.evaluate(
                zeroAutoencoder(),
                clips(),
                Metric.AUC,
                Evaluator.Options.defaults().withBatchSize(4),
                (d, n) -> {});
        assertThat(r.samples()).isEqualTo(6);
        // clips in order of first appearance: a, c, b, d
        assertThat(r.clipNames()).containsExactly("a.bin", "c.bin", "b.bin", "d.bin");
        assertThat(r.clipScores()).containsExactly(5, 8, 4, 0);
        assertThat(r.clipLabels()).containsExactly(0, 1, 1, 0);
        assertThat(r.auc()).isEqualTo(0.75);
        assertThat(r.value()).isEqualTo(0.75);
        assertThat(r.windowMse()).containsExactly(1, 8, 9, 4, 8, 0);
        assertThat(r.meanMse()).isCloseTo(5, within(1e-12));
        assertThat(r.meanMae()).isCloseTo(5.0 / 3, within(1e-12));
        assertThat(r.clipsLabelled(0)).isEqualTo(2);
        assertThat(r.clipsLabelled(1)).isEqualTo(2);

        // MAE scores the clips by their windows' MAE: A (1 + 3)/2 = 2, C 2, B 2, D 0: anomalous {2, 2} against
        // normal {2, 0}: two ties and two wins, AUC (0.5 + 1 + 0.5 + 1) / 4 = 0.75
        ReconstructionResult mae = Reconstruction.evaluate(
                zeroAutoencoder(),
                clips(),
                Metric.MAE,
                Evaluator.Options.defaults().withParallel(2),
                (d, n) -> {});
        assertThat(mae.clipScores()).containsExactly(2, 2, 2, 0);
        assertThat(mae.value()).isCloseTo(5.0 / 3, within(1e-12));
        assertThat(mae.auc()).isEqualTo(0.75);
    }

    /** Without clips every sample is its own clip; without both labels MSE is still reported but AUC refused. */
    @Test
    void plainDatasetsAndRefusals() {
        Dataset plain = Dataset.of("plain.npy", new int[] {2}, new float[] {1, 1, 3, 3}, new int[] {0, 0});
        ReconstructionResult r = Reconstruction.evaluate(
                zeroAutoencoder(), plain, Metric.MSE, Evaluator.Options.defaults(), (d, n) -> {});
        assertThat(r.clips()).isEqualTo(2);
        assertThat(r.meanMse()).isEqualTo(5);
        assertThat(r.auc()).isNaN();
        assertThatThrownBy(() -> Reconstruction.evaluate(
                        zeroAutoencoder(), plain, Metric.AUC, Evaluator.Options.defaults(), (d, n) -> {}))
                .isInstanceOf(QuantaException.class)
                .hasMessage("plain.npy: metric auc needs clips labelled 0 (normal) and 1 (anomalous); found 2 normal "
                        + "and 0 anomalous");
        Dataset unlabelled = Dataset.of("u.npy", new int[] {2}, new float[] {1, 1}, null);
        assertThat(Reconstruction.evaluate(
                                zeroAutoencoder(), unlabelled, Metric.MSE, Evaluator.Options.defaults(), (d, n) -> {})
                        .meanMse())
                .isEqualTo(1);

        ModelBuilder mb = new ModelBuilder("classifier");
        Tensor x = mb.input("x", Shape.batched(2));
        Model classifier = mb.output(CoreModels.dense(mb, "d", x, new float[6])).build(ModelMetadata.inMemory());
        assertThat(Metric.defaultFor(classifier)).isEqualTo(Metric.TOPK);
        assertThat(Metric.defaultFor(zeroAutoencoder())).isEqualTo(Metric.MSE);
        assertThatThrownBy(() -> Reconstruction.evaluate(
                        classifier, plain, Metric.MSE, Evaluator.Options.defaults(), (d, n) -> {}))
                .isInstanceOf(QuantaException.class)
                .hasMessage(
                        "model 'classifier': metric mse scores an autoencoder (one input and one output of the same "
                                + "shape), but the model maps " + Shape.batched(2) + " to " + Shape.batched(3)
                                + "; a classifier is scored by the metric topk");
        assertThatThrownBy(() -> Metric.parse("f1"))
                .isInstanceOf(QuantaException.class)
                .hasMessage("unknown metric 'f1'; expected auc, mse, mae or topk");
        assertThat(Metric.parse(" AUC ")).isEqualTo(Metric.AUC);
    }

    /** ModelComparison scores an autoencoder by reconstruction (MSE by default, AUC on request) for both models. */
    @Test
    void modelComparisonOfAutoencodersReportsBothModelsReconstruction() {
        ModelComparison.Options options =
                ModelComparison.Options.defaults().withLatency(null).withLayerSamples(6);
        ModelComparison.Result byDefault =
                ModelComparison.compare(zeroAutoencoder(), zeroAutoencoder(), clips(), options, (d, n) -> {});
        assertThat(byDefault.metric()).isEqualTo(Metric.MSE);
        assertThat(byDefault.floatResult()).isNull();
        assertThat(byDefault.floatReconstruction().meanMse()).isCloseTo(5, within(1e-12));
        assertThat(byDefault.quantizedReconstruction().meanMse()).isCloseTo(5, within(1e-12));
        assertThat(byDefault.accuracyDrop()).isNaN();
        assertThat(byDefault.agreement()).isNaN();
        assertThat(byDefault.notices()).isEmpty();
        ModelComparison.Result auc = ModelComparison.compare(
                zeroAutoencoder(), zeroAutoencoder(), clips(), options.withMetric(Metric.AUC), (d, n) -> {});
        assertThat(auc.floatReconstruction().auc()).isEqualTo(0.75);
        assertThat(auc.quantizedReconstruction().auc()).isEqualTo(0.75);
        assertThat(auc.layers()).extracting(LayerError::tensor).containsExactly("decoder");
    }
}
