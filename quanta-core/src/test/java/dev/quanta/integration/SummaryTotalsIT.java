package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.summary.LayerRow;
import dev.quanta.summary.ModelSummary;
import dev.quanta.testing.UsesFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Acceptance: {@code summary} totals equal Keras' own counts for the fixture models. */
@UsesFixtures
class SummaryTotalsIT {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "mlperf-tiny/ic/pretrainedResnet.h5, 78666, 480",
        "mlperf-tiny/vww/vww_96.h5, 221794, 5472",
        "mlperf-tiny/ad/ad01.h5, 269992, 2064",
        "mlperf-tiny/sww/str_ww_ref_model.h5, 47707, 832",
        "mnist/keras_mlp/mnist.h5, 101770, 0",
        "mnist/keras3_mlp/mnist_model.keras, 101770, 0",
    })
    void totalsMatchKeras(String file, long total, long nonTrainable) {
        ModelSummary s = ModelSummary.of(KerasFixtureModels.model(file));
        assertThat(s.totalParams()).isEqualTo(total);
        assertThat(s.nonTrainableParams()).isEqualTo(nonTrainable);
        assertThat(s.trainableParams()).isEqualTo(total - nonTrainable);
        assertThat(s.paramBytes()).isEqualTo(4 * total);
        assertThat(s.render()).contains(String.format(java.util.Locale.ROOT, "Total params: %,d", total));
    }

    @Test
    void mnistMlpRowsAreKerasLayers() {
        ModelSummary s = ModelSummary.of(KerasFixtureModels.model("mnist/keras_mlp/mnist.h5"));
        assertThat(s.rows()).extracting(LayerRow::type).containsExactly("Flatten", "Dense", "Dense");
        assertThat(s.rows())
                .extracting(LayerRow::outputShape)
                .containsExactly("(None, 784)", "(None, 128)", "(None, 10)");
        assertThat(s.rows()).extracting(LayerRow::params).containsExactly(0L, 100480L, 1290L);
    }

    @Test
    void functionalResnetRowsShowInputsAndConnections() {
        Model m = KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5");
        ModelSummary s = ModelSummary.of(m);
        assertThat(s.rows().get(0).type()).isEqualTo("InputLayer");
        LayerRow firstAdd = s.rows().stream()
                .filter(r -> r.type().equals("Add"))
                .findFirst()
                .orElseThrow();
        assertThat(firstAdd.connectedTo()).hasSize(2);
        assertThat(s.render()).contains("Connected to");
    }

    @Test
    void lenetFromConfigAndWeights() {
        ModelSummary s = ModelSummary.of(KerasFixtureModels.lenet());
        // conv 3*3*1*32+32, conv 3*3*32*64+64, dense 3136*256+256, 256*84+84, 84*10+10
        assertThat(s.totalParams()).isEqualTo(320 + 18496 + 803072 + 21588 + 850);
        assertThat(s.nonTrainableParams()).isZero();
    }
}
