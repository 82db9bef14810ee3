package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The quantized-operator cases of ONNX's node suite ({@code onnx-backend/data/node}), each run twice: as the suite
 * writes it (every operand a graph input) and with every input but the first turned into an initializer from the
 * test data (constant weights, scales and zero points, as real models have them; the path QLinearConv and
 * ConvInteger need). Outputs must equal {@code output_N.pb} exactly.
 *
 * <p>The QuantizeLinear / DequantizeLinear cases declare opset 25, beyond the reader's 22; they are read at opset
 * 22 here, where both ops mean the same for int8, uint8 and int16 (later opsets added 4-bit, 2-bit and float8
 * types, which stay unsupported).
 */
@UsesFixtures
class OnnxQuantizedNodeCasesIT {
    /** Cases that must import and match in the given form (g: graph inputs, c: constants). */
    private static final Map<String, String> MUST_PASS = Map.ofEntries(
            Map.entry("test_quantizelinear", "gc"),
            Map.entry("test_quantizelinear_axis", "gc"),
            Map.entry("test_quantizelinear_int16", "gc"),
            Map.entry("test_dequantizelinear", "gc"),
            Map.entry("test_dequantizelinear_axis", "gc"),
            Map.entry("test_dequantizelinear_int16", "gc"),
            Map.entry("test_dynamicquantizelinear", "g"),
            Map.entry("test_dynamicquantizelinear_max_adjusted", "g"),
            Map.entry("test_dynamicquantizelinear_min_adjusted", "g"),
            Map.entry("test_matmulinteger", "gc"),
            Map.entry("test_qlinearmatmul_2D_int8_float32", "gc"),
            Map.entry("test_qlinearmatmul_2D_uint8_float32", "gc"),
            Map.entry("test_qlinearmatmul_3D_int8_float32", "gc"),
            Map.entry("test_qlinearmatmul_3D_uint8_float32", "gc"),
            Map.entry("test_qlinearconv", "c"),
            Map.entry("test_convinteger_with_padding", "c"),
            Map.entry("test_convinteger_without_padding", "c"));

    @Test
    void quantizedOperatorCasesMatchTheirOutputsExactly() throws IOException {
        Path root = Fixtures.require("onnx-backend/data/node");
        List<String> cases;
        try (var s = Files.list(root)) {
            cases = s.map(p -> p.getFileName().toString())
                    .filter(n -> n.matches("test_(quantizelinear|dequantizelinear|dynamicquantizelinear|qlinear"
                            + "|convinteger|matmulinteger).*"))
                    .filter(n -> !n.endsWith("_expanded"))
                    .sorted()
                    .toList();
        }
        Map<String, String> results = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (String c : cases) {
            Path dir = root.resolve(c);
            StringBuilder r = new StringBuilder();
            for (boolean constants : new boolean[] {false, true}) {
                String outcome = runCase(dir, constants);
                r.append(constants ? " constants: " : "graph inputs: ").append(outcome);
                String need = MUST_PASS.getOrDefault(c, "");
                if (need.contains(constants ? "c" : "g") && !outcome.equals("pass")) {
                    failures.add(c + (constants ? " (constants)" : " (graph inputs)") + ": " + outcome);
                } else if (outcome.startsWith("FAIL")) {
                    failures.add(c + (constants ? " (constants)" : " (graph inputs)") + ": " + outcome);
                }
            }
            results.put(c, r.toString());
        }
        results.forEach((c, r) -> System.out.printf("%-44s %s%n", c, r));
        assertThat(failures).isEmpty();
    }

    /** "pass", "unsupported: …" (a one-line import error) or "FAIL …". */
    private static String runCase(Path dir, boolean constants) throws IOException {
        Path file = dir.resolve("model.onnx");
        ModelProto m = OnnxReader.parse(Files.readAllBytes(file), file);
        Path set = dir.resolve("test_data_set_0");
        List<Path> inputFiles = OnnxTestData.numbered(set, "input");
        m = atOpset22(m);
        if (constants) {
            m = inputsAsInitializers(m, inputFiles);
        }
        Model model;
        try {
            int opset = OnnxReader.checkOpset(m, file);
            model = OnnxImporter.importModel(new OnnxReader.OnnxFile(file, m, opset));
        } catch (QuantaException e) {
            assertThat(e.getMessage()).doesNotContain("\n");
            return "unsupported: " + e.getMessage().substring(e.getMessage().indexOf(": ") + 2);
        }
        List<OnnxTestData.Array> inputs = new ArrayList<>();
        int given = constants ? 1 : inputFiles.size();
        for (int i = 0; i < given; i++) {
            inputs.add(OnnxTestData.read(inputFiles.get(i)));
        }
        List<OnnxTestData.Array> expected = OnnxTestData.numbered(set, "output").stream()
                .map(OnnxTestData::read)
                .toList();
        List<OnnxTestData.Array> actual;
        try {
            actual = OnnxTestData.run(model, inputs);
        } catch (RuntimeException e) {
            return "FAIL run: " + e;
        }
        for (int i = 0; i < expected.size(); i++) {
            String diff = OnnxTestData.compare(actual.get(i), expected.get(i), 0, 0);
            if (diff != null) {
                return "FAIL output " + i + ": " + diff;
            }
        }
        return "pass";
    }

    private static ModelProto atOpset22(ModelProto m) {
        ModelProto.Builder b = m.toBuilder().clearOpsetImport();
        for (OperatorSetIdProto id : m.getOpsetImportList()) {
            b.addOpsetImport(
                    OnnxReader.isDefaultDomain(id.getDomain()) && id.getVersion() > OnnxReader.MAX_OPSET
                            ? id.toBuilder().setVersion(OnnxReader.MAX_OPSET).build()
                            : id);
        }
        return b.build();
    }

    /** Graph inputs 1.. become initializers holding the test data set's values. */
    private static ModelProto inputsAsInitializers(ModelProto m, List<Path> inputFiles) {
        GraphProto.Builder g = m.getGraph().toBuilder().clearInput();
        List<ValueInfoProto> ins = m.getGraph().getInputList();
        for (int i = 0; i < ins.size(); i++) {
            if (i == 0) {
                g.addInput(ins.get(i));
                continue;
            }
            TensorProto t = OnnxReader.readTensor(inputFiles.get(i));
            g.addInitializer(t.toBuilder().setName(ins.get(i).getName()).build());
        }
        return m.toBuilder().setGraph(g).build();
    }
}
