package dev.quanta.demo;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** Test helpers: the shipped resources and the weights of a Keras HDF5 file, read with jhdf. */
final class DemoFiles {
    private DemoFiles() {}

    /** The bytes of a shipped file of the demo example. */
    static byte[] shipped(String name) {
        try (InputStream in = DemoFiles.class.getResourceAsStream(DemoExample.RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + DemoExample.RESOURCE_DIR + name + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every dataset under {@code model_weights}, by path, as its flat float values. */
    static Map<String, float[]> weights(HdfFile h5) {
        Map<String, float[]> out = new TreeMap<>();
        collect((Group) h5.getChild("model_weights"), out, null);
        return out;
    }

    /** Every dataset under {@code model_weights}, by path, as its dimensions. */
    static Map<String, int[]> shapes(HdfFile h5) {
        Map<String, int[]> out = new TreeMap<>();
        collect((Group) h5.getChild("model_weights"), null, out);
        return out;
    }

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

    private static void collect(Group g, Map<String, float[]> values, Map<String, int[]> shapes) {
        for (Node n : g) {
            if (n instanceof Group child) {
                collect(child, values, shapes);
            } else if (n instanceof Dataset d) {
                if (values != null) {
                    values.put(d.getPath(), (float[]) d.getDataFlat());
                }
                if (shapes != null) {
                    shapes.put(d.getPath(), d.getDimensions());
                }
            }
        }
    }
}
