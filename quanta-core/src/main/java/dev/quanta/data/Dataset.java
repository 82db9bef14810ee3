package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * An in-memory labelled dataset: {@link #size()} samples of shape {@link #sampleShape()} (without the batch
 * dimension), stored as preprocessed {@code float} values in one row-major array, plus optional class labels and
 * optional float regression targets. Instances are immutable; {@link #limit} and {@link #slice} copy.
 */
public final class Dataset {
    private final String name;
    private final Path source;
    private final int size;
    private final int[] sampleShape;
    private final int sampleSize;
    private final float[] features;
    private final int[] labels;
    private final int numClasses;
    private final float[] targets;
    private final List<String> classNames;
    private final LabelOrigin labelOrigin;
    private final Preprocessing preprocessing;
    private final int[] clips;
    private final List<String> clipNames;

    /** How the number of classes of a dataset was declared, which decides how it must match a model. */
    enum ClassCount {
        /** Not declared: {@code max(label) + 1}, or given through {@link #of(String, int[], float[], int[], int)}. */
        NONE,
        /** The width of one-hot label rows: must equal the model's class count. */
        ONE_HOT_WIDTH,
        /** The {@code count} column of a raw folder's labels CSV: must equal the model's class count. */
        CSV_COUNT,
        /** The number of class folders of an image folder: must not exceed the model's class count. */
        CLASS_FOLDERS
    }

    /**
     * Where the labels were read from: a file (labels file, {@code .npz}, labels CSV or image folder), the array in
     * it ({@code .npz}, else null), and how the class count was declared.
     */
    record LabelOrigin(Path file, String array, ClassCount declaredBy) {
        static final LabelOrigin UNKNOWN = new LabelOrigin(null, null, ClassCount.NONE);
    }

    Dataset(
            String name,
            Path source,
            int[] sampleShape,
            float[] features,
            int[] labels,
            int declaredClasses,
            float[] targets,
            List<String> classNames,
            LabelOrigin labelOrigin,
            Preprocessing preprocessing) {
        this(
                name,
                source,
                sampleShape,
                features,
                labels,
                declaredClasses,
                targets,
                classNames,
                labelOrigin,
                preprocessing,
                null,
                null);
    }

    private Dataset(
            String name,
            Path source,
            int[] sampleShape,
            float[] features,
            int[] labels,
            int declaredClasses,
            float[] targets,
            List<String> classNames,
            LabelOrigin labelOrigin,
            Preprocessing preprocessing,
            int[] clips,
            List<String> clipNames) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = source;
        this.sampleShape = sampleShape.clone();
        long ss = Shapes.product(sampleShape);
        for (int d : sampleShape) {
            if (d <= 0) {
                throw new IllegalArgumentException(
                        "sample shape " + Arrays.toString(sampleShape) + " has a non-positive dimension");
            }
        }
        if (ss > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("sample too large: " + Arrays.toString(sampleShape));
        }
        this.sampleSize = (int) ss;
        this.features = Objects.requireNonNull(features, "features");
        if (features.length % sampleSize != 0) {
            throw new IllegalArgumentException(
                    "features length " + features.length + " is not a multiple of the sample size " + sampleSize);
        }
        this.size = features.length / sampleSize;
        this.labels = labels;
        int maxLabel = -1;
        if (labels != null) {
            if (labels.length != size) {
                throw new IllegalArgumentException(labels.length + " labels for " + size + " samples");
            }
            for (int l : labels) {
                if (l < 0) {
                    throw new IllegalArgumentException("negative label " + l);
                }
                maxLabel = Math.max(maxLabel, l);
            }
        }
        if (declaredClasses > 0 && maxLabel >= declaredClasses) {
            throw new IllegalArgumentException(
                    "label " + maxLabel + " >= declared number of classes " + declaredClasses);
        }
        this.numClasses = declaredClasses > 0 ? declaredClasses : maxLabel + 1;
        if (targets != null && (size == 0 ? targets.length != 0 : targets.length % size != 0)) {
            throw new IllegalArgumentException(
                    "targets length " + targets.length + " is not a multiple of " + size + " samples");
        }
        this.targets = targets;
        if (classNames != null && classNames.size() != numClasses) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + numClasses + " classes");
        }
        this.classNames = classNames == null ? null : List.copyOf(classNames);
        this.labelOrigin = labels == null ? LabelOrigin.UNKNOWN : Objects.requireNonNull(labelOrigin, "labelOrigin");
        this.preprocessing = preprocessing;
        if (clips != null) {
            Objects.requireNonNull(clipNames, "clipNames");
            if (clips.length != size) {
                throw new IllegalArgumentException(clips.length + " clip indices for " + size + " samples");
            }
            for (int c : clips) {
                Objects.checkIndex(c, clipNames.size());
            }
        }
        this.clips = clips;
        this.clipNames = clipNames == null ? null : List.copyOf(clipNames);
    }

    /**
     * The preprocessing the values went through when they were loaded (identity when none was asked for), or null
     * for a dataset made from arrays ({@link #of}), whose preprocessing is unknown.
     */
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /**
     * A dataset over {@code features} (not copied; {@code size = features.length / product(sampleShape)}).
     *
     * @param labels class index per sample, or null if unlabelled (not copied)
     * @param numClasses declared number of classes, or 0 to use {@code max(label) + 1}
     */
    public static Dataset of(String name, int[] sampleShape, float[] features, int[] labels, int numClasses) {
        return new Dataset(
                name, null, sampleShape, features, labels, numClasses, null, null, LabelOrigin.UNKNOWN, null);
    }

    /** Same as {@link #of(String, int[], float[], int[], int)} with {@code numClasses = max(label) + 1}. */
    public static Dataset of(String name, int[] sampleShape, float[] features, int[] labels) {
        return of(name, sampleShape, features, labels, 0);
    }

    /** This dataset with float regression {@code targets}: {@code size * k} values, k per sample (not copied). */
    public Dataset withTargets(float[] targets) {
        return derived(features, labels, targets);
    }

    /** A display name, usually the file or folder name. */
    public String name() {
        return name;
    }

    /** The file or folder the dataset was loaded from, or null. */
    public Path source() {
        return source;
    }

    /**
     * The file the labels were read from: the labels file, the {@code .npz} holding the label array (see {@link
     * #labelsArray()}), the labels CSV of a raw folder, or the image folder; null when unlabelled or built in memory.
     */
    public Path labelsSource() {
        return labelOrigin.file();
    }

    /** The name of the array holding the labels in {@link #labelsSource()} (a {@code .npz}), or null. */
    public String labelsArray() {
        return labelOrigin.array();
    }

    /** Number of samples. */
    public int size() {
        return size;
    }

    /** Shape of one sample, without the batch dimension (a copy). */
    public int[] sampleShape() {
        return sampleShape.clone();
    }

    /** Number of values in one sample: the product of {@link #sampleShape()}. */
    public int sampleSize() {
        return sampleSize;
    }

    /**
     * All samples after preprocessing, {@code size * sampleSize} values, row-major. This is the dataset's own storage
     * (not a copy, to avoid duplicating large arrays): do not modify it.
     */
    public float[] features() {
        return features;
    }

    /** True if every sample has a class label. */
    public boolean hasLabels() {
        return labels != null;
    }

    /** The class index of sample {@code i}. */
    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException("dataset " + name + " has no labels");
        }
        Objects.checkIndex(i, size);
        return labels[i];
    }

    /** A copy of all class labels, or null if unlabelled. */
    public int[] labels() {
        return labels == null ? null : labels.clone();
    }

    /**
     * The declared number of classes (e.g. from a labels CSV or class folders), else {@code max(label) + 1}; 0 if
     * unlabelled.
     */
    public int numClasses() {
        return numClasses;
    }

    /** Class names in index order (image folders), or null when unknown. */
    public List<String> classNames() {
        return classNames;
    }

    /**
     * This dataset with samples grouped into clips (windows cut from one recording, say): sample {@code i} belongs
     * to clip {@code clipOfSample[i]}, an index into {@code clipNames} (not copied).
     *
     * @throws IllegalArgumentException when there is not one clip index per sample or one is out of range
     */
    public Dataset withClips(int[] clipOfSample, List<String> clipNames) {
        return new Dataset(
                name,
                source,
                sampleShape,
                features,
                labels,
                numClasses,
                targets,
                classNames,
                labelOrigin,
                preprocessing,
                Objects.requireNonNull(clipOfSample, "clipOfSample"),
                Objects.requireNonNull(clipNames, "clipNames"));
    }

    /** True when the samples are grouped into clips ({@link #withClips}). */
    public boolean hasClips() {
        return clips != null;
    }

    /** The clip of sample {@code i}: an index into {@link #clipNames()}; {@code i} itself when there are no clips. */
    public int clip(int i) {
        Objects.checkIndex(i, size);
        return clips == null ? i : clips[i];
    }

    /** A copy of every sample's clip index ({@link #clip(int)}), or null without clips. */
    public int[] clips() {
        return clips == null ? null : clips.clone();
    }

    /** The names of the clips (their files), indexed by {@link #clip(int)}, or null without clips. */
    public List<String> clipNames() {
        return clipNames;
    }

    /** Float regression targets, {@code size * targetSize()} values (own storage, do not modify), or null. */
    public float[] targets() {
        return targets;
    }

    /** Number of target values per sample; 0 if there are no targets. */
    public int targetSize() {
        return targets == null || size == 0 ? 0 : targets.length / size;
    }

    /** Copies sample {@code i} ({@link #sampleSize()} values) into {@code dst} at {@code dstOffset}. */
    public void copySample(int i, float[] dst, int dstOffset) {
        Objects.checkIndex(i, size);
        System.arraycopy(features, i * sampleSize, dst, dstOffset, sampleSize);
    }

    /** Sample {@code i} as a new array. */
    public float[] sample(int i) {
        float[] out = new float[sampleSize];
        copySample(i, out, 0);
        return out;
    }

    /** Copies samples {@code start .. start+count-1} back to back into {@code dst} from index 0. */
    public void copyBatch(int start, int count, float[] dst) {
        Objects.checkFromIndexSize(start, count, size);
        System.arraycopy(features, start * sampleSize, dst, 0, count * sampleSize);
    }

    /** The first {@code min(n, size)} samples (a copy). */
    public Dataset limit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("limit must be >= 0, found " + n);
        }
        return n >= size ? this : slice(0, n);
    }

    /** Samples {@code from} (inclusive) to {@code to} (exclusive), a copy; keeps the declared number of classes. */
    public Dataset slice(int from, int to) {
        Objects.checkFromToIndex(from, to, size);
        float[] f = Arrays.copyOfRange(features, from * sampleSize, to * sampleSize);
        int[] l = labels == null ? null : Arrays.copyOfRange(labels, from, to);
        int k = targetSize();
        float[] t = targets == null ? null : Arrays.copyOfRange(targets, from * k, to * k);
        int[] c = clips == null ? null : Arrays.copyOfRange(clips, from, to);
        return new Dataset(
                name, source, sampleShape, f, l, numClasses, t, classNames, labelOrigin, preprocessing, c, clipNames);
    }

    /**
     * Checks that the labels fit a model with {@code numClasses} outputs: a class count the data declares must match
     * it (one-hot width and a labels CSV's {@code count} column: equal; image class folders: at most as many), and
     * every label must be a valid class index.
     *
     * @param source file named in the error (null: where the labels came from, see {@link #labelsSource()}; else this
     *     dataset's source, else its name)
     * @throws QuantaException e.g. {@code "<labels file>: label 12 at sample 37 is out of range for a model with 10
     *     classes"} or {@code "<file.npz>: array 'y': one-hot labels are 12 wide but the model has 10 classes"}
     */
    public void validateLabels(int numClasses, Path source) {
        validateLabels(numClasses, source, 0);
    }

    /**
     * {@link #validateLabels(int, Path)} of a part of a larger dataset whose sample 0 is sample {@code firstSample}
     * of the whole: an error names the sample by its index in the whole, as the check of the whole would (issue 13: a
     * cluster's task checks its range).
     */
    public void validateLabels(int numClasses, Path source, int firstSample) {
        Path fallback = this.source != null ? this.source : Path.of(name);
        if (labels == null) {
            throw QuantaException.inFile(source != null ? source : fallback, "the dataset has no labels");
        }
        Path where = source != null ? source : labelOrigin.file() != null ? labelOrigin.file() : fallback;
        String array = source == null && labelOrigin.array() != null ? "array '" + labelOrigin.array() + "': " : "";
        switch (labelOrigin.declaredBy()) {
            case ONE_HOT_WIDTH -> {
                if (this.numClasses != numClasses) {
                    throw QuantaException.inFile(
                            where,
                            array + "one-hot labels are " + this.numClasses + " wide but the model has " + numClasses
                                    + " classes");
                }
            }
            case CSV_COUNT -> {
                if (this.numClasses != numClasses) {
                    throw QuantaException.inFile(
                            where,
                            "declares " + this.numClasses + " classes (the count column) but the model has "
                                    + numClasses + " classes");
                }
            }
            case CLASS_FOLDERS -> {
                if (this.numClasses > numClasses) {
                    throw QuantaException.inFile(
                            where,
                            this.numClasses + " class folders but the model has only " + numClasses + " classes");
                }
            }
            case NONE -> {
                // nothing declared: the labels themselves are checked below
            }
        }
        for (int i = 0; i < size; i++) {
            if (labels[i] >= numClasses) {
                throw QuantaException.inFile(
                        where,
                        array + "label " + labels[i] + " at sample " + ((long) firstSample + i)
                                + " is out of range for a model with "
                                + numClasses + " classes");
            }
        }
    }

    /** A dataset like this one (name, source, shape, classes, records) over the given samples, labels and targets. */
    private Dataset derived(float[] f, int[] l, float[] t) {
        return new Dataset(
                name,
                source,
                sampleShape,
                f,
                l,
                numClasses,
                t,
                classNames,
                labelOrigin,
                preprocessing,
                clips,
                clipNames);
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size + " x " + Shapes.format(sampleShape)
                + (labels == null ? ", unlabelled" : ", " + numClasses + " classes")
                + (clipNames == null ? "" : ", " + clipNames.size() + " clips") + "]";
    }
}
