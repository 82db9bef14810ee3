package dev.quanta.kernels.conv;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.Supplier;

/**
 * Weights laid out once for the kernel that reads them, and shared: the packed form of a constant array is kept
 * per (source array, layout) for as long as the source array lives. Interpreters of one model share its constant
 * arrays, so they share the packed weights too; packed arrays are never written after packing.
 */
public final class PackedWeights {
    private static final Map<Object, Map<String, Object>> CACHE = Collections.synchronizedMap(new WeakHashMap<>());

    private PackedWeights() {}

    /** The packed form of {@code source} in {@code layout}, made by {@code pack} on first use. */
    @SuppressWarnings("unchecked")
    public static <T> T get(Object source, String layout, Supplier<T> pack) {
        Map<String, Object> forSource;
        synchronized (CACHE) {
            forSource = CACHE.computeIfAbsent(source, s -> new HashMap<>());
        }
        synchronized (forSource) {
            Object packed = forSource.get(layout);
            if (packed == null) {
                packed = pack.get();
                forSource.put(layout, packed);
            }
            return (T) packed;
        }
    }
}
