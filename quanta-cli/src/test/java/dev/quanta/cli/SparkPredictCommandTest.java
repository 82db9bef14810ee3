package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quanta predict} (issue 13): the Parquet rows it writes, read back with Spark, give the top-1 classes that
 * {@code evaluate} finds; Parquet input, the SQL function and bad input on the Spark path.
 */
@UsesFixtures
class SparkPredictCommandTest {
    private static SparkSession spark;

    /** The 10,000 MNIST test images (pixels / 255) and the single-machine evaluation of the Keras MLP on them. */
    private static Dataset images;

    private static EvaluationResult evaluated;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void start() {
        spark = QuantaSpark.session("local[2]");
        Model m = ModelFiles.load(MnistFixtures.model());
        images = Datasets.load(
                DatasetSpec.of(MnistFixtures.testImages()).withPreprocessing(Preprocessing.scale(1f / 255)), m);
        evaluated = Evaluator.evaluate(m, images, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    @Test
    void parquetRowsReadBackGiveEvaluatesTopOneForEverySample() {
        Path out = tmp.resolve("predictions.parquet");
        CliRunner r = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--out",
                out.toString(),
                "--top-k",
                "3",
                "--spark",
                "local[2]");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Predictions: 10000 rows (top-3 classes and scores)");

        List<Row> rows = spark.read().parquet(out.toString()).orderBy("sample").collectAsList();
        assertThat(rows).hasSize(10_000);
        int correct = 0;
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            assertThat(row.getLong(row.fieldIndex("sample"))).isEqualTo(i);
            int label = row.getInt(row.fieldIndex("label"));
            assertThat(label).isEqualTo(images.label(i));
            List<Integer> classes = row.getList(row.fieldIndex("top_classes"));
            List<Float> scores = row.getList(row.fieldIndex("top_scores"));
            assertThat(classes).hasSize(3).doesNotHaveDuplicates();
            assertThat(classes.get(0)).as("sample %d", i).isEqualTo(evaluated.predictions()[i]);
            assertThat(scores.get(0)).isGreaterThanOrEqualTo(scores.get(1));
            assertThat(scores.get(1)).isGreaterThanOrEqualTo(scores.get(2));
            correct += classes.get(0) == label ? 1 : 0;
        }
        assertThat(correct).isEqualTo(evaluated.correct()).isEqualTo(9719);

        // a second run replaces the folder Spark wrote
        CliRunner again = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--limit",
                "10",
                "--out",
                out.toString(),
                "--spark",
                "local[2]");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(spark.read().parquet(out.toString()).count()).isEqualTo(10);
    }

    /** A Parquet table of the first 200 images: an id and the pixels as an array of floats. */
    private static Path parquetInput(String name, int values) {
        StructType schema = new StructType()
                .add("id", DataTypes.StringType, false)
                .add("features", DataTypes.createArrayType(DataTypes.FloatType, false), false);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            float[] x = images.sample(i);
            Float[] boxed = new Float[values];
            for (int j = 0; j < values; j++) {
                boxed[j] = x[j];
            }
            rows.add(RowFactory.create("img-" + i, boxed));
        }
        Path p = tmp.resolve(name);
        spark.createDataFrame(rows, schema).coalesce(2).write().parquet(p.toString());
        return p;
    }

    @Test
    void parquetInputKeepsItsColumnsAndTheSqlFunctionAgrees() {
        Path in = parquetInput("images.parquet", 784);
        Path out = tmp.resolve("raw.parquet");
        CliRunner r = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                in.toString(),
                "--out",
                out.toString(),
                "--raw",
                "--spark",
                "local[2]");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).contains("Predictions: 200 rows (raw outputs)");
        for (Row row : spark.read().parquet(out.toString()).collectAsList()) {
            int i = Integer.parseInt(row.getString(row.fieldIndex("id")).substring(4));
            List<Float> y = row.getList(row.fieldIndex("output"));
            assertThat(y).hasSize(10);
            int best = 0;
            for (int j = 1; j < 10; j++) {
                best = y.get(j) > y.get(best) ? j : best;
            }
            assertThat(best).as("image %d", i).isEqualTo(evaluated.predictions()[i]);
        }

        QuantaSpark.registerFunctions(spark, MnistFixtures.model());
        spark.read().parquet(in.toString()).createOrReplaceTempView("images");
        List<Row> sql = spark.sql("SELECT id, quanta_predict(features) AS class FROM images")
                .collectAsList();
        assertThat(sql).hasSize(200);
        for (Row row : sql) {
            int i = Integer.parseInt(row.getString(0).substring(4));
            assertThat(row.getInt(1)).as("image %d", i).isEqualTo(evaluated.predictions()[i]);
        }
    }

    @Test
    void badInputOnTheSparkPathIsOneLineAndExitCodeTwo() {
        Path in = parquetInput("short.parquet", 100);
        CliRunner missing = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                in.toString(),
                "--column",
                "pixels",
                "--out",
                tmp.resolve("x.parquet").toString(),
                "--spark",
                "local[2]");
        assertOneLineError(missing, "no column 'pixels'", "id, features");

        CliRunner shortRows = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                in.toString(),
                "--out",
                tmp.resolve("y.parquet").toString(),
                "--spark",
                "local[2]");
        assertOneLineError(shortRows, "column 'features'", "100 values", "784");

        CliRunner master = CliRunner.run(
                "evaluate",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--spark",
                "spark://127.0.0.1:1");
        assertOneLineError(master, "--spark spark://127.0.0.1:1", "cannot reach the master");

        CliRunner notOurs = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--out",
                MnistFixtures.testImages().getParent().toString());
        assertOneLineError(notOurs, "--out would replace the input");
    }
}
