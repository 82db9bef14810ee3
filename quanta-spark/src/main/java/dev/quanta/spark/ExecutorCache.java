package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.Datasets;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.InterpreterPool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one executor JVM has loaded: each model once (keyed by the SHA-256 of its file bytes), however many tasks run
 * there (the few most recent are kept); and the range of the dataset each task scores, loaded alone.
 */
final class ExecutorCache {
    private static final int KEPT = 4;

    private static final Map<String, Model> MODELS = lru();

    private static final Map<PoolKey, InterpreterPool> POOLS = new LinkedHashMap<>();

    private record PoolKey(String modelHash, int size) {}

    private ExecutorCache() {}

    private static <K, V> Map<K, V> lru() {
        return new LinkedHashMap<>(8, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                return size() > KEPT;
            }
        };
    }

    /** The hex SHA-256 of {@code bytes}. */
    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The model of file bytes {@code bytes} (named {@code fileName} on the driver), loaded on first use: written to a
     * temporary file of the same name and read by {@link ModelFiles#load(Path)}.
     */
    static synchronized Model model(ModelBytes file) {
        return MODELS.computeIfAbsent(file.sha256(), h -> {
            try {
                Path dir = Files.createTempDirectory("quanta-model-");
                Path p = dir.resolve(file.fileName());
                Files.write(p, file.bytes());
                try {
                    return ModelFiles.load(p);
                } finally {
                    Files.deleteIfExists(p);
                    Files.deleteIfExists(dir);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /**
     * Samples {@code from} to {@code to} of the dataset {@code source} as the model reads it, and only those
     * ({@link Datasets#loadRange}): no executor holds more of the data than the range its task scores, so the data
     * may be far larger than one machine. Loaded for each task, not kept.
     */
    static Dataset range(ModelBytes file, SampleSource source, int from, int to) {
        Dataset d = Datasets.loadRange(Datasets.forModel(source.spec(), model(file)), from, to);
        RangeListener listener = rangeListener;
        if (listener != null) {
            listener.loaded(from, to, d.size());
        }
        return d;
    }

    /** Told of every range an executor in this JVM loads (tests: the data an executor holds). */
    @FunctionalInterface
    interface RangeListener {
        void loaded(int from, int to, int samplesHeld);
    }

    private static volatile RangeListener rangeListener;

    /** Sets the listener told of each range loaded in this JVM (null: none); for tests in local mode. */
    static void onRangeLoaded(RangeListener listener) {
        rangeListener = listener;
    }

    /**
     * An interpreter pool of {@code size} interpreters for the model, made on first use and kept for the JVM's life
     * (batch inference and the SQL function run their rows on it).
     */
    static synchronized InterpreterPool pool(ModelBytes file, int size) {
        Model m = model(file);
        return POOLS.computeIfAbsent(new PoolKey(file.sha256(), size), k -> InterpreterPool.create(m, size));
    }

    /** A model file's name and bytes, and their hash, as broadcast to executors. */
    record ModelBytes(String fileName, byte[] bytes, String sha256) implements java.io.Serializable {
        static ModelBytes read(Path file) {
            try {
                byte[] b = Files.readAllBytes(file);
                return new ModelBytes(file.getFileName().toString(), b, ExecutorCache.sha256(b));
            } catch (IOException e) {
                throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
            }
        }
    }
}
