package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.Shape;
import dev.quanta.kernels.Buffers;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Mutates three ONNX files (mnist.onnx and two generated graphs) 2,000 times each (bit flips, truncation, bytes overwritten with large varints, a span
 * copied elsewhere) and imports every mutant, then prepares and runs once on zeros the models that import. Every
 * mutant must end in a model or a one-line {@link QuantaException} naming the file, within 10 s, without any other
 * exception (the test JVM's heap bounds the memory). The outcome counts are printed.
 */
@UsesFixtures
class OnnxReaderFuzzIT {
    private static final int MUTANTS = 2000;

    /** Mutants whose inputs hold more elements than this (a dimension grown by a mutation) are imported, not run. */
    private static final long RUN_LIMIT = 1 << 16;

    @TempDir
    static Path tmp;

    /** mnist.onnx, and the two graphs of {@link OnnxLayoutOrtTest} (spatial ops and layout; LSTM and compositions). */
    static Path file(String name) throws java.io.IOException {
        return switch (name) {
            case "mnist" -> Fixtures.require("onnx/mnist/mnist.onnx");
            case "layout" ->
                Files.write(
                        tmp.resolve("layout.onnx"), OnnxLayoutOrtTest.model().toByteArray());
            default ->
                Files.write(
                        tmp.resolve("seq.onnx"),
                        OnnxLayoutOrtTest.sequenceModel().toByteArray());
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"mnist", "layout", "sequence"})
    void everyMutantEndsInAModelOrAOneLineError(String relative) throws Exception {
        Path file = file(relative);
        assertThat(importAndRun(Files.readAllBytes(file), file)).isEqualTo("imported and ran");
        byte[] original = Files.readAllBytes(file);
        SplittableRandom r = new SplittableRandom(relative.hashCode());
        TreeMap<String, Integer> outcomes = new TreeMap<>();
        ExecutorService worker = Executors.newSingleThreadExecutor(t -> {
            Thread th = new Thread(t, "onnx-fuzz");
            th.setDaemon(true);
            return th;
        });
        try {
            for (int m = 0; m < MUTANTS; m++) {
                byte[] mutant = mutate(original, r, m);
                Future<String> f = worker.submit(() -> importAndRun(mutant, file));
                try {
                    outcomes.merge(f.get(10, TimeUnit.SECONDS), 1, Integer::sum);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    fail("mutant %d of %s did not finish within 10 s", m, file);
                }
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.printf("onnx fuzz %-60s %s%n", relative, outcomes);
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(MUTANTS);
        assertThat(outcomes).containsKey("rejected by reader");
    }

    private static String importAndRun(byte[] bytes, Path file) {
        Model model;
        try {
            ModelProto mp = OnnxReader.parse(bytes, file);
            model = OnnxImporter.importModel(new OnnxReader.OnnxFile(file, mp, OnnxReader.checkOpset(mp, file)));
        } catch (QuantaException e) {
            assertThat(e.getMessage()).doesNotContain("\n").startsWith(file.toString());
            return "rejected by reader";
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("import threw " + e + " instead of a QuantaException", e);
        }
        long elements = 0;
        for (var t : model.inputs()) {
            elements += t.shape().isDynamic()
                    ? t.shape().withBatch(1).elementCount()
                    : t.shape().elementCount();
        }
        if (elements > RUN_LIMIT) {
            return "imported, too large to run here";
        }
        try (Interpreter it = new Interpreter(model)) {
            Object[] ins = new Object[model.inputs().size()];
            for (int i = 0; i < ins.length; i++) {
                Shape declared = model.inputs().get(i).shape();
                Shape s = declared.isDynamic() ? declared.withBatch(1) : declared;
                if (model.inputs().get(i).shape().isDynamic()) {
                    it.resizeInput(i, s.dims());
                }
                ins[i] = Buffers.allocate(model.inputs().get(i).dtype(), Math.toIntExact(s.elementCount()));
            }
            it.runForMultipleInputsOutputs(ins, new Object[0]);
            return "imported and ran";
        } catch (QuantaException | IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            assertThat(String.valueOf(e.getMessage())).doesNotContain("\n");
            return "imported, not runnable";
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            throw new AssertionError("interpreter threw " + e + " for an imported model", e);
        }
    }

    private static byte[] mutate(byte[] original, SplittableRandom r, int m) {
        byte[] b = original.clone();
        switch (m % 4) {
            case 0 -> {
                int flips = 1 + r.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    int pos = r.nextInt(b.length);
                    b[pos] ^= (byte) (1 << r.nextInt(8));
                }
            }
            case 1 -> b = Arrays.copyOf(original, r.nextInt(original.length));
            case 2 -> {
                // a varint of 2^35 - 1 or 2^63 - 1 (lengths, dims, counts) written over the bytes at a random place
                byte[] evil = r.nextBoolean()
                        ? new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}
                        : new byte[] {
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            (byte) 0xff,
                            0x7f
                        };
                int pos = r.nextInt(Math.max(1, b.length - evil.length));
                System.arraycopy(evil, 0, b, pos, Math.min(evil.length, b.length - pos));
            }
            default -> {
                int len = 1 + r.nextInt(Math.min(64, b.length));
                int from = r.nextInt(b.length - len + 1);
                int to = r.nextInt(b.length - len + 1);
                System.arraycopy(original, from, b, to, len);
            }
        }
        return b;
    }
}
