package dev.quanta.examples.shapes;

import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Test helpers: the shipped files of the demo example (quanta-cli's resources, found through the system property
 * {@code quanta.demo.shipped} that quanta-examples' pom sets), the weights of a Keras HDF5 file read with jhdf, and
 * a model's outputs.
 */
final class DemoFiles {
    private DemoFiles() {}

    /** The folder of the shipped files. */
    static Path shippedDir() {
        String dir = System.getProperty("quanta.demo.shipped");
        if (dir == null) {
            throw new IllegalStateException("system property quanta.demo.shipped is not set; run the tests through "
                    + "Maven, or set it to " + DemoExample.SHIPPED_DIR + " of the repository");
        }
        return Path.of(dir);
    }

    /** The bytes of a shipped file of the demo example. */
    static byte[] shipped(String name) {
        Path file = shippedDir().resolve(name);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("shipped demo file " + file + " cannot be read", e);
        }
    }

    /** Every dataset under {@code model_weights}, by path, as its flat float values. */
    static Map<String, float[]> weights(Path file) {
        try (HdfFile h5 = new HdfFile(file)) {
            return weights(h5);
        }
    }

    static Map<String, float[]> weights(byte[] file) {
        try (HdfFile h5 = HdfFile.fromBytes(file)) {
            return weights(h5);
        }
    }

    private static Map<String, float[]> weights(HdfFile h5) {
        Map<String, float[]> out = new TreeMap<>();
        collect((Group) h5.getChild("model_weights"), out);
        return out;
    }

    private static void collect(Group g, Map<String, float[]> values) {
        for (Node n : g) {
            if (n instanceof Group child) {
                collect(child, values);
            } else if (n instanceof Dataset d) {
                values.put(d.getPath(), (float[]) d.getDataFlat());
            }
        }
    }

    /** The model's outputs for {@code batch} samples {@code x}, run by the {@link Interpreter}. */
    static float[] run(Model m, float[] x, int batch) {
        try (Interpreter it = new Interpreter(m)) {
            int[] dims = it.getInputTensor(0).shape();
            dims[0] = batch;
            it.resizeInput(0, dims);
            float[] out = new float[it.getOutputTensor(0).numElements()];
            it.run(x, out);
            return out;
        }
    }
}
