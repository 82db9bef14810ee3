package dev.quanta.testing;

import io.jhdf.HdfFile;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** Reads the weights of a Keras HDF5 file back with jHDF: the datasets under {@code model_weights}, by path. */
public final class Hdf5Reading {
    private Hdf5Reading() {}

    /** Every dataset under {@code model_weights}, by path, as its flat float values. */
    public static Map<String, float[]> weights(HdfFile h5) {
        return datasets(h5, d -> (float[]) d.getDataFlat());
    }

    /** {@link #weights(HdfFile)} of the file. */
    public static Map<String, float[]> weights(Path file) {
        try (HdfFile h5 = new HdfFile(file)) {
            return weights(h5);
        }
    }

    /** {@link #weights(HdfFile)} of a file's bytes. */
    public static Map<String, float[]> weights(byte[] file) {
        try (HdfFile h5 = HdfFile.fromBytes(file)) {
            return weights(h5);
        }
    }

    /** Every dataset under {@code model_weights}, by path, as its dimensions. */
    public static Map<String, int[]> shapes(HdfFile h5) {
        return datasets(h5, Dataset::getDimensions);
    }

    private static <T> Map<String, T> datasets(HdfFile h5, Function<Dataset, T> value) {
        Map<String, T> out = new TreeMap<>();
        collect((Group) h5.getChild("model_weights"), value, out);
        return out;
    }

    private static <T> void collect(Group g, Function<Dataset, T> value, Map<String, T> out) {
        for (Node n : g) {
            if (n instanceof Group child) {
                collect(child, value, out);
            } else if (n instanceof Dataset d) {
                out.put(d.getPath(), value.apply(d));
            }
        }
    }
}
