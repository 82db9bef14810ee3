package dev.quanta.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * What to load and how, for {@link Datasets#load(DatasetSpec)}. Only {@code data} is required; the other fields are
 * nullable (or false) and only used by the formats they apply to.
 *
 * @param data data file or folder
 * @param labels label file (IDX / .npy / .npz) or labels CSV (raw folder); null = the format's default
 * @param format {@code idx}, {@code numpy}, {@code raw} or {@code images}; null or {@code auto} = detect (see {@link
 *     Datasets#detectFormat})
 * @param sampleType element type of raw sample files (required for {@code raw})
 * @param sampleShape raw: shape of one sample (null = 1-D from the file size); images: {@code [h, w]} or {@code [h, w,
 *     c]} required size (null = size of the first image; {@code c = 1} means grayscale)
 * @param labelFormat NumPy labels: index or one-hot (null = from the label array's shape)
 * @param xKey NumPy: feature array name in a .npz
 * @param yKey NumPy: label array name in a .npz
 * @param preprocessing value transform and reshape (null = identity)
 * @param limit keep only the first {@code limit} samples (null = all)
 * @param grayscale images: load one grey channel instead of RGB
 */
public record DatasetSpec(Path data, Path labels, String format, SampleType sampleType, int[] sampleShape,
        LabelFormat labelFormat, String xKey, String yKey, Preprocessing preprocessing, Integer limit,
        boolean grayscale) {

    /** Requires {@code data}; copies {@code sampleShape}. */
    public DatasetSpec {
        Objects.requireNonNull(data, "data");
        sampleShape = sampleShape == null ? null : sampleShape.clone();
    }

    /** A spec for {@code data} with every option at its default (auto-detected format, identity preprocessing). */
    public static DatasetSpec of(Path data) {
        return new DatasetSpec(data, null, null, null, null, null, null, null, null, null, false);
    }

    @Override
    public int[] sampleShape() {
        return sampleShape == null ? null : sampleShape.clone();
    }

    /** With a label file or CSV. */
    public DatasetSpec withLabels(Path labels) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With an explicit format ({@code idx}, {@code numpy}, {@code raw}, {@code images}). */
    public DatasetSpec withFormat(String format) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With the raw sample type and shape. */
    public DatasetSpec withSamples(SampleType sampleType, int... sampleShape) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With NumPy array names and label format. */
    public DatasetSpec withNumpy(String xKey, String yKey, LabelFormat labelFormat) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With preprocessing. */
    public DatasetSpec withPreprocessing(Preprocessing preprocessing) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With a sample limit (null = all). */
    public DatasetSpec withLimit(Integer limit) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    /** With grayscale (images). */
    public DatasetSpec withGrayscale(boolean grayscale) {
        return new DatasetSpec(data, labels, format, sampleType, sampleShape, labelFormat, xKey, yKey, preprocessing, limit,
                grayscale);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetSpec s && data.equals(s.data) && Objects.equals(labels, s.labels)
                && Objects.equals(format, s.format) && sampleType == s.sampleType
                && Arrays.equals(sampleShape, s.sampleShape) && labelFormat == s.labelFormat
                && Objects.equals(xKey, s.xKey) && Objects.equals(yKey, s.yKey)
                && Objects.equals(preprocessing, s.preprocessing) && Objects.equals(limit, s.limit)
                && grayscale == s.grayscale;
    }

    @Override
    public int hashCode() {
        return Objects.hash(data, labels, format, sampleType, Arrays.hashCode(sampleShape), labelFormat, xKey, yKey,
                preprocessing, limit, grayscale);
    }

    @Override
    public String toString() {
        return "DatasetSpec[data=" + data + ", labels=" + labels + ", format=" + format + ", sampleType=" + sampleType
                + ", sampleShape=" + Arrays.toString(sampleShape) + ", labelFormat=" + labelFormat + ", xKey=" + xKey
                + ", yKey=" + yKey + ", preprocessing=" + preprocessing + ", limit=" + limit + ", grayscale=" + grayscale
                + "]";
    }
}
