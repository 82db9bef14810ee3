package dev.quanta.keras;

import dev.quanta.QuantaException;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Where the weights of each Keras layer come from: one of the HDF5 layouts Keras writes. */
interface WeightSource {

    /** The file the weights are in, for messages. */
    Path file();

    /** The weights of {@code layerName} in the file's order, or null when the file has no entry for the layer. */
    List<KerasWeight> weights(String layerName);

    /** Layers that have at least one weight, in the file's order (for matching layers by position). */
    List<String> layersWithWeights();

    /** How the file refers to the weights of {@code layerName}, for messages. */
    String describe(String layerName);

    /**
     * Keras 2 layout: one group per layer under {@code parent} ({@code model_weights} of a full-model file, or the
     * root of a weights-only file), with a {@code weight_names} attribute giving the order.
     */
    final class Keras2 implements WeightSource {
        private final Hdf5 h5;
        private final Group parent;
        private final String prefix;

        Keras2(Hdf5 h5, Group parent, String prefix) {
            this.h5 = h5;
            this.parent = parent;
            this.prefix = prefix;
        }

        @Override
        public Path file() {
            return h5.file();
        }

        @Override
        public String describe(String layerName) {
            return "group '" + prefix + layerName + "'";
        }

        @Override
        public List<KerasWeight> weights(String layerName) {
            Group g = h5.group(parent, layerName);
            if (g == null) {
                return null;
            }
            List<String> names = h5.stringListAttribute(g, "weight_names");
            if (names == null) {
                throw QuantaException.inFile(file(), describe(layerName) + " has no weight_names attribute");
            }
            List<KerasWeight> out = new ArrayList<>();
            for (String name : names) {
                Dataset ds = h5.dataset(g, name);
                if (ds == null) {
                    throw QuantaException.inFile(
                            file(),
                            describe(layerName) + " lists weight '" + name
                                    + "' in weight_names but has no such dataset");
                }
                out.add(h5.readWeight(ds, KerasWeight.keyOf(name), prefix + layerName + "/" + name));
            }
            return out;
        }

        @Override
        public List<String> layersWithWeights() {
            List<String> layers = h5.stringListAttribute(parent, "layer_names");
            if (layers == null) {
                layers = h5.childNames(parent);
            }
            List<String> out = new ArrayList<>();
            for (String l : layers) {
                Group g = h5.group(parent, l);
                if (g == null) {
                    continue;
                }
                List<String> names = h5.stringListAttribute(g, "weight_names");
                if (names != null && !names.isEmpty()) {
                    out.add(l);
                }
            }
            return out;
        }
    }

    /**
     * Keras 3 layout ({@code model.weights.h5} in a {@code .keras} zip, or a {@code .weights.h5} file):
     * {@code layers/<layer>/vars/0..n}, unnamed and in the layer's variable order.
     */
    final class Keras3 implements WeightSource {
        private final Hdf5 h5;
        private final Group layers;

        Keras3(Hdf5 h5, Group layers) {
            this.h5 = h5;
            this.layers = layers;
        }

        @Override
        public Path file() {
            return h5.file();
        }

        @Override
        public String describe(String layerName) {
            return "group 'layers/" + layerName + "/vars'";
        }

        @Override
        public List<KerasWeight> weights(String layerName) {
            Group layer = h5.group(layers, layerName);
            if (layer == null) {
                return null;
            }
            Group vars = h5.group(layer, "vars");
            if (vars == null) {
                return List.of();
            }
            List<String> names = new ArrayList<>(h5.childNames(vars));
            for (String n : names) {
                if (!n.chars().allMatch(Character::isDigit) || n.isEmpty()) {
                    throw QuantaException.inFile(
                            file(), describe(layerName) + " has an unexpected entry '" + n + "' (expected 0, 1, …)");
                }
            }
            names.sort(Comparator.comparingLong(Long::parseLong));
            List<KerasWeight> out = new ArrayList<>();
            for (String n : names) {
                Dataset ds = h5.dataset(vars, n);
                if (ds == null) {
                    throw QuantaException.inFile(file(), describe(layerName) + " entry '" + n + "' is not a dataset");
                }
                out.add(h5.readWeight(ds, null, "layers/" + layerName + "/vars/" + n));
            }
            return out;
        }

        @Override
        public List<String> layersWithWeights() {
            List<String> out = new ArrayList<>();
            for (String l : h5.childNames(layers)) {
                Group layer = h5.group(layers, l);
                Group vars = layer == null ? null : h5.group(layer, "vars");
                if (vars != null && !h5.childNames(vars).isEmpty()) {
                    out.add(l);
                }
            }
            return out;
        }
    }
}
