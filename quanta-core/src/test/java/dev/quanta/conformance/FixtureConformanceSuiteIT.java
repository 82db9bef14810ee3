package dev.quanta.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One conformance suite over every {@code .tflite} under the fixtures root (a new fixture is covered by adding
 * the file): Quanta against the official TFLite 2.21 runtime ({@link TfliteOracle}) on both of its paths, op by
 * op.
 *
 * <p>For each readable file and each sample (real fixture inputs where they exist, seeded random otherwise; see
 * {@link FixtureInputs}):
 * <ol>
 *   <li>the oracle runs a copy of the file whose graph outputs are every operator's output ({@link FlatModel});
 *       one {@code Invoke} per path yields every intermediate, on XNNPACK as on the built-in kernels;</li>
 *   <li><b>end to end</b>: Quanta's {@link Interpreter} with {@code withKernelPath(XNNPACK)} and with
 *       {@code BUILTIN} runs the same graph input; every op's output ({@link Interpreter#readTensor}) is compared
 *       with the oracle of the same path;</li>
 *   <li><b>op by op</b>: Quanta's kernels ({@link OpRunner}) get the oracle's own values of each op's inputs and
 *       their output is compared with the oracle's: XNNPACK-path kernels with the XNNPACK oracle, built-in-path
 *       kernels with the built-in oracle, and (cross-path) the XNNPACK-path kernels with the built-in oracle.</li>
 * </ol>
 * Tensors are matched by position: Quanta's reader turns file operator k into one or more consecutive IR ops
 * sharing an {@link Origin}; the last one writes operator k's output tensor.
 *
 * <p>Assertions:
 * <ul>
 *   <li>integer tensors: bit-exact with the oracle of the path Quanta is set to, end to end and op by op, on both
 *       paths; cross-path (same inputs, the other path's arithmetic) at most 1 step, with the per-op count of
 *       differing elements printed;</li>
 *   <li>float tensors: |Quanta − oracle| ≤ 1e-5 × the tensor's range (max − min of the oracle's values, per
 *       sample), or a documented, measured per-op bound from {@link #FLOAT_BOUNDS};</li>
 *   <li>files with custom ops (the TFLM Signal audio preprocessors): Quanta reads and runs them, stock TFLite
 *       refuses them; their outputs are checked against tflite-micro's own expected features, and their builtin
 *       ops op by op against the oracle, in {@code dev.quanta.integration.MicroSpeechIT};</li>
 *   <li>person_detect (rank-1 biases with quantized_dimension 3, refused by stock TFLite): the oracle gets a copy
 *       with those fields set to 0; person.bmp scores person 0.941 and no_person.bmp no-person 0.734 (XNNPACK) /
 *       0.723 (built-in), in the oracle and in Quanta (ORACLE-NOTES.md).</li>
 * </ul>
 *
 * <p>Summary line per fixture: ops, samples, samples whose graph outputs are bit-exact end to end per path,
 * (op, sample) pairs that agree op by op per path (bit-exact for integer ops, within the bound for float ops), and
 * against the other path how many ops differ and by how many steps at most.
 *
 * <p>Intermediates are read through {@link TfliteOracle} on a copy whose graph outputs list every operator's
 * output (the same idea as {@code dev.quanta.kernels.NativeTflite#withOutput}, which is package-private there and
 * makes one interpreter per tensor; one copy with all of them is equivalent and much cheaper).
 *
 * <p>Samples are kept small for the 2-core machine (IC 20, KWS 100, MNIST 50, hello_world 50, person_detect 2,
 * MobileNetV2 2, other random inputs 10–20); the whole suite ran in about 25 s there.
 *
 * <p>The files Quanta itself writes (every quantization mode, scheme and granularity) are covered by
 * {@code dev.quanta.integration.WrittenModelConformanceIT}; this suite only takes the fixtures as they are.
 */
@UsesFixtures
@UsesOracle
class FixtureConformanceSuiteIT {

    /** Relative float tolerance (of the tensor's range) unless {@link #FLOAT_BOUNDS} documents another. */
    static final double FLOAT_TOLERANCE = 1e-5;

    /**
     * A measured, documented bound for float outputs, as a fraction of the tensor's range: fixture path fragment, op
     * type ("*": any), Quanta path (null: both), the bound op by op and end to end, and why. The first match wins.
     */
    record FloatBound(String fixture, String op, QuantizedPath path, double opByOp, double endToEnd, String why) {}

    static final List<FloatBound> FLOAT_BOUNDS = List.of(
            new FloatBound(
                    "kws_ref_model_float32",
                    "CONV_2D",
                    QuantizedPath.XNNPACK,
                    0.0125,
                    0.065,
                    "XNNPACK's own dynamic quantization (qd8) is not reproduced"),
            new FloatBound(
                    "kws_ref_model_float32",
                    "*",
                    QuantizedPath.BUILTIN,
                    FLOAT_TOLERANCE,
                    0.25,
                    "float ops downstream of the hybrid CONV_2D (op by op they agree within 1e-5)"),
            new FloatBound(
                    "kws_ref_model_float32",
                    "*",
                    QuantizedPath.XNNPACK,
                    FLOAT_TOLERANCE,
                    0.065,
                    "float ops downstream of the hybrid CONV_2D (op by op they agree within 1e-5)"));

    private static final Queue SUMMARY = new Queue();

    /** Summary lines, printed together after the last fixture. */
    private static final class Queue extends ConcurrentLinkedQueue<String> {
        private static final long serialVersionUID = 1L;
    }

    @TestFactory
    Stream<DynamicTest> everyFixture() throws IOException {
        Path root = Fixtures.require("");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".tflite")).sorted().toList();
        }
        assertThat(files).as("no .tflite under " + root).isNotEmpty();
        return files.stream()
                .map(f -> DynamicTest.dynamicTest(root.relativize(f).toString(), () -> check(root, f)));
    }

    @AfterAll
    static void printSummary() {
        System.out.println("==== fixture conformance summary ====");
        SUMMARY.forEach(System.out::println);
    }

    // ------------------------------------------------------------------------------------------------ one fixture

    /**
     * A file with custom ops (tflite-micro's signal library): Quanta reads and runs it; stock TFLite refuses it, so
     * its outputs are checked against tflite-micro's own expected values in {@code MicroSpeechIT} instead. Here:
     * every op is a signal op or one Quanta has a kernel for, 20 seeded random inputs run, and a reset interpreter
     * repeats its outputs exactly.
     */
    private static void checkCustom(String rel, Path file, Model model, Set<String> custom) {
        assertThatThrownBy(() ->
                        TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1).close())
                .as("stock TFLite cannot run it")
                .isInstanceOf(IllegalStateException.class);
        java.util.Random random = new java.util.Random(rel.hashCode());
        Tensor in = model.inputs().get(0);
        Tensor out = model.outputs().get(0);
        try (Interpreter q = new Interpreter(model)) {
            int n = Math.toIntExact(
                    dev.quanta.ir.Shape.of(q.getInputTensor(0).shape()).elementCount());
            int m = Math.toIntExact(
                    dev.quanta.ir.Shape.of(q.getOutputTensor(0).shape()).elementCount());
            List<Object> inputs = new ArrayList<>();
            List<Object> first = new ArrayList<>();
            for (int sample = 0; sample < 20; sample++) {
                Object x = dev.quanta.kernels.Buffers.allocate(in.dtype(), n);
                for (int i = 0; i < n; i++) {
                    java.lang.reflect.Array.set(x, i, (short) (random.nextGaussian() * 3000));
                }
                Object y = dev.quanta.kernels.Buffers.allocate(out.dtype(), m);
                q.run(x, y);
                inputs.add(x);
                first.add(y);
            }
            q.resetVariableTensors();
            for (int sample = 0; sample < inputs.size(); sample++) {
                Object y = dev.quanta.kernels.Buffers.allocate(out.dtype(), m);
                q.run(inputs.get(sample), y);
                assertThat(y).as(rel + ": sample " + sample + " after reset").isEqualTo(first.get(sample));
            }
        }
        String line = String.format(
                "%-62s %3d ops, custom ops %s: read and run by Quanta (stock TFLite cannot);"
                        + " checked against tflite-micro's expected features in MicroSpeechIT",
                rel, model.ops().size(), custom);
        System.out.println(line);
        SUMMARY.add(line);
    }

    private static final QuantizedPath X = QuantizedPath.XNNPACK;
    private static final QuantizedPath B = QuantizedPath.BUILTIN;

    /** Differences of one tensor over all samples in one comparison mode. */
    static final class Stat {
        long elements;
        long differing;
        double maxDiff; // absolute: steps for integer tensors, real units for float ones
        float lo = Float.POSITIVE_INFINITY; // the oracle's values, for the range of float tensors
        float hi = Float.NEGATIVE_INFINITY;
        int samplesExact;
        int samples;

        void add(long n, long diff, double max) {
            elements += n;
            differing += diff;
            maxDiff = Math.max(maxDiff, max);
            samples++;
            samplesExact += diff == 0 ? 1 : 0;
        }

        /** The largest difference as a fraction of the tensor's range over all samples (float tensors). */
        double relative() {
            double range = Math.max((double) hi - lo, Float.MIN_NORMAL);
            return maxDiff == 0 ? 0 : maxDiff / range;
        }
    }

    private void check(Path root, Path file) throws IOException {
        String rel = root.relativize(file).toString().replace('\\', '/');
        long start = System.nanoTime();
        byte[] bytes = Files.readAllBytes(file);
        FlatModel flat = new FlatModel(bytes);
        Set<String> custom = flat.customOps();
        Model model = ModelFiles.load(file);
        if (!custom.isEmpty()) {
            checkCustom(rel, file, model, custom);
            return;
        }

        // ------------------------------------------------------------- the oracle's copy: all intermediates out
        int[] patched = new int[1];
        byte[] oracleBytes = flat.withRankOneQuantizedDimensionZeroed(patched);
        int[] opOut = flat.operatorOutputs();
        byte[] allOut = new FlatModel(oracleBytes).withOutputs(opOut);

        // ------------------------------------------------------------- IR ops of each file operator
        List<Op> irOps = model.ops();
        List<int[]> groups = new ArrayList<>(); // [first, last] IR op index per file operator
        for (int i = 0; i < irOps.size(); i++) {
            if (i == 0 || !irOps.get(i).origin().equals(irOps.get(i - 1).origin())) {
                groups.add(new int[] {i, i});
            } else {
                groups.get(groups.size() - 1)[1] = i;
            }
        }
        assertThat(groups).as(rel + ": IR op groups vs file operators").hasSize(opOut.length);
        Tensor[] groupOut = new Tensor[opOut.length];
        Map<Tensor, Integer> position = new IdentityHashMap<>(); // IR tensor -> position in opOut
        for (int k = 0; k < opOut.length; k++) {
            groupOut[k] = irOps.get(groups.get(k)[1]).output(0);
            position.put(groupOut[k], k);
        }
        Map<Tensor, Integer> graphInput = new IdentityHashMap<>();
        for (int i = 0; i < model.inputs().size(); i++) {
            graphInput.put(model.inputs().get(i), i);
        }

        FixtureInputs.Samples samples = FixtureInputs.forFixture(root, rel, model.inputs());
        int n = samples.inputs().size();
        // modes: 0 end-to-end X, 1 end-to-end B, 2 op-by-op X, 3 op-by-op B, 4 op-by-op X kernels vs B oracle
        Stat[][] stats = new Stat[5][opOut.length];
        for (Stat[] row : stats) {
            for (int k = 0; k < row.length; k++) {
                row[k] = new Stat();
            }
        }
        int[] finalExact = new int[2];
        int finalPos = positionOf(opOut, flat.graphOutputs()[0]);
        List<Object[]> finals = new ArrayList<>(); // per sample: oracle X, oracle B, Quanta X, Quanta B

        try (TfliteOracle ox = TfliteOracle.open(allOut, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle ob = TfliteOracle.open(allOut, TfliteOracle.Kernels.BUILTIN, 1);
                Interpreter qx = new Interpreter(
                        model, Interpreter.Options.defaults().withKernelPath(X).withPreserveAllTensors(true));
                Interpreter qb = new Interpreter(
                        model, Interpreter.Options.defaults().withKernelPath(B).withPreserveAllTensors(true))) {
            assertThat(ox.outputCount()).isEqualTo(opOut.length);
            OpRunner rx = new OpRunner(model, X);
            OpRunner rb = new OpRunner(model, B);
            for (Object[] in : samples.inputs()) {
                Object[] refX = runOracle(ox, in, opOut.length);
                Object[] refB = runOracle(ob, in, opOut.length);
                Object[] e2e = new Object[2];
                Interpreter[] qs = {qx, qb};
                Object[][] refs = {refX, refB};
                for (int p = 0; p < 2; p++) {
                    qs[p].runForMultipleInputsOutputs(
                            in, new Object[model.outputs().size()]);
                    boolean exact = true;
                    for (int k = 0; k < opOut.length; k++) {
                        if (refs[p][k] == null) {
                            continue;
                        }
                        Object got = qs[p].readTensor(groupOut[k]);
                        exact &= compare(groupOut[k], got, refs[p][k], stats[p][k]) || k != finalPos;
                        if (k == finalPos) {
                            e2e[p] = got;
                        }
                    }
                    finalExact[p] += exact ? 1 : 0;
                }
                finals.add(new Object[] {refX[finalPos], refB[finalPos], e2e[0], e2e[1]});
                opByOp(rx, in, refX, groups, irOps, groupOut, position, graphInput, stats[2]);
                opByOp(rb, in, refB, groups, irOps, groupOut, position, graphInput, stats[3]);
                opByOp(rx, in, refB, groups, irOps, groupOut, position, graphInput, stats[4]);
            }
        }

        // ------------------------------------------------------------- report
        StringBuilder perOp = new StringBuilder();
        List<String> failures = new ArrayList<>();
        double crossSteps = 0;
        double crossFloat = 0;
        long crossOps = 0;
        long[] opExact = new long[2];
        long opTotal = (long) opOut.length * n;
        for (int k = 0; k < opOut.length; k++) {
            Tensor t = groupOut[k];
            String opName = irOps.get(groups.get(k)[1]).type().name();
            boolean integer = t.dtype() != DType.FLOAT32;
            String where = String.format("%s op %d %s (%s)", rel, k, opName, t.dtype());
            for (int mode = 0; mode < 4; mode++) {
                Stat s = stats[mode][k];
                QuantizedPath path = mode % 2 == 0 ? X : B;
                boolean opByOp = mode >= 2;
                String label = (opByOp ? "op-by-op " : "end-to-end ") + path;
                if (opByOp) {
                    opExact[mode - 2] += integer ? s.samplesExact : s.samples;
                }
                if (s.samples == 0) {
                    continue;
                }
                if (integer && s.differing > 0) {
                    failures.add(String.format(
                            "%s %s: %d/%d elements differ, max %.0f steps",
                            where, label, s.differing, s.elements, s.maxDiff));
                } else if (!integer) {
                    FloatBound bound = floatBound(rel, opName, path);
                    double limit = bound == null ? FLOAT_TOLERANCE : opByOp ? bound.opByOp() : bound.endToEnd();
                    if (s.relative() > limit) {
                        failures.add(String.format(
                                "%s %s: max |diff| %.3g of the range > %.3g", where, label, s.relative(), limit));
                    }
                    if (s.relative() > FLOAT_TOLERANCE && opByOp) {
                        perOp.append(String.format(
                                Locale.ROOT,
                                "    op %3d %-18s %-17s max |diff| %.3g of the range (bound %.3g: %s)%n",
                                k,
                                opName,
                                label,
                                s.relative(),
                                limit,
                                bound == null ? "default" : bound.why()));
                    }
                }
            }
            Stat c = stats[4][k];
            if (c.samples > 0 && c.differing > 0) {
                crossOps++;
                if (integer) {
                    crossSteps = Math.max(crossSteps, c.maxDiff);
                    perOp.append(String.format(
                            Locale.ROOT,
                            "    op %3d %-18s Quanta XNNPACK vs oracle BUILTIN (same"
                                    + " inputs): %d/%d elements differ (%.2f%%), max %.0f step(s)%n",
                            k,
                            opName,
                            c.differing,
                            c.elements,
                            100.0 * c.differing / c.elements,
                            c.maxDiff));
                    if (c.maxDiff > 1) {
                        failures.add(String.format("%s cross-path: max %.0f steps > 1", where, c.maxDiff));
                    }
                } else {
                    crossFloat = Math.max(crossFloat, c.relative());
                }
            }
        }
        String line = String.format(
                Locale.ROOT,
                "%-58s %3d ops, %3d samples (%s)%s: end-to-end outputs bit-exact XNNPACK %d/%d, BUILTIN %d/%d;"
                        + " op-by-op agree XNNPACK %d/%d, BUILTIN %d/%d; vs other path: %d ops differ, max %.0f"
                        + " step(s)%s; %.1f s",
                rel,
                opOut.length,
                n,
                samples.source(),
                patched[0] > 0 ? ", oracle copy with " + patched[0] + " quantized_dimension fields zeroed" : "",
                finalExact[0],
                n,
                finalExact[1],
                n,
                opExact[0],
                opTotal,
                opExact[1],
                opTotal,
                crossOps,
                crossSteps,
                crossFloat > 0 ? String.format(Locale.ROOT, ", float %.3g of range", crossFloat) : "",
                (System.nanoTime() - start) / 1e9);
        System.out.println(line);
        System.out.print(perOp);
        SUMMARY.add(line);

        if (rel.contains("person_detect")) {
            checkPersonDetect(model, finals);
        }
        assertThat(failures).as(rel + " conformance failures").isEmpty();
    }

    private static int positionOf(int[] opOut, int tensor) {
        for (int k = 0; k < opOut.length; k++) {
            if (opOut[k] == tensor) {
                return k;
            }
        }
        throw new IllegalStateException("graph output " + tensor + " is written by no operator");
    }

    /** Scores from ORACLE-NOTES.md: person.bmp person 0.941; no_person.bmp no-person 0.734 / 0.723. */
    private static void checkPersonDetect(Model model, List<Object[]> finals) {
        float scale = model.outputs().get(0).quant().scale();
        long zp = model.outputs().get(0).quant().zeroPoint();
        double[] noPersonExpected = {0.734, 0.723, 0.734, 0.723}; // oracle X, oracle B, Quanta X, Quanta B
        String[] who = {"oracle XNNPACK", "oracle BUILTIN", "Quanta XNNPACK", "Quanta BUILTIN"};
        for (int w = 0; w < 4; w++) {
            byte[] person = (byte[]) finals.get(0)[w];
            byte[] noPerson = (byte[]) finals.get(1)[w];
            double p = scale * (person[1] - zp);
            double np = scale * (noPerson[0] - zp);
            System.out.printf(
                    Locale.ROOT,
                    "    person_detect %s: person.bmp person %.3f, no_person.bmp no-person %.3f%n",
                    who[w],
                    p,
                    np);
            assertThat(p).as(who[w] + " person score").isCloseTo(0.941, within(0.0006));
            assertThat(np).as(who[w] + " no-person score").isCloseTo(noPersonExpected[w], within(0.0006));
        }
    }

    private static FloatBound floatBound(String rel, String op, QuantizedPath path) {
        for (FloatBound b : FLOAT_BOUNDS) {
            if (rel.contains(b.fixture())
                    && (b.op().equals("*") || b.op().equals(op))
                    && (b.path() == null || b.path() == path)) {
                return b;
            }
        }
        return null;
    }

    private static Object[] runOracle(TfliteOracle o, Object[] in, int outputs) {
        o.resetVariableTensors();
        for (int i = 0; i < in.length; i++) {
            switch (in[i]) {
                case byte[] b -> o.setInput(i, b);
                case short[] s -> o.setInput(i, s);
                case float[] f -> o.setInput(i, f);
                case int[] v -> o.setInput(i, v);
                default -> throw new IllegalArgumentException(in[i].getClass().toString());
            }
        }
        o.invoke();
        Object[] out = new Object[outputs];
        for (int k = 0; k < outputs; k++) {
            out[k] = switch (o.outputType(k)) {
                case "FLOAT32" -> o.outputFloat(k);
                case "INT8", "UINT8", "BOOL" -> o.outputInt8(k);
                case "INT16" -> o.outputInt16(k);
                case "INT32" -> o.outputInt32(k);
                default -> null; // not compared
            };
        }
        return out;
    }

    /** Runs each file operator's IR ops on the oracle's values of its inputs and compares its output. */
    private static void opByOp(
            OpRunner r,
            Object[] in,
            Object[] ref,
            List<int[]> groups,
            List<Op> irOps,
            Tensor[] groupOut,
            Map<Tensor, Integer> position,
            Map<Tensor, Integer> graphInput,
            Stat[] stats) {
        for (int k = 0; k < groups.size(); k++) {
            int[] g = groups.get(k);
            Map<Tensor, Boolean> inside = new IdentityHashMap<>();
            boolean fed = true;
            for (int j = g[0]; j <= g[1]; j++) {
                Op op = irOps.get(j);
                for (Tensor t : op.inputs()) {
                    if (t.isConstant() || inside.containsKey(t)) {
                        continue;
                    }
                    Integer gi = graphInput.get(t);
                    Integer pos = position.get(t);
                    Object v = gi != null ? in[gi] : pos != null ? ref[pos] : null;
                    if (v == null) {
                        fed = false; // an input the oracle does not expose: leave Quanta's own value
                    } else {
                        r.set(t, v);
                    }
                }
                r.runOp(j);
                inside.put(op.output(0), Boolean.TRUE);
            }
            if (ref[k] != null && fed) {
                compare(groupOut[k], r.get(groupOut[k]), ref[k], stats[k]);
            }
        }
    }

    /** Adds one comparison to {@code s}; true when bit-identical. */
    private static boolean compare(Tensor t, Object got, Object want, Stat s) {
        long diff = 0;
        double max = 0;
        int n;
        switch (want) {
            case byte[] w -> {
                byte[] g = (byte[]) got;
                n = check(t, g.length, w.length);
                boolean unsigned = t.dtype() == DType.UINT8 || t.dtype() == DType.BOOL;
                for (int i = 0; i < n; i++) {
                    int a = unsigned ? g[i] & 0xFF : g[i];
                    int b = unsigned ? w[i] & 0xFF : w[i];
                    if (a != b) {
                        diff++;
                        max = Math.max(max, Math.abs(a - b));
                    }
                }
            }
            case short[] w -> {
                short[] g = (short[]) got;
                n = check(t, g.length, w.length);
                for (int i = 0; i < n; i++) {
                    if (g[i] != w[i]) {
                        diff++;
                        max = Math.max(max, Math.abs(g[i] - w[i]));
                    }
                }
            }
            case int[] w -> {
                int[] g = (int[]) got;
                n = check(t, g.length, w.length);
                for (int i = 0; i < n; i++) {
                    if (g[i] != w[i]) {
                        diff++;
                        max = Math.max(max, Math.abs((double) g[i] - w[i]));
                    }
                }
            }
            case float[] w -> {
                float[] g = (float[]) got;
                n = check(t, g.length, w.length);
                for (int i = 0; i < n; i++) {
                    s.lo = Math.min(s.lo, w[i]);
                    s.hi = Math.max(s.hi, w[i]);
                    if (Float.floatToIntBits(g[i]) != Float.floatToIntBits(w[i])) {
                        diff++;
                        double d = Math.abs((double) g[i] - w[i]);
                        max = Math.max(max, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
                    }
                }
            }
            default -> throw new IllegalArgumentException(want.getClass().toString());
        }
        s.add(n, diff, max);
        return diff == 0;
    }

    private static int check(Tensor t, int got, int want) {
        assertThat(got).as("element count of " + t.name()).isEqualTo(want);
        return got;
    }
}
