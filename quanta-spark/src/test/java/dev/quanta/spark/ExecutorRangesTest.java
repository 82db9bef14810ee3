package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 13: each task of an evaluation or a batch inference loads only its own range of the data (seen through
 * {@link ExecutorCache#onRangeLoaded} in local mode), the ranges cover the samples once, and the results are still
 * those of one machine; bad data found by a task gives the single-machine one-line error.
 */
@UsesFixtures
class ExecutorRangesTest {
    private static SparkSession spark;
    private final ConcurrentLinkedQueue<int[]> loaded = new ConcurrentLinkedQueue<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @AfterEach
    void noListener() {
        ExecutorCache.onRangeLoaded(null);
    }

    private void listen() {
        loaded.clear();
        ExecutorCache.onRangeLoaded((from, to, held) -> loaded.add(new int[] {from, to, held}));
    }

    /** The ranges the tasks loaded, in sample order: each held exactly its samples, and together they are [0, n). */
    private List<int[]> assertEachTaskHeldItsRangeOnly(int n) {
        List<int[]> ranges = new ArrayList<>(loaded);
        ranges.sort(Comparator.comparingInt(r -> r[0]));
        int next = 0;
        for (int[] r : ranges) {
            assertThat(r[0]).isEqualTo(next);
            assertThat(r[2])
                    .as("samples held by the task of [%d, %d)", r[0], r[1])
                    .isEqualTo(r[1] - r[0]);
            next = r[1];
        }
        assertThat(next).isEqualTo(n);
        return ranges;
    }

    @Test
    void evaluateTasksHoldOnlyTheirRange() {
        Path model = Fixtures.require("mnist/keras_mlp/mnist.h5");
        DatasetSpec spec = DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withPreprocessing(Preprocessing.scale(1f / 255))
                .withSkip(1000)
                .withLimit(2000);
        Evaluator.Options options = Evaluator.Options.defaults();
        Model m = ModelFiles.load(model);
        EvaluationResult single = Evaluator.evaluate(m, Datasets.load(spec, m), options, Evaluator.Progress.NONE);
        listen();

        EvaluationResult spread = QuantaSpark.evaluate(spark, model, spec, options, Evaluator.Progress.NONE)
                .result();

        List<int[]> ranges = assertEachTaskHeldItsRangeOnly(2000);
        assertThat(ranges).hasSize(4); // 2 cores x 2 partitions: no task held more than a quarter
        assertThat(spread.predictions()).isEqualTo(single.predictions());
        assertThat(spread.correct()).isEqualTo(single.correct());
        assertThat(Double.doubleToRawLongBits(spread.loss())).isEqualTo(Double.doubleToRawLongBits(single.loss()));
    }

    @Test
    void predictTasksHoldOnlyTheirRangeAndSampleIdsAreGlobal() {
        Path model = Fixtures.require("mnist/keras_mlp/mnist.h5");
        DatasetSpec spec = DatasetSpec.of(Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"))
                .withPreprocessing(Preprocessing.scale(1f / 255))
                .withLimit(1500);
        Evaluator.Options options = Evaluator.Options.defaults();
        Model m = ModelFiles.load(model);
        Dataset data = Datasets.load(spec, m);
        EvaluationResult single = Evaluator.evaluate(m, data, options, Evaluator.Progress.NONE);
        listen();

        List<Row> rows = QuantaSpark.predict(spark, model, spec, 1, options).collectAsList();

        assertEachTaskHeldItsRangeOnly(1500);
        assertThat(rows).hasSize(1500);
        for (Row r : rows) {
            int sample = (int) r.getLong(0);
            assertThat(r.getInt(1)).isEqualTo(data.label(sample));
            assertThat(r.getList(2).get(0)).isEqualTo(single.predictions()[sample]);
        }
    }

    /** A raw sample file of the wrong size in the middle: a task finds it, with the single-machine error. */
    @Test
    void badSampleFoundByATaskGivesTheSingleMachineError() throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            Files.write(tmp.resolve("s" + i + ".bin"), new byte[i == 70 ? 700 : 784]);
            lines.add("s" + i + ".bin,10," + i % 10);
        }
        Files.writeString(tmp.resolve("y_labels.csv"), String.join("\n", lines) + "\n");
        Path model = Fixtures.require("mnist/keras_mlp/mnist.h5");
        DatasetSpec spec = DatasetSpec.of(tmp).withSampleType(SampleType.UINT8);
        Model m = ModelFiles.load(model);
        String single = catchMessage(() -> Datasets.load(spec, m));
        assertThat(single).contains("s70.bin").contains("expected 784 bytes");

        assertThatThrownBy(() -> QuantaSpark.predict(spark, model, spec, 1, Evaluator.Options.defaults())
                        .collectAsList())
                .satisfies(e -> assertThat(SparkErrors.unwrap((Exception) e))
                        .isInstanceOf(QuantaException.class)
                        .hasMessage(single));
    }

    private static String catchMessage(Runnable r) {
        try {
            r.run();
        } catch (QuantaException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error");
    }
}
