package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ONNX's own operator conformance suite ({@code onnx-backend/data/node}, see the fixtures' MANIFEST): every case whose
 * model Quanta imports runs on Quanta's interpreter and must match each {@code output_N.pb} within ONNX's runner
 * tolerance (rtol 1e-3, atol 1e-7). A case Quanta does not import must fail with a one-line {@link QuantaException}
 * and counts as unsupported. Prints pass / fail / unsupported counts per operator.
 */
@UsesFixtures
class OnnxNodeSuiteIT {
    private static final double RTOL = 1e-3;
    private static final double ATOL = 1e-7;
    /** {@code -Donnx.suite.show=gru} prints each refused case whose folder name contains it, with its reason. */
    private static final String SHOW = System.getProperty("onnx.suite.show");

    private record Counts(int[] c) {
        Counts() {
            this(new int[3]);
        }
    }

    @Test
    void everyImportedCaseMatchesItsExpectedOutputs() throws IOException {
        Path root = Fixtures.require("onnx-backend/data/node");
        List<Path> cases;
        try (Stream<Path> s = Files.list(root)) {
            cases = s.filter(Files::isDirectory).sorted().toList();
        }
        Map<String, Counts> perOp = new TreeMap<>();
        Map<String, Integer> unsupportedReasons = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        int passed = 0;
        int bakedPasses = 0;
        int unsupported = 0;
        for (Path c : cases) {
            Path modelFile = c.resolve("model.onnx");
            if (!Files.exists(modelFile)) {
                continue;
            }
            String op = operatorOf(modelFile);
            Counts counts = perOp.computeIfAbsent(op, k -> new Counts());
            Model model;
            boolean baked = false;
            try {
                try {
                    model = OnnxImporter.load(modelFile);
                } catch (QuantaException e) {
                    if (!e.getMessage().contains("must be a constant")
                            && !e.getMessage().contains("must be constant")) {
                        throw e;
                    }
                    // the case feeds weights, axes or shapes as graph inputs: import it with inputs 1.. as
                    // initializers holding test_data_set_0's values, as a real model would have them
                    model = withConstantInputs(modelFile, c.resolve("test_data_set_0"));
                    baked = true;
                }
            } catch (QuantaException e) {
                assertThat(e.getMessage())
                        .as("one-line error for %s", c.getFileName())
                        .doesNotContain("\n");
                counts.c[2]++;
                unsupported++;
                String reason = e.getMessage().substring(e.getMessage().indexOf(": ") + 2);
                unsupportedReasons.merge(reason.replaceAll("'[^']*'", "'…'"), 1, Integer::sum);
                if (SHOW != null && c.getFileName().toString().contains(SHOW)) {
                    System.out.println("  refused " + c.getFileName() + ": " + reason);
                }
                continue;
            } catch (RuntimeException e) {
                counts.c[1]++;
                failures.add(c.getFileName() + ": import crashed: " + e);
                continue;
            }
            String failure = null;
            try (Stream<Path> sets = Files.list(c)) {
                for (Path set : sets.filter(p -> p.getFileName().toString().startsWith("test_data_set"))
                        .sorted()
                        .limit(baked ? 1 : Long.MAX_VALUE)
                        .toList()) {
                    List<OnnxTestData.Array> inputs = OnnxTestData.numbered(set, "input").stream()
                            .map(OnnxTestData::read)
                            .limit(baked ? model.inputs().size() : Long.MAX_VALUE)
                            .toList();
                    List<OnnxTestData.Array> expected = OnnxTestData.numbered(set, "output").stream()
                            .map(OnnxTestData::read)
                            .toList();
                    List<OnnxTestData.Array> actual = OnnxTestData.run(model, inputs);
                    if (actual.size() != expected.size()) {
                        failure = "outputs " + actual.size() + " != expected " + expected.size();
                        break;
                    }
                    for (int i = 0; i < expected.size() && failure == null; i++) {
                        String diff = OnnxTestData.compare(actual.get(i), expected.get(i), RTOL, ATOL);
                        if (diff != null) {
                            failure = set.getFileName() + " output " + i + ": " + diff;
                        }
                    }
                    if (failure != null) {
                        break;
                    }
                }
            } catch (RuntimeException e) {
                failure = "run failed: " + e;
            }
            if (failure == null) {
                counts.c[0]++;
                passed++;
                bakedPasses += baked ? 1 : 0;
            } else {
                counts.c[1]++;
                failures.add(c.getFileName() + ": " + failure);
            }
        }
        StringBuilder table =
                new StringBuilder(String.format("%-28s %5s %5s %5s%n", "operator", "pass", "fail", "unsup"));
        for (Map.Entry<String, Counts> e : perOp.entrySet()) {
            int[] k = e.getValue().c;
            table.append(String.format("%-28s %5d %5d %5d%n", e.getKey(), k[0], k[1], k[2]));
        }
        System.out.print(table);
        System.out.println("ONNX node suite: " + passed + " passed, " + failures.size() + " failed, " + unsupported
                + " unsupported of " + cases.size() + " cases (" + bakedPasses
                + " passed with their weight/axes/shape inputs imported as initializers)");
        unsupportedReasons.entrySet().stream()
                .sorted((a, b) -> b.getValue() - a.getValue())
                .limit(40)
                .forEach(e -> System.out.println("  unsupported x" + e.getValue() + ": " + e.getKey()));
        failures.forEach(f -> System.out.println("  FAIL " + f));
        assertThat(failures)
                .as("imported cases that do not match their expected outputs")
                .isEmpty();
        assertThat(passed).as("cases passed").isGreaterThan(0);
    }

    /**
     * The case's model with graph inputs 1.. turned into initializers holding {@code set}'s {@code input_N.pb}
     * values (input 0 stays the graph input).
     */
    private static Model withConstantInputs(Path modelFile, Path set) throws IOException {
        var mp = dev.quanta.onnx.proto.OnnxProto.ModelProto.parseFrom(Files.readAllBytes(modelFile));
        var g = mp.getGraph().toBuilder();
        var inputs = List.copyOf(g.getInputList());
        if (inputs.size() < 2) {
            throw new QuantaException(modelFile + ": no input to make constant");
        }
        g.clearInput();
        g.addInput(inputs.get(0));
        for (int i = 1; i < inputs.size(); i++) {
            Path pb = set.resolve("input_" + i + ".pb");
            g.addInitializer(
                    OnnxReader.readTensor(pb).toBuilder().setName(inputs.get(i).getName()));
        }
        var changed = mp.toBuilder().setGraph(g).build();
        return OnnxImporter.importModel(
                new OnnxReader.OnnxFile(modelFile, changed, OnnxReader.checkOpset(changed, modelFile)));
    }

    /** The operator a case tests: its node's op type, or "(composite)" for a graph of several op types. */
    private static String operatorOf(Path modelFile) {
        try {
            var m = dev.quanta.onnx.proto.OnnxProto.ModelProto.parseFrom(Files.readAllBytes(modelFile));
            TreeSet<String> ops = new TreeSet<>();
            for (NodeProto n : m.getGraph().getNodeList()) {
                ops.add(n.getOpType());
            }
            return ops.size() == 1 ? ops.first() : "(composite)";
        } catch (IOException e) {
            return "(unreadable)";
        }
    }
}
