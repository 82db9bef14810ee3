package dev.quanta.cli;

import dev.quanta.ModelFiles;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.LabelFormat;
import dev.quanta.data.Preprocessing;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.ir.Model;
import dev.quanta.summary.ModelSummary;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code quanta demo}: the workflow on the embedded example, a small CNN that Quanta's own code trained on
 * generated shape images (see {@code dev/quanta/demo/README.md} in quanta-core's resources).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the workflow (summary, then evaluate) on the embedded example model and data.")
final class DemoCommand implements Callable<Integer> {
    static final String RESOURCES = "/dev/quanta/demo/";
    static final String MODEL = "shapes_cnn.h5";
    static final String TEST_IMAGES = "shapes-test-images-idx3-ubyte.gz";
    static final String TEST_LABELS = "shapes-test-labels-idx1-ubyte.gz";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = Files.createTempDirectory("quanta-demo");
        try {
            Path model = extract(dir, MODEL);
            Path images = extract(dir, TEST_IMAGES);
            Path labels = extract(dir, TEST_LABELS);
            out.println("== 1. summary: the embedded example model ==");
            out.println("$ quanta summary " + MODEL);
            Model m = ModelFiles.load(model);
            out.print(ModelSummary.of(m).render());
            out.println();
            out.println("== 2. evaluate: float model on the 1000 generated test images ==");
            out.println("$ quanta evaluate " + MODEL + " --data " + TEST_IMAGES + " --scale 1/255");
            Dataset data = Datasets.load(new DatasetSpec(images, labels, "idx", null, null, LabelFormat.INDEX, null,
                    null, Preprocessing.scale(1f / 255f), null, false));
            EvaluationResult r = Evaluator.evaluate(m, data, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
            out.print(EvaluateCommand.render(MODEL, data, r));
            out.flush();
            return 0;
        } finally {
            deleteRecursively(dir);
        }
    }

    private static Path extract(Path dir, String name) throws IOException {
        try (InputStream in = DemoCommand.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the embedded example " + name + " is missing from the build");
            }
            Path target = dir.resolve(name);
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            return target;
        }
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
