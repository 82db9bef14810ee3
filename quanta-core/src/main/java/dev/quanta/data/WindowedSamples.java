package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Loads windowed samples as the MLPerf Tiny / EEMBC anomaly-detection ground truth lists them: a labels CSV whose
 * lines are {@code file,count,label,window_bytes,stride_bytes}, one per clip. Each clip file holds features (float32
 * by default) that are cut into windows of {@code window_bytes} bytes, one every {@code stride_bytes} bytes:
 *
 * <pre>
 * windows(clip) = ⌊(file bytes − window_bytes) / stride_bytes⌋ + 1
 * window w      = bytes [w · stride_bytes, w · stride_bytes + window_bytes) of the clip file
 * </pre>
 *
 * For example {@code normal_id_01_00000003_hist_librosa.bin,2,0,2560,512} is a normal clip (label 0 of 2) whose
 * windows are 640 float32 values every 128. Every window is a sample labelled with its clip's label and knows its
 * clip ({@link Dataset#clip(int)}). Blank lines and lines starting with {@code #} are skipped. The number of windows
 * comes from the files' sizes, never from the CSV alone.
 */
public final class WindowedSamples {
    private WindowedSamples() {}

    /** The line format, as errors name it. */
    static final String LINE_FORMAT = "'file,count,label,window_bytes,stride_bytes'";

    /** One line of the CSV: a clip file, its label and class count, and how it is cut into windows. */
    record Clip(int line, String file, int label, int classes, int windowBytes, int strideBytes) {}

    /**
     * True when the first entry of {@code csv} (blank and {@code #} lines aside) has five fields, the windowed
     * format; false for a missing or unreadable file or any other line.
     */
    static boolean isWindowedCsv(Path csv) {
        if (csv == null || !Files.isRegularFile(csv)) {
            return false;
        }
        try (RawSampleFolder.LineReader r = new RawSampleFolder.LineReader(
                new InputStreamReader(Files.newInputStream(csv), StandardCharsets.UTF_8), LINE_FORMAT)) {
            StringBuilder sb = new StringBuilder();
            boolean more = true;
            for (int lineNo = 1; more && lineNo <= 1000; lineNo++) {
                more = r.readLine(sb, csv, lineNo);
                String line = strip(sb.toString(), lineNo);
                if (!line.isEmpty() && !line.startsWith("#")) {
                    return line.split(",", -1).length == 5;
                }
            }
        } catch (IOException | QuantaException e) {
            return false;
        }
        return false;
    }

    /**
     * Loads the windows of the clips {@code csv} lists, in CSV order, at most {@code limit} windows (the CSV is read
     * only as far as needed).
     *
     * @param folder folder holding the clip files (names in the CSV are relative to it)
     * @param labelsCsv the labels CSV, or null for {@code folder/y_labels.csv}
     * @param type element type of the clip files; null = float32
     * @param sampleShape shape of one window (e.g. the model's input), or null for 1-D; its size must be the window's
     *     number of values
     * @param preprocessing applied to every value (null = identity)
     * @throws QuantaException one line naming the CSV and line, or the clip file, line and byte offset: a malformed
     *     line, a missing clip file, a file shorter than one window, a window that does not match the sample shape
     */
    public static Dataset load(
            Path folder,
            Path labelsCsv,
            SampleType type,
            int[] sampleShape,
            boolean littleEndian,
            Preprocessing preprocessing,
            int limit) {
        Index index = index(folder, labelsCsv, type, limit, true);
        int[] shape = index.shape(sampleShape);
        DataIo.requireMemory(index.csv(), "", index.total(), shape);
        return index.decode(folder, shape, littleEndian, preprocessing, 0, (int) index.total());
    }

    /**
     * Windows {@code first} to {@code first + count} (exclusive) of {@link #load}'s dataset with limit {@code limit},
     * decoding only those: the CSV is read and the clip files' sizes taken (as {@link #load} checks them), but only
     * the clip files that hold a window of the range are opened (issue 13: a cluster's task loads its range of a year
     * of clips). Equal to {@code load(..., limit).slice(first, first + count)}: its windows, labels, clip indices and
     * all of the clip names.
     *
     * @throws QuantaException as {@link #load}, or when the range runs past the windows
     */
    public static Dataset loadRange(
            Path folder,
            Path labelsCsv,
            SampleType type,
            int[] sampleShape,
            boolean littleEndian,
            Preprocessing preprocessing,
            int limit,
            int first,
            int count) {
        Index index = index(folder, labelsCsv, type, limit, false);
        int[] shape = index.shape(sampleShape);
        if (first < 0 || count < 0 || (long) first + count > index.total()) {
            throw QuantaException.inFile(
                    index.csv(),
                    "windows [" + first + ", " + ((long) first + count) + ") are not a range of its " + index.total());
        }
        DataIo.requireMemory(index.csv(), "", count, shape);
        return index.decode(folder, shape, littleEndian, preprocessing, first, count);
    }

    /**
     * The clips of a labels CSV up to a limit of windows, each with the windows it gives: what {@link #load} reads
     * before it decodes a window.
     */
    private record Index(
            Path csv,
            SampleType type,
            List<Clip> clips,
            List<Integer> windowsOf,
            long total,
            int classes,
            int windowBytes,
            int windowLine) {

        /** The sample shape: the one given, or the window's values; refused when it does not hold a window. */
        int[] shape(int[] sampleShape) {
            int values = windowBytes / type.bytes();
            int[] shape = sampleShape == null ? new int[] {values} : sampleShape.clone();
            for (int d : shape) {
                if (d <= 0) {
                    throw QuantaException.inFile(
                            csv, "sample shape " + Shapes.format(shape) + " must have positive dimensions");
                }
            }
            if (Shapes.saturatedProduct(shape) != values) {
                throw QuantaException.inFile(
                        csv,
                        "line " + windowLine + ": windows of " + windowBytes + " bytes hold " + values + " "
                                + type.label() + " values, but samples of shape " + Shapes.format(shape)
                                + " (the model's input "
                                + "or the given sample shape) have " + Shapes.saturatedProduct(shape));
            }
            return shape;
        }

        /**
         * Decodes windows {@code first} to {@code first + count} (exclusive), opening only the clip files that hold
         * one: window {@code w} of clip {@code c} is window {@code start(c) + w}, {@code start(c)} the windows of the
         * clips before it.
         */
        Dataset decode(
                Path folder, int[] shape, boolean littleEndian, Preprocessing preprocessing, int first, int count) {
            int values = windowBytes / type.bytes();
            float[] features = new float[count * values];
            int[] labels = new int[count];
            int[] clipOf = new int[count];
            List<String> names = new ArrayList<>(clips.size());
            byte[] window = new byte[windowBytes];
            long end = (long) first + count;
            long start = 0; // the clip's first window in the whole
            int at = 0;
            for (int c = 0; c < clips.size(); c++) {
                Clip clip = clips.get(c);
                names.add(clip.file());
                int windows = windowsOf.get(c);
                long from = Math.max(start, first);
                long to = Math.min(start + windows, end);
                if (from < to) {
                    Path bin = folder.resolve(clip.file());
                    Consumer<Path> opened = clipOpened;
                    if (opened != null) {
                        opened.accept(bin);
                    }
                    try (FileChannel ch = FileChannel.open(bin)) {
                        for (long g = from; g < to; g++) {
                            int w = (int) (g - start);
                            long offset = (long) w * clip.strideBytes();
                            readFully(ch, window, offset, bin, clip, csv, w);
                            type.decode(window, 0, !littleEndian, features, at * values, values);
                            labels[at] = clip.label();
                            clipOf[at] = c;
                            at++;
                        }
                    } catch (IOException e) {
                        throw QuantaException.inFile(bin, "cannot read: " + e.getMessage(), e);
                    }
                }
                start += windows;
            }
            DataIo.ReadLabels read = new DataIo.ReadLabels(
                    labels, classes, null, new Dataset.LabelOrigin(csv, null, Dataset.ClassCount.CSV_COUNT));
            Dataset d = DataIo.finish(String.valueOf(csv.getFileName()), csv, shape, features, read, preprocessing);
            return d.withClips(clipOf, names);
        }
    }

    /** Told of every clip file a decode opens (tests: which files a range reads); null: none. */
    static volatile Consumer<Path> clipOpened;

    /**
     * Reads the CSV's clips up to {@code limit} windows with {@link #load}'s checks, taking each clip file's size;
     * with {@code checkHeap}, refuses as soon as the windows so far cannot fit in memory.
     */
    private static Index index(Path folder, Path labelsCsv, SampleType type, int limit, boolean checkHeap) {
        DataIo.requireDirectory(folder, "clip folder");
        Path csv = labelsCsv != null ? labelsCsv : folder.resolve(RawSampleFolder.DEFAULT_LABELS);
        SampleType t = type == null ? SampleType.FLOAT32 : type;
        List<Clip> clips = new ArrayList<>();
        List<Integer> windowsOf = new ArrayList<>();
        long[] total = {0};
        Map<String, Long> sizes = new HashMap<>();
        int[] classes = {0, 0};
        int[] windowBytes = {0, 0};
        parse(csv, t, total, limit, c -> {
            if (classes[0] == 0) {
                classes[0] = c.classes();
                classes[1] = c.line();
                windowBytes[0] = c.windowBytes();
                windowBytes[1] = c.line();
            } else if (c.classes() != classes[0]) {
                throw QuantaException.inFile(
                        csv,
                        "line " + c.line() + ": class count " + c.classes() + " differs from " + classes[0]
                                + " on line " + classes[1]);
            } else if (c.windowBytes() != windowBytes[0]) {
                throw QuantaException.inFile(
                        csv,
                        "line " + c.line() + ": window of " + c.windowBytes() + " bytes differs from the "
                                + windowBytes[0] + " bytes on line " + windowBytes[1]
                                + "; all windows must have one size");
            }
            Long known = sizes.get(c.file());
            long size = known != null ? known : size(clipFile(folder, csv, c));
            sizes.put(c.file(), size);
            Path bin = folder.resolve(c.file());
            if (size < c.windowBytes()) {
                throw QuantaException.inFile(
                        bin,
                        "line " + c.line() + " of " + csv.getFileName() + ": " + size
                                + " bytes, shorter than one window: window 0 ends at byte offset "
                                + c.windowBytes());
            }
            long windows = (size - c.windowBytes()) / c.strideBytes() + 1;
            long used = Math.min(windows, limit - total[0]);
            clips.add(c);
            windowsOf.add((int) Math.min(Integer.MAX_VALUE, used));
            total[0] += used;
            // refuse as soon as the windows so far cannot fit, not after reading a CSV of a million lines
            long values = Shapes.saturatedMultiply(total[0], c.windowBytes() / t.bytes());
            if (checkHeap && (values > DataIo.MAX_VALUES || values > DataIo.availableHeap() / 4)) {
                DataIo.requireMemory(csv, "", total[0], new int[] {c.windowBytes() / t.bytes()});
            }
        });
        if (clips.isEmpty()) {
            throw QuantaException.inFile(csv, "no clips listed (expected lines " + LINE_FORMAT + ")");
        }
        return new Index(csv, t, clips, windowsOf, total[0], classes[0], windowBytes[0], windowBytes[1]);
    }

    /** Reads window {@code w} (its bytes from {@code offset}) or fails naming the byte offset where the file ended. */
    private static void readFully(FileChannel ch, byte[] window, long offset, Path bin, Clip clip, Path csv, int w)
            throws IOException {
        ByteBuffer b = ByteBuffer.wrap(window);
        while (b.hasRemaining()) {
            int r = ch.read(b, offset + b.position());
            if (r < 0) {
                throw QuantaException.inFile(
                        bin,
                        "line " + clip.line() + " of " + csv.getFileName() + ": the file ended at byte offset "
                                + (offset + b.position()) + " inside window " + w + " (bytes " + offset + " to "
                                + (offset + window.length) + "); did it shrink while being read?");
            }
        }
    }

    /**
     * The number of windows the clips of {@code csv} hold, from the CSV and the clip files' sizes (none is read);
     * saturates at {@link Integer#MAX_VALUE}.
     */
    static int count(Path folder, Path labelsCsv, SampleType type) {
        DataIo.requireDirectory(folder, "clip folder");
        Path csv = labelsCsv != null ? labelsCsv : folder.resolve(RawSampleFolder.DEFAULT_LABELS);
        SampleType t = type == null ? SampleType.FLOAT32 : type;
        long[] total = {0};
        Map<String, Long> sizes = new HashMap<>();
        parse(csv, t, total, Integer.MAX_VALUE, c -> {
            Long known = sizes.get(c.file());
            long size = known != null ? known : size(clipFile(folder, csv, c));
            sizes.put(c.file(), size);
            long windows = size < c.windowBytes() ? 0 : (size - c.windowBytes()) / c.strideBytes() + 1;
            total[0] = Math.min(Integer.MAX_VALUE, total[0] + windows);
        });
        return (int) total[0];
    }

    /**
     * Parses {@code csv} as a stream, handing each clip to {@code sink} while {@code total[0]} (the windows the sink
     * counted so far) is below {@code limit}.
     */
    private static void parse(Path csv, SampleType type, long[] total, int limit, Consumer<Clip> sink) {
        DataIo.requireFile(csv, "labels CSV");
        try (RawSampleFolder.LineReader r = new RawSampleFolder.LineReader(
                new InputStreamReader(Files.newInputStream(csv), StandardCharsets.UTF_8), LINE_FORMAT)) {
            StringBuilder sb = new StringBuilder();
            int lineNo = 0;
            boolean more = true;
            while (more && total[0] < limit) {
                more = r.readLine(sb, csv, lineNo + 1);
                lineNo++;
                String line = strip(sb.toString(), lineNo);
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                sink.accept(parseLine(line, csv, lineNo, type));
            }
        } catch (IOException e) {
            throw QuantaException.inFile(csv, "cannot read: " + e.getMessage(), e);
        }
    }

    private static String strip(String line, int lineNo) {
        String s = lineNo == 1 && line.startsWith("\uFEFF") ? line.substring(1) : line;
        return s.strip();
    }

    static Clip parseLine(String line, Path csv, int lineNo, SampleType type) {
        String[] f = line.split(",", -1);
        for (int j = 0; j < f.length; j++) {
            f[j] = f[j].strip();
        }
        String at = "line " + lineNo + ": ";
        if (f.length != 5) {
            throw QuantaException.inFile(
                    csv,
                    at + "expected " + LINE_FORMAT + ", found " + f.length + " fields in '"
                            + (line.length() > 80 ? line.substring(0, 77) + "..." : line) + "'");
        }
        if (f[0].isEmpty()) {
            throw QuantaException.inFile(csv, at + "empty file name");
        }
        int count = parseInt(f[1], csv, lineNo, "class count");
        int label = parseInt(f[2], csv, lineNo, "label");
        int window = parseInt(f[3], csv, lineNo, "window_bytes");
        int stride = parseInt(f[4], csv, lineNo, "stride_bytes");
        if (count <= 0) {
            throw QuantaException.inFile(csv, at + "class count " + count + " must be positive");
        }
        if (label < 0 || label >= count) {
            throw QuantaException.inFile(csv, at + "label " + label + " is out of range for " + count + " classes");
        }
        if (window <= 0 || window % type.bytes() != 0) {
            throw QuantaException.inFile(
                    csv,
                    at + "window_bytes " + window + " must be a positive multiple of " + type.bytes() + " ("
                            + type.label() + ")");
        }
        if (stride <= 0 || stride % type.bytes() != 0) {
            throw QuantaException.inFile(
                    csv,
                    at + "stride_bytes " + stride + " must be a positive multiple of " + type.bytes() + " ("
                            + type.label() + ")");
        }
        return new Clip(lineNo, f[0], label, count, window, stride);
    }

    private static int parseInt(String s, Path csv, int line, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw QuantaException.inFile(
                    csv,
                    "line " + line + ": " + what + " '" + (s.length() > 40 ? s.substring(0, 37) + "..." : s)
                            + "' is not an integer");
        }
    }

    private static Path clipFile(Path folder, Path csv, Clip c) {
        Path bin = folder.resolve(c.file());
        if (!Files.isRegularFile(bin)) {
            throw QuantaException.inFile(
                    csv, "line " + c.line() + ": clip file '" + c.file() + "' not found in " + folder);
        }
        return bin;
    }

    private static long size(Path bin) {
        try {
            return Files.size(bin);
        } catch (IOException ex) {
            throw QuantaException.inFile(bin, "cannot read: " + ex.getMessage(), ex);
        }
    }
}
