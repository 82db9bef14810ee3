package dev.quanta.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

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
    private final Path data;
    private final Path labels;
    private final String format;
    private final SampleType sampleType;
    private final int[] sampleShape;
    private final LabelFormat labelFormat;
    private final String xKey;
    private final String yKey;
    private final Preprocessing preprocessing;
    private final Integer limit;
    private final boolean grayscale;

    private DatasetSpec(
            Path data,
            Path labels,
            String format,
            SampleType sampleType,
            int[] sampleShape,
            LabelFormat labelFormat,
            String xKey,
            String yKey,
            Preprocessing preprocessing,
            Integer limit,
            boolean grayscale) {
        this.data = Objects.requireNonNull(data, "data");
        this.labels = labels;
        this.format = format;
        this.sampleType = sampleType;
        this.sampleShape = sampleShape == null ? null : sampleShape.clone();
        this.labelFormat = labelFormat;
        this.xKey = xKey;
        this.yKey = yKey;
        this.preprocessing = preprocessing;
        this.limit = limit;
        this.grayscale = grayscale;
    }

    /** A spec for {@code data} (a file or folder) with every option at its default. */
    public static DatasetSpec of(Path data) {
        return new DatasetSpec(data, null, null, null, null, null, null, null, null, null, false);
    }

    /** The data file or folder. */
    public Path data() {
        return data;
    }

    /** Label file (IDX, {@code .npy}, {@code .npz}) or labels CSV (raw folder); null = the format's default. */
    public Path labels() {
        return labels;
    }

    /** {@code idx}, {@code numpy}, {@code raw} or {@code images}; null = detected ({@link Datasets#detectFormat}). */
    public String format() {
        return format;
    }

    /** Element type of raw sample files (required for {@code raw}), or null. */
    public SampleType sampleType() {
        return sampleType;
    }

    /**
     * Raw samples: the shape of one sample (null = 1-D from the file size); images: {@code [h, w]} or
     * {@code [h, w, c]} (null = the first image's size; {@code c = 1} means grayscale). A copy, or null.
     */
    public int[] sampleShape() {
        return sampleShape == null ? null : sampleShape.clone();
    }

    /** NumPy labels: index or one-hot (null = from the label array's shape). */
    public LabelFormat labelFormat() {
        return labelFormat;
    }

    /** NumPy: the feature array's name in a {@code .npz}, or null. */
    public String xKey() {
        return xKey;
    }

    /** NumPy: the label array's name in a {@code .npz}, or null. */
    public String yKey() {
        return yKey;
    }

    /** Value transform and reshape; null = none given (identity). */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** Read only the first {@code limit} samples; null = all. */
    public Integer limit() {
        return limit;
    }

    /** Images: one grey channel instead of RGB. */
    public boolean grayscale() {
        return grayscale;
    }

    /** With a label file or labels CSV. */
    public DatasetSpec withLabels(Path labels) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With an explicit format ({@code idx}, {@code numpy}, {@code raw}, {@code images}); null detects it. */
    public DatasetSpec withFormat(String format) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With the element type of raw sample files. */
    public DatasetSpec withSampleType(SampleType sampleType) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With the shape of one raw sample, or the image size (null: the default). */
    public DatasetSpec withSampleShape(int... sampleShape) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With the raw sample type and shape. */
    public DatasetSpec withSamples(SampleType sampleType, int... sampleShape) {
        return withSampleType(sampleType).withSampleShape(sampleShape);
    }

    /** With the NumPy label format (null: from the label array's shape). */
    public DatasetSpec withLabelFormat(LabelFormat labelFormat) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With NumPy array names (null: the defaults of {@link NumpyDatasets}) and label format. */
    public DatasetSpec withNumpy(String xKey, String yKey, LabelFormat labelFormat) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With preprocessing (null: none given). */
    public DatasetSpec withPreprocessing(Preprocessing preprocessing) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With a sample limit (null = all). */
    public DatasetSpec withLimit(Integer limit) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    /** With grayscale (images). */
    public DatasetSpec withGrayscale(boolean grayscale) {
        return new DatasetSpec(
                data,
                labels,
                format,
                sampleType,
                sampleShape,
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSpec s
                && data.equals(s.data)
                && Objects.equals(labels, s.labels)
                && Objects.equals(format, s.format)
                && sampleType == s.sampleType
                && Arrays.equals(sampleShape, s.sampleShape)
                && labelFormat == s.labelFormat
                && Objects.equals(xKey, s.xKey)
                && Objects.equals(yKey, s.yKey)
                && Objects.equals(preprocessing, s.preprocessing)
                && Objects.equals(limit, s.limit)
                && grayscale == s.grayscale;
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                data,
                labels,
                format,
                sampleType,
                Arrays.hashCode(sampleShape),
                labelFormat,
                xKey,
                yKey,
                preprocessing,
                limit,
                grayscale);
    }

    @Override
    public String toString() {
        return "DatasetSpec[data=" + data + ", labels=" + labels + ", format=" + format + ", sampleType=" + sampleType
                + ", sampleShape=" + Arrays.toString(sampleShape) + ", labelFormat=" + labelFormat + ", xKey=" + xKey
                + ", yKey=" + yKey + ", preprocessing=" + preprocessing + ", limit=" + limit + ", grayscale="
                + grayscale + "]";
    }
}
