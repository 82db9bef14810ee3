package dev.quanta.spark;

import dev.quanta.data.DatasetSpec;
import dev.quanta.data.LabelFormat;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * A {@link DatasetSpec} in a form Spark can ship to executors: each executor reopens the same dataset from the same
 * path, so the path must be one every executor reads (a local path in local mode or a loopback cluster, else a shared
 * file system). It may carry the dataset's sample count, which is the same for the spec as any model reads it.
 */
record SampleSource(
        String data,
        String labels,
        String format,
        SampleType sampleType,
        int[] sampleShape,
        LabelFormat labelFormat,
        String xKey,
        String yKey,
        boolean hasPreprocessing,
        float scale,
        float offset,
        float[] mean,
        float[] std,
        int[] reshape,
        Integer limit,
        int skip,
        boolean grayscale,
        Integer samples)
        implements Serializable {

    /** The spec's options, its paths made absolute; its samples not counted yet. */
    static SampleSource of(DatasetSpec spec) {
        return of(spec, null);
    }

    /**
     * The spec's options, its paths made absolute, with its {@link dev.quanta.data.Datasets#count} {@code samples}
     * as the driver counted it (null: not counted), so that a task's range is read without counting the data again.
     */
    static SampleSource of(DatasetSpec spec, Integer samples) {
        Preprocessing p = spec.preprocessing();
        return new SampleSource(
                spec.data().toAbsolutePath().toString(),
                spec.labels() == null ? null : spec.labels().toAbsolutePath().toString(),
                spec.format(),
                spec.sampleType(),
                spec.sampleShape(),
                spec.labelFormat(),
                spec.xKey(),
                spec.yKey(),
                p != null,
                p == null ? 1f : p.scale(),
                p == null ? 0f : p.offset(),
                p == null ? null : p.mean(),
                p == null ? null : p.std(),
                p == null ? null : p.reshape(),
                spec.limit(),
                spec.skip(),
                spec.grayscale(),
                samples);
    }

    /** The spec again, as {@link #of} was given it (paths absolute). */
    DatasetSpec spec() {
        return DatasetSpec.of(Path.of(data))
                .withLabels(labels == null ? null : Path.of(labels))
                .withFormat(format)
                .withSampleType(sampleType)
                .withSampleShape(sampleShape)
                .withNumpy(xKey, yKey, labelFormat)
                .withPreprocessing(hasPreprocessing ? new Preprocessing(scale, offset, mean, std, reshape) : null)
                .withLimit(limit)
                .withSkip(skip)
                .withGrayscale(grayscale);
    }
}
