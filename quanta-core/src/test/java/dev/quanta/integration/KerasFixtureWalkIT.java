package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.summary.ModelSummary;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Walks every Keras model in the fixtures (any {@code .keras}, any {@code .h5}; a weights-only {@code .h5} pairs
 * with the {@code modelConfig.json} beside it) through import → summary → a float run of two random samples.
 * A new fixture is covered by dropping it in.
 */
@UsesFixtures
class KerasFixtureWalkIT {

    static List<Path> kerasFiles() throws IOException {
        Path root = Fixtures.require("");
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".h5") || p.toString().endsWith(".keras"))
                    .sorted()
                    .toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyKerasFixtureImportsSummarizesAndRuns() throws IOException {
        List<Path> files = kerasFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(7);
        return files.stream()
                .map(p -> DynamicTest.dynamicTest(Fixtures.root().relativize(p).toString(), () -> walk(p)));
    }

    private static void walk(Path file) throws IOException {
        Path config = file.resolveSibling("modelConfig.json");
        Model model =
                Files.exists(config) && !hasModelConfig(file) ? ModelFiles.load(file, config) : ModelFiles.load(file);
        ModelSummary summary = ModelSummary.of(model);
        assertThat(summary.totalParams()).isPositive();
        assertThat(summary.render())
                .contains("Total params: ")
                .contains(model.ops().get(0).origin().layerName());
        try (Interpreter it =
                new Interpreter(model, Interpreter.Options.defaults().withNumThreads(2))) {
            int[] dims = it.getInputTensor(0).shape();
            dims[0] = 2;
            it.resizeInput(0, dims);
            float[] in = CoreArrays.uniform(
                    new SplittableRandom(1), it.getInputTensor(0).numElements(), 0, 1);
            float[] out = new float[it.getOutputTensor(0).numElements()];
            it.run(in, out);
            assertThat(it.getOutputTensor(0).shape()[0]).isEqualTo(2);
            for (float v : out) {
                assertThat(Float.isFinite(v)).as("finite output").isTrue();
            }
        }
    }

    /** Whether an HDF5 file mentions a root {@code model_config} attribute (cheap check on the raw bytes). */
    private static boolean hasModelConfig(Path file) throws IOException {
        if (!file.toString().endsWith(".h5")) {
            return true;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(1 << 16);
            return new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).contains("model_config");
        }
    }
}
