package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.ScaleOut;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link QuantaSpark} in local mode with two cores equals the single-machine {@link Evaluator}, to the bit. */
@UsesFixtures
class QuantaSparkTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void mnistKerasOnTwoCoresEqualsOneMachine() {
        Path model = Fixtures.require("mnist/keras_mlp/mnist.h5");
        DatasetSpec spec = DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withPreprocessing(Preprocessing.scale(1f / 255));
        Evaluator.Options options = Evaluator.Options.defaults();
        Model m = ModelFiles.load(model);
        Dataset data = Datasets.load(spec, m);
        EvaluationResult single = Evaluator.evaluate(m, data, options, Evaluator.Progress.NONE);

        ScaleOut.Run<EvaluationResult> run = QuantaSpark.evaluate(spark, model, spec, options, Evaluator.Progress.NONE);

        EvaluationResult spread = run.result();
        assertThat(run.partitions()).isEqualTo(4);
        assertThat(spread.samples()).isEqualTo(10_000);
        assertThat(spread.correct()).isEqualTo(single.correct()).isEqualTo(9719); // 97.19% (MANIFEST)
        assertThat(spread.predictions()).isEqualTo(single.predictions());
        assertThat(Double.doubleToRawLongBits(spread.loss())).isEqualTo(Double.doubleToRawLongBits(single.loss()));
        assertThat(run.stageSeconds()).containsOnlyKeys("load", "broadcast", "evaluate", "merge");
    }
}
