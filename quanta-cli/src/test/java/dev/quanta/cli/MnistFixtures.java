package dev.quanta.cli;

import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;

/**
 * The MNIST fixtures most CLI tests run on, through {@link Fixtures#require}: the tests that use them are marked
 * {@link UsesFixtures}, which keeps them out of the fast tier.
 */
final class MnistFixtures {
    private MnistFixtures() {}

    /** The Keras MLP trained on MNIST (a full-model .h5). */
    static Path model() {
        return Fixtures.require("mnist/keras_mlp/mnist.h5");
    }

    /** The 10,000 MNIST test images (IDX, gzip), with their labels next to them. */
    static Path testImages() {
        return Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
    }

    /** {@code quanta quantize} of {@link #model()} to int8, calibrated on 100 {@link #testImages()} (pixels / 255). */
    static CliRunner quantizeInt8(Path output) {
        return CliRunner.quantize(
                model(), output, "--calibration", testImages().toString(), "--scale", "1/255", "--samples", "100");
    }
}
