package dev.quanta.examples.shapes;

import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.files.AtomicFiles;
import dev.quanta.ir.Model;
import dev.quanta.keras.KerasH5Writer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Makes the embedded example that {@code quanta demo} runs: generated shape images and a small CNN trained on
 * them by {@link ShapesTrainer}, all deterministic, nothing third-party. The shipped copy lives in quanta-cli's
 * resources under {@code dev/quanta/cli/demo/} ({@link #SHIPPED_DIR}); {@link #main} regenerates it.
 */
public final class DemoExample {
    /** The model's name (the Keras Sequential name). */
    public static final String MODEL_NAME = "shapes_cnn";

    public static final String MODEL_FILE = "shapes_cnn.h5";
    public static final String TEST_IMAGES = "shapes-test-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "shapes-test-labels-idx1-ubyte.gz";
    public static final String TRAIN_IMAGES = "shapes-train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "shapes-train-labels-idx1-ubyte.gz";
    public static final String README = "README.md";
    /** Where the shipped files are, from the repository root (the CLI's resources). */
    public static final String SHIPPED_DIR = "quanta-cli/src/main/resources/dev/quanta/cli/demo";

    /** Seed of the training images; the shipped train files are its first {@link #SHIPPED_TRAIN_COUNT}. */
    public static final long TRAIN_SEED = 1001L;
    /** Seed of the test images. */
    public static final long TEST_SEED = 2002L;
    /** Images the model is trained on. */
    public static final int TRAIN_COUNT = 2000;
    /** Training images shipped (for calibration). */
    public static final int SHIPPED_TRAIN_COUNT = 500;
    /** Test images shipped. */
    public static final int TEST_COUNT = 1000;

    private DemoExample() {}

    /** The training images, as the trainer sees them. */
    public static ShapesDataset.Samples trainingSet() {
        return ShapesDataset.generate(TRAIN_SEED, TRAIN_COUNT);
    }

    /** The test images. */
    public static ShapesDataset.Samples testSet() {
        return ShapesDataset.generate(TEST_SEED, TEST_COUNT);
    }

    /** The shipped training images: the first {@value #SHIPPED_TRAIN_COUNT} of {@link #trainingSet()}. */
    public static ShapesDataset.Samples shippedTrainingSet() {
        return ShapesDataset.generate(TRAIN_SEED, SHIPPED_TRAIN_COUNT);
    }

    /** Trains the demo model with {@link ShapesTrainer.Config#defaults()}. */
    public static ShapesTrainer.Result train() {
        return ShapesTrainer.train(trainingSet(), ShapesTrainer.Config.defaults());
    }

    /**
     * Writes every shipped file into {@code dir} (created if missing): the data, the trained model and the README.
     *
     * @return the training result (model, curve, time) and the test accuracy
     */
    public static Generated generate(Path dir) {
        writeData(dir);
        ShapesTrainer.Result result = train();
        ShapesTrainer.Config c = ShapesTrainer.Config.defaults();
        KerasH5Writer.write(
                result.model(),
                dir.resolve(MODEL_FILE),
                KerasH5Writer.Optimizer.adam(c.learningRate(), c.beta1(), c.beta2(), c.epsilon()));
        int correct = countCorrect(result.model(), testSet());
        AtomicFiles.writeBytes(dir.resolve(README), readme(correct).getBytes(StandardCharsets.UTF_8));
        return new Generated(result, correct);
    }

    /** What {@link #generate} made: the training result and the number of test images classified correctly. */
    public record Generated(ShapesTrainer.Result training, int testCorrect) {}

    /** Writes only the four IDX files into {@code dir} (created if missing). */
    public static void writeData(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ShapesDataset.Samples test = testSet();
        ShapesDataset.Samples train = shippedTrainingSet();
        AtomicFiles.writeBytes(dir.resolve(TEST_IMAGES), IdxFiles.imagesGz(test));
        AtomicFiles.writeBytes(dir.resolve(TEST_LABELS), IdxFiles.labelsGz(test));
        AtomicFiles.writeBytes(dir.resolve(TRAIN_IMAGES), IdxFiles.imagesGz(train));
        AtomicFiles.writeBytes(dir.resolve(TRAIN_LABELS), IdxFiles.labelsGz(train));
    }

    /**
     * Evaluates {@code model} with the project's {@link Evaluator} on {@code samples} (pixels / 255) and counts the
     * images whose highest-scoring class is the label.
     */
    public static int countCorrect(Model model, ShapesDataset.Samples samples) {
        Dataset data = Dataset.of(
                "shapes",
                new int[] {ShapesDataset.SIZE, ShapesDataset.SIZE, 1},
                samples.scaledPixels(),
                samples.labels(),
                ShapesDataset.CLASSES);
        return Evaluator.evaluate(model, data, Evaluator.Options.defaults(), Evaluator.Progress.NONE)
                .correct();
    }

    static String readme(int testCorrect) {
        ShapesTrainer.Config c = ShapesTrainer.Config.defaults();
        return String.format(
                Locale.ROOT,
                """
                # The `quanta demo` example

                Everything in this folder was made by Quanta's own code (`dev.quanta.examples.shapes` in the
                quanta-examples module): generated images and a small CNN trained on them in pure Java. No
                third-party data or weights. The files are deterministic: regenerating them gives the same images
                and the same weights. `quanta demo` (quanta-cli) ships them as resources.

                | file | content |
                |------|---------|
                | `%s` | Keras 2 (tf.keras) full-model HDF5: the trained CNN, written by `KerasH5Writer` |
                | `%s`, `%s` | %d test images and labels (MNIST IDX, gzip) |
                | `%s`, `%s` | %d training images and labels (the first %d of the %d the model was trained on), for calibration |

                ## Data

                16×16 grey images (uint8, %d grey levels 0, 17, 34, … 255) of four classes, label = index:
                0 `horizontal` stripes, 1 `vertical` stripes, 2 `diagonal` stripes (±45°), 3 `disc` (a filled
                ellipse). Each image draws its own stripe period (3–7 px), phase, angle jitter (±%d°), square or
                sine profile, optional window, disc position/size/shape, polarity, background, contrast and noise
                level, so some images are genuinely ambiguous. Classes are balanced (each block of four images
                holds every class once). `ShapesDataset.generate(seed, n)`; test seed %d, training seed %d.

                IDX layout: images magic `0x00000803`, dimensions `[N, 16, 16]`; labels magic `0x00000801`,
                dimension `[N]`. The model expects pixels / 255 (`quanta evaluate ... --scale 1/255`).

                ## Model

                Keras-style Sequential, %d parameters:

                ```
                Input (16, 16, 1)
                Conv2D(8, 3x3, padding same, relu)    -> (16, 16, 8)      80
                MaxPooling2D(2x2)                     -> (8, 8, 8)
                Conv2D(16, 3x3, padding same, relu)  -> (8, 8, 16)     1168
                MaxPooling2D(2x2)                     -> (4, 4, 16)
                Flatten                               -> (256)
                Dense(32, relu)                       -> (32)         8224
                Dense(4, softmax)                     -> (4)           132
                ```

                Trained by `ShapesTrainer` (hand-written forward and backward passes, single thread, fixed seed
                %d, StrictMath for exp/log/sqrt): sparse categorical cross-entropy, Adam (learning rate %s, then
                ×%s from epoch %d; beta1 %s, beta2 %s, epsilon %s), batch %d, %d epochs over %d generated images.

                Float accuracy on the %d test images, computed with Quanta's `Interpreter`: **%d/%d**.

                ## Regenerating

                From the repository root:

                ```
                mvn -q -B -DskipTests -pl quanta-examples -am package
                java -jar quanta-examples/target/quanta-examples.jar %s
                ```

                `DemoExampleTest` (quanta-examples) checks that regeneration reproduces these files and this
                accuracy.
                """,
                MODEL_FILE,
                TEST_IMAGES,
                TEST_LABELS,
                TEST_COUNT,
                TRAIN_IMAGES,
                TRAIN_LABELS,
                SHIPPED_TRAIN_COUNT,
                SHIPPED_TRAIN_COUNT,
                TRAIN_COUNT,
                ShapesDataset.LEVELS,
                ShapesDataset.ANGLE_JITTER_DEGREES,
                TEST_SEED,
                TRAIN_SEED,
                ShapesTrainer.PARAMS,
                c.seed(),
                num(c.learningRate()),
                num(c.lrDecay()),
                c.lrDecayEpoch() + 1,
                num(c.beta1()),
                num(c.beta2()),
                num(c.epsilon()),
                c.batchSize(),
                c.epochs(),
                TRAIN_COUNT,
                TEST_COUNT,
                testCorrect,
                TEST_COUNT,
                SHIPPED_DIR);
    }

    private static String num(double v) {
        return Double.toString(v);
    }

    /** Regenerates the example into the folder given as the only argument. */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: DemoExample <output-folder>");
            System.err.println("  e.g. " + SHIPPED_DIR);
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Generated g = generate(dir);
        ShapesTrainer.Result r = g.training();
        for (int e = 0; e < r.epochLoss().length; e++) {
            System.out.printf(
                    Locale.ROOT,
                    "epoch %2d  loss %.4f  train accuracy %.4f%n",
                    e + 1,
                    r.epochLoss()[e],
                    r.epochAccuracy()[e]);
        }
        System.out.printf(
                Locale.ROOT,
                "trained %d parameters in %.1f s; test accuracy %d/%d; wrote %s%n",
                ShapesTrainer.PARAMS,
                r.millis() / 1000.0,
                g.testCorrect(),
                TEST_COUNT,
                dir.toAbsolutePath());
    }
}
