package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real ONNX models: {@code onnx/mnist/mnist.onnx} (opset 7, CNTK) scores 98.90% on MNIST t10k with pixels/255, as its
 * MANIFEST row says; ONNX's {@code light/} architectures match their expected outputs (computed by ONNX's reference
 * evaluator) within the node suite's tolerance.
 */
@UsesFixtures
class OnnxModelsIT {

    static Dataset mnist(int[] sampleShape) {
        Path images = Fixtures.require("mnist/t10k-images-idx3-ubyte.gz");
        Path labels = Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz");
        return Datasets.load(DatasetSpec.of(images)
                .withLabels(labels)
                .withFormat("idx")
                .withPreprocessing(Preprocessing.scale(1f / 255f).withReshape(sampleShape)));
    }

    @Test
    void mnistOnnxScores9890() {
        Model m = ModelFiles.load(Fixtures.require("onnx/mnist/mnist.onnx"));
        assertThat(m.metadata().sourceFormat()).isEqualTo(SourceFormat.ONNX);
        // the file's batch of 1 becomes dynamic (its Reshape to [1, 256] is per sample), so batches run
        assertThat(m.inputs().get(0).shape().dims()).containsExactly(-1, 1, 28, 28);
        assertThat(m.outputs().get(0).shape().dims()).containsExactly(-1, 10);
        EvaluationResult r = Evaluator.evaluate(
                m,
                mnist(new int[] {1, 28, 28}),
                Evaluator.Options.defaults().withBatchSize(100).withThreads(2),
                Evaluator.Progress.NONE);
        assertThat(r.samples()).isEqualTo(10000);
        assertThat(r.correct()).isEqualTo(9890);
    }

    /**
     * The light models are fed zeros. Their graphs compute every weight with ConstantOfShape (one value per
     * tensor), so their expected outputs do not depend on the input (1/1000 per class after the softmax; 0.46095502
     * everywhere for DenseNet-121): this checks that the full graphs import and run to the right shape and constant,
     * not the arithmetic of every op (the node suite and {@link OnnxLayoutOrtTest} do that).
     */
    @ParameterizedTest
    @ValueSource(
            strings = {
                "bvlc_alexnet",
                "densenet121",
                "inception_v1",
                "inception_v2",
                "resnet50",
                "shufflenet",
                "squeezenet",
                "vgg19",
                "zfnet512"
            })
    void lightModelMatchesItsExpectedOutput(String name) {
        Path dir = Fixtures.require("onnx-backend/data/light");
        Model m = OnnxImporter.load(dir.resolve("light_" + name + ".onnx"));
        List<OnnxTestData.Array> inputs = new ArrayList<>();
        for (Tensor t : m.inputs()) {
            int[] dims = t.shape().withBatch(1).dims();
            int n = (int) t.shape().withBatch(1).elementCount();
            assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
            inputs.add(new OnnxTestData.Array(dims, DType.FLOAT32, new float[n]));
        }
        OnnxTestData.Array expected = OnnxTestData.read(dir.resolve("light_" + name + "_output_0.pb"));
        OnnxTestData.Array actual = OnnxTestData.run(m, inputs).get(0);
        assertThat(OnnxTestData.compare(actual, expected, 1e-3, 1e-7)).isNull();
    }
}
