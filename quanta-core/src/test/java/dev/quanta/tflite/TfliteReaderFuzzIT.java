package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Mutates every fixture {@code .tflite} 2,000 times (bit flips, byte overwrites, truncation, 32-bit fields set to
 * out-of-range offsets and indices) and reads each mutant, then prepares an interpreter for those that read. Every
 * mutant must end in a model or a one-line {@link QuantaException}; no other exception, no hang (each mutant has a
 * time limit), no unbounded allocation (the heap is limited by the test JVM). The outcome counts are printed.
 */
@UsesFixtures
class TfliteReaderFuzzIT {
    private static final int MUTANTS = 2000;

    static List<Path> fixtures() throws IOException {
        try (Stream<Path> s = Files.walk(Fixtures.require(""))) {
            return s.filter(p -> p.toString().endsWith(".tflite")).sorted().toList();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFixtureSurvivesTwoThousandMutants() throws IOException {
        List<Path> files = fixtures();
        assertThat(files).hasSizeGreaterThanOrEqualTo(20);
        return files.stream()
                .map(f -> DynamicTest.dynamicTest(Fixtures.root().relativize(f).toString(), () -> fuzz(f)));
    }

    private static void fuzz(Path file) throws Exception {
        byte[] original = Files.readAllBytes(file);
        SplittableRandom r = new SplittableRandom(file.getFileName().toString().hashCode());
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        ExecutorService worker = Executors.newSingleThreadExecutor(t -> {
            Thread th = new Thread(t, "fuzz");
            th.setDaemon(true);
            return th;
        });
        try {
            for (int m = 0; m < MUTANTS; m++) {
                byte[] mutant = mutate(original, r, m);
                Future<String> f = worker.submit(() -> readAndPrepare(mutant, file));
                String outcome;
                try {
                    outcome = f.get(10, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    fail("mutant %d of %s did not finish within 10 s", m, file);
                    return;
                }
                outcomes.merge(outcome, 1, Integer::sum);
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.printf("fuzz %-60s %s%n", Fixtures.root().relativize(file), outcomes);
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(MUTANTS);
    }

    /** Mutants of files up to this size are also run once (the tflite-micro models and the small MLPerf ones). */
    private static final int RUN_LIMIT_BYTES = 64 * 1024;

    /**
     * "prepared", "prepared and ran", or "rejected: <kind>"; anything else fails the test with the mutant's
     * description.
     */
    private static String readAndPrepare(byte[] bytes, Path file) {
        Model model;
        try {
            model = TfliteReader.read(bytes, file);
        } catch (QuantaException e) {
            assertThat(e.getMessage()).doesNotContain("\n").startsWith(file.toString());
            return "rejected by reader";
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("reader threw " + e + " instead of a QuantaException", e);
        }
        try (Interpreter it = new Interpreter(model)) {
            it.allocateTensors();
            if (bytes.length > RUN_LIMIT_BYTES) {
                return "prepared";
            }
            // small models also run once on zero inputs: kernels must not read out of bounds either
            Object[] ins = new Object[model.inputs().size()];
            for (int i = 0; i < ins.length; i++) {
                ins[i] = dev.quanta.kernels.Buffers.allocate(
                        model.inputs().get(i).dtype(),
                        Math.toIntExact(
                                dev.quanta.ir.Shape.of(it.getInputTensor(i).shape())
                                        .elementCount()));
            }
            it.runForMultipleInputsOutputs(ins, new Object[0]);
            return "prepared and ran";
        } catch (QuantaException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            // the reader accepted a structurally valid file whose contents the interpreter cannot run
            assertThat(String.valueOf(e.getMessage())).doesNotContain("\n");
            return "read, not runnable";
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("interpreter threw " + e + " for a model the reader accepted", e);
        }
    }

    private static byte[] mutate(byte[] original, SplittableRandom r, int m) {
        byte[] b;
        switch (m % 4) {
            case 0 -> { // bit flips
                b = original.clone();
                int flips = 1 + r.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int pos = r.nextInt(b.length);
                    b[pos] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> { // truncation
                b = Arrays.copyOf(original, r.nextInt(original.length));
            }
            case 2 -> { // a 32-bit field near the structure (the first 4 KiB and the last 64 KiB) set out of range
                b = original.clone();
                int region = r.nextBoolean() ? Math.min(4096, b.length - 4) : Math.max(0, b.length - 65536);
                int pos = r.nextBoolean()
                        ? r.nextInt(Math.max(1, Math.min(4096, b.length - 4)))
                        : region + r.nextInt(Math.max(1, b.length - 4 - region));
                pos &= ~3;
                int[] evil = {
                    -1,
                    Integer.MAX_VALUE,
                    Integer.MIN_VALUE,
                    b.length,
                    b.length + 4,
                    0x7FFF0000,
                    r.nextInt(),
                    65535,
                    1 << 24
                };
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(pos, evil[r.nextInt(evil.length)]);
            }
            default -> { // a run of random bytes
                b = original.clone();
                int pos = r.nextInt(b.length);
                int len = 1 + r.nextInt(Math.min(64, b.length - pos));
                for (int i = 0; i < len; i++) {
                    b[pos + i] = (byte) r.nextInt();
                }
            }
        }
        return b;
    }
}
