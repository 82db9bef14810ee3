package dev.quanta.data;

import dev.quanta.QuantaException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
    public static Dataset load(Path folder, Path labelsCsv, SampleType type, int[] sampleShape, boolean littleEndian,
            Preprocessing preprocessing) {
        return load(folder, labelsCsv, type, sampleShape, littleEndian, preprocessing, Integer.MAX_VALUE);
    }

    /** Same, little-endian, with {@code folder/y_labels.csv}. */
    public static Dataset load(Path folder, SampleType type, int[] sampleShape, Preprocessing preprocessing) {
        return load(folder, null, type, sampleShape, true, preprocessing);
    }

    /** One CSV entry. */
    record Entry(int line, String file, int label, int classes) {}

    static Dataset load(Path folder, Path labelsCsv, SampleType type, int[] sampleShape, boolean littleEndian,
            Preprocessing preprocessing, int limit) {
        DataIo.requireDirectory(folder, "sample folder");
        if (type == null) {
            throw QuantaException.inFile(folder, "raw samples need a sample type (uint8, int8, int16, int32, float32, float64)");
        }
        Path csv = labelsCsv != null ? labelsCsv : folder.resolve(DEFAULT_LABELS);
        if (labelsCsv == null && !Files.exists(csv)) {
            throw QuantaException.inFile(csv, "labels CSV not found (expected lines 'file.bin,count,class')");
        }
        List<Entry> entries = parseCsv(csv);
        if (entries.isEmpty()) {
            throw QuantaException.inFile(csv, "no samples listed");
        }
        int n = Math.min(limit, entries.size());
        int declared = 0;
        for (Entry e : entries) {
            declared = Math.max(declared, e.classes());
        }
        int[] shape = sampleShape == null ? null : sampleShape.clone();
        if (shape != null) {
            for (int d : shape) {
                if (d <= 0) {
                    throw new QuantaException("sample shape " + Shapes.format(shape) + " must have positive dimensions");
                }
            }
        }
        float[] values = null;
        int[] labels = new int[n];
        long sampleBytes = -1;
        int sampleSize = 0;
        for (int i = 0; i < n; i++) {
            Entry e = entries.get(i);
            Path bin = folder.resolve(e.file());
            if (!Files.isRegularFile(bin)) {
                throw QuantaException.inFile(csv, "line " + e.line() + ": sample file '" + e.file() + "' not found in " + folder);
            }
            byte[] bytes = DataIo.readAll(bin, "sample");
            if (shape == null) {
                if (bytes.length == 0 || bytes.length % type.bytes() != 0) {
                    throw QuantaException.inFile(bin, "size " + bytes.length + " bytes is not a positive multiple of "
                            + type.bytes() + " (" + type.label() + "); pass the sample shape");
                }
                shape = new int[] {bytes.length / type.bytes()};
            }
            if (values == null) {
                sampleBytes = Shapes.product(shape) * type.bytes();
                if ((long) n * Shapes.product(shape) > Integer.MAX_VALUE - 8) {
                    throw QuantaException.inFile(folder, "too large to load in memory: " + n + " x " + Shapes.format(shape));
                }
                sampleSize = (int) Shapes.product(shape);
                values = new float[n * sampleSize];
            }
            if (bytes.length != sampleBytes) {
                throw QuantaException.inFile(bin, "expected " + sampleBytes + " bytes (" + Shapes.format(shape) + " "
                        + type.label() + "), found " + bytes.length);
            }
            type.decode(bytes, 0, !littleEndian, values, i * sampleSize, sampleSize);
            labels[i] = e.label();
        }
        return DataIo.finish(String.valueOf(folder.getFileName()), folder, shape, values, labels, declared, preprocessing,
                null);
    }

    /** Parses the labels CSV; line numbers in errors are 1-based. */
    static List<Entry> parseCsv(Path csv) {
        byte[] raw = DataIo.readAll(csv, "labels CSV");
        String text = new String(raw, StandardCharsets.UTF_8);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        String[] lines = text.split("\\R", -1);
        List<Entry> out = new ArrayList<>();
        int classes = 0;
        int classesLine = 0;
        for (int li = 0; li < lines.length; li++) {
            int lineNo = li + 1;
            String line = lines[li].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", -1);
            for (int j = 0; j < f.length; j++) {
                f[j] = f[j].strip();
            }
            if (f.length != 2 && f.length != 3) {
                throw QuantaException.inFile(csv, "line " + lineNo + ": expected 'file,count,class' or 'file,class', found "
                        + f.length + " fields in '" + shorten(line) + "'");
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
                if (classes != 0 && count != classes) {
                    throw QuantaException.inFile(csv, "line " + lineNo + ": class count " + count + " differs from "
                            + classes + " on line " + classesLine);
                }
                if (classes == 0) {
                    classes = count;
                    classesLine = lineNo;
                }
                if (label >= count) {
                    throw QuantaException.inFile(csv, "line " + lineNo + ": label " + label + " is out of range for "
                            + count + " classes");
                }
            }
            out.add(new Entry(lineNo, f[0], label, count));
        }
        return out;
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
