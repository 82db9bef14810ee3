package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.QuantaException;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.OnnxMutator;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes the ONNX reader and importer (issue 12, acceptance 5) with {@value #MUTANTS} mutants of each of three real
 * files ({@link OnnxMutator}: byte flips, truncations, wire-level varint and length corruption, field edits of dims,
 * data types, raw_data, attribute types and node input names, dims claiming 10^12 elements): mnist.onnx (CNTK,
 * initializers), light_squeezenet.onnx (weights built by ConstantOfShape) and a node-suite model whose tensors are
 * Constant nodes (no importable node-suite model has initializers: those of pytorch-converted/ are opset 6).
 *
 * <p>Each mutant is loaded through {@link ModelFiles#load} on one of {@value #THREADS_USED} worker threads and must
 * end as either
 *
 * <ul>
 *   <li>a model whose interpreter prepares (one in {@value #RUN_ONE_IN} also runs once on zeros) or refuses with a
 *       {@link QuantaException};
 *   <li>or a one-line {@link QuantaException} whose message starts with the mutant's path.
 * </ul>
 *
 * Never another exception type; loading and preparing within {@value #CPU_LIMIT_MILLIS} ms of the thread's CPU time
 * (not wall time: the machine is shared). Memory, by the thread's allocation counter (so a tensor that merely claims
 * 10^12 elements is caught even if the heap could hold it): loading allocates at most {@value #ALLOCATION_SLACK_MIB}
 * MiB plus {@value #ALLOCATION_FACTOR}x what loading the unmutated file allocates, plus 4x the bytes the file's
 * ConstantOfShape nodes ask for (the one op where a few bytes legitimately become a large tensor, each at most
 * {@link OnnxTensors#MAX_ELEMENTS} elements); preparing and running allocates at most the same slack plus {@value
 * #ALLOCATION_FACTOR}x what the unmutated model's interpreter allocated, plus twice the activations the interpreter
 * planned (each tensor at most the interpreter's element limit).
 *
 * <p>{@code -Dquanta.fuzz.seed=N} draws other mutants (the seed is printed; mutant {@code i} of a file comes from
 * {@code seed, file, i} alone), {@code -Dquanta.fuzz.mutants=N} changes the count.
 */
@UsesFixtures
class OnnxFuzzIT {
    static final int MUTANTS = 2000;
    static final long CPU_LIMIT_MILLIS = 2000;
    static final long ALLOCATION_SLACK_MIB = 64;
    static final long ALLOCATION_FACTOR = 4;

    private static final long SEED = Long.getLong("quanta.fuzz.seed", 20261202L);
    private static final int COUNT = Integer.getInteger("quanta.fuzz.mutants", MUTANTS);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** One in this many loaded mutants also runs once (preparing the interpreter is checked on all). */
    static final int RUN_ONE_IN = 8;
    /** Larger models are only prepared (a run on zeros of a huge declared input proves nothing and takes time). */
    static final long RUN_MAX_ACTIVATION_BYTES = 64L << 20;
    /** A mutant with no answer in this time has hung. */
    static final long WALL_LIMIT_SECONDS = 60;

    private static final int THREADS_USED = 2;
    private static ExecutorService worker;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startWorker() {
        worker = newWorker();
    }

    @AfterAll
    static void stopWorker() {
        worker.shutdownNow();
    }

    private static ExecutorService newWorker() {
        return Executors.newFixedThreadPool(THREADS_USED, r -> {
            Thread t = new Thread(r, "onnx-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    /** What one load ended in, with the CPU time and bytes it took. */
    record Outcome(
            String kind,
            String detail,
            long cpuNanos,
            long loadCpuNanos,
            long allocated,
            long constantOfShapeBytes,
            long interpreterAllocated,
            long activations) {
        boolean failed() {
            return kind.startsWith("FAIL");
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "onnx/mnist/mnist.onnx",
                "onnx-backend/data/light/light_squeezenet.onnx",
                "onnx-backend/data/node/test_layer_normalization_4d_axis1_expanded_ver18/model.onnx"
            })
    void everyMutantEndsAsAModelOrAOneLineError(String fixture) throws Exception {
        Path source = Fixtures.require(fixture);
        byte[] original = Files.readAllBytes(source);
        int fileIndex = fixture.hashCode();

        Path originalFile = write(tmp.resolve("original.onnx"), original);
        long baseAllocated = Long.MAX_VALUE;
        long baseInterpreter = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) { // the least of three: the first load also initializes classes
            Outcome base = worker.submit(() -> evaluate(originalFile, true)).get(WALL_LIMIT_SECONDS, TimeUnit.SECONDS);
            assertThat(base.kind())
                    .as("the unmutated file loads and runs: %s", base.detail())
                    .isEqualTo("model");
            baseAllocated = Math.min(baseAllocated, base.allocated());
            baseInterpreter = Math.min(baseInterpreter, base.interpreterAllocated());
        }
        long allocationLimit = (ALLOCATION_SLACK_MIB << 20) + ALLOCATION_FACTOR * baseAllocated;
        long interpreterLimit = (ALLOCATION_SLACK_MIB << 20) + ALLOCATION_FACTOR * baseInterpreter;

        OnnxMutator mutator = new OnnxMutator(original);
        long started = System.nanoTime();
        List<OnnxMutator.Mutant> mutants = new ArrayList<>();
        List<Future<Outcome>> outcomes = new ArrayList<>();
        for (int i = 0; i < COUNT; i++) {
            SplittableRandom rnd = new SplittableRandom(SEED * 1_000_003L + fileIndex * 7919L + i);
            OnnxMutator.Mutant m = mutator.mutate(rnd);
            boolean run = rnd.nextInt(RUN_ONE_IN) == 0;
            Path file = tmp.resolve("mutant" + i + ".onnx");
            mutants.add(m);
            outcomes.add(worker.submit(() -> {
                try {
                    return evaluate(write(file, m.bytes()), run);
                } finally {
                    Files.deleteIfExists(file);
                }
            }));
        }
        Map<String, Integer> byKind = new TreeMap<>();
        Map<String, Integer> byMutation = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        long maxCpu = 0;
        long maxAllocated = 0;
        long loadCpuSum = 0;
        long cpuSum = 0;
        for (int i = 0; i < COUNT; i++) {
            OnnxMutator.Mutant m = mutants.get(i);
            Outcome o;
            try {
                o = outcomes.get(i).get(WALL_LIMIT_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                o = new Outcome("FAIL timeout", "no answer within " + WALL_LIMIT_SECONDS + " s", 0, 0, 0, 0, 0, 0);
            } catch (ExecutionException e) {
                o = new Outcome("FAIL " + e.getCause(), String.valueOf(e.getCause()), 0, 0, 0, 0, 0, 0);
            }
            String failure = null;
            if (o.failed()) {
                failure = o.kind() + ": " + o.detail();
            } else if (o.cpuNanos() > CPU_LIMIT_MILLIS * 1_000_000L) {
                failure = "took " + o.cpuNanos() / 1_000_000 + " ms of CPU";
            } else if (o.allocated() > allocationLimit + 4 * o.constantOfShapeBytes()) {
                failure = o.kind() + ", loading allocated " + (o.allocated() >> 20) + " MiB (limit "
                        + (allocationLimit >> 20) + " MiB + 4x " + (o.constantOfShapeBytes() >> 20)
                        + " MiB that ConstantOfShape nodes ask for)";
            } else if (o.interpreterAllocated() > interpreterLimit + 2 * o.activations()) {
                failure = "the interpreter allocated " + (o.interpreterAllocated() >> 20) + " MiB (limit "
                        + (interpreterLimit >> 20) + " MiB + 2x " + (o.activations() >> 20) + " MiB of activations)";
            }
            if (failure != null) {
                failures.add("mutant " + i + " (" + m.kind() + ": " + m.what() + "): " + failure);
            }
            byKind.merge(o.kind(), 1, Integer::sum);
            byMutation.merge(m.kind() + (o.kind().startsWith("model") ? " -> model" : " -> error"), 1, Integer::sum);
            maxCpu = Math.max(maxCpu, o.cpuNanos());
            loadCpuSum += o.loadCpuNanos();
            cpuSum += o.cpuNanos();
            maxAllocated = Math.max(maxAllocated, o.allocated());
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf(
                Locale.ROOT,
                "OnnxFuzzIT %s: seed %d, %d mutants (%d wire fields) in %d ms on %d threads (CPU: loading %d ms,"
                        + " loading and preparing %d ms); max CPU %d ms, max"
                        + " allocated loading %d MiB (limit %d MiB + 4x what ConstantOfShape nodes ask for; unmutated %d"
                        + " MiB)%n  outcomes %s%n  by mutation %s%n",
                fixture,
                SEED,
                COUNT,
                mutator.wireFieldCount(),
                millis,
                THREADS_USED,
                loadCpuSum / 1_000_000,
                cpuSum / 1_000_000,
                maxCpu / 1_000_000,
                maxAllocated >> 20,
                allocationLimit >> 20,
                baseAllocated >> 20,
                byKind,
                byMutation);
        failures.stream().limit(20).forEach(f -> System.out.println("  " + f));
        assertThat(failures).as("mutants that broke the contract").isEmpty();
        assertThat(byKind.getOrDefault("model", 0))
                .as("some mutants still load and run")
                .isPositive();
    }

    private static Path write(Path file, byte[] bytes) throws IOException {
        return Files.write(file, bytes);
    }

    /**
     * Loads {@code file} on the calling thread and, when it loads, prepares an interpreter (and runs it once on
     * zeros when {@code run}); measures the thread's CPU time and allocated bytes.
     */
    private static Outcome evaluate(Path file, boolean run) throws IOException {
        long constantOfShape = constantOfShapeBytes(Files.readAllBytes(file));
        long cpu0 = THREADS.getCurrentThreadCpuTime();
        long alloc0 = THREADS.getCurrentThreadAllocatedBytes();
        String kind = null;
        String detail = "";
        Model model = null;
        try {
            model = ModelFiles.load(file);
        } catch (QuantaException e) {
            String msg = String.valueOf(e.getMessage());
            detail = msg;
            if (!msg.startsWith(file.toString()) || msg.lines().count() != 1) {
                kind = "FAIL error not naming the file on one line";
            } else {
                kind = "error: " + category(msg);
            }
        } catch (Throwable e) {
            kind = "FAIL " + e.getClass().getSimpleName();
            detail = e + " at " + where(e);
        }
        long loaded = THREADS.getCurrentThreadAllocatedBytes() - alloc0;
        long loadCpu = THREADS.getCurrentThreadCpuTime() - cpu0;
        long cpuNanos = loadCpu;
        long interpreter = 0;
        long activations = 0;
        if (model != null) {
            long alloc1 = THREADS.getCurrentThreadAllocatedBytes();
            try (Interpreter in =
                    new Interpreter(model, Interpreter.Options.defaults().withNumThreads(1))) {
                in.allocateTensors();
                activations = in.activationBytes();
                cpuNanos = THREADS.getCurrentThreadCpuTime() - cpu0;
                if (run && activations <= RUN_MAX_ACTIVATION_BYTES) {
                    runOnZeros(model, in);
                }
                kind = "model";
            } catch (QuantaException e) {
                kind = "model refused by the interpreter";
                detail = e.getMessage();
            } catch (Throwable e) {
                kind = "FAIL interpreter " + e.getClass().getSimpleName();
                detail = e + " at " + where(e);
            }
            interpreter = THREADS.getCurrentThreadAllocatedBytes() - alloc1;
            if (!kind.equals("model")) {
                cpuNanos = THREADS.getCurrentThreadCpuTime() - cpu0;
            }
        }
        return new Outcome(kind, detail, cpuNanos, loadCpu, loaded, constantOfShape, interpreter, activations);
    }

    /**
     * The bytes the file's ConstantOfShape nodes ask for (shape from a Constant node or an initializer, each at most
     * {@link OnnxTensors#MAX_ELEMENTS} elements): the one op where a few bytes of file legitimately become a large
     * tensor (the light/ models build every weight this way), so loading may allocate that much.
     */
    static long constantOfShapeBytes(byte[] bytes) {
        ModelProto m;
        try {
            m = ModelProto.parseFrom(bytes);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
        Map<String, TensorProto> constants = new HashMap<>();
        for (TensorProto t : m.getGraph().getInitializerList()) {
            constants.put(t.getName(), t);
        }
        for (NodeProto n : m.getGraph().getNodeList()) {
            if (n.getOpType().equals("Constant") && n.getOutputCount() > 0) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        constants.put(n.getOutput(0), a.getT());
                    }
                }
            }
        }
        long total = 0;
        for (NodeProto n : m.getGraph().getNodeList()) {
            if (!n.getOpType().equals("ConstantOfShape") || n.getInputCount() == 0) {
                continue;
            }
            TensorProto shape = constants.get(n.getInput(0));
            if (shape == null) {
                continue;
            }
            try {
                long count = 1;
                for (long d : OnnxTensors.longs(
                        OnnxTensors.decode(shape, Path.of("x.onnx"), null).data())) {
                    count = Math.multiplyExact(count, Math.max(0, d));
                }
                if (count <= OnnxTensors.MAX_ELEMENTS) {
                    total += count * 8; // at most 8 bytes an element
                }
            } catch (RuntimeException e) {
                // not a valid shape: the importer refuses it
            }
        }
        return total;
    }

    /** Runs the model once on zeros. */
    private static void runOnZeros(Model model, Interpreter in) {
        Object[] inputs = new Object[model.inputs().size()];
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = model.inputs().get(i);
            int n = 1;
            for (int d : in.getInputTensor(i).shape()) {
                n *= d;
            }
            inputs[i] = TensorData.ofBytes(t.dtype(), new byte[n * t.dtype().byteSize()])
                    .toArray();
        }
        in.runForMultipleInputsOutputs(inputs, new Object[0]);
    }

    /** A short name for what an error message is about, for the counts. */
    static String category(String msg) {
        String m = msg.toLowerCase(Locale.ROOT);
        String[][] keys = {
            {"protobuf", "protobuf encoding"},
            {"claim more than", "tensor claims too many elements"},
            {"raw_data", "raw_data size"},
            {"_data has", "typed data size"},
            {"opset", "opset"},
            {"dimension", "bad dimension"},
            {"which quanta does not run", "data type"},
            {"external data", "external data"},
            {"attribute", "attribute"},
            {"is not supported", "unsupported"},
            {"never produced", "graph output missing"},
            {"not defined", "undefined input"},
            {"input", "inputs"},
            {"shape", "shape"},
        };
        for (String[] k : keys) {
            if (m.contains(k[0])) {
                return k[1];
            }
        }
        return "other";
    }

    private static String where(Throwable e) {
        StackTraceElement[] st = e.getStackTrace();
        for (StackTraceElement s : st) {
            if (s.getClassName().startsWith("dev.quanta") && !s.getClassName().startsWith("dev.quanta.onnx.proto")) {
                return s.getClassName().substring("dev.quanta.".length()) + "." + s.getMethodName() + ":"
                        + s.getLineNumber();
            }
        }
        return st.length > 0 ? st[0].toString() : "?";
    }
}
