package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Loads the MLPerf Tiny / EEMBC layout: a folder of binary sample files plus a labels CSV (default {@value
 * #DEFAULT_LABELS} in the folder) whose lines are {@code file.bin,count,class} ({@code count} = number of classes)
 * or {@code file.bin,class}. Blank lines and lines starting with {@code #} are skipped; fields may be padded with
 * whitespace. Samples keep the CSV order; each file holds one sample of {@code product(sampleShape)} values of the
 * sample type, row-major.
 */
public final class RawSampleFolder {
    private RawSampleFolder() {}

    /** Name of the labels CSV looked up in the folder when none is given. */
    public static final String DEFAULT_LABELS = "y_labels.csv";

    /**
     * Loads all samples listed in the labels CSV.
     *
     * @param folder folder holding the sample files (file names in the CSV are relative to it)
     * @param labelsCsv labels CSV, or null for {@code folder/y_labels.csv}
     * @param type element type of the files
     * @param sampleShape shape of one sample, e.g. {@code {32, 32, 3}}; null = 1-D, inferred from the first file's size
     * @param littleEndian byte order of multi-byte types
     * @param preprocessing applied to every decoded value (null = identity)
     * @throws QuantaException for a missing folder/CSV/file, a malformed CSV line, or a file of the wrong size
     */
    public static Dataset load(
            Path folder,
            Path labelsCsv,
            SampleType type,
            int[] sampleShape,
            boolean littleEndian,
            Preprocessing preprocessing) {
        return load(folder, labelsCsv, type, sampleShape, littleEndian, preprocessing, Integer.MAX_VALUE);
    }

    /** Same, little-endian, with {@code folder/y_labels.csv}. */
    public static Dataset load(Path folder, SampleType type, int[] sampleShape, Preprocessing preprocessing) {
        return load(folder, null, type, sampleShape, true, preprocessing);
    }

    /** The number of entries the labels CSV lists (no sample file is opened). */
    static int count(Path folder, Path labelsCsv) {
        Path csv = labelsCsv != null ? labelsCsv : folder.resolve(DEFAULT_LABELS);
        if (labelsCsv == null && !Files.exists(csv)) {
            throw QuantaException.inFile(csv, "labels CSV not found (expected lines 'file.bin,count,class')");
        }
        return parseCsv(csv, Integer.MAX_VALUE, e -> {});
    }

    /** One CSV entry. */
    record Entry(int line, String file, int label, int classes) {}

    /** Longest CSV line accepted, in characters. */
    static final int MAX_LINE = 1 << 16;

    static Dataset load(
            Path folder,
            Path labelsCsv,
            SampleType type,
            int[] sampleShape,
            boolean littleEndian,
            Preprocessing preprocessing,
            int limit) {
        return load(folder, labelsCsv, type, sampleShape, littleEndian, preprocessing, 0, limit);
    }

    /**
     * Same, reading only the sample files of entries {@code skip} to {@code skip + limit} (fewer at the end of the
     * CSV): the CSV lines before them are parsed and checked as for a whole load, their files are not opened.
     */
    static Dataset load(
            Path folder,
            Path labelsCsv,
            SampleType type,
            int[] sampleShape,
            boolean littleEndian,
            Preprocessing preprocessing,
            int skip,
            int limit) {
        DataIo.requireDirectory(folder, "sample folder");
        if (type == null) {
            throw QuantaException.inFile(
                    folder, "raw samples need a sample type (uint8, int8, int16, int32, float32, float64)");
        }
        Path csv = labelsCsv != null ? labelsCsv : folder.resolve(DEFAULT_LABELS);
        if (labelsCsv == null && !Files.exists(csv)) {
            throw QuantaException.inFile(csv, "labels CSV not found (expected lines 'file.bin,count,class')");
        }
        int[] shape = sampleShape == null ? null : sampleShape.clone();
        if (shape != null) {
            for (int d : shape) {
                if (d <= 0) {
                    throw QuantaException.inFile(
                            folder, "sample shape " + Shapes.format(shape) + " must have positive dimensions");
                }
            }
        }
        // first pass: count and check the entries used, without keeping them
        // the first entry of the range read (a whole load checks every file against it, so any entry would do)
        Entry[] first = new Entry[1];
        int[] parsed = {0};
        Entry[] maxLabel = new Entry[1];
        int[] declaredBox = {0};
        int listed = parseCsv(csv, (int) Math.min(Integer.MAX_VALUE, (long) skip + limit), e -> {
            if (first[0] == null && parsed[0]++ >= skip) {
                first[0] = e;
            }
            if (maxLabel[0] == null || e.label() > maxLabel[0].label()) {
                maxLabel[0] = e;
            }
            declaredBox[0] = Math.max(declaredBox[0], e.classes());
        });
        if (listed == 0) {
            throw QuantaException.inFile(csv, "no samples listed");
        }
        int n = Math.max(0, listed - skip);
        int declared = declaredBox[0];
        if (declared > 0 && maxLabel[0].label() >= declared) {
            throw QuantaException.inFile(
                    csv,
                    "line " + maxLabel[0].line() + ": label " + maxLabel[0].label() + " is out of range for " + declared
                            + " classes");
        }
        ElementType element = ElementType.of(type, !littleEndian);
        if (shape == null) {
            Path bin = sampleFile(folder, csv, first[0]);
            long size = size(bin);
            if (size == 0 || size % type.bytes() != 0) {
                throw QuantaException.inFile(
                        bin,
                        "size " + size + " bytes is not a positive multiple of " + type.bytes() + " (" + type.label()
                                + "); pass the sample shape");
            }
            long elements = size / type.bytes();
            if (elements > DataIo.MAX_VALUES) {
                throw QuantaException.inFile(
                        bin,
                        "one sample of " + DataIo.count(elements) + " values is more than the "
                                + DataIo.count(DataIo.MAX_VALUES) + " a dataset holds");
            }
            shape = new int[] {(int) elements};
        }
        DataIo.requireMemory(folder, "", n, shape);
        int sampleSize = (int) Shapes.product(shape);
        long sampleBytes = (long) sampleSize * type.bytes();
        float[] values = new float[n * sampleSize];
        int[] labels = new int[n];
        int[] shapeUsed = shape;
        int[] next = {0};
        int[] seen = {0};
        // second pass: read the samples
        parseCsv(csv, listed, e -> {
            if (seen[0]++ < skip) {
                return;
            }
            Path bin = sampleFile(folder, csv, e);
            try (DataStream in = DataStream.openRaw(bin, "sample")) {
                if (in.length() != sampleBytes) {
                    throw QuantaException.inFile(
                            bin,
                            "expected " + sampleBytes + " bytes (" + Shapes.format(shapeUsed) + " " + type.label()
                                    + "), found " + in.length());
                }
                int i = next[0]++;
                in.readFloats(
                        element,
                        values,
                        i * sampleSize,
                        sampleSize,
                        found -> QuantaException.inFile(
                                bin,
                                "file shrank while being read: expected " + sampleBytes + " bytes, found " + found));
                labels[i] = e.label();
            }
        });
        Dataset.ClassCount declaredBy = declared > 0 ? Dataset.ClassCount.CSV_COUNT : Dataset.ClassCount.NONE;
        DataIo.ReadLabels read =
                new DataIo.ReadLabels(labels, declared, null, new Dataset.LabelOrigin(csv, null, declaredBy));
        return DataIo.finish(String.valueOf(folder.getFileName()), folder, shape, values, read, preprocessing);
    }

    private static Path sampleFile(Path folder, Path csv, Entry e) {
        Path bin = folder.resolve(e.file());
        if (!Files.isRegularFile(bin)) {
            throw QuantaException.inFile(
                    csv, "line " + e.line() + ": sample file '" + e.file() + "' not found in " + folder);
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

    /**
     * Parses the labels CSV as a stream, handing each entry to {@code sink} until {@code limit} entries; line numbers
     * in errors are 1-based. Returns the number of entries handed over.
     */
    static int parseCsv(Path csv, int limit, Consumer<Entry> sink) {
        DataIo.requireFile(csv, "labels CSV");
        int count = 0;
        int classes = 0;
        int classesLine = 0;
        try (LineReader r = new LineReader(new InputStreamReader(Files.newInputStream(csv), StandardCharsets.UTF_8))) {
            StringBuilder sb = new StringBuilder();
            int lineNo = 0;
            boolean more = true;
            while (more && count < limit) {
                more = r.readLine(sb, csv, lineNo + 1);
                lineNo++;
                String line = sb.toString();
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                Entry e = parseLine(line, csv, lineNo);
                if (e.classes() > 0) {
                    if (classes != 0 && e.classes() != classes) {
                        throw QuantaException.inFile(
                                csv,
                                "line " + lineNo + ": class count " + e.classes() + " differs from " + classes
                                        + " on line " + classesLine);
                    }
                    if (classes == 0) {
                        classes = e.classes();
                        classesLine = lineNo;
                    }
                }
                sink.accept(e);
                count++;
            }
        } catch (IOException e) {
            throw QuantaException.inFile(csv, "cannot read: " + e.getMessage(), e);
        }
        return count;
    }

    /** Reads lines of at most {@link #MAX_LINE} characters, ended by {@code \n}, {@code \r\n} or {@code \r}. */
    static final class LineReader implements AutoCloseable {
        private final Reader in;
        private final char[] buf = new char[1 << 16];
        private int pos;
        private int len;
        private boolean afterCr;
        private final String expected;

        LineReader(Reader in) {
            this(in, "'file.bin,count,class'");
        }

        /** @param expected the line format named when a line is too long */
        LineReader(Reader in, String expected) {
            this.in = in;
            this.expected = expected;
        }

        private int read() throws IOException {
            if (pos == len) {
                len = Math.max(0, in.read(buf, 0, buf.length));
                pos = 0;
                if (len == 0) {
                    return -1;
                }
            }
            return buf[pos++];
        }

        /** Reads one line (without its terminator) into {@code sb}; false at the end of the file. */
        boolean readLine(StringBuilder sb, Path csv, int lineNo) throws IOException {
            sb.setLength(0);
            int c = read();
            if (afterCr && c == '\n') {
                c = read();
            }
            afterCr = false;
            while (true) {
                if (c < 0) {
                    return false;
                }
                if (c == '\n') {
                    return true;
                }
                if (c == '\r') {
                    afterCr = true;
                    return true;
                }
                if (sb.length() == MAX_LINE) {
                    throw QuantaException.inFile(
                            csv,
                            "line " + lineNo + " is longer than " + DataIo.count(MAX_LINE) + " characters; expected "
                                    + expected + " lines");
                }
                sb.append((char) c);
                c = read();
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static Entry parseLine(String line, Path csv, int lineNo) {
        String[] f = line.split(",", -1);
        for (int j = 0; j < f.length; j++) {
            f[j] = f[j].strip();
        }
        if (f.length != 2 && f.length != 3) {
            throw QuantaException.inFile(
                    csv,
                    "line " + lineNo + ": expected 'file,count,class' or 'file,class', found " + f.length
                            + " fields in '" + shorten(line) + "'");
        }
        if (f[0].isEmpty()) {
            throw QuantaException.inFile(csv, "line " + lineNo + ": empty file name");
        }
        int label = parseInt(f[f.length - 1], csv, lineNo, "label");
        if (label < 0) {
            throw QuantaException.inFile(csv, "line " + lineNo + ": label " + label + " is negative");
        }
        int count = 0;
        if (f.length == 3) {
            count = parseInt(f[1], csv, lineNo, "class count");
            if (count <= 0) {
                throw QuantaException.inFile(csv, "line " + lineNo + ": class count " + count + " must be positive");
            }
            if (label >= count) {
                throw QuantaException.inFile(
                        csv, "line " + lineNo + ": label " + label + " is out of range for " + count + " classes");
            }
        }
        return new Entry(lineNo, f[0], label, count);
    }

    private static int parseInt(String s, Path csv, int line, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(s);
                if (d == Math.rint(d) && Math.abs(d) < Integer.MAX_VALUE) {
                    return (int) d;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw QuantaException.inFile(csv, "line " + line + ": " + what + " '" + shorten(s) + "' is not an integer");
        }
    }

    private static String shorten(String s) {
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }

    static boolean hasDefaultLabels(Path folder) {
        return Files.isRegularFile(folder.resolve(DEFAULT_LABELS));
    }
}
