package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.Dataset;
import dev.quanta.data.IdxReader;
import dev.quanta.data.Preprocessing;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The pool's promises: concurrent requests give the sequential results bit for bit, a bad request fails alone,
 * and closing waits for running requests while refusing new and waiting ones.
 */
class InterpreterPoolTest {
    private static final int THREADS = 4;
    private static final int REQUESTS = 1000;

    /** The outputs of each request run one after another on a single interpreter with default options. */
    private static List<Object[]> sequential(Model model, List<Object[]> requests) {
        List<Object[]> out = new ArrayList<>();
        try (Interpreter it = new Interpreter(model)) {
            for (Object[] request : requests) {
                Object[] outputs = new Object[model.outputs().size()];
                for (int o = 0; o < outputs.length; o++) {
                    outputs[o] = it.getOutputTensor(o).newArray();
                }
                it.runForMultipleInputsOutputs(request, outputs);
                out.add(outputs);
            }
        }
        return out;
    }

    /**
     * {@link #THREADS} threads each send all {@code requests} through {@code pool.run}, each from another starting
     * point so that different requests run side by side; returns the requests whose result differed in any bit.
     */
    private static int mismatchesUnderLoad(InterpreterPool pool, List<Object[]> requests, List<Object[]> expected)
            throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int offset = t * requests.size() / THREADS;
                futures.add(clients.submit(() -> {
                    int wrong = 0;
                    for (int r = 0; r < requests.size(); r++) {
                        int k = (r + offset) % requests.size();
                        if (!sameBits(pool.run(requests.get(k)), expected.get(k))) {
                            wrong++;
                        }
                    }
                    return wrong;
                }));
            }
            int wrong = 0;
            for (Future<Integer> f : futures) {
                wrong += f.get(5, TimeUnit.MINUTES);
            }
            return wrong;
        } finally {
            clients.shutdownNow();
        }
    }

    /** Whether both lists of output arrays hold the same bits (float compared by its raw bits). */
    private static boolean sameBits(Object[] a, Object[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            boolean same = a[i] instanceof float[] fa && b[i] instanceof float[] fb
                    ? Arrays.equals(bits(fa), bits(fb))
                    : Arrays.deepEquals(new Object[] {a[i]}, new Object[] {b[i]});
            if (!same) {
                return false;
            }
        }
        return true;
    }

    private static int[] bits(float[] f) {
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = Float.floatToRawIntBits(f[i]);
        }
        return out;
    }

    private static Dataset mnistImages() {
        return IdxReader.load(
                Fixtures.require("mnist/t10k-images-idx3-ubyte.gz"),
                Fixtures.require("mnist/t10k-labels-idx1-ubyte.gz"),
                Preprocessing.scale(1 / 255f));
    }

    private static List<Object[]> mnistRequests(Dataset d, int n) {
        List<Object[]> requests = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            requests.add(new Object[] {d.sample(s)});
        }
        return requests;
    }

    @Test
    @UsesFixtures
    void fourThreadsOfAThousandMnistRequestsGiveTheSequentialScoresBitForBit() throws Exception {
        Model model = ModelFiles.load(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        List<Object[]> requests = mnistRequests(mnistImages(), REQUESTS);
        List<Object[]> expected = sequential(model, requests);
        // the reference is a real classifier's output, not zeros: the first test digit is a 7
        float[] first = (float[]) expected.get(0)[0];
        assertThat(dev.quanta.eval.Evaluator.argmax(first, 0, 10)).isEqualTo(7);
        try (InterpreterPool pool = InterpreterPool.create(model, THREADS)) {
            assertThat(mismatchesUnderLoad(pool, requests, expected)).isZero();
            List<Object[]> mapped = pool.map(requests);
            assertThat(mapped).hasSize(REQUESTS);
            int wrong = 0;
            for (int r = 0; r < REQUESTS; r++) {
                wrong += sameBits(mapped.get(r), expected.get(r)) ? 0 : 1;
            }
            assertThat(wrong).isZero();
        }
    }

    @Test
    @UsesFixtures
    void fourThreadsOfAThousandInt8KeywordRequestsGiveTheSequentialScoresBitForBit() throws Exception {
        Model model = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite"));
        Path folder = Fixtures.require("mlperf-tiny/kws/kws01_mfcc");
        List<Object[]> requests;
        try (Stream<Path> files = Files.list(folder)) {
            requests = files.filter(p -> p.toString().endsWith(".bin"))
                    .sorted()
                    .limit(REQUESTS)
                    .map(p -> new Object[] {read(p)})
                    .toList();
        }
        assertThat(requests).hasSize(REQUESTS);
        List<Object[]> expected = sequential(model, requests);
        assertThat(expected.get(0)[0]).isInstanceOf(byte[].class);
        // the int8 scores do differ between clips: a pool returning one request's scores for another is caught
        assertThat(expected.stream()
                        .map(o -> Arrays.toString((byte[]) o[0]))
                        .distinct()
                        .count())
                .isGreaterThan(100);
        try (InterpreterPool pool = InterpreterPool.create(model, THREADS)) {
            assertThat(mismatchesUnderLoad(pool, requests, expected)).isZero();
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    @UsesFixtures
    void aBatchedRequestRunsAsThatBatchAndResultsAreTheCallersOwnArrays() {
        Model model = ModelFiles.load(Fixtures.require("mnist/keras_mlp/mnist.h5"));
        Dataset d = mnistImages();
        float[] three = new float[3 * 784];
        d.copyBatch(0, 3, three);
        float[] expected = new float[30];
        try (Interpreter it = new Interpreter(model)) {
            it.resizeInput(0, new int[] {3, 28, 28});
            it.run(three, expected);
        }
        try (InterpreterPool pool = InterpreterPool.create(model, 1)) {
            Object[] single = pool.run((Object) d.sample(0));
            Object[] batch = pool.run((Object) three);
            Object[] again = pool.run((Object) d.sample(0));
            assertThat(bits((float[]) batch[0])).containsExactly(bits(expected));
            assertThat((float[]) single[0]).hasSize(10);
            // each result is a fresh array: the later requests on the same interpreter left the first one alone
            assertThat(again[0]).isNotSameAs(single[0]);
            assertThat(bits((float[]) single[0])).containsExactly(bits((float[]) again[0]));
        }
    }

    @Test
    void aBadRequestFailsAloneAndTheInterpreterServesTheNextOne() {
        Model model = CoreModels.classifier();
        float[] x = CoreArrays.uniform(new SplittableRandom(5), 4, -1, 1);
        float[] expected =
                (float[]) sequential(model, List.<Object[]>of(new Object[] {x})).get(0)[0];
        try (InterpreterPool pool = InterpreterPool.create(model, 1)) {
            assertThatThrownBy(() -> pool.run((Object) new byte[4]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input 0 ('input') is FLOAT32 and needs a float[], got byte[]");
            assertThatThrownBy(() -> pool.run((Object) new float[6]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("input 0 ('input') of shape (None, 4) needs a whole number of samples of 4 values, "
                            + "got 6 values");
            assertThatThrownBy(() -> pool.run((Object) new float[0]))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got 0 values");
            assertThatThrownBy(() -> pool.run(x, x))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("model 'tiny' has 1 input(s), the request has 2");
            assertThatThrownBy(() -> pool.run((Object) null))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageEndingWith("got null");
            // the pool's only interpreter went back after each failure and computes the right scores
            assertThat(bits((float[]) pool.run((Object) x)[0])).containsExactly(bits(expected));
            // in a map, the bad request fails the call, after the good ones ran; the pool still serves
            List<Object[]> mixed = List.of(new Object[] {x}, new Object[] {new float[3]}, new Object[] {x});
            assertThatThrownBy(() -> pool.map(mixed))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("got 3 values");
            List<Object[]> good = pool.map(List.of(new Object[] {x}, new Object[] {x}), Runnable::run);
            assertThat(bits((float[]) good.get(1)[0])).containsExactly(bits(expected));
        }
    }

    @Test
    void closeWaitsForTheRunningRequestAndFailsTheWaitingOnes() throws Exception {
        Model model = CoreModels.classifier();
        float[] x = CoreArrays.uniform(new SplittableRandom(6), 4, -1, 1);
        float[] expected =
                (float[]) sequential(model, List.<Object[]>of(new Object[] {x})).get(0)[0];
        InterpreterPool pool = InterpreterPool.create(model, 1);
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            // a request that holds the pool's only interpreter until released, then runs on it
            Future<float[]> running = threads.submit(() -> pool.withInterpreter(it -> {
                holding.countDown();
                awaitQuietly(release);
                float[] out = new float[3];
                it.run(x, out);
                return out;
            }));
            assertThat(holding.await(1, TimeUnit.MINUTES)).isTrue();
            Future<Object[]> waiting = threads.submit(() -> pool.run((Object) x));
            Future<?> closing = threads.submit(pool::close);
            // the waiting request is woken by close and refused
            assertThatThrownBy(() -> waiting.get(1, TimeUnit.MINUTES))
                    .hasCauseInstanceOf(IllegalStateException.class)
                    .cause()
                    .hasMessage("pool is closed");
            // close is still waiting for the running request
            Thread.sleep(100);
            assertThat(closing.isDone()).isFalse();
            assertThatThrownBy(() -> pool.run((Object) x))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("pool is closed");
            release.countDown();
            closing.get(1, TimeUnit.MINUTES);
            // the running request finished on an open interpreter, with the right scores
            assertThat(bits(running.get(1, TimeUnit.MINUTES))).containsExactly(bits(expected));
        } finally {
            release.countDown();
            threads.shutdownNow();
        }
        assertThatThrownBy(() -> pool.map(List.<Object[]>of(new Object[] {x})))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("pool is closed");
        pool.close(); // idempotent
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void closeStopsThePoolsOwnThreads() throws InterruptedException {
        Model model = CoreModels.classifier();
        float[] x = new float[4];
        InterpreterPool pool = InterpreterPool.create(model, 3);
        AtomicReference<List<Thread>> mine = new AtomicReference<>();
        pool.map(List.of(new Object[] {x}, new Object[] {x}, new Object[] {x}));
        mine.set(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("quanta-pool-"))
                .toList());
        assertThat(mine.get()).isNotEmpty();
        pool.close();
        for (Thread t : mine.get()) {
            t.join(TimeUnit.MINUTES.toMillis(1)); // a worker may still be leaving its loop as close returns
            assertThat(t.isAlive()).as(t.getName()).isFalse();
        }
    }

    @Test
    void sizesAndThreadCountsOutOfRangeAreRefusedNamingTheSetting() {
        Model model = CoreModels.classifier();
        int max = Interpreter.MAX_THREADS;
        assertThatThrownBy(() -> InterpreterPool.create(model, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("InterpreterPool size must be between 1 and " + max + " (8 per CPU), got 0");
        assertThatThrownBy(() -> InterpreterPool.create(model, max + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got " + (max + 1));
        assertThatThrownBy(() -> InterpreterPool.create(
                        model, max, Interpreter.Options.defaults().withNumThreads(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("InterpreterPool size " + max + " with 2 threads per interpreter makes " + 2 * max
                        + " threads, more than the " + max + " allowed (8 per CPU)");
    }
}
