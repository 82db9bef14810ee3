package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TrainingConfig;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.HostileFiles.ZipItem;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluator's refusals name the file at fault: the labels' file, or the model file for its training config. */
class EvaluatorLabelsTest {
    @TempDir
    Path tmp;

    /** Dense(3) + softmax over 2 inputs, recorded as loaded from {@code source} with a training-config loss. */
    private static Model tiny(String source, String loss) {
        ModelBuilder b = new ModelBuilder("tiny");
        Tensor x = b.input("x", Shape.batched(2));
        Tensor d = CoreModels.dense(b, "dense", x, new float[] {1, 0, 0, 1, 1, 1});
        Tensor s = b.add(OpType.SOFTMAX, "softmax", CoreModels.dense("dense"), new OpAttributes.Softmax(1f), d);
        return b.output(s)
                .build(new ModelMetadata(
                        SourceFormat.KERAS_H5,
                        source,
                        "2.15.0",
                        "tensorflow",
                        "Sequential",
                        new TrainingConfig(loss, false, null)));
    }

    private Path npz(String name, byte[] y) {
        byte[] x = HostileFiles.concat(
                HostileFiles.npyHeader("<f4", "(2, 2)"),
                java.nio.ByteBuffer.allocate(16)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putFloat(1)
                        .putFloat(0)
                        .putFloat(0)
                        .putFloat(1)
                        .array());
        return HostileFiles.zip(tmp.resolve(name), ZipItem.stored("x.npy", x), ZipItem.stored("y.npy", y));
    }

    @Test
    void badTrainingConfigLossNamesTheModelFile() {
        Path data = npz("ok.npz", HostileFiles.concat(HostileFiles.npyHeader("|u1", "(2,)"), new byte[] {0, 1}));
        Dataset d = Datasets.load(DatasetSpec.of(data));
        Model good = tiny("models/tiny.h5", "sparse_categorical_crossentropy");
        EvaluationResult r = Evaluator.evaluate(good, d, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        assertThat(r.correct()).isEqualTo(2);
        Model bad = tiny("models/tiny.h5", "foo");
        assertThatThrownBy(() -> Evaluator.evaluate(bad, d, Evaluator.Options.defaults(), Evaluator.Progress.NONE))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith("models/tiny.h5: training config: unsupported loss 'foo' (supported: ")
                .hasMessageEndingWith("; give a loss to choose one");
        // an explicit loss does not need the training config's
        Evaluator.Options mse = Evaluator.Options.defaults().withLoss(Loss.MEAN_SQUARED_ERROR);
        assertThat(Evaluator.evaluate(bad, d, mse, Evaluator.Progress.NONE).lossName())
                .isEqualTo("mean_squared_error");
    }

    @Test
    void oneHotLabelsOfAnotherWidthAndOutOfRangeLabelsAreRefusedNamingTheLabels() {
        Model m = tiny("models/tiny.h5", "categorical_crossentropy");
        Path fourWide = npz(
                "wide.npz",
                HostileFiles.concat(HostileFiles.npyHeader("|u1", "(2, 4)"), new byte[] {1, 0, 0, 0, 0, 1, 0, 0}));
        Dataset d = Datasets.load(DatasetSpec.of(fourWide));
        assertThatThrownBy(() -> Evaluator.evaluate(m, d, Evaluator.Options.defaults(), Evaluator.Progress.NONE))
                .isInstanceOf(QuantaException.class)
                .hasMessage(fourWide + ": array 'y': one-hot labels are 4 wide but the model has 3 classes");
        Path outOfRange =
                npz("range.npz", HostileFiles.concat(HostileFiles.npyHeader("|u1", "(2,)"), new byte[] {0, 7}));
        Dataset r = Datasets.load(DatasetSpec.of(outOfRange));
        assertThatThrownBy(() -> Evaluator.evaluate(m, r, Evaluator.Options.defaults(), Evaluator.Progress.NONE))
                .isInstanceOf(QuantaException.class)
                .hasMessage(outOfRange + ": array 'y': label 7 at sample 1 is out of range for a model with 3 classes");
    }
}
