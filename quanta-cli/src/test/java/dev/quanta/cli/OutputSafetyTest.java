package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static dev.quanta.testing.SpecialFiles.CHARACTER_DEVICE;
import static dev.quanta.testing.SpecialFiles.FIFO;
import static dev.quanta.testing.SpecialFiles.fileType;
import static dev.quanta.testing.SpecialFiles.mkfifo;
import static dev.quanta.testing.SpecialFiles.names;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8: a writing command never replaces one of its inputs, never turns a device, FIFO or folder into a regular
 * file, and writes a .tflite to standard output only when asked with {@code -o -}.
 */
class OutputSafetyTest {
    @TempDir
    Path tmp;

    private Path model;
    private Path calibration;

    /** The MNIST model and test images copied into the test folder (the images named like IDX images). */
    private void copyFixtures() throws IOException {
        model = Files.copy(MnistFixtures.model(), tmp.resolve("mnist.h5"));
        calibration = Files.copy(MnistFixtures.testImages(), tmp.resolve("cal-images-idx3-ubyte.gz"));
    }

    /** {@code quantize MODEL -o OUTPUT --calibration CALIBRATION [more] --scale 1/255}. */
    private CliRunner quantizeCalibrated(Path output, String... more) {
        String[] calibrated = CliRunner.args(new String[] {"--calibration", calibration.toString()}, more);
        return CliRunner.quantize(model, output, CliRunner.args(calibrated, "--scale", "1/255"));
    }

    /** The ways one file can be named: itself, through '..', a symbolic link and a hard link. */
    private List<Path> aliases(Path file) throws IOException {
        Path sub = Files.createDirectories(tmp.resolve("sub"));
        String name = file.getFileName().toString();
        return List.of(
                file,
                sub.resolve("../" + name),
                Files.createSymbolicLink(tmp.resolve("symlink-to-" + name), file),
                Files.createLink(tmp.resolve("hardlink-to-" + name), file));
    }

    /**
     * Quantizes to each name of {@code input} ({@link #aliases}): every run is refused with one line naming the output
     * and the input ({@code option} says which), and the input keeps its bytes.
     */
    private void assertEveryAliasRefused(Path input, String option, Function<Path, CliRunner> quantizeTo)
            throws IOException {
        byte[] before = Files.readAllBytes(input);
        for (Path out : aliases(input)) {
            CliRunner r = quantizeTo.apply(out);
            assertOneLineError(r, "output " + out + " is the same file as the input " + option + " " + input);
            assertThat(Files.readAllBytes(input)).isEqualTo(before);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 1: -o is never an input

    @Test
    @UsesFixtures
    void outputEqualToTheCalibrationDataIsRefusedHoweverItIsNamed() throws IOException {
        copyFixtures();
        assertEveryAliasRefused(calibration, "--calibration", this::quantizeCalibrated);
        assertThat(Files.isSymbolicLink(tmp.resolve("symlink-to-cal-images-idx3-ubyte.gz")))
                .isTrue();
    }

    @Test
    @UsesFixtures
    void outputEqualToTheLabelsIsRefusedGivenOrFoundNextToTheImages() throws IOException {
        copyFixtures();
        Path labels = Files.copy(Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"), tmp.resolve("labels.gz"));
        byte[] before = Files.readAllBytes(labels);
        assertEveryAliasRefused(labels, "--labels", out -> quantizeCalibrated(out, "--labels", labels.toString()));
        // without --labels, the IDX labels next to the images are read too
        Path sibling = Files.copy(labels, tmp.resolve("cal-labels-idx1-ubyte.gz"));
        CliRunner r = quantizeCalibrated(sibling);
        assertOneLineError(r, "is the same file as the input labels next to --calibration " + sibling);
        assertThat(Files.readAllBytes(sibling)).isEqualTo(before);
    }

    @Test
    @UsesFixtures
    void outputEqualToTheModelOrItsConfigIsRefused() throws IOException {
        copyFixtures();
        Path config = Files.writeString(tmp.resolve("model.json"), "{\"class_name\": \"Sequential\"}");
        assertEveryAliasRefused(
                config,
                "--config",
                out -> CliRunner.quantize(model, out, "--config", config.toString(), "--mode", "float16"));
        assertThat(Files.readString(config)).isEqualTo("{\"class_name\": \"Sequential\"}");
        byte[] before = Files.readAllBytes(model);
        Path hard = Files.createLink(tmp.resolve("model-hard.h5"), model);
        Path up = tmp.resolve("sub/../mnist.h5");
        for (Path out : List.of(hard, up)) {
            CliRunner r = CliRunner.quantize(model, out, "--mode", "float16");
            assertOneLineError(r, "output " + out + " is the same file as the input MODEL " + model);
        }
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
    }

    @Test
    void theCheckComesBeforeLoadingTheModel() throws IOException {
        Path junk = tmp.resolve("junk.h5");
        byte[] bytes = new byte[4096];
        new SplittableRandom(8).nextBytes(bytes);
        Files.write(junk, bytes);
        Path data = Files.write(tmp.resolve("data.npy"), new byte[] {1, 2, 3});
        CliRunner r = CliRunner.quantize(junk, data, "--calibration", data.toString());
        assertOneLineError(r, "is the same file as the input --calibration " + data);
        assertThat(Files.readAllBytes(data)).containsExactly(1, 2, 3);
    }

    @Test
    @UsesFixtures
    void noOutputInsideACalibrationFolder() throws IOException {
        copyFixtures();
        Path folder = Files.createDirectories(tmp.resolve("samples"));
        Path out = folder.resolve("model.tflite");
        CliRunner r = CliRunner.quantize(model, out, "--calibration", folder.toString(), "--sample-type", "uint8");
        assertOneLineError(r, "output " + out + " is inside the input --calibration folder " + folder);
        assertThat(names(folder)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Finding 2: non-regular targets, and -o -

    @Test
    @UsesFixtures
    void aFifoADirectoryOrALinkToThemIsNotReplaced() throws Exception {
        copyFixtures();
        Path fifo = mkfifo(tmp.resolve("pipe"));
        Path dir = Files.createDirectory(tmp.resolve("out-dir"));
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-pipe"), fifo);
        String[][] cases = {
            {fifo.toString(), "is a FIFO (named pipe), not a regular file"},
            {dir.toString(), "is a directory, not a regular file"},
            {link.toString(), "is a symbolic link to a FIFO (named pipe), not a regular file"}
        };
        for (String[] c : cases) {
            CliRunner r = CliRunner.quantize(model, Path.of(c[0]), "--mode", "float16");
            assertOneLineError(r, c[0] + ": " + c[1], "(-o - writes to standard output)");
        }
        assertThat(fileType(fifo)).isEqualTo(FIFO);
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(names(dir)).isEmpty();
        assertThat(names(tmp))
                .containsExactly("cal-images-idx3-ubyte.gz", "link-to-pipe", "mnist.h5", "out-dir", "pipe");
    }

    @Test
    @UsesFixtures
    void devFullIsNotReplaced() throws IOException {
        copyFixtures();
        Path full = Path.of("/dev/full");
        assertThat(fileType(full)).isEqualTo(CHARACTER_DEVICE);
        CliRunner r = CliRunner.quantize(model, full, "--mode", "float16");
        assertOneLineError(
                r, "/dev/full: is a character device, not a regular file", "(-o - writes to standard output)");
        assertThat(fileType(full)).isEqualTo(CHARACTER_DEVICE);
    }

    /** Runs the CLI in-process with the bytes of {@code quantize -o -} going to {@code stdout}. */
    private static CliRunner runWithStdout(ByteArrayOutputStream stdout, String... args) {
        return CliRunner.run(
                cl -> ((QuantizeCommand) cl.getSubcommands().get("quantize").getCommand()).stdout = stdout, args);
    }

    @Test
    @UsesFixtures
    void dashWritesExactlyTheTfliteToStandardOutputAndTheReportToStandardError() throws IOException {
        copyFixtures();
        Path file = tmp.resolve("int8.tflite");
        String[] common = {"--calibration", calibration.toString(), "--scale", "1/255", "--samples", "50"};
        CliRunner toFile = CliRunner.quantize(model, file, common);
        assertThat(toFile.exitCode()).as(toFile.err()).isZero();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        CliRunner r =
                runWithStdout(stdout, CliRunner.args(new String[] {"quantize", model.toString(), "-o", "-"}, common));
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(stdout.toByteArray()).isEqualTo(Files.readAllBytes(file));
        Model m = TfliteReader.read(stdout.toByteArray(), Path.of("stdout.tflite"));
        assertThat(m.inputs()).hasSize(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err())
                .contains("Mode: int8")
                .contains("Wrote standard output: " + String.format(java.util.Locale.ROOT, "%,d B", Files.size(file)));
        assertThat(names(tmp)).containsExactly("cal-images-idx3-ubyte.gz", "int8.tflite", "mnist.h5");

        ByteArrayOutputStream json = new ByteArrayOutputStream();
        CliRunner j = runWithStdout(json, "quantize", model.toString(), "-o", "-", "--mode", "float16", "--json");
        assertThat(j.exitCode()).as(j.err()).isZero();
        assertThat(j.out()).isEmpty();
        assertThat(j.err()).contains("\"output\" : \"-\"").contains("\"mode\" : \"float16\"");
        assertThat(TfliteReader.read(json.toByteArray(), Path.of("stdout.tflite"))
                        .inputs())
                .hasSize(1);
    }

    /** {@code quanta ...} in a new JVM, standard output redirected to {@code stdout}. */
    private Process quanta(File stdout, String... args) throws IOException {
        return new ProcessBuilder(CliRunner.childCommand(List.of(), List.of(args)))
                .directory(tmp.toFile())
                .redirectOutput(stdout)
                .redirectError(tmp.resolve("stderr.txt").toFile())
                .start();
    }

    @Test
    @UsesFixtures
    void inARealProcessStandardOutputCarriesOnlyTheFile() throws Exception {
        copyFixtures();
        Path file = tmp.resolve("f16.tflite");
        CliRunner toFile = CliRunner.quantize(model, file, "--mode", "float16");
        assertThat(toFile.exitCode()).as(toFile.err()).isZero();
        Path captured = tmp.resolve("captured.bin");
        Process p = quanta(captured.toFile(), "quantize", model.toString(), "-o", "-", "--mode", "float16");
        assertThat(p.waitFor()).as(Files.readString(tmp.resolve("stderr.txt"))).isZero();
        assertThat(Files.readAllBytes(captured)).isEqualTo(Files.readAllBytes(file));
        assertThat(Files.readString(tmp.resolve("stderr.txt"))).contains("Wrote standard output");

        // a full device on standard output is an error, not a silent loss
        Process full = quanta(new File("/dev/full"), "quantize", model.toString(), "-o", "-", "--mode", "float16");
        assertThat(full.waitFor()).isEqualTo(2);
        String err = Files.readString(tmp.resolve("stderr.txt"), StandardCharsets.UTF_8);
        assertThat(err.lines().filter(l -> !l.isBlank())).hasSize(1);
        assertThat(err).startsWith("quanta: cannot write to standard output: ");
        assertThat(fileType(Path.of("/dev/full"))).isEqualTo(CHARACTER_DEVICE);
    }

    // ---------------------------------------------------------------------------------------------------------
    // demo --output-dir

    @Test
    void demoRefusesAnOutputDirThatIsAFileAndSpecialFilesOrLinksAtItsNames() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "keep");
        assertOneLineError(
                CliRunner.run("demo", "--output-dir", file.toString(), "--runs", "1"),
                file + ": --output-dir is not a directory");
        assertThat(Files.readString(file)).isEqualTo("keep");
        Path danglingDir = Files.createSymbolicLink(tmp.resolve("gone"), tmp.resolve("no-such-folder"));
        assertOneLineError(
                CliRunner.run("demo", "--output-dir", danglingDir.toString(), "--runs", "1"),
                danglingDir + ": --output-dir is not a directory");

        Path dir = Files.createDirectory(tmp.resolve("demo"));
        Path fifo = mkfifo(dir.resolve(DemoCommand.TEST_LABELS));
        assertOneLineError(
                CliRunner.run("demo", "--output-dir", dir.toString(), "--runs", "1"),
                fifo + ": is a FIFO (named pipe), not a regular file");
        assertThat(fileType(fifo)).isEqualTo(FIFO);
        Files.delete(fifo);

        Path precious = Files.writeString(tmp.resolve("precious.h5"), "mine");
        Path link = Files.createSymbolicLink(dir.resolve(DemoCommand.MODEL), precious);
        assertOneLineError(
                CliRunner.run("demo", "--output-dir", dir.toString(), "--runs", "1"), link + ": is a symbolic link");
        assertThat(Files.readString(precious)).isEqualTo("mine");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(names(dir)).containsExactly(DemoCommand.MODEL);
    }
}
