package dev.quanta.data;

import dev.quanta.QuantaException;
import dev.quanta.ir.InputNormalization;
import dev.quanta.ir.Model;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Loads a dataset from a {@link DatasetSpec}, detecting the format when it is not given. */
public final class Datasets {
    private Datasets() {}

    /** IDX files (MNIST), raw or gzip. */
    public static final String IDX = "idx";
    /** NumPy .npy / .npz. */
    public static final String NUMPY = "numpy";
    /** Folder of binary samples with a labels CSV (MLPerf Tiny). */
    public static final String RAW = "raw";
    /** Folder of class subfolders of images. */
    public static final String IMAGES = "images";
    /**
     * Clips cut into windows, listed by a labels CSV of {@code file,count,label,window_bytes,stride_bytes} lines
     * (MLPerf Tiny anomaly detection); see {@link WindowedSamples}.
     */
    public static final String WINDOWS = "windows";

    /**
     * Loads the dataset described by {@code spec}, without its first {@link DatasetSpec#skip()} samples. With a
     * limit, only the first {@code skip + limit} samples and labels are read and decoded (the rest of the file is not
     * read); every loader checks the sizes a file declares against the file and the heap before allocating, and
     * refuses what cannot fit with one line naming the file.
     *
     * @throws QuantaException for a missing or unrecognised input or any loader error
     */
    public static Dataset load(DatasetSpec spec) {
        checkBounds(spec);
        Path data = spec.data();
        int skip = spec.skip();
        // the loaders read the samples kept and the ones skipped before them, no more
        int limit = samplesRead(spec);
        String format = format(spec);
        Preprocessing p = spec.preprocessing() == null ? Preprocessing.identity() : spec.preprocessing();
        Dataset d = switch (format) {
            case IDX -> {
                Path labels = spec.labels() != null ? spec.labels() : idxLabelsSibling(data);
                yield IdxReader.load(data, labels, p, limit);
            }
            case NUMPY ->
                NumpyDatasets.load(data, spec.xKey(), spec.yKey(), spec.labels(), spec.labelFormat(), p, limit);
            case RAW ->
                RawSampleFolder.load(
                        folder(data), labelsCsv(spec), spec.sampleType(), spec.sampleShape(), true, p, limit);
            case WINDOWS ->
                WindowedSamples.load(
                        folder(data), labelsCsv(spec), spec.sampleType(), spec.sampleShape(), true, p, limit);
            case IMAGES -> loadImages(spec, p, limit);
            default -> throw new IllegalStateException(format);
        };
        if (skip >= d.size()) {
            throw QuantaException.inFile(data, "skipping " + skip + " samples leaves none of its " + d.size());
        }
        return skip == 0 ? d : d.slice(skip, d.size());
    }

    /** The spec's format, normalised, or detected when it gives none. */
    private static String format(DatasetSpec spec) {
        return spec.format() == null || spec.format().isBlank() || spec.format().equalsIgnoreCase("auto")
                ? detectFormat(spec.data(), spec.labels())
                : normalizeFormat(spec.format());
    }

    /** The samples the loaders read for {@code spec}: its skipped ones and its limit's, all when it has no limit. */
    private static int samplesRead(DatasetSpec spec) {
        Integer lim = spec.limit();
        return lim == null ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, (long) lim + spec.skip());
    }

    /** Refuses what {@link #load(DatasetSpec)} refuses before reading: no such data, a bad limit or skip. */
    private static void checkBounds(DatasetSpec spec) {
        Path data = spec.data();
        if (!Files.exists(data)) {
            throw QuantaException.inFile(data, "dataset not found");
        }
        Integer lim = spec.limit();
        if (lim != null && lim < 1) {
            throw QuantaException.inFile(data, "limit must be at least 1, found " + lim);
        }
        if (spec.skip() < 0) {
            throw QuantaException.inFile(data, "the samples to skip must be 0 or more, found " + spec.skip());
        }
    }

    /**
     * The number of samples {@link #load(DatasetSpec)} gives for {@code spec} (after its skip, at most its limit),
     * read from what declares it without decoding a sample (issue 13: a cluster's driver learns the count of data
     * it does not load): an IDX or NumPy header, the lines of a labels CSV, the windows the clip files' sizes hold,
     * the listing of an image folder. Checks that need the samples (their shape, their values) are not made; load
     * the first sample ({@link DatasetSpec#withLimit}) for those.
     *
     * @throws QuantaException as {@link #load(DatasetSpec)} for a missing or unrecognised input, or a skip that
     *     leaves no sample
     */
    public static int count(DatasetSpec spec) {
        checkBounds(spec);
        Path data = spec.data();
        int all = switch (format(spec)) {
            case IDX -> IdxReader.count(data);
            case NUMPY -> NumpyDatasets.count(data, spec.xKey(), spec.yKey(), spec.labels());
            case RAW -> RawSampleFolder.count(folder(data), labelsCsv(spec));
            case WINDOWS -> WindowedSamples.count(folder(data), labelsCsv(spec), spec.sampleType());
            case IMAGES -> ImageFolder.count(data);
            default -> throw new IllegalStateException(spec.format());
        };
        int skip = spec.skip();
        // as load: the samples read are the skipped ones and the limit's, of which the skip must leave one
        long read = spec.limit() == null ? all : Math.min(all, (long) spec.limit() + skip);
        if (skip >= read) {
            throw QuantaException.inFile(data, "skipping " + skip + " samples leaves none of its " + read);
        }
        return (int) (read - skip);
    }

    /**
     * Samples {@code from} (inclusive) to {@code to} (exclusive) of {@link #load(DatasetSpec)}'s dataset, decoding
     * only those: a cluster's executor loads its own range of data no machine holds whole (issue 13). The values,
     * labels and shape of each sample equal those of the whole load; IDX and NumPy files skip the samples before the
     * range undecoded (a plain file seeks, gzip and {@code .npz} entries are inflated and the bytes dropped, which
     * holds no memory), raw and image folders do not open the files before it, windowed clips open only the clip files
     * that hold a window of the range (the CSV is read whole and the others' sizes taken, as the count does).
     *
     * @throws QuantaException as {@link #load(DatasetSpec)}, or when the range is empty or runs past the samples
     *     {@link #count} gives
     */
    public static Dataset loadRange(DatasetSpec spec, int from, int to) {
        return loadRange(spec, from, to, count(spec));
    }

    /**
     * {@link #loadRange(DatasetSpec, int, int)} of a dataset whose {@link #count} {@code n} the caller already has
     * (a cluster's driver counts once for all its tasks): the data is not counted again.
     *
     * @throws QuantaException as {@link #loadRange(DatasetSpec, int, int)}
     */
    public static Dataset loadRange(DatasetSpec spec, int from, int to, int n) {
        checkBounds(spec);
        Path data = spec.data();
        if (from < 0 || to <= from || to > n) {
            throw QuantaException.inFile(data, "samples [" + from + ", " + to + ") are not a range of its " + n);
        }
        int first = (int) Math.min(Integer.MAX_VALUE, (long) spec.skip() + from);
        int count = to - from;
        Preprocessing p = spec.preprocessing() == null ? Preprocessing.identity() : spec.preprocessing();
        Dataset d = switch (format(spec)) {
            case IDX -> {
                Path labels = spec.labels() != null ? spec.labels() : idxLabelsSibling(data);
                yield IdxReader.load(data, labels, p, first, count);
            }
            case NUMPY ->
                NumpyDatasets.load(data, spec.xKey(), spec.yKey(), spec.labels(), spec.labelFormat(), p, first, count);
            case RAW ->
                RawSampleFolder.load(
                        folder(data), labelsCsv(spec), spec.sampleType(), spec.sampleShape(), true, p, first, count);
            case WINDOWS ->
                WindowedSamples.loadRange(
                        folder(data),
                        labelsCsv(spec),
                        spec.sampleType(),
                        spec.sampleShape(),
                        true,
                        p,
                        samplesRead(spec),
                        first,
                        count);
            case IMAGES -> loadImages(spec, p, first, count);
            default -> throw new IllegalStateException(spec.format());
        };
        if (d.size() != count) {
            throw QuantaException.inFile(
                    data, "samples [" + from + ", " + to + ") gave " + d.size() + " samples (did the data change?)");
        }
        return d;
    }

    /**
     * Loads {@code spec}'s dataset to feed {@code model}'s first input: a spec without a sample shape takes the
     * input's (raw samples and image sizes), and a spec without a preprocessing takes the one the model records
     * for its input ({@link dev.quanta.ir.ModelMetadata#inputNormalization()}: a Quanta-written file records how
     * its calibration data was preprocessed), so that data goes into the model as it was made for.
     */
    public static Dataset load(DatasetSpec spec, Model model) {
        return load(forModel(spec, model));
    }

    /**
     * {@code spec} with what {@link #load(DatasetSpec, Model)} takes from {@code model} filled in (the sample shape
     * and the preprocessing, when the spec has none): a spec that loads the same dataset whatever model is at hand
     * (issue 13: a cluster's executors load it for either model of a comparison).
     */
    public static DatasetSpec forModel(DatasetSpec spec, Model model) {
        DatasetSpec s = spec;
        if (s.sampleShape() == null && !model.inputs().isEmpty()) {
            s = s.withSampleShape(model.inputs().get(0).shape().sampleDims());
        }
        InputNormalization recorded = model.metadata().inputNormalization();
        if (s.preprocessing() == null && recorded != null) {
            s = s.withPreprocessing(Preprocessing.of(recorded));
        }
        return s;
    }

    /** The folder of a raw or windowed dataset: {@code data} itself, or the folder of a labels CSV given as data. */
    private static Path folder(Path data) {
        Path parent = data.toAbsolutePath().getParent();
        return isCsvFile(data) && parent != null ? parent : data;
    }

    private static boolean isCsvFile(Path data) {
        return Files.isRegularFile(data)
                && data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv");
    }

    /** The labels CSV: the one given, else the data when it is a file (a CSV), else null (the folder's default). */
    private static Path labelsCsv(DatasetSpec spec) {
        if (spec.labels() != null) {
            return spec.labels();
        }
        return isCsvFile(spec.data()) ? spec.data() : null;
    }

    private static Dataset loadImages(DatasetSpec spec, Preprocessing p, int limit) {
        return loadImages(spec, p, 0, limit);
    }

    private static Dataset loadImages(DatasetSpec spec, Preprocessing p, int skip, int limit) {
        ImageFolder.Decoding d = ImageFolder.Decoding.of(spec);
        return ImageFolder.load(spec.data(), d.grayscale(), d.width(), d.height(), p, skip, limit);
    }

    /**
     * Detects the format of {@code data}: a file starting with gzip magic 1f 8b or an IDX header is {@code idx}; one
     * starting with {@code \x93NUMPY} or a zip signature (or named .npy/.npz) is {@code numpy}; a folder with a given
     * labels CSV or a {@code y_labels.csv} is {@code windows} when the CSV's first line has the five fields of {@link
     * WindowedSamples}, else {@code raw}; a {@code .csv} file with such lines is {@code windows}; a folder with
     * subfolders is {@code images}.
     *
     * @throws QuantaException if no format matches
     */
    public static String detectFormat(Path data, Path labels) {
        if (Files.isDirectory(data)) {
            if (labels != null && Files.isRegularFile(labels)) {
                return WindowedSamples.isWindowedCsv(labels) ? WINDOWS : RAW;
            }
            if (RawSampleFolder.hasDefaultLabels(data)) {
                return WindowedSamples.isWindowedCsv(data.resolve(RawSampleFolder.DEFAULT_LABELS)) ? WINDOWS : RAW;
            }
            if (ImageFolder.hasSubfolders(data)) {
                return IMAGES;
            }
            throw QuantaException.inFile(
                    data,
                    "cannot tell the dataset format: the folder has no " + RawSampleFolder.DEFAULT_LABELS
                            + " and no class subfolders; give the format");
        }
        if (data.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv")
                && WindowedSamples.isWindowedCsv(data)) {
            return WINDOWS;
        }
        byte[] h = NumpyDatasets.head(data, 6, "dataset");
        if (DataIo.isGzip(h)) {
            return IDX;
        }
        if (NpyReader.isNpy(h) || (h.length >= 2 && h[0] == 'P' && h[1] == 'K')) {
            return NUMPY;
        }
        if (h.length >= 4
                && h[0] == 0
                && h[1] == 0
                && (h[2] == 0x08 || h[2] == 0x09 || (h[2] >= 0x0B && h[2] <= 0x0E))
                && h[3] > 0) {
            return IDX;
        }
        String n = data.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".npy") || n.endsWith(".npz")) {
            return NUMPY;
        }
        StringBuilder hex = new StringBuilder();
        for (byte b : h) {
            hex.append(String.format("%02x", b & 0xFF));
        }
        throw QuantaException.inFile(
                data,
                "unrecognised data file (first bytes 0x" + hex
                        + "); expected IDX (optionally gzip), .npy or .npz; give the format");
    }

    /**
     * Maps format names and aliases to {@link #IDX}, {@link #NUMPY}, {@link #RAW}, {@link #WINDOWS} or {@link
     * #IMAGES}.
     */
    public static String normalizeFormat(String format) {
        return switch (format.trim().toLowerCase(Locale.ROOT)) {
            case "idx", "mnist" -> IDX;
            case "numpy", "npy", "npz" -> NUMPY;
            case "raw", "bin", "mlperf", "mlperf-tiny" -> RAW;
            case "images", "image", "imagefolder", "image-folder" -> IMAGES;
            case "windows", "windowed", "window" -> WINDOWS;
            default ->
                throw new QuantaException(
                        "unknown dataset format '" + format + "'; expected idx, numpy, raw, windows or images");
        };
    }

    /**
     * For an IDX images file whose name contains {@code images-idx3} (or {@code images.idx3}), the sibling with
     * {@code labels-idx1} (or {@code labels.idx1}) if it exists; else null.
     */
    public static Path idxLabelsSibling(Path images) {
        String n = images.getFileName().toString();
        String m = n.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        if (m.equals(n)) {
            return null;
        }
        Path sibling = images.resolveSibling(m);
        return Files.isRegularFile(sibling) ? sibling : null;
    }
}
