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
import java.util.stream.Collectors;
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
 * <p>An image folder (one subfolder per class) is read through Spark's binary-file source ({@code
 * spark.read().format("binaryFile")}), so the driver lists the files but never reads them. Its prediction rows are
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
     * Batch inference on the image folder {@code spec} (or the image files its glob matches), read by Spark's
     * binary-file source and decoded on the executors: one row per image, {@code sample} (its path), {@code label}
     * and the prediction columns of {@link QuantaSpark#predict(org.apache.spark.sql.Dataset, Path, String, int,
     * Evaluator.Options)}. The images of a folder are those {@link ImageFolder#load} reads: in a class subfolder of
     * the folder, with an image extension, not hidden; the label is the class index. A glob takes every matched file
     * with an image extension (and the files below a matched folder), without labels (null). Spark's file listing
     * also leaves out names starting with {@code _}.
     *
     * @throws QuantaException naming the folder if it has no class subfolders or no images, or if the images' size
     *     (from the model's input or the spec) does not fit the model
     */
    public static org.apache.spark.sql.Dataset<Row> predictFolder(
            SparkSession spark, Path modelFile, DatasetSpec spec, int topK, Evaluator.Options options) {
        boolean glob = ImageFolder.isFileGlob(spec.data());
        if (glob && (spec.limit() != null || spec.skip() != 0)) {
            throw QuantaException.inFile(
                    spec.data(), "--limit and --skip need a dataset in order; a glob of image files has none");
        }
        Model model = ModelFiles.load(modelFile);
        DatasetSpec full = Datasets.forModel(spec, model);
        ImageFolder.Decoding decoding = ImageFolder.Decoding.of(full);
        Path root = spec.data().toAbsolutePath().normalize();
        requireFits(root.toString(), decoding, model);
        List<String> classes = glob
                ? null
                : ImageFolder.classFolders(root).stream()
                        .map(p -> p.getFileName().toString())
                        .toList();
        org.apache.spark.sql.Dataset<Row> files;
        try {
            var reader = spark.read().format("binaryFile");
            if (!glob) {
                reader = reader.option("recursiveFileLookup", "true").option("pathGlobFilter", extensionGlob());
            }
            files = reader.load(glob ? root.toString() : globEscaped(root.toString()))
                    .select("path", "content");
        } catch (Exception e) {
            if (glob) {
                throw QuantaException.inFile(root, "no files match the pattern");
            }
            throw QuantaException.inFile(root, SparkErrors.unwrap(e).getMessage(), e);
        }
        // the listing (no file is read): refuse a folder without images as the single-machine loader does
        boolean any = false;
        for (String f : files.inputFiles()) {
            any |= classOf(f, glob ? null : root, classes) >= 0;
        }
        if (!any) {
            throw QuantaException.inFile(
                    root,
                    "no images (" + ImageFolder.EXTENSIONS + ") "
                            + (glob ? "match the pattern" : "found in " + classes.size() + " class subfolders"));
        }
        StructType decoded = new StructType()
                .add("sample", DataTypes.StringType, false)
                .add("label", DataTypes.IntegerType, true)
                .add(SAMPLES, DataTypes.BinaryType, false);
        org.apache.spark.sql.Dataset<Row> samples = files.mapPartitions(
                new DecodeFiles(SampleSource.of(full), glob ? null : root.toString(), classes), Encoders.row(decoded));
        return QuantaSpark.predict(samples, modelFile, SAMPLES, topK, options);
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
        return BatchPredictor.run(ExecutorCache.pool(file, 1), List.of(x)).get(0);
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

    /** {@code path} with the characters a Hadoop glob reads escaped, so Spark takes it as it is. */
    static String globEscaped(String path) {
        StringBuilder sb = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if ("\\*?[]{}".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** Spark's glob (file names only) for {@link ImageFolder#EXTENSIONS}, any letter case: {@code *.{[pP][nN][gG],...}}. */
    static String extensionGlob() {
        return ImageFolder.EXTENSIONS.stream()
                .sorted()
                .map(ext -> {
                    StringBuilder sb = new StringBuilder();
                    for (char c : ext.toCharArray()) {
                        sb.append('[')
                                .append(Character.toLowerCase(c))
                                .append(Character.toUpperCase(c))
                                .append(']');
                    }
                    return sb.toString();
                })
                .collect(Collectors.joining(",", "*.{", "}"));
    }

    /**
     * The class index of the file at {@code path} (as Spark names it) below {@code root}: the position of its folder
     * in {@code classes} when it is an image directly in a class subfolder, else -1 (not one of the folder's images).
     * Without a root (a glob), 0 for any image file and -1 for other files.
     */
    static int classOf(String path, Path root, List<String> classes) {
        String name = fileName(path);
        if (!ImageFolder.isImageName(name)) {
            return -1;
        }
        if (root == null) {
            return 0;
        }
        Path file = localPath(path);
        if (file == null
                || file.getParent() == null
                || !root.equals(file.getParent().getParent())) {
            return -1;
        }
        return classes.indexOf(file.getParent().getFileName().toString());
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
     * A task: the binary-file rows (path, content) of a partition as (sample, label, decoded sample), for the images
     * of the folder's class subfolders (root null: every image file, no label); other files are dropped.
     */
    private record DecodeFiles(SampleSource source, String root, List<String> classes)
            implements MapPartitionsFunction<Row, Row> {
        @Override
        public Iterator<Row> call(Iterator<Row> input) {
            ImageFolder.Decoding decoding = ImageFolder.Decoding.of(source.spec());
            Path rootPath = root == null ? null : Path.of(root);
            return new Iterator<>() {
                private Row next;

                @Override
                public boolean hasNext() {
                    while (next == null && input.hasNext()) {
                        Row in = input.next();
                        String path = in.getString(0);
                        int label = classOf(path, rootPath, classes);
                        if (label >= 0) {
                            Path local = localPath(path);
                            String name = local == null ? path : local.toString();
                            next = RowFactory.create(
                                    path,
                                    rootPath == null ? null : label,
                                    bytes(ImageFolder.sample(in.getAs(1), name, decoding)));
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
