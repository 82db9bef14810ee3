package dev.quanta.keras;

import dev.quanta.ir.Origin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of each layer in a {@link WeightSource}: found by layer name, or, for a weights-only file whose layer
 * names differ from the config's, by the order of the weighted layers (as Keras' {@code load_weights} does); each
 * one checked against the Keras-layout shape the layer config implies.
 */
final class LayerWeights {
    /** Layer classes that always own weights (used to match layers to weight groups by position). */
    private static final Set<String> WEIGHTED = Set.of(
            "Dense",
            "Conv2D",
            "Convolution2D",
            "DepthwiseConv2D",
            "BatchNormalization",
            "PReLU",
            "Conv1D",
            "Convolution1D",
            "SeparableConv2D",
            "SeparableConvolution2D",
            "Conv2DTranspose",
            "Convolution2DTranspose",
            "Embedding",
            "LSTM",
            "SimpleRNN",
            "GRU",
            "Bidirectional");

    /** Keras weight names that are never trainable (BatchNormalization's moving statistics). */
    private static final Set<String> NON_TRAINABLE = Set.of("moving_mean", "moving_variance");

    private final WeightSource weights;
    /** Config layer name → weights-file entry, where they differ. */
    private final Map<String, String> groupOf;
    /** Weights read for {@link #origin} and not yet fetched, by file entry. */
    private final Map<String, List<KerasWeight>> loaded = new HashMap<>();
    /** Each layer's origin with its Keras parameter counts, by layer name. */
    private final Map<String, Origin> origins = new HashMap<>();

    /** False when the whole model is frozen: then no weight counts as trainable. */
    private final boolean modelTrainable;

    private LayerWeights(WeightSource weights, Map<String, String> groupOf, boolean modelTrainable) {
        this.weights = weights;
        this.groupOf = groupOf;
        this.modelTrainable = modelTrainable;
    }

    /**
     * Decides which weights-file entry holds each layer's weights: by name, or with {@code matchByPosition} by
     * position when the file has as many weighted layers as {@code order} but not all of their names;
     * {@code modelTrainable} false when the whole model is frozen.
     */
    static LayerWeights plan(
            WeightSource weights, List<KerasLayer> order, boolean matchByPosition, boolean modelTrainable) {
        Map<String, String> groupOf = new HashMap<>();
        if (!matchByPosition) {
            return new LayerWeights(weights, groupOf, modelTrainable);
        }
        List<String> fileLayers = weights.layersWithWeights();
        List<String> configLayers = new ArrayList<>();
        for (KerasLayer l : order) {
            if (WEIGHTED.contains(l.className())) {
                configLayers.add(l.name());
            }
        }
        if (new HashSet<>(fileLayers).containsAll(configLayers) || fileLayers.size() != configLayers.size()) {
            return new LayerWeights(
                    weights, groupOf, modelTrainable); // by name; a missing layer is reported when it is converted
        }
        for (int i = 0; i < configLayers.size(); i++) {
            groupOf.put(configLayers.get(i), fileLayers.get(i));
        }
        return new LayerWeights(weights, groupOf, modelTrainable);
    }

    /**
     * The layer's origin with its parameter counts as Keras counts them: the elements of the layer's weights in
     * the file (none when it has no entry), trainable unless the layer or the model is frozen, the weight is a
     * moving statistic or the layer is a Normalization (whose mean, variance and count Keras does not train).
     * Without weight names (Keras 3 files) the counts are not recorded and a summary counts the constants.
     */
    Origin origin(KerasLayer l) {
        return origins.computeIfAbsent(l.name(), n -> {
            String group = groupOf.getOrDefault(n, n);
            List<KerasWeight> found = weights.weights(group);
            loaded.put(group, found);
            return originOf(l, found);
        });
    }

    private Origin originOf(KerasLayer l, List<KerasWeight> found) {
        Origin plain = l.origin();
        if (found == null) {
            return new Origin(plain.layerName(), plain.layerClass(), 0, 0);
        }
        boolean layerTrainable =
                modelTrainable && l.bool("trainable", true) && !l.className().equals("Normalization");
        long params = 0;
        long trainable = 0;
        for (KerasWeight w : found) {
            if (w.key() == null) {
                return plain;
            }
            long n = w.values().length;
            params += n;
            trainable += layerTrainable && !NON_TRAINABLE.contains(w.key()) ? n : 0;
        }
        return new Origin(plain.layerName(), plain.layerClass(), params, trainable);
    }

    /** A weight a layer expects: its Keras name (plus aliases) and Keras-layout shape. */
    record Spec(String key, List<String> aliases, int[] shape) {
        Spec alias(String other) {
            List<String> a = new ArrayList<>(aliases);
            a.add(other);
            return new Spec(key, a, shape);
        }

        boolean matches(String k) {
            return key.equals(k) || aliases.contains(k);
        }
    }

    static Spec spec(String key, int... shape) {
        return new Spec(key, List.of(), shape);
    }

    /** The layer's weights, matched to {@code specs} (null entries skipped) and checked against their shapes. */
    List<KerasWeight> fetch(KerasLayer l, Spec... specs) {
        List<Spec> expected = new ArrayList<>();
        for (Spec s : specs) {
            if (s != null) {
                expected.add(s);
            }
        }
        String group = groupOf.getOrDefault(l.name(), l.name());
        List<KerasWeight> found = loaded.containsKey(group) ? loaded.remove(group) : weights.weights(group);
        origins.computeIfAbsent(l.name(), n -> originOf(l, found));
        if (found == null) {
            throw l.error(weights.file(), "no weights in the file (expected " + weights.describe(group) + ")");
        }
        if (found.size() != expected.size()) {
            throw l.error(
                    weights.file(),
                    "the file has " + found.size() + " weight(s) " + found + " but the layer config implies "
                            + expected.size() + " " + describe(expected));
        }
        List<KerasWeight> matched = byName(found, expected);
        for (int i = 0; i < expected.size(); i++) {
            Spec s = expected.get(i);
            KerasWeight w = matched.get(i);
            if (!Arrays.equals(w.shape(), s.shape())) {
                throw l.error(
                        weights.file(),
                        "weight '" + s.key() + "' has shape " + Arrays.toString(w.shape()) + " but the layer expects "
                                + Arrays.toString(s.shape()));
            }
        }
        return matched;
    }

    /** Weights in spec order: by name when the file names them all, else in file order. */
    private static List<KerasWeight> byName(List<KerasWeight> found, List<Spec> expected) {
        List<KerasWeight> out = new ArrayList<>();
        Set<KerasWeight> used = new HashSet<>();
        for (Spec s : expected) {
            KerasWeight hit = null;
            for (KerasWeight w : found) {
                if (w.key() != null && s.matches(w.key()) && !used.contains(w)) {
                    hit = w;
                    break;
                }
            }
            if (hit == null) {
                return found;
            }
            used.add(hit);
            out.add(hit);
        }
        return out;
    }

    private static String describe(List<Spec> specs) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < specs.size(); i++) {
            sb.append(i == 0 ? "" : ", ")
                    .append(specs.get(i).key())
                    .append(Arrays.toString(specs.get(i).shape()));
        }
        return sb.append(']').toString();
    }
}
