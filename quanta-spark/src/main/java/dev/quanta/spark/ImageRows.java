package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.ImageFolder;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.spark.ExecutorCache.ModelBytes;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Encoded images (the bytes of PNG, BMP, JPEG or GIF files) as samples on Spark: each executor decodes its own rows
 * with {@link ImageFolder#sample}, the decoding of the single-machine image folder, so a sample is the same floats
 * whichever side decoded it.
 *
 * <p>An image folder (one subfolder per class) is listed on the driver ({@link ImageFolder#listing}) and its
 * files are read by the tasks; a glob of image files goes through Spark's binary-file source ({@code
 * spark.read().format("binaryFile")}). The driver lists the files but never reads them. Its prediction rows are
 * {@code sample} (the file's URI as the binary-file source gives it, percent-encoded, e.g. {@code
 * file:/data/cat/1.png}), {@code label} (the class index: the position of the file's subfolder among the sorted
 * class subfolders, as {@link ImageFolder#load} numbers them) and the prediction columns.
 */
public final class ImageRows {
    /** The column of decoded samples between the two steps (decode, then {@link QuantaSpark#predict}). */
    private static final String SAMPLES = "__quanta_samples";

    private ImageRows() {}

    /**
     * True if {@code spec} is an image folder read whole, or a glob of image files ({@link
     * ImageFolder#isFileGlob}); {@code --limit} and {@code --skip} need the folder's order, so a folder with those
     * still goes through {@link QuantaSpark#predict(SparkSession, Path, DatasetSpec, int, Evaluator.Options)}.
     */
    public static boolean readsFolderThroughSpark(DatasetSpec spec) {
        return ImageFolder.isFileGlob(spec.data())
                || (spec.limit() == null && spec.skip() == 0 && ImageFolder.isImageFolder(spec));
    }

    /**
     * Batch inference on the image folder {@code spec} (or the image files its glob matches), read and decoded on the
     * executors: one row per image, {@code sample} (its path), {@code label}
     * and the prediction columns of {@link QuantaSpark#predict(org.apache.spark.sql.Dataset, Path, String, int,
     * Evaluator.Options)}. The images of a folder are those {@link ImageFolder#load} reads: in a class subfolder of
     * the folder, with an image extension, not hidden (names starting with {@code _} included), listed here by
     * {@link ImageFolder#listing}; the label is the class index. A glob is read by Spark's binary-file source: every
     * matched file with an image extension (and the files below a matched folder), without labels (null); Spark's
     * listing leaves out names starting with {@code _} or {@code .}.
     *
     * @throws QuantaException naming the folder if it has no class subfolders or no images, or if the images' size
     *     (from the model's input or the spec) does not fit the model
     */
    public static org.apache.spark.sql.Dataset<Row> predictFolder(
            SparkSession spark, Path modelFile, DatasetSpec spec, int topK, Evaluator.Options options) {
        return predictFolder(spark, ModelFile.of(modelFile), spec, topK, options)
                .rows();
    }

    /**
     * Predictions not yet computed, and the images of each partition (null for a glob: known once the files are
     * read), for {@link SparkProgress#follow}.
     */
    record Planned(org.apache.spark.sql.Dataset<Row> rows, long[] samples) {}

    static Planned predictFolder(
            SparkSession spark, ModelFile modelFile, DatasetSpec spec, int topK, Evaluator.Options options) {
        boolean glob = ImageFolder.isFileGlob(spec.data());
        if (glob && (spec.limit() != null || spec.skip() != 0)) {
            throw QuantaException.inFile(
                    spec.data(), "--limit and --skip need a dataset in order; a glob of image files has none");
        }
        Model model = modelFile.load();
        DatasetSpec full = Datasets.forModel(spec, model);
        ImageFolder.Decoding decoding = ImageFolder.Decoding.of(full);
        Path root = spec.data().toAbsolutePath().normalize();
        requireFits(root.toString(), decoding, model);
        StructType decoded = new StructType()
                .add("sample", DataTypes.StringType, false)
                .add("label", DataTypes.IntegerType, true)
                .add(SAMPLES, DataTypes.BinaryType, false);
        org.apache.spark.sql.Dataset<Row> samples;
        long[] perPartition = null;
        if (glob) {
            samples = globbed(spark, root).mapPartitions(new DecodeFiles(SampleSource.of(full)), Encoders.row(decoded));
        } else {
            Listed files = listed(spark, root, BatchPredictor.inputSize(model));
            perPartition = files.perPartition();
            samples = files.rows().mapPartitions(new ReadListed(SampleSource.of(full)), Encoders.row(decoded));
        }
        return new Planned(
                QuantaSpark.predict(samples, modelFile, SAMPLES, topK, options, new QuantaSpark.Stages()),
                perPartition);
    }

    /**
     * The image files a glob matches, as Spark's binary-file source reads them ({@code path}, {@code content}):
     * Spark's listing leaves out names starting with {@code _} or {@code .}.
     */
    private static org.apache.spark.sql.Dataset<Row> globbed(SparkSession spark, Path pattern) {
        org.apache.spark.sql.Dataset<Row> files;
        try {
            files = spark.read().format("binaryFile").load(pattern.toString()).select("path", "content");
        } catch (Exception e) {
            throw QuantaException.inFile(pattern, "no files match the pattern");
        }
        // the listing (no file is read): refuse a pattern without images
        boolean any = false;
        for (String f : files.inputFiles()) {
            any |= ImageFolder.isImageName(fileName(f));
        }
        if (!any) {
            throw QuantaException.inFile(pattern, "no images (" + ImageFolder.EXTENSIONS + ") match the pattern");
        }
        return files;
    }

    /**
     * The images of the folder {@code root} as rows ({@code path}, {@code label}), listed here, on the driver, by
     * {@link ImageFolder#listing} (the single-machine folder's images and order; no file is read), in partitions of
     * consecutive images. Spark's binary-file source is not used: its listing drops file names starting with
     * {@code _}, even named one by one, which the image folder reads.
     */
    private static Listed listed(SparkSession spark, Path root, int inputSize) {
        ImageFolder.Listing listing = ImageFolder.listing(root);
        List<Row> rows = new java.util.ArrayList<>(listing.files().size());
        for (int i = 0; i < listing.files().size(); i++) {
            rows.add(RowFactory.create(
                    sparkPath(listing.files().get(i)), listing.labels().get(i)));
        }
        int partitions = (int) Math.min(rows.size(), QuantaSpark.partitions(spark, rows.size(), inputSize));
        StructType schema =
                new StructType().add("path", DataTypes.StringType, false).add("label", DataTypes.IntegerType, false);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        // parallelize cuts the list as ranges(n, 1, partitions) does (slice i: [i*n/p, (i+1)*n/p)): the rows of each
        // partition are known without a job
        return new Listed(
                spark.createDataFrame(jsc.parallelize(rows, partitions), schema),
                SparkProgress.samples(QuantaSpark.ranges(rows.size(), 1, partitions)));
    }

    /** The listed files ({@code path}, {@code label}) and the rows of each of their partitions. */
    private record Listed(org.apache.spark.sql.Dataset<Row> rows, long[] perPartition) {}

    /** A local file as Spark names files ({@code file:/data/cat/1.png}, percent-encoded). */
    static String sparkPath(Path file) {
        return new org.apache.hadoop.fs.Path(file.toAbsolutePath().toUri())
                .toUri()
                .toString();
    }

    /**
     * Runs the model in {@code modelFile} on the encoded images in {@code column} (binary: the bytes of an image
     * file), decoded on the executors as the image folder decodes its files: RGB, or grey with {@code grayscale}, the
     * model's input size (images are not resized), then {@code preprocessing} (null: the one the model records, if
     * any). The result is {@link QuantaSpark#predict(org.apache.spark.sql.Dataset, Path, String, int,
     * Evaluator.Options)}'s: the other columns, then the prediction columns. An image that cannot be decoded or has
     * another size fails the job with a one-line {@link QuantaException} naming the column.
     *
     * @throws QuantaException when {@code rows} has no such column or it is not binary
     */
    public static org.apache.spark.sql.Dataset<Row> predict(
            org.apache.spark.sql.Dataset<Row> rows,
            Path modelFile,
            String column,
            boolean grayscale,
            Preprocessing preprocessing,
            int topK,
            Evaluator.Options options) {
        Model model = ModelFiles.load(modelFile);
        DatasetSpec full = imageSpec(model, grayscale, preprocessing);
        requireFits("column '" + column + "'", ImageFolder.Decoding.of(full), model);
        StructType schema = rows.schema();
        int at = binaryColumn(schema, column);
        StructType decoded = new StructType();
        for (StructField f : schema.fields()) {
            decoded = f.name().equals(column) ? decoded.add(column, DataTypes.BinaryType, false) : decoded.add(f);
        }
        org.apache.spark.sql.Dataset<Row> samples =
                rows.mapPartitions(new DecodeColumn(SampleSource.of(full), column, at), Encoders.row(decoded));
        return QuantaSpark.predict(samples, modelFile, column, topK, options);
    }

    /**
     * Registers the SQL functions {@code quanta_predict_image(content)} (the top-1 class, an int) and {@code
     * quanta_scores_image(content)} (the output vector, dequantized) for the model in {@code modelFile}: the argument
     * is an encoded image (binary), decoded as {@link #predict} decodes it.
     */
    public static void registerFunctions(
            SparkSession spark, Path modelFile, boolean grayscale, Preprocessing preprocessing) {
        Model model = ModelFiles.load(modelFile);
        DatasetSpec full = imageSpec(model, grayscale, preprocessing);
        requireFits("quanta_predict_image", ImageFolder.Decoding.of(full), model);
        int inputSize = BatchPredictor.inputSize(model);
        int outputSize = BatchPredictor.outputSize(model);
        SampleSource source = SampleSource.of(full);
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Broadcast<ModelBytes> bytes = jsc.broadcast(ModelBytes.read(modelFile));
        spark.udf()
                .register(
                        "quanta_predict_image",
                        (UDF1<byte[], Integer>) image -> {
                            float[] y = scores(bytes.value(), source, image, inputSize);
                            return Evaluator.argmax(y, 0, outputSize);
                        },
                        DataTypes.IntegerType);
        spark.udf()
                .register(
                        "quanta_scores_image",
                        (UDF1<byte[], float[]>) image -> scores(bytes.value(), source, image, inputSize),
                        DataTypes.createArrayType(DataTypes.FloatType, false));
    }

    private static float[] scores(ModelBytes file, SampleSource source, byte[] image, int inputSize) {
        if (image == null) {
            throw new QuantaException("quanta_predict_image argument: a row has no image (null)");
        }
        String name = "quanta_predict_image argument";
        float[] x = ImageFolder.sample(image, name, ImageFolder.Decoding.of(source.spec()));
        if (x.length != inputSize) {
            throw new QuantaException(
                    name + ": the image has " + x.length + " values, but the model input takes " + inputSize);
        }
        return ExecutorCache.predict(file, 1, List.of(x)).get(0);
    }

    /** The spec of images for {@code model}'s input (no folder: only the decoding settings count). */
    private static DatasetSpec imageSpec(Model model, boolean grayscale, Preprocessing preprocessing) {
        return Datasets.forModel(
                DatasetSpec.of(Path.of("images"))
                        .withFormat(Datasets.IMAGES)
                        .withGrayscale(grayscale)
                        .withPreprocessing(preprocessing),
                model);
    }

    /** Refuses images whose decoded size (when known) is not the model input's. */
    private static void requireFits(String where, ImageFolder.Decoding d, Model model) {
        int inputSize = BatchPredictor.inputSize(model);
        if (d.width() > 0 && d.height() > 0) {
            long values = (long) d.width() * d.height() * (d.grayscale() ? 1 : 3);
            if (values != inputSize) {
                throw new QuantaException(where + ": images of " + d.width() + "x" + d.height() + " (width x height) "
                        + (d.grayscale() ? "grey" : "RGB") + " have " + values + " values but model input '"
                        + model.inputs().get(0).name() + "' takes "
                        + model.inputs().get(0).shape() + " ("
                        + inputSize + " values per sample)");
            }
        }
    }

    /** The index of the binary column {@code column} in {@code schema}. */
    private static int binaryColumn(StructType schema, String column) {
        String[] names = schema.fieldNames();
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(column)) {
                if (schema.fields()[i].dataType() != DataTypes.BinaryType) {
                    throw new QuantaException("column '" + column + "' is "
                            + schema.fields()[i].dataType().simpleString()
                            + "; encoded images must be binary (the bytes of an image file)");
                }
                return i;
            }
        }
        throw new QuantaException("no column '" + column + "' (the columns: " + String.join(", ", names) + ")");
    }

    /**
     * The local path of a {@code file:} path as Spark names files (a URI, percent-encoded, as the binary-file source's
     * {@code path} and {@link org.apache.spark.sql.Dataset#inputFiles} give it), else null.
     */
    static Path localPath(String sparkPath) {
        URI uri = uri(sparkPath);
        String scheme = uri.getScheme();
        if (scheme != null && !scheme.toLowerCase(Locale.ROOT).equals("file")) {
            return null;
        }
        return Path.of(uri.getPath()).toAbsolutePath().normalize();
    }

    /** The file name (decoded) at the end of a path as Spark names files. */
    static String fileName(String sparkPath) {
        String p = uri(sparkPath).getPath();
        return p.substring(p.lastIndexOf('/') + 1);
    }

    /** A path as Spark names files: a percent-encoded URI, or else a Hadoop path string (not encoded). */
    private static URI uri(String sparkPath) {
        try {
            return new URI(sparkPath);
        } catch (URISyntaxException e) {
            return new org.apache.hadoop.fs.Path(sparkPath).toUri();
        }
    }

    /**
     * A task: the binary-file rows (path, content) of a partition as (sample, null label, decoded sample), for the
     * files with an image name; other files are dropped.
     */
    private record DecodeFiles(SampleSource source) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ImageFolder.Decoding decoding = ImageFolder.Decoding.of(source.spec());
            return new Iterator<>() {
                private Row next;

                @Override
                public boolean hasNext() {
                    while (next == null && input.hasNext()) {
                        Row in = input.next();
                        String path = in.getString(0);
                        if (ImageFolder.isImageName(fileName(path))) {
                            next = RowFactory.create(
                                    path, null, bytes(ImageFolder.sample(in.getAs(1), displayName(path), decoding)));
                        }
                    }
                    return next != null;
                }

                @Override
                public Row next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    Row r = next;
                    next = null;
                    return r;
                }
            };
        }
    }

    /**
     * A task: the listed rows (path, label) of a partition as (sample, label, decoded sample), each file read here,
     * on the executor, and decoded as the image folder decodes it.
     */
    private record ReadListed(SampleSource source) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ImageFolder.Decoding decoding = ImageFolder.Decoding.of(source.spec());
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return input.hasNext();
                }

                @Override
                public Row next() {
                    Row in = input.next();
                    String path = in.getString(0);
                    Path file = localPath(path);
                    byte[] encoded;
                    try {
                        encoded = java.nio.file.Files.readAllBytes(file);
                    } catch (java.io.IOException e) {
                        throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
                    }
                    return RowFactory.create(
                            path, in.getInt(1), bytes(ImageFolder.sample(encoded, file.toString(), decoding)));
                }
            };
        }
    }

    /** A path as Spark names files, for messages: the local path of a {@code file:} path, else as it is. */
    private static String displayName(String sparkPath) {
        Path local = localPath(sparkPath);
        return local == null ? sparkPath : local.toString();
    }

    /** A task: the rows of a partition with their encoded image column replaced by the decoded sample. */
    private record DecodeColumn(SampleSource source, String column, int at) implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ImageFolder.Decoding decoding = ImageFolder.Decoding.of(source.spec());
            String name = "column '" + column + "'";
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return input.hasNext();
                }

                @Override
                public Row next() {
                    Row in = input.next();
                    Object[] values = new Object[in.length()];
                    for (int c = 0; c < values.length; c++) {
                        values[c] = in.get(c);
                    }
                    if (values[at] == null) {
                        throw new QuantaException(name + ": a row has no image (null)");
                    }
                    values[at] = bytes(ImageFolder.sample((byte[]) values[at], name, decoding));
                    return RowFactory.create(values);
                }
            };
        }
    }

    /** The sample as float32 little-endian bytes, a form {@link QuantaSpark#predict} reads exactly. */
    private static byte[] bytes(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        return b.array();
    }
}
