package dev.quanta.cli;

import static dev.quanta.testing.HostileFiles.concat;
import static dev.quanta.testing.HostileFiles.idxHeader;
import static dev.quanta.testing.HostileFiles.npyHeader;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.TrainingConfig;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.HostileFiles.ZipItem;
import dev.quanta.tflite.TfliteWriter;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes the data options of {@code evaluate}, {@code quantize --calibration} and {@code compare} with hostile
 * files and option values, and the size options of {@code benchmark} and the others (issue 8): every case must end
 * with exit code 2 and exactly one line on standard error ({@code quanta: ...}), within {@value #LIMIT_MILLIS} ms, in
 * a child JVM limited to {@value #HEAP} of heap.
 *
 * <p>Cases are drawn from a seeded generator ({@code -Dquanta.fuzz.seed=N} replays another draw; the seed is
 * printed; {@code -Dquanta.fuzz.verbose=true} prints every case and its answer) and run two at a time. A refusal that
 * was only too slow (the machine may be busy) runs again alone, up to twice. To add a case, call {@link
 * Cases#add(String, String...)} in {@link #cases} with a kind (for the per-kind count) and the command line; every
 * added case is expected to be refused with exit code 2 and one line. A few cases must instead be accepted ({@link
 * Cases#accept}): a {@code --limit}ed load of the same huge files.
 */
class DataOptionsFuzzIT {
    private static final String HEAP = "256m";
    private static final long LIMIT_MILLIS = 2000;
    private static final int PARALLEL = 2;

    @TempDir
    Path tmp;

    /** The cases: kind (for the counts), command line, and whether it must be refused (else accepted). */
    static final class Cases {
        final List<String> kinds = new ArrayList<>();
        final List<List<String>> args = new ArrayList<>();
        final List<Boolean> refuse = new ArrayList<>();

        /** Adds a case that must be refused: exit code 2 and exactly one line on standard error. */
        void add(String kind, String... commandLine) {
            kinds.add(kind);
            args.add(List.of(commandLine));
            refuse.add(true);
        }

        /** Adds a case that must succeed (exit code 0), as quickly and in the same heap. */
        void accept(String kind, String... commandLine) {
            kinds.add(kind);
            args.add(List.of(commandLine));
            refuse.add(false);
        }
    }

    /** The outcome of one child run. */
    private record Run(int index, String kind, List<String> args, boolean refuse, int exit, String err, long millis) {
        List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        /** As expected: exit code 2 and one {@code quanta: } line on standard error, or exit code 0. */
        boolean answered() {
            if (!refuse) {
                return exit == 0;
            }
            List<String> lines = errLines();
            return exit == 2 && lines.size() == 1 && lines.get(0).startsWith("quanta: ");
        }

        boolean ok() {
            return answered() && millis <= LIMIT_MILLIS;
        }

        @Override
        public String toString() {
            return "#" + index + " [" + kind + "] " + (refuse ? "" : "(to accept) ") + "quanta "
                    + String.join(" ", args) + "\n    exit " + exit + " in "
                    + millis + " ms, stderr: " + err.strip().replace("\n", "\n    ");
        }
    }

    @Test
    void hostileDataAndOptionsAreRefusedWithOneLineQuicklyInBoundedMemory() throws Exception {
        long seed = Long.getLong("quanta.fuzz.seed", 20250808L);
        Cases cases = cases(new SplittableRandom(seed));
        List<Run> runs = runAll(cases);
        // the machine may be busy: a refusal that was only too slow runs again, alone, up to twice
        int retried = 0;
        for (int i = 0; i < runs.size(); i++) {
            for (int attempt = 0;
                    attempt < 2 && runs.get(i).answered() && !runs.get(i).ok();
                    attempt++) {
                Run r = runs.get(i);
                runs.set(i, run(i, r.kind(), r.args(), r.refuse()));
                retried++;
            }
        }
        Map<String, Integer> counts = new TreeMap<>();
        List<Run> failed = new ArrayList<>();
        long[] millis = new long[runs.size()];
        for (Run r : runs) {
            counts.merge(r.kind(), 1, Integer::sum);
            millis[r.index()] = r.millis();
            if (!r.ok()) {
                failed.add(r);
            }
        }
        Arrays.sort(millis);
        StringBuilder report = new StringBuilder("DataOptionsFuzzIT seed " + seed + ": " + runs.size()
                + " cases in child JVMs with -Xmx" + HEAP + "; median " + millis[millis.length / 2] + " ms, slowest "
                + millis[millis.length - 1] + " ms (limit " + LIMIT_MILLIS + " ms; " + retried
                + " reruns of slow refusals)\n");
        counts.forEach((k, n) -> report.append(String.format("  %-28s %3d%n", k, n)));
        if (Boolean.getBoolean("quanta.fuzz.verbose")) {
            runs.forEach(r -> report.append(r).append('\n'));
        }
        System.out.print(report);
        assertThat(failed)
                .as(
                        "cases not refused with exit 2 and one line within %d ms:\n%s",
                        LIMIT_MILLIS,
                        String.join("\n", failed.stream().map(Run::toString).toList()))
                .isEmpty();
    }

    // ---- the cases ----------------------------------------------------------------------------------------------

    private Path model;
    private Path output;

    /** Draws the cases; files are written under the temporary folder. */
    private Cases cases(SplittableRandom rnd) throws IOException {
        model = tinyModel(tmp.resolve("tiny.tflite"));
        output = tmp.resolve("out.tflite");
        Cases c = new Cases();
        int n = 20;
        Path images = write("good-images-idx3-ubyte", idxHeader(0x08, n, 28, 28), random(rnd, n * 784));
        Path labels = write("good-labels-idx1-ubyte", idxHeader(0x08, n), digits(rnd, n));
        Path raw = rawFolder("raw", n, rnd);
        Path imageFolder = imageFolder("images", 3, rnd);

        // sizes and counts that overflow or explode (issue 8, finding 5): refused before any work
        String m = model.toString();
        c.add("option sizes", "benchmark", m, "--batch", "2000000000");
        c.add("option sizes", "benchmark", m, "--runs", "2000000000");
        c.add("option sizes", "benchmark", m, "--input-shape", "1,100000,100000,3");
        c.add("option sizes", "benchmark", m, "--threads", "100000");
        c.add("option sizes", "benchmark", m, "--parallel", "100000", "--threads", "2");
        c.add("option sizes", "benchmark", m, "--warmup", "2000000000");
        c.add("option sizes", "evaluate", m, "--data", images.toString(), "--threads", "100000");
        c.add("option sizes", "evaluate", m, "--data", images.toString(), "--top-k", "0");
        c.add(
                "option sizes",
                "quantize",
                m,
                "-o",
                output.toString(),
                "--calibration",
                images.toString(),
                "--threads",
                "100000");
        c.add("option sizes", "compare", m, m, "--data", images.toString(), "--samples", "-1");

        // option values
        for (String limit : new String[] {"0", "-1", "-2147483648", "2147483648", "99999999999999999999", "ten"}) {
            any(c, rnd, "option --limit", images, "--limit", limit);
        }
        String[] shapes = {
            "0", "-5", "0,28", "28,-28", "2147483647,2147483647", "65536,65536,65536", "99999999999", "28,x"
        };
        for (String shape : pick(rnd, shapes, 4)) {
            any(c, rnd, "option --sample-shape", raw, "--sample-type", "uint8", "--sample-shape", shape);
        }
        for (String shape : new String[] {"0,0", "-5,28", "28,28,2"}) {
            any(c, rnd, "option --sample-shape", imageFolder, "--sample-shape", shape);
        }
        for (String scale : pick(rnd, new String[] {"nan", "NaN", "inf", "-Infinity", "1/0", "1e39", "abc"}, 3)) {
            any(c, rnd, "option --scale/--offset", images, "--scale", scale);
        }
        any(c, rnd, "option --scale/--offset", images, "--offset", "nan");
        any(c, rnd, "option --mean/--std", images, "--mean", "1,2", "--std", "1,2,3");
        any(c, rnd, "option --mean/--std", images, "--mean", "0.5");
        any(c, rnd, "option --mean/--std", images, "--mean", "0", "--std", "0");
        any(c, rnd, "option --mean/--std", images, "--mean", "1,2,3", "--std", "1,2,3");
        any(c, rnd, "option --mean/--std", images, "--mean", "nan", "--std", "1");
        any(c, rnd, "option --format", images, "--format", "numpy");
        any(c, rnd, "option --format", images, "--format", "tfrecord");
        any(c, rnd, "option --format", raw, "--format", "images");
        any(c, rnd, "option --format", imageFolder, "--format", "raw");
        any(c, rnd, "option --format", images, "--format", "raw", "--sample-type", "uint8");
        any(c, rnd, "option --sample-type", raw, "--sample-type", "uint16");
        any(c, rnd, "option --label-format", images, "--label-format", "soft");

        // IDX files
        byte[] good = Files.readAllBytes(images);
        int cut = 16 + rnd.nextInt(good.length - 17);
        any(c, rnd, "idx truncated", write("cut-images-idx3-ubyte", Arrays.copyOf(good, cut)));
        byte[] gz = HostileFiles.gzipBytes(good);
        any(
                c,
                rnd,
                "idx truncated",
                write("cut-images-idx3-ubyte.gz", Arrays.copyOf(gz, 10 + rnd.nextInt(gz.length - 18))));
        any(c, rnd, "idx truncated", write("short-header-idx3-ubyte", Arrays.copyOf(good, 4 + rnd.nextInt(12))));
        all(c, "idx trailing data", write("long-images-idx3-ubyte", good, new byte[1 + rnd.nextInt(100)]));
        int claimed = 1_000_000 + rnd.nextInt(Integer.MAX_VALUE - 1_000_000);
        all(
                c,
                "idx huge claimed count",
                write("claims-images-idx3-ubyte", idxHeader(0x08, claimed, 28, 28), random(rnd, 784)));
        all(
                c,
                "idx huge claimed count",
                write(
                        "claims-images-idx3-ubyte.gz",
                        HostileFiles.gzipBytes(concat(idxHeader(0x08, claimed, 28, 28), random(rnd, 784)))));
        all(
                c,
                "idx huge claimed count",
                write(
                        "dims-images-idx3-ubyte",
                        idxHeader(0x08, 2, Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE),
                        random(rnd, 64)));
        all(
                c,
                "idx huge claimed count",
                images,
                "--labels",
                write("claims-labels-idx1-ubyte", idxHeader(0x08, claimed), digits(rnd, 10))
                        .toString());
        // finding 9: a gzip bomb claiming 2^31-1 images; finding 4: a bomb whose claim is plausible but too big
        all(
                c,
                "idx gzip bomb",
                HostileFiles.gzipZeros(
                        tmp.resolve("bomb-images-idx3-ubyte.gz"),
                        idxHeader(0x08, Integer.MAX_VALUE, 28, 28),
                        (256L + rnd.nextInt(768)) << 20));
        int bombSamples = 100_000 + rnd.nextInt(400_000);
        HostileFiles.gzipZeros(tmp.resolve("big-labels-idx1-ubyte.gz"), idxHeader(0x08, bombSamples), bombSamples);
        all(
                c,
                "idx gzip bomb",
                HostileFiles.gzipZeros(
                        tmp.resolve("big-images-idx3-ubyte.gz"),
                        idxHeader(0x08, bombSamples, 28, 28),
                        (long) bombSamples * 784));
        any(c, rnd, "idx bad bytes", write("magic-images-idx3-ubyte", new byte[] {0x12, 0x34, 8, 3}, random(rnd, 60)));
        byte[] flipped = gz.clone();
        for (int i = 0; i < 8; i++) {
            flipped[12 + rnd.nextInt(flipped.length - 20)] ^= (byte) (1 + rnd.nextInt(255));
        }
        any(c, rnd, "idx bad bytes", write("flipped-images-idx3-ubyte.gz", flipped));
        any(c, rnd, "idx bad bytes", write("empty-images-idx3-ubyte", new byte[0]));

        // .npy / .npz files
        byte[] x = concat(npyHeader("|u1", "(" + n + ", 28, 28)"), random(rnd, n * 784));
        Path npy = write("x.npy", x);
        any(c, rnd, "npy truncated", write("cut.npy", Arrays.copyOf(x, 20 + rnd.nextInt(x.length - 21))));
        all(
                c,
                "npy huge claimed shape",
                write("claims.npy", npyHeader("<f4", "(" + claimed + ", 28, 28)"), random(rnd, 100)));
        all(
                c,
                "npy huge claimed shape",
                write("dims.npy", npyHeader("<f8", "(2147483647, 2147483647, 2147483647)"), random(rnd, 100)));
        byte[] hugeHeader = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
        any(c, rnd, "npy bad header", write("header-length.npy", hugeHeader, random(rnd, 100)));
        any(
                c,
                rnd,
                "npy bad header",
                write(
                        "nested.npy",
                        npyHeader(
                                1,
                                "{'descr': '<f4', 'fortran_order': False, 'shape': " + "(".repeat(3000)
                                        + ")".repeat(3000) + "}")));
        any(c, rnd, "npy bad header", write("object.npy", npyHeader("|O", "(" + n + ", 784)"), random(rnd, n * 8)));
        any(
                c,
                rnd,
                "npy bad header",
                write(
                        "fortran.npy",
                        npyHeader(1, "{'descr': '|u1', 'fortran_order': True, 'shape': (" + n + ", 28, 28), }"),
                        random(rnd, n * 784)));
        any(c, rnd, "npy bad header", write("negative.npy", npyHeader("|u1", "(-20, 28, 28)"), random(rnd, n * 784)));
        all(
                c,
                "npz huge claimed shape",
                HostileFiles.zip(
                        tmp.resolve("claims.npz"),
                        ZipItem.stored(
                                "x.npy", concat(npyHeader("|u1", "(" + claimed + ", 28, 28)"), random(rnd, 784)))));
        HostileFiles.Deflated small = HostileFiles.deflate(npyHeader("|u1", "(2500000, 28, 28)"), 0, 1000, new byte[0]);
        all(
                c,
                "npz lying directory",
                HostileFiles.zip(
                        tmp.resolve("lying.npz"),
                        ZipItem.deflated("x.npy", small).declaring(1_960_000_128L)));
        all(
                c,
                "npz lying directory",
                HostileFiles.zip(
                        tmp.resolve("lying-short.npz"),
                        ZipItem.deflated(
                                        "x.npy",
                                        HostileFiles.deflate(
                                                npyHeader("|u1", "(20, 28, 28)"), 0, 20 * 784, new byte[0]))
                                .declaring(128 + 20 * 784 + 1000)));
        // finding 4: a 1.9 MB .npz holding 2.5M samples and labels
        all(
                c,
                "npz gzip bomb",
                HostileFiles.zip(
                        tmp.resolve("big.npz"),
                        ZipItem.deflated(
                                "x.npy",
                                HostileFiles.deflate(
                                        npyHeader("|u1", "(2500000, 28, 28)"), 0, 2_500_000L * 784, new byte[0])),
                        ZipItem.deflated(
                                "y.npy",
                                HostileFiles.deflate(npyHeader("|u1", "(2500000,)"), 0, 2_500_000, new byte[0]))));
        for (String limit : new String[] {"1", String.valueOf(1 + rnd.nextInt(50))}) {
            accepted(c, "accepted: --limit on big data", tmp.resolve("big.npz"), "--limit", limit);
            accepted(c, "accepted: --limit on big data", tmp.resolve("big-images-idx3-ubyte.gz"), "--limit", limit);
        }
        byte[] npz = Files.readAllBytes(HostileFiles.zip(
                tmp.resolve("good.npz"),
                ZipItem.stored("x.npy", x),
                ZipItem.stored("y.npy", concat(npyHeader("|u1", "(" + n + ",)"), digits(rnd, n)))));
        any(c, rnd, "npz truncated", write("cut.npz", Arrays.copyOf(npz, 30 + rnd.nextInt(npz.length - 60))));
        any(c, rnd, "npz keys", tmp.resolve("good.npz"), "--x-key", "nope");
        any(c, rnd, "npz keys", tmp.resolve("good.npz"), "--y-key", "x");
        any(c, rnd, "npz keys", HostileFiles.zip(tmp.resolve("empty.npz"), ZipItem.stored("readme.txt", new byte[3])));

        // labels that do not fit the data or the model
        int wrong = n + (rnd.nextBoolean() ? 1 : -1) * (1 + rnd.nextInt(5));
        all(
                c,
                "labels wrong length",
                images,
                "--labels",
                write("wrong-labels-idx1-ubyte", idxHeader(0x08, wrong), digits(rnd, wrong))
                        .toString());
        all(
                c,
                "labels wrong length",
                npy,
                "--labels",
                write("wrong-y.npy", npyHeader("|u1", "(" + wrong + ",)"), digits(rnd, wrong))
                        .toString());
        all(
                c,
                "labels wrong length",
                images,
                "--labels",
                write("swapped-labels", Files.readAllBytes(images)).toString());
        int width = rnd.nextBoolean() ? 9 : 11 + rnd.nextInt(20);
        evaluate(
                c,
                "labels one-hot width",
                npy,
                "--label-format",
                "one-hot",
                "--labels",
                write("onehot.npy", npyHeader("|u1", "(" + n + ", " + width + ")"), oneHot(rnd, n, width))
                        .toString());
        byte[] outOfRange = digits(rnd, n);
        outOfRange[rnd.nextInt(n)] = (byte) (10 + rnd.nextInt(200));
        evaluate(
                c,
                "labels out of range",
                images,
                "--labels",
                write("range-labels-idx1-ubyte", idxHeader(0x08, n), outOfRange).toString());
        any(
                c,
                rnd,
                "labels bad values",
                images,
                "--labels",
                write("float-labels-idx1-ubyte", idxHeader(0x0D, n), floats(n, 1.5f))
                        .toString());

        // raw sample folders and their CSV
        evaluate(
                c,
                "csv class count",
                raw,
                "--sample-type",
                "uint8",
                "--labels",
                write("raw/count.csv", csvLines(n, rnd.nextBoolean() ? Integer.MAX_VALUE : 11))
                        .toString());
        String[][] hostileCsv = {
            {"missing.csv", "nope.bin,10,1\n"},
            {"long.csv", "a" + "x".repeat(70_000) + ".bin,10,1\n"},
            {"fields.csv", "s0.bin,10,1,2\n"}
        };
        for (String[] csv : hostileCsv) {
            Path file = write("raw/" + csv[0], csv[1]);
            any(c, rnd, "csv hostile", raw, "--sample-type", "uint8", "--labels", file.toString());
        }
        int lines = 300_000 + rnd.nextInt(200_000);
        all(
                c,
                "csv huge claimed count",
                raw,
                "--sample-type",
                "float32",
                "--labels",
                write("raw/many.csv", "f.bin,10,1\n".repeat(lines)).toString());
        all(
                c,
                "raw sample size",
                raw,
                "--sample-type",
                "uint8",
                "--labels",
                write("raw/sparse.csv", "sparse.bin,10,1\n").toString());
        all(c, "raw sample size", raw, "--sample-type", "float32");

        // windowed clips (file,count,label,window_bytes,stride_bytes): 784 float32 values a window for the model
        Path clips = Files.createDirectories(tmp.resolve("clips"));
        Files.write(clips.resolve("w.bin"), floats(1 << 18, 0.5f));
        String[][] hostileWindows = {
            {"claims.csv", "w.bin,10,1,2147483644,4\n"},
            {"missing.csv", "w.bin,10,1,3136,3136\nnope.bin,10,1,3136,3136\n"},
            {"fields.csv", "w.bin,10,1,3136,3136\nw.bin,10,1,3136\n"},
            {"stride.csv", "w.bin,10,1,3136,x\n"},
            {"width.csv", "w.bin,10,1,3132,3132\n"}
        };
        for (String[] csv : hostileWindows) {
            any(c, rnd, "windows hostile", write("clips/" + csv[0], csv[1]));
        }
        // overlapping windows of 784 values every 4 bytes: 261,361 windows, 0.8 GB of floats from a 1 MiB file
        Path overlap = write("clips/overlap.csv", "w.bin,10,1,3136,4\n");
        all(c, "windows overlap", overlap);
        all(
                c,
                "windows huge line count",
                write("clips/many.csv", "w.bin,10,1,3136,3136\n".repeat(300_000 + rnd.nextInt(200_000))));
        accepted(c, "accepted: --limit on windows", overlap, "--limit", "5");

        // image folders
        Path pngBomb = pngFolder("png-bomb", pngHeader(100_000, 100_000));
        all(c, "image hostile", pngBomb);
        all(c, "image hostile", pngBomb, "--sample-shape", "-1,-1");
        any(c, rnd, "image hostile", pngFolder("png-not", "not an image at all".getBytes(StandardCharsets.US_ASCII)));
        byte[] png = Files.readAllBytes(imageFolder.resolve("c0/0.png"));
        any(c, rnd, "image hostile", pngFolder("png-cut", Arrays.copyOf(png, 40 + rnd.nextInt((png.length - 40) / 2))));
        evaluate(c, "image class folders", imageFolder("eleven", 11, rnd), "--grayscale");

        // paths that are not data
        any(c, rnd, "path", tmp.resolve("missing-images-idx3-ubyte.gz"));
        any(c, rnd, "path", write("empty.csv", new byte[0]));
        Files.createDirectories(tmp.resolve("nothing"));
        any(c, rnd, "path", tmp.resolve("nothing"));

        // models: finding 9 (a .keras whose config.json inflates to 1.5 GB) and finding 8 (a bad training loss)
        Path hugeKeras = HostileFiles.zip(
                tmp.resolve("huge.keras"),
                ZipItem.deflated(
                        "config.json",
                        HostileFiles.deflate(
                                "{".getBytes(StandardCharsets.US_ASCII),
                                ' ',
                                1_500_000_000L,
                                "}".getBytes(StandardCharsets.US_ASCII))));
        c.add("model config bomb", "evaluate", hugeKeras.toString(), "--data", images.toString());
        c.add(
                "model config bomb",
                "quantize",
                hugeKeras.toString(),
                "-o",
                output.toString(),
                "--calibration",
                images.toString());
        c.add("model config bomb", "compare", model.toString(), hugeKeras.toString(), "--data", images.toString());
        c.add(
                "model training loss",
                "evaluate",
                badLossModel(tmp.resolve("bad-loss.h5")).toString(),
                "--data",
                images.toString(),
                "--labels",
                labels.toString());
        return c;
    }

    /** Adds the case to evaluate, quantize --calibration and compare. */
    private void all(Cases c, String kind, Path data, String... options) {
        for (String[] commandLine : commandLines(output, data, options)) {
            c.add(kind, commandLine);
        }
    }

    /** Adds the case to one of evaluate, quantize --calibration and compare, drawn at random. */
    private void any(Cases c, SplittableRandom rnd, String kind, Path data, String... options) {
        c.add(kind, commandLines(output, data, options).get(rnd.nextInt(3)));
    }

    /** Adds a case to each command that must succeed (exit code 0). */
    private void accepted(Cases c, String kind, Path data, String... options) {
        Path out = tmp.resolve("accepted-" + c.kinds.size() + ".tflite");
        for (String[] commandLine : commandLines(out, data, options)) {
            c.accept(kind, commandLine);
        }
    }

    /** Adds the case to evaluate only (labels matter to evaluate alone). */
    private void evaluate(Cases c, String kind, Path data, String... options) {
        c.add(kind, commandLines(output, data, options).get(0));
    }

    /**
     * The three commands that read data, with the data and the options: evaluate, quantize --calibration (writing
     * {@code out}) and compare (the model with itself).
     */
    private List<String[]> commandLines(Path out, Path data, String... options) {
        String m = model.toString();
        String d = data.toString();
        return List.of(
                CliRunner.args(new String[] {"evaluate", m, "--data", d}, options),
                CliRunner.args(new String[] {"quantize", m, "-o", out.toString(), "--calibration", d}, options),
                CliRunner.args(new String[] {"compare", m, m, "--data", d}, options));
    }

    // ---- running ------------------------------------------------------------------------------------------------

    private List<Run> runAll(Cases cases) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL);
        try {
            List<Future<Run>> futures = new ArrayList<>();
            for (int i = 0; i < cases.args.size(); i++) {
                int index = i;
                futures.add(pool.submit(
                        () -> run(index, cases.kinds.get(index), cases.args.get(index), cases.refuse.get(index))));
            }
            List<Run> runs = new ArrayList<>();
            for (Future<Run> f : futures) {
                runs.add(f.get());
            }
            return runs;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Runs the CLI in a child JVM with a small heap, as a user would. */
    private Run run(int index, String kind, List<String> args, boolean refuse)
            throws IOException, InterruptedException {
        List<String> command =
                CliRunner.childCommand(List.of("-Xmx" + HEAP, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), args);
        Path err = tmp.resolve("stderr-" + index + ".txt");
        ProcessBuilder pb =
                new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        long start = System.nanoTime();
        Process p = pb.start();
        boolean done = p.waitFor(LIMIT_MILLIS * 5, TimeUnit.MILLISECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        return new Run(index, kind, args, refuse, done ? p.exitValue() : -1, Files.readString(err), millis);
    }

    // ---- files --------------------------------------------------------------------------------------------------

    /** Input [N, 28, 28] -> reshape 784 -> dense 10 -> softmax, as a float .tflite. */
    private static Path tinyModel(Path file) {
        TfliteWriter.write(CliTestModels.mnistLike(ModelMetadata.inMemory()), file);
        return file;
    }

    /** The same model as a Keras .h5 whose training config names the loss "foo". */
    private static Path badLossModel(Path file) {
        KerasH5Writer.write(
                CliTestModels.mnistLike(ModelMetadata.inMemorySequential(new TrainingConfig("foo", false, null))),
                file);
        return file;
    }

    private Path rawFolder(String name, int n, SplittableRandom rnd) {
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < n; i++) {
            write(name + "/s" + i + ".bin", random(rnd, 784));
            csv.append("s").append(i).append(".bin,10,").append(rnd.nextInt(10)).append('\n');
        }
        write(name + "/f.bin", random(rnd, 784 * 4));
        write(name + "/y_labels.csv", csv.toString());
        try (RandomAccessFile f =
                new RandomAccessFile(tmp.resolve(name + "/sparse.bin").toFile(), "rw")) {
            f.setLength(3L << 30); // a 3 GiB sample file that costs nothing on disk
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return tmp.resolve(name);
    }

    private Path imageFolder(String name, int classes, SplittableRandom rnd) throws IOException {
        for (int c = 0; c < classes; c++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    img.getRaster().setSample(x, y, 0, rnd.nextInt(256));
                }
            }
            Path f = tmp.resolve(name).resolve(String.format("c%d/0.png", c));
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "png", f.toFile());
        }
        return tmp.resolve(name);
    }

    private Path pngFolder(String name, byte[] png) {
        write(name + "/cat/0.png", png);
        return tmp.resolve(name);
    }

    /** A PNG signature and an IHDR chunk declaring {@code w x h} 8-bit RGB, then an empty IDAT and IEND. */
    private static byte[] pngHeader(int w, int h) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12 + 12).order(ByteOrder.BIG_ENDIAN);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = ByteBuffer.allocate(17)
                .put("IHDR".getBytes(StandardCharsets.US_ASCII))
                .putInt(w)
                .putInt(h)
                .put((byte) 8)
                .put((byte) 2)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0)
                .array();
        b.putInt(13).put(ihdr).putInt(crc(ihdr));
        byte[] idat = "IDAT".getBytes(StandardCharsets.US_ASCII);
        b.putInt(0).put(idat).putInt(crc(idat));
        byte[] iend = "IEND".getBytes(StandardCharsets.US_ASCII);
        b.putInt(0).put(iend).putInt(crc(iend));
        return b.array();
    }

    private static int crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return (int) c.getValue();
    }

    private static String csvLines(int n, int count) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("s")
                    .append(i)
                    .append(".bin,")
                    .append(count)
                    .append(',')
                    .append(i % 10)
                    .append('\n');
        }
        return sb.toString();
    }

    private static byte[] random(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        return b;
    }

    private static byte[] digits(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rnd.nextInt(10);
        }
        return b;
    }

    private static byte[] oneHot(SplittableRandom rnd, int n, int width) {
        byte[] b = new byte[n * width];
        for (int i = 0; i < n; i++) {
            b[i * width + rnd.nextInt(Math.min(width, 9))] = 1;
        }
        return b;
    }

    private static byte[] floats(int n, float v) {
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static String[] pick(SplittableRandom rnd, String[] from, int k) {
        List<String> list = new ArrayList<>(List.of(from));
        for (int i = list.size() - 1; i > 0; i--) {
            java.util.Collections.swap(list, i, rnd.nextInt(i + 1));
        }
        return list.subList(0, Math.min(k, list.size())).toArray(new String[0]);
    }

    private Path write(String name, byte[]... parts) {
        return HostileFiles.write(tmp.resolve(name), parts);
    }

    private Path write(String name, String text) {
        return write(name, text.getBytes(StandardCharsets.UTF_8));
    }
}
