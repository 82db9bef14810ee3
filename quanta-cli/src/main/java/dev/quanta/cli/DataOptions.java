package dev.quanta.cli;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.LabelFormat;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.ir.Model;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * Dataset and preprocessing options shared by {@code evaluate} and {@code compare} ({@code --data}) and
 * {@code quantize} ({@code --calibration}); subclasses declare the path option.
 */
abstract class DataOptions {
    /** The dataset path, or null when none was given. */
    abstract Path dataPath();

    /** {@code --data}, required: labelled data to evaluate on. */
    static final class Evaluation extends DataOptions {
        @Option(
                names = "--data",
                required = true,
                paramLabel = "PATH",
                description = "Labelled data: MNIST IDX images (raw or .gz), .npy/.npz, a folder of raw .bin samples "
                        + "with a labels CSV (file.bin,count,class), clips cut into windows by a labels CSV "
                        + "(file.bin,count,label,window_bytes,stride_bytes; the folder or the CSV itself), or an image "
                        + "folder (one folder per class).")
        Path data;

        @Override
        Path dataPath() {
            return data;
        }
    }

    /** {@code --calibration}: representative data for full-integer quantization. */
    static final class Calibration extends DataOptions {
        @Option(
                names = "--calibration",
                paramLabel = "PATH",
                description = "Representative data to calibrate activations (same formats and preprocessing options "
                        + "as evaluate's --data; labels are not needed).")
        Path data;

        @Override
        Path dataPath() {
            return data;
        }
    }

    @Option(
            names = "--labels",
            paramLabel = "PATH",
            description = "Labels file: IDX labels, labels .npy, or the CSV of a raw sample folder or of windowed "
                    + "clips (default: found next to the data).")
    Path labels;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description = "idx, numpy, raw, windows or images (default: detected).")
    String format;

    @Option(
            names = "--sample-type",
            paramLabel = "TYPE",
            description = "Raw sample type (required for raw folders; windows default to float32): uint8, int8, "
                    + "int16, int32, float32, float64.")
    String sampleType;

    @Option(
            names = "--sample-shape",
            paramLabel = "D,D,...",
            split = ",",
            description = "Raw sample shape, or image size as H,W (default: the model's input shape).")
    int[] sampleShape;

    @Option(
            names = "--scale",
            paramLabel = "F",
            description = "Multiply raw values by F (e.g. 0.00392156862745098 "
                    + "for pixels/255; fractions like 1/255 are accepted).",
            converter = FloatExpression.class)
    Float scale;

    @Option(
            names = "--offset",
            paramLabel = "F",
            description = "Add F after scaling.",
            converter = FloatExpression.class)
    Float offset;

    @Option(
            names = "--mean",
            paramLabel = "F,...",
            split = ",",
            description = "Subtract per-channel means (after scale/offset).",
            converter = FloatExpression.class)
    float[] mean;

    @Option(
            names = "--std",
            paramLabel = "F,...",
            split = ",",
            description = "Divide by per-channel standard deviations.",
            converter = FloatExpression.class)
    float[] std;

    @Option(names = "--label-format", paramLabel = "FMT", description = "index or one-hot (default index).")
    String labelFormat;

    @Option(names = "--x-key", paramLabel = "KEY", description = "Array holding samples in an .npz.")
    String xKey;

    @Option(names = "--y-key", paramLabel = "KEY", description = "Array holding labels in an .npz.")
    String yKey;

    @Option(
            names = "--limit",
            paramLabel = "N",
            description = "Use only the first N samples (after --skip); windows count as samples.")
    Integer limit;

    @Option(
            names = "--skip",
            paramLabel = "N",
            defaultValue = "0",
            description = "Leave out the first N samples, e.g. the ones the model was calibrated on (default 0).")
    int skip;

    @Option(names = "--grayscale", description = "Read images as one grey channel (default RGB).")
    boolean grayscale;

    /**
     * Loads the dataset for {@code model} ({@link Datasets#load(DatasetSpec, Model)}): the model's input fills in a
     * sample shape, and the preprocessing it records applies when no {@code --scale/--offset/--mean/--std} is given.
     */
    Dataset load(Model model) {
        return Datasets.load(spec(preprocessing()), model);
    }

    /**
     * The errors {@link #load(Model)} gives for the data's header, its count and its first sample, without loading
     * the other samples (issue 13: the driver of {@code predict --spark} holds none of the data; each task loads its
     * own range and reports that range's errors, the same one-line errors).
     */
    void checkFirstSample(Model model) {
        loadFirst(model, null);
    }

    /**
     * The first {@code samples} samples of {@link #load(Model)}'s dataset (all when it holds fewer): what the driver
     * of {@code quantize --spark} reads of the calibration data (issue 13), the samples calibration and its searches
     * use (and one more, so that the report tells a dataset of more samples from one of exactly as many).
     */
    Dataset loadFirst(Model model, int samples) {
        DatasetSpec s = spec();
        Integer lim = s.limit();
        return Datasets.load(s.withLimit(lim == null ? samples : Math.min(lim, samples)), model);
    }

    /**
     * The first sample of {@link #load(Model)}'s dataset (for {@code b} given, of {@link #load(Model, Model)}'s), its
     * count checked as well: what the driver of {@code evaluate --spark} reads of the data (issue 13); it names the
     * data, its preprocessing and whether it has labels and clips, and the single-machine checks run on it.
     */
    Dataset loadFirst(Model a, Model b) {
        DatasetSpec resolved = Datasets.forModel(b == null ? spec() : spec(a, b), a);
        Dataset first = Datasets.load(resolved.withLimit(1));
        Datasets.count(resolved);
        return first;
    }

    /**
     * Loads the dataset for two models compared on the same data: {@code a}'s input fills in a sample shape, and the
     * preprocessing {@code b} records applies (else the one {@code a} records) when none is given.
     */
    Dataset load(Model a, Model b) {
        return Datasets.load(spec(a, b), a);
    }

    /**
     * Loads {@code path} for {@code model} with these options' format, labels and preprocessing but its own
     * labels ({@code otherLabels}, null: found next to the data), {@code skip} and {@code limit} (null: all): a second
     * dataset of a command, such as the evaluation data of
     * {@code quantize --eval-data} or the calibration data of {@code sensitivity}.
     */
    Dataset loadOther(Model model, Path path, Path otherLabels, int otherSkip, Integer otherLimit) {
        return Datasets.load(spec(path, preprocessing(), otherSkip, otherLimit).withLabels(otherLabels), model);
    }

    /** {@code --labels} when {@code path} is the file of these options' data, else null. */
    Path labelsIfSameData(Path path) {
        try {
            return dataPath() != null
                            && java.nio.file.Files.exists(path)
                            && java.nio.file.Files.exists(dataPath())
                            && java.nio.file.Files.isSameFile(path, dataPath())
                    ? labels
                    : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** The spec the options describe (issue 13: what a cluster's executors open, each for itself). */
    DatasetSpec spec() {
        return spec(preprocessing());
    }

    /** The spec of {@link #load(Model, Model)}: {@code b}'s recorded preprocessing when none is given. */
    DatasetSpec spec(Model a, Model b) {
        Preprocessing given = preprocessing();
        if (given == null && b.metadata().inputNormalization() != null) {
            given = Preprocessing.of(b.metadata().inputNormalization());
        }
        return spec(given);
    }

    /** The spec the options describe, with {@code preprocessing} (null: none given). */
    private DatasetSpec spec(Preprocessing preprocessing) {
        return spec(dataPath(), preprocessing, skip, limit);
    }

    private DatasetSpec spec(Path path, Preprocessing preprocessing, int skip, Integer limit) {
        SampleType type = sampleType == null ? null : SampleType.parse(sampleType);
        LabelFormat lf = labelFormat == null
                ? LabelFormat.INDEX
                : switch (labelFormat.toLowerCase(Locale.ROOT).replace('_', '-')) {
                    case "index" -> LabelFormat.INDEX;
                    case "one-hot", "onehot" -> LabelFormat.ONE_HOT;
                    default ->
                        throw new dev.quanta.QuantaException(
                                "--label-format must be index or one-hot, not '" + labelFormat + "'");
                };
        return DatasetSpec.of(path)
                .withLabels(labels)
                .withFormat(format)
                .withSampleType(type)
                .withSampleShape(sampleShape)
                .withNumpy(xKey, yKey, lf)
                .withPreprocessing(preprocessing)
                .withLimit(limit)
                .withSkip(skip)
                .withGrayscale(grayscale);
    }

    /** The preprocessing the options ask for, or null when none of them is given. */
    private Preprocessing preprocessing() {
        if (scale == null && offset == null && mean == null && std == null) {
            return null;
        }
        Preprocessing p = Preprocessing.identity();
        if (scale != null) {
            p = p.withScale(scale);
        }
        if (offset != null) {
            p = p.withOffset(offset);
        }
        if (mean != null || std != null) {
            p = p.withMeanStd(mean, std);
        }
        return p;
    }
}
