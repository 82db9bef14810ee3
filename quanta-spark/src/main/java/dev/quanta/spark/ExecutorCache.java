package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
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
import java.util.List;
import java.util.Map;

/**
 * What one executor JVM has loaded: each model once (keyed by the SHA-256 of its file bytes), however many tasks run
 * there, and its interpreter pools (the few most recently used models and pools are kept, so an executor that
 * serves model after model does not grow); and the range of the dataset each task scores, loaded alone.
 */
final class ExecutorCache {
    private static final int KEPT = 4;

    private static final Map<String, Model> MODELS = lru(KEPT, model -> {});

    /** Interpreter pools kept at most: the least recently used beyond these is closed once no task uses it. */
    static final int KEPT_POOLS = 4;

    private static final Map<PoolKey, Pooled> POOLS = lru(KEPT_POOLS, Pooled::retire);

    private record PoolKey(String modelHash, int size) {}

    private ExecutorCache() {}

    /** An access-ordered map of at most {@code kept} entries, telling {@code onEvict} of each one it drops. */
    private static <K, V> Map<K, V> lru(int kept, java.util.function.Consumer<V> onEvict) {
        return new LinkedHashMap<>(8, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
                if (size() <= kept) {
                    return false;
                }
                onEvict.accept(eldest.getValue());
                return true;
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
     * temporary file of the same name (and the config beside it) and read by {@link ModelFiles#load(Path, Path)}.
     */
    static synchronized Model model(ModelBytes file) {
        return MODELS.computeIfAbsent(file.sha256(), h -> {
            try {
                Path dir = Files.createTempDirectory("quanta-model-");
                Path p = dir.resolve(file.fileName());
                Path config = file.configName() == null ? null : dir.resolve("config-" + file.configName());
                Files.write(p, file.bytes());
                try {
                    if (config != null) {
                        Files.write(config, file.configBytes());
                    }
                    return ModelFiles.load(p, config);
                } finally {
                    Files.deleteIfExists(p);
                    if (config != null) {
                        Files.deleteIfExists(config);
                    }
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
        DatasetSpec spec = Datasets.forModel(source.spec(), model(file));
        // the count the driver took, when the source carries it: each task would count the same data again
        Dataset d = source.samples() == null
                ? Datasets.loadRange(spec, from, to)
                : Datasets.loadRange(spec, from, to, source.samples());
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
     * The model's outputs for {@code batches} ({@link BatchPredictor#run}) on the executor's pool of {@code size}
     * interpreters for the model, made on first use. The {@link #KEPT_POOLS} most recently used pools are kept (an
     * executor that serves many models in its life holds at most that many); one pushed out is closed when its last
     * run ends.
     */
    static List<float[]> predict(ModelBytes file, int size, List<float[]> batches) {
        try (Lease lease = lease(file, size)) {
            return BatchPredictor.run(lease.pool(), batches);
        }
    }

    /** The pool of {@code size} interpreters for the model, for one use: it stays open until the lease is closed. */
    static Lease lease(ModelBytes file, int size) {
        Model m = model(file);
        synchronized (ExecutorCache.class) {
            Pooled p = POOLS.computeIfAbsent(
                    new PoolKey(file.sha256(), size), k -> new Pooled(InterpreterPool.create(m, size)));
            p.users++;
            return new Lease(p);
        }
    }

    /** Whether the pool of {@code size} interpreters for the model is kept now (tests). */
    static synchronized boolean keepsPool(ModelBytes file, int size) {
        return POOLS.containsKey(new PoolKey(file.sha256(), size));
    }

    /** A use of a cached pool; closing it ends the use, and closes the pool if it was pushed out of the cache. */
    static final class Lease implements AutoCloseable {
        private final Pooled pooled;
        private boolean closed;

        private Lease(Pooled pooled) {
            this.pooled = pooled;
        }

        InterpreterPool pool() {
            return pooled.pool;
        }

        @Override
        public void close() {
            synchronized (ExecutorCache.class) {
                if (closed) {
                    return;
                }
                closed = true;
                pooled.users--;
                pooled.closeIfUnused();
            }
        }
    }

    /** A cached pool, the runs using it and whether it was pushed out of the cache (then closed when unused). */
    private static final class Pooled {
        final InterpreterPool pool;
        int users;
        boolean retired;

        Pooled(InterpreterPool pool) {
            this.pool = pool;
        }

        /** Called with the cache's lock held. */
        void retire() {
            retired = true;
            closeIfUnused();
        }

        /** Called with the cache's lock held: no run is using the pool, so closing it waits for nothing. */
        void closeIfUnused() {
            if (retired && users == 0) {
                pool.close();
            }
        }
    }

    /**
     * A model file's name and bytes, and with {@code --config} the Keras model JSON's (else null), and the hash of
     * both, as broadcast to executors.
     */
    record ModelBytes(String fileName, byte[] bytes, String configName, byte[] configBytes, String sha256)
            implements java.io.Serializable {
        static ModelBytes read(Path file) {
            return read(file, null);
        }

        static ModelBytes read(Path file, Path config) {
            byte[] b = readAll(file);
            if (config == null) {
                return new ModelBytes(file.getFileName().toString(), b, null, null, ExecutorCache.sha256(b));
            }
            byte[] c = readAll(config);
            // the hash of both files: SHA-256 of (SHA-256(weights) || SHA-256(config))
            String hash = ExecutorCache.sha256((ExecutorCache.sha256(b) + ExecutorCache.sha256(c))
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new ModelBytes(
                    file.getFileName().toString(), b, config.getFileName().toString(), c, hash);
        }

        private static byte[] readAll(Path file) {
            try {
                return Files.readAllBytes(file);
            } catch (IOException e) {
                throw QuantaException.inFile(file, "cannot read: " + e.getMessage(), e);
            }
        }
    }
}
