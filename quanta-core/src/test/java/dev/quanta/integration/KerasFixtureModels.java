package dev.quanta.integration;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.testing.Fixtures;
import java.nio.file.Path;

/** The real Keras fixture models and their test data, loaded the way a user would. */
final class KerasFixtureModels {
    private KerasFixtureModels() {}

    static Model model(String relative) {
        return ModelFiles.load(Fixtures.require(relative));
    }

    static Model lenet() {
        return ModelFiles.load(
                Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5"),
                Fixtures.require("fashion-mnist/keras_lenet/modelConfig.json"));
    }

    static Dataset idx(String folder, int[] reshape) {
        Path images = Fixtures.require(folder + "/t10k-images-idx3-ubyte.gz");
        Path labels = Fixtures.require(folder + "/t10k-labels-idx1-ubyte.gz");
        Preprocessing p = Preprocessing.scale(1f / 255f);
        if (reshape != null) {
            p = p.withReshape(reshape);
        }
        return Datasets.load(
                DatasetSpec.of(images).withLabels(labels).withFormat("idx").withPreprocessing(p));
    }

    /** The 200 MLPerf Tiny IC images as raw 0..255 floats, HWC RGB. */
    static Dataset icImages() {
        Path dir = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        return Datasets.load(DatasetSpec.of(dir).withFormat("raw").withSamples(SampleType.UINT8, 32, 32, 3));
    }
}
