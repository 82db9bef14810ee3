package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.runtime.InterpreterPool;
import dev.quanta.spark.ImageRows;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
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
 * {@code quanta predict} over a folder of image files read through Spark's binary-file source and decoded on the
 * executors (issue 13): every row equals the single-machine image folder's sample run on one interpreter, to the
 * bit; the Java API and the SQL function on a binary column of encoded images; an undecodable file is the
 * single-machine one-line error.
 *
 * <p>The images are the 200 CIFAR-10 test images of MLPerf Tiny IC ({@code perf_samples_v0.5}), written here as PNG
 * (and a few BMP) files in one subfolder per class; the model is the int8 ResNet-8 ({@code
 * pretrainedResnet_quant.tflite}, raw pixels 0..255).
 */
@UsesFixtures
class SparkPredictImagesTest {
    private static SparkSession spark;

    @TempDir
    static Path tmp;

    private static Path model;

    /** The image folder: class subfolders "0" to "9". */
    private static Path folder;

    /** The images in the single-machine order (class folder, then file name). */
    private static List<Path> files;

    /** The first image written, copied as {@code 3/.hidden.png} and {@code 3/deeper/img000.png}. */
    private static Path first;

    /** The single-machine image folder, its evaluation and each image's dequantized output, one image per run. */
    private static Dataset single;

    private static EvaluationResult evaluated;

    private static float[][] scores;

    @BeforeAll
    static void start() throws IOException {
        model = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite");
        Path samples = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        folder = tmp.resolve("images");
        List<String> lines = Files.readAllLines(samples.resolve("y_labels.csv"));
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            byte[] rgb = Files.readAllBytes(samples.resolve(f[0]));
            // BMP for every tenth image, an upper-case extension for every 25th: both are read as images
            String ext = i % 10 == 3 ? "bmp" : i % 25 == 7 ? "PNG" : "png";
            // names starting with _ (outside class 3, which the glob test reads): images of the folder, which
            // Spark's file listing would leave out
            String name = i % 20 == 11 && !f[2].strip().equals("3") ? "_img%03d.%s" : "img%03d.%s";
            Path file = folder.resolve(f[2].strip()).resolve(String.format(name, i, ext));
            writeImage(rgb, file, ext.equalsIgnoreCase("png") ? "png" : "bmp");
            written.add(file);
        }
        // not images of the folder: a text file, a hidden image and an image one level too deep
        Files.writeString(folder.resolve("3/notes.txt"), "not an image");
        first = written.get(0);
        Files.copy(written.get(0), folder.resolve("3/.hidden.png"));
        Files.createDirectories(folder.resolve("3/deeper"));
        Files.copy(written.get(0), folder.resolve("3/deeper/img000.png"));
        files = written.stream()
                .sorted(Comparator.comparing(
                                (Path p) -> p.getParent().getFileName().toString())
                        .thenComparing(p -> p.getFileName().toString()))
                .toList();

        Model m = ModelFiles.load(model);
        single = Datasets.load(DatasetSpec.of(folder), m);
        evaluated = Evaluator.evaluate(m, single, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        scores = new float[single.size()][];
        try (InterpreterPool pool = InterpreterPool.create(m, 1)) {
            for (int i = 0; i < single.size(); i++) {
                Object[] y = pool.run(
                        InputQuantizer.quantize(single.sample(i), m.inputs().get(0)));
                scores[i] = InputQuantizer.dequantize(y[0], m.outputs().get(0));
            }
        }
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        if (spark != null) {
            spark.stop();
        }
    }

    /** A 32x32 image of HWC RGB bytes, written as {@code format}. */
    private static void writeImage(byte[] rgb, Path file, String format) throws IOException {
        BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int at = (y * 32 + x) * 3;
                img.setRGB(x, y, (rgb[at] & 0xFF) << 16 | (rgb[at + 1] & 0xFF) << 8 | (rgb[at + 2] & 0xFF));
            }
        }
        Files.createDirectories(file.getParent());
        assertThat(ImageIO.write(img, format, file.toFile())).isTrue();
    }

    /** The single-machine index of the image at {@code sparkPath} (a {@code file:} URI). */
    private static int indexOf(String sparkPath) {
        Path p = Path.of(URI.create(sparkPath));
        int i = files.indexOf(p);
        assertThat(i).as(sparkPath).isNotNegative();
        return i;
    }

    /** The k best classes of the single-machine output of image {@code i}, best first (ties: lower class). */
    private static List<Integer> topClasses(int i, int k) {
        List<Integer> classes = new ArrayList<>();
        for (int c = 0; c < scores[i].length; c++) {
            classes.add(c);
        }
        classes.sort(Comparator.comparingDouble((Integer c) -> -scores[i][c]).thenComparing(c -> c));
        return classes.subList(0, k);
    }

    @Test
    void predictOverAnImageFolderEqualsTheSingleMachineFolderToTheBit() throws IOException {
        assertThat(single.size()).isEqualTo(200);
        assertThat(files.stream().filter(p -> p.getFileName().toString().startsWith("_")))
                .hasSizeGreaterThan(5);
        Path out = tmp.resolve("predictions.parquet");
        CliRunner r = CliRunner.run(
                "predict",
                model.toString(),
                "--data",
                folder.toString(),
                "--out",
                out.toString(),
                "--top-k",
                "3",
                "--batch-size",
                "16",
                "--spark",
                "local[2]",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("rows").asLong()).isEqualTo(200);
        assertThat(json.get("spark").get("partitions").asInt()).isPositive();

        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        assertThat(rows).hasSize(200);
        boolean[] seen = new boolean[200];
        int correct = 0;
        for (Row row : rows) {
            int i = indexOf(row.getString(row.fieldIndex("sample")));
            assertThat(seen[i]).isFalse();
            seen[i] = true;
            int label = row.getInt(row.fieldIndex("label"));
            assertThat(label).isEqualTo(single.label(i));
            List<Integer> classes = row.getList(row.fieldIndex("top_classes"));
            List<Float> top = row.getList(row.fieldIndex("top_scores"));
            assertThat(classes).as("image %d", i).isEqualTo(topClasses(i, 3));
            assertThat(classes.get(0)).isEqualTo(evaluated.predictions()[i]);
            for (int k = 0; k < 3; k++) {
                assertThat(Float.floatToRawIntBits(top.get(k)))
                        .as("image %d score %d", i, k)
                        .isEqualTo(Float.floatToRawIntBits(scores[i][classes.get(k)]));
            }
            correct += classes.get(0) == label ? 1 : 0;
        }
        assertThat(correct)
                .isEqualTo(evaluated.correct())
                .isEqualTo(170); // 85.0%, the int8 file's IC 200 in the README's accuracy table
    }

    /**
     * {@code evaluate --spark} over the image folder (its {@code _} names included): each task decodes its own range
     * of the folder's images; every printed number equals one machine's.
     */
    @Test
    void evaluateOverTheImageFolderOnSparkPrintsTheSingleMachineNumbers() throws IOException {
        String[] args = {"evaluate", model.toString(), "--data", folder.toString(), "--batch-size", "16"};
        CliRunner one = CliRunner.run(args);
        assertThat(one.exitCode()).as(one.err()).isZero();
        CliRunner spread = CliRunner.run(CliRunner.args(args, "--spark", "local[2]"));
        assertThat(spread.exitCode()).as(spread.err()).isZero();
        assertThat(withoutThroughput(spread.out())).isEqualTo(withoutThroughput(one.out()));
        assertThat(spread.out()).contains("Accuracy:   85.00% (170/200, top-1)");

        JsonNode a = new ObjectMapper()
                .readTree(CliRunner.run(CliRunner.args(args, "--json")).out());
        JsonNode b = new ObjectMapper()
                .readTree(CliRunner.run(CliRunner.args(args, "--json", "--spark", "local[2]"))
                        .out());
        for (String key : new String[] {"samples", "loss", "correct", "accuracy"}) {
            assertThat(b.get(key)).as(key).isEqualTo(a.get(key));
        }
        assertThat(b.get("spark").get("partitions").asInt()).isEqualTo(4); // 13 batches of 16, 2 per core
    }

    /**
     * {@code quantize --calibration FOLDER --spark}: the float ResNet-8 calibrated on 100 images of the folder
     * (partitions of whole calibration batches, each decoded on its executor) is the single-machine file, byte for
     * byte.
     */
    @Test
    void quantizeCalibratedOnTheImageFolderOnSparkWritesTheSingleMachineFile() throws IOException {
        Path h5 = Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5");
        Path one = tmp.resolve("ic_one.tflite");
        Path spread = tmp.resolve("ic_spark.tflite");
        String[] calibration = {"--calibration", folder.toString(), "--samples", "100"};
        CliRunner a = CliRunner.quantize(h5, one, calibration);
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner b = CliRunner.quantize(h5, spread, CliRunner.args(calibration, "--spark", "local[2]", "--json"));
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(Files.readAllBytes(spread)).isEqualTo(Files.readAllBytes(one));
        JsonNode json = new ObjectMapper().readTree(b.out());
        assertThat(json.get("calibration_samples").asInt()).isEqualTo(100);
        assertThat(json.get("spark").get("partitions").asInt()).isGreaterThan(1);
    }

    @Test
    void aGlobOfImageFilesHasNoLabelsAndTakesTheFilesBelowAMatchedFolder() {
        Path out = tmp.resolve("glob.parquet");
        CliRunner r = CliRunner.run(
                "predict",
                model.toString(),
                "--data",
                folder.resolve("3") + "/*",
                "--out",
                out.toString(),
                "--spark",
                "local[2]");
        assertThat(r.exitCode()).as(r.err()).isZero();
        List<Path> inThree = files.stream()
                .filter(p -> p.getParent().getFileName().toString().equals("3"))
                .toList();
        assertThat(inThree).hasSizeGreaterThan(20);
        List<Row> rows = spark.read().parquet(out.toString()).collectAsList();
        // the images of 3/ and 3/deeper/img000.png; not notes.txt or .hidden.png
        assertThat(rows).hasSize(inThree.size() + 1);
        for (Row row : rows) {
            Path p = Path.of(URI.create(row.getString(row.fieldIndex("sample"))));
            int i = p.getParent().getFileName().toString().equals("deeper")
                    ? files.indexOf(first)
                    : indexOf(p.toUri().toString());
            assertThat(row.isNullAt(row.fieldIndex("label"))).isTrue();
            List<Integer> classes = row.getList(row.fieldIndex("top_classes"));
            List<Float> top = row.getList(row.fieldIndex("top_scores"));
            assertThat(classes).containsExactly(evaluated.predictions()[i]);
            assertThat(Float.floatToRawIntBits(top.get(0)))
                    .isEqualTo(Float.floatToRawIntBits(scores[i][classes.get(0)]));
        }

        CliRunner none = CliRunner.run(
                "predict",
                model.toString(),
                "--data",
                folder.resolve("3") + "/*.tiff",
                "--out",
                tmp.resolve("none.parquet").toString(),
                "--spark",
                "local[2]");
        assertOneLineError(none, "*.tiff: no files match the pattern");
    }

    @Test
    void javaApiAndSqlFunctionOnABinaryColumnOfEncodedImages() throws IOException {
        StructType schema =
                new StructType().add("id", DataTypes.IntegerType, false).add("image", DataTypes.BinaryType, false);
        List<Row> in = new ArrayList<>();
        for (int i = 0; i < files.size(); i += 4) {
            in.add(RowFactory.create(i, Files.readAllBytes(files.get(i))));
        }
        org.apache.spark.sql.Dataset<Row> images =
                spark.createDataFrame(in, schema).repartition(3);

        List<Row> raw = ImageRows.predict(images, model, "image", false, null, 0, Evaluator.Options.defaults())
                .collectAsList();
        assertThat(raw).hasSize(50);
        for (Row row : raw) {
            int i = row.getInt(0);
            List<Float> y = row.getList(row.fieldIndex("output"));
            assertThat(y).hasSize(10);
            for (int c = 0; c < 10; c++) {
                assertThat(Float.floatToRawIntBits(y.get(c))).isEqualTo(Float.floatToRawIntBits(scores[i][c]));
            }
        }

        ImageRows.registerFunctions(spark, model, false, null);
        images.createOrReplaceTempView("encoded_images");
        List<Row> sql = spark.sql("SELECT id, quanta_predict_image(image) FROM encoded_images")
                .collectAsList();
        assertThat(sql).hasSize(50);
        for (Row row : sql) {
            assertThat(row.getInt(1))
                    .as("image %d", row.getInt(0))
                    .isEqualTo(evaluated.predictions()[row.getInt(0)]);
        }

        // a column that is not binary, and grey images for an RGB model, are refused on the driver
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> ImageRows.predict(images, model, "id", false, null, 1, Evaluator.Options.defaults())))
                .hasMessage("column 'id' is int; encoded images must be binary (the bytes of an image file)");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                        () -> ImageRows.predict(images, model, "image", true, null, 1, Evaluator.Options.defaults())))
                .hasMessageContaining("grayscale was requested but the sample shape has 3 channels");
    }

    @Test
    void anUndecodableImageIsTheSingleMachineOneLineError() throws IOException {
        Path bad = tmp.resolve("bad [1]"); // a space and glob characters: the folder is taken as it is
        Files.createDirectories(bad.resolve("a"));
        Files.createDirectories(bad.resolve("b"));
        Files.copy(files.get(0), bad.resolve("a/good.png"));
        byte[] png = Files.readAllBytes(files.get(1));
        byte[] cut = java.util.Arrays.copyOf(png, 60); // a PNG header and a truncated first chunk
        Path broken = bad.resolve("b/broken.png");
        Files.write(broken, cut);

        CliRunner one = CliRunner.run("evaluate", model.toString(), "--data", bad.toString());
        assertOneLineError(one, broken.toString());

        CliRunner spread = CliRunner.run(
                "predict",
                model.toString(),
                "--data",
                bad.toString(),
                "--out",
                tmp.resolve("bad.parquet").toString(),
                "--spark",
                "local[2]");
        assertOneLineError(spread, broken.toString());
        assertThat(spread.err()).isEqualTo(one.err());

        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty.resolve("a"));
        Files.writeString(empty.resolve("a/readme.txt"), "no images");
        CliRunner none = CliRunner.run(
                "predict",
                model.toString(),
                "--data",
                empty.toString(),
                "--format",
                "images",
                "--out",
                tmp.resolve("none.parquet").toString(),
                "--spark",
                "local[2]");
        assertOneLineError(none, empty.toAbsolutePath().toString(), "no images", "in 1 class subfolders");
    }

    private static String withoutThroughput(String out) {
        return out.lines().filter(l -> !l.startsWith("Throughput:")).collect(Collectors.joining("\n"));
    }
}
