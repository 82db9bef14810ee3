package dev.quanta.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What to load and how, for {@link Datasets#load(DatasetSpec)}: start from {@link #of(Path)} (every option at its
 * default: format detected, identity preprocessing, all samples) and change options with the {@code withX}
 * methods, each of which returns a new spec. For example:
 *
 * <pre>{@code
 * DatasetSpec.of(Path.of("t10k-images-idx3-ubyte.gz")).withPreprocessing(Preprocessing.scale(1f / 255)).withLimit(100)
 * DatasetSpec.of(Path.of("perf_samples")).withSampleType(SampleType.UINT8).withSampleShape(32, 32, 3)
 * }</pre>
 *
 * Options that do not apply to a format are ignored by it.
 */
public final class DatasetSpec {
    /** The options, filled in before the spec that holds them is made and never changed after. */
    private final Options options;

    /** The options of a spec, as a mutable copy that the {@code withX} methods change before making a new spec. */
    private static final class Options implements Cloneable {
        Path data;
        Path labels;
        String format;
        SampleType sampleType;
        int[] sampleShape;
        LabelFormat labelFormat;
        String xKey;
        String yKey;
        Preprocessing preprocessing;
        Integer limit;
        int skip;
        boolean grayscale;

        /** A shallow copy: the sample shape array is shared, as no spec ever writes into it. */
        @Override
        protected Options clone() {
            try {
                return (Options) super.clone();
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private DatasetSpec(Options options) {
        this.options = options;
    }

    /** A spec for {@code data} (a file or folder) with every option at its default. */
    public static DatasetSpec of(Path data) {
        Options options = new Options();
        options.data = Objects.requireNonNull(data, "data");
        return new DatasetSpec(options);
    }

    /** A new spec with this one's options as {@code change} leaves them. */
    private DatasetSpec with(Consumer<Options> change) {
        Options copy = options.clone();
        change.accept(copy);
        return new DatasetSpec(copy);
    }

    /** The data file or folder. */
    public Path data() {
        return options.data;
    }

    /** Label file (IDX, {@code .npy}, {@code .npz}) or labels CSV (raw folder); null = the format's default. */
    public Path labels() {
        return options.labels;
    }

    /** {@code idx}, {@code numpy}, {@code raw} or {@code images}; null = detected ({@link Datasets#detectFormat}). */
    public String format() {
        return options.format;
    }

    /** Element type of raw sample files (required for {@code raw}), or null. */
    public SampleType sampleType() {
        return options.sampleType;
    }

    /**
     * Raw samples: the shape of one sample (null = 1-D from the file size); images: {@code [h, w]} or
     * {@code [h, w, c]} (null = the first image's size; {@code c = 1} means grayscale). A copy, or null.
     */
    public int[] sampleShape() {
        return options.sampleShape == null ? null : options.sampleShape.clone();
    }

    /** NumPy labels: index or one-hot (null = from the label array's shape). */
    public LabelFormat labelFormat() {
        return options.labelFormat;
    }

    /** NumPy: the feature array's name in a {@code .npz}, or null. */
    public String xKey() {
        return options.xKey;
    }

    /** NumPy: the label array's name in a {@code .npz}, or null. */
    public String yKey() {
        return options.yKey;
    }

    /** Value transform and reshape; null = none given (identity). */
    public Preprocessing preprocessing() {
        return options.preprocessing;
    }

    /** Read only the first {@code limit} samples; null = all. */
    public Integer limit() {
        return options.limit;
    }

    /** Images: one grey channel instead of RGB. */
    public boolean grayscale() {
        return options.grayscale;
    }

    /** With a label file or labels CSV. */
    public DatasetSpec withLabels(Path labels) {
        return with(s -> s.labels = labels);
    }

    /** With an explicit format ({@code idx}, {@code numpy}, {@code raw}, {@code images}); null detects it. */
    public DatasetSpec withFormat(String format) {
        return with(s -> s.format = format);
    }

    /** With the element type of raw sample files. */
    public DatasetSpec withSampleType(SampleType sampleType) {
        return with(s -> s.sampleType = sampleType);
    }

    /** With the shape of one raw sample, or the image size (null: the default). */
    public DatasetSpec withSampleShape(int... sampleShape) {
        return with(s -> s.sampleShape = sampleShape == null ? null : sampleShape.clone());
    }

    /** With the raw sample type and shape. */
    public DatasetSpec withSamples(SampleType sampleType, int... sampleShape) {
        return withSampleType(sampleType).withSampleShape(sampleShape);
    }

    /** With the NumPy label format (null: from the label array's shape). */
    public DatasetSpec withLabelFormat(LabelFormat labelFormat) {
        return with(s -> s.labelFormat = labelFormat);
    }

    /** With NumPy array names (null: the defaults of {@link NumpyDatasets}) and label format. */
    public DatasetSpec withNumpy(String xKey, String yKey, LabelFormat labelFormat) {
        return with(s -> {
            s.xKey = xKey;
            s.yKey = yKey;
            s.labelFormat = labelFormat;
        });
    }

    /** With preprocessing (null: none given). */
    public DatasetSpec withPreprocessing(Preprocessing preprocessing) {
        return with(s -> s.preprocessing = preprocessing);
    }

    /**
     * Leaves out the first {@code skip} samples (for example the ones a model was calibrated on); a limit then
     * counts from the first sample kept.
     */
    public DatasetSpec withSkip(int skip) {
        return with(s -> s.skip = skip);
    }

    /** Samples left out at the start (0 = none). */
    public int skip() {
        return options.skip;
    }

    /** With a sample limit (null = all). */
    public DatasetSpec withLimit(Integer limit) {
        return with(s -> s.limit = limit);
    }

    /** With grayscale (images). */
    public DatasetSpec withGrayscale(boolean grayscale) {
        return with(s -> s.grayscale = grayscale);
    }

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof DatasetSpec spec)) {
            return false;
        }
        Options a = options;
        Options b = spec.options;
        return a.data.equals(b.data)
                && Objects.equals(a.labels, b.labels)
                && Objects.equals(a.format, b.format)
                && a.sampleType == b.sampleType
                && Arrays.equals(a.sampleShape, b.sampleShape)
                && a.labelFormat == b.labelFormat
                && Objects.equals(a.xKey, b.xKey)
                && Objects.equals(a.yKey, b.yKey)
                && Objects.equals(a.preprocessing, b.preprocessing)
                && Objects.equals(a.limit, b.limit)
                && a.skip == b.skip
                && a.grayscale == b.grayscale;
    }

    @Override
    public int hashCode() {
        Options a = options;
        return Objects.hash(
                a.data,
                a.labels,
                a.format,
                a.sampleType,
                Arrays.hashCode(a.sampleShape),
                a.labelFormat,
                a.xKey,
                a.yKey,
                a.preprocessing,
                a.limit,
                a.skip,
                a.grayscale);
    }

    @Override
    public String toString() {
        Options a = options;
        return "DatasetSpec[data=" + a.data + ", labels=" + a.labels + ", format=" + a.format + ", sampleType="
                + a.sampleType + ", sampleShape=" + Arrays.toString(a.sampleShape) + ", labelFormat=" + a.labelFormat
                + ", xKey=" + a.xKey + ", yKey=" + a.yKey + ", preprocessing=" + a.preprocessing + ", limit=" + a.limit
                + ", skip=" + a.skip + ", grayscale=" + a.grayscale + "]";
    }
}
