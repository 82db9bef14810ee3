package dev.quanta.summary;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.io.ModelFiles;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import org.junit.jupiter.api.Test;

class ModelSummaryTest {
    @Test
    void tfliteFusedNamesShowTheirLastPartAndLongNamesTheirEnd() {
        assertThat(ModelSummary.displayName("f/act/Relu;f/bn/FusedBatchNormV3;f/conv2d/Conv2D1"))
                .isEqualTo("f/conv2d/Conv2D1");
        assertThat(ModelSummary.displayName("dense_1")).isEqualTo("dense_1");
        String longName = "x".repeat(30) + "/" + "y".repeat(30);
        assertThat(ModelSummary.displayName(longName))
                .hasSize(48)
                .startsWith("…")
                .endsWith("y".repeat(30));
    }

    @Test
    @UsesFixtures
    void tfliteSummaryStaysReadableAndCountsTheConvertersParameters() {
        ModelSummary s = ModelSummary.of(ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite")));
        assertThat(s.totalParams()).isEqualTo(22_604);
        assertThat(s.render().lines().mapToInt(String::length).max().orElse(0)).isLessThan(120);
    }
}
