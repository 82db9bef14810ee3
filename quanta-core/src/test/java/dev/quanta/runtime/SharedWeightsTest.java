package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.conv.PackedWeights;
import dev.quanta.quantize.Converter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interpreters of one model share one read-only copy of its constants, and each serves its own thread: four
 * threads with four interpreters give the same outputs as one interpreter alone.
 */
class SharedWeightsTest {
    @TempDir
    Path tmp;

    @Test
    void interpretersOfOneModelShareTheirConstants() {
        Model m = CoreModels.classifier();
        assertThat(m.constants()).hasSize(2);
        try (Interpreter a = new Interpreter(m);
                Interpreter b = new Interpreter(m)) {
            for (Tensor c : m.constants()) {
                assertThat(a.bufferOf(c)).as(c.name()).isSameAs(b.bufferOf(c));
            }
        }
        float[] source = {1, 2, 3};
        Object first = PackedWeights.get(source, "test-layout", () -> new float[] {3, 2, 1});
        Object second = PackedWeights.get(source, "test-layout", () -> new float[] {9, 9, 9});
        assertThat(second).isSameAs(first);
    }

    @Test
    @UsesFixtures
    void parallelInterpretersOfAnInt8ModelAgreeWithOne() throws Exception {
        Model keras = ModelFiles.load(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        float[] x = CoreArrays.uniform(new SplittableRandom(3), 64 * 784, 0, 1);
        Dataset cal = Dataset.of("random", new int[] {28, 28}, x, new int[64]);
        Path file = tmp.resolve("mnist_int8.tflite");
        TfliteWriter.write(
                Converter.fromModel(keras)
                        .withRepresentativeDataset(cal)
                        .convert()
                        .model(),
                file);
        Model int8 = TfliteReader.read(file);
        float[][] expected = new float[64][10];
        try (Interpreter one = new Interpreter(int8)) {
            for (int s = 0; s < 64; s++) {
                one.run(java.util.Arrays.copyOfRange(x, s * 784, (s + 1) * 784), expected[s]);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            java.util.List<Future<float[][]>> futures = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                futures.add(pool.submit(() -> {
                    float[][] out = new float[64][10];
                    try (Interpreter mine = new Interpreter(int8)) {
                        for (int rep = 0; rep < 5; rep++) {
                            for (int s = 0; s < 64; s++) {
                                mine.run(java.util.Arrays.copyOfRange(x, s * 784, (s + 1) * 784), out[s]);
                            }
                        }
                    }
                    return out;
                }));
            }
            for (Future<float[][]> f : futures) {
                float[][] got = f.get();
                for (int s = 0; s < 64; s++) {
                    assertThat(got[s]).containsExactly(expected[s]);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
