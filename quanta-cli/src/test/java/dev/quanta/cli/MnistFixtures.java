package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.Evaluator;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteReader;
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

    /** Test images 101–1000 (pixels / 255): the evaluation samples after the 100 that {@link #quantizeInt8} uses. */
    static Dataset heldOutImages() {
        return Datasets.load(
                        DatasetSpec.of(testImages()).withFormat("idx").withPreprocessing(Preprocessing.scale(1f / 255)))
                .slice(100, 1000);
    }

    /**
     * Runs the float-I/O MNIST file {@code tflite} over {@link #heldOutImages()} in TFLite (XNNPACK) and in Quanta's
     * interpreter, asserting the outputs equal bit for bit, and returns how many TFLite classifies correctly.
     */
    static int correctInTfliteBitExact(Path tflite) {
        Dataset images = heldOutImages();
        int correct = 0;
        float[] x = new float[images.sampleSize()];
        float[] mine = new float[10];
        try (TfliteOracle o = TfliteOracle.open(tflite, TfliteOracle.Kernels.XNNPACK, 1);
                Interpreter it = new Interpreter(TfliteReader.read(tflite))) {
            for (int s = 0; s < images.size(); s++) {
                images.copySample(s, x, 0);
                o.setInput(0, x);
                o.invoke();
                float[] theirs = o.outputFloat(0);
                it.run(x, mine);
                assertThat(mine).as("sample %d", s).containsExactly(theirs);
                if (Evaluator.argmax(theirs, 0, theirs.length) == images.label(s)) {
                    correct++;
                }
            }
        }
        return correct;
    }
}
