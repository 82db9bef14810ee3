package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Op by op on the fixture graphs: every op of the IC and KWS int8 models, fed with the official runtime's own values
 * of its inputs, must give the runtime's values of its output, on both paths. The built-in path's intermediates are
 * read with {@code SetPreserveAllTensors}; the XNNPACK path's by re-pointing the model's output at each
 * intermediate tensor ({@link NativeTflite#withOutput}), so that the delegate has to write it out.
 */
@UsesFixtures
@UsesOracle
class FixtureOpByOpTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"ic/pretrainedResnet_quant.tflite, 8", "kws/kws_ref_model.tflite, 8"})
    void everyOpMatchesTheOracleOnItsOwnInputs(String file, int samples) throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.require("mlperf-tiny/" + file));
        List<FixtureConformanceTest.Sample> inputs = file.startsWith("ic")
                ? FixtureConformanceTest.icSamples().subList(0, samples)
                : FixtureConformanceTest.kwsSamples().subList(0, samples);
        try (NativeTflite builtin = new NativeTflite(bytes, false)) {
            Model m = builtin.toIr(file);
            Map<Integer, NativeTflite> xnnpack = new HashMap<>();
            List<Integer> watched = new ArrayList<>();
            watched.add(builtin.index(m.inputs().get(0)));
            for (Op op : m.ops()) {
                watched.add(builtin.index(op.output(0)));
            }
            try {
                for (int idx : watched) {
                    xnnpack.put(idx, new NativeTflite(NativeTflite.withOutput(bytes, idx), true));
                }
                for (QuantizedPath path : QuantizedPath.values()) {
                    try (KernelRunner quanta = new KernelRunner(m, path)) {
                        for (FixtureConformanceTest.Sample s : inputs) {
                            Map<Integer, byte[]> oracle = new HashMap<>();
                            if (path == QuantizedPath.BUILTIN) {
                                builtin.setInput(s.input());
                                builtin.invoke();
                                for (int idx : watched) {
                                    oracle.put(idx, builtin.tensorBytes(idx));
                                }
                            } else {
                                for (int idx : watched) {
                                    NativeTflite x = xnnpack.get(idx);
                                    x.setInput(s.input());
                                    x.invoke();
                                    oracle.put(idx, x.tensorBytes(x.outputIndex()));
                                }
                            }
                            for (int i = 0; i < m.ops().size(); i++) {
                                Op op = m.ops().get(i);
                                for (Tensor t : op.inputs()) {
                                    if (!t.isConstant()) {
                                        byte[] v = oracle.get(builtin.index(t));
                                        System.arraycopy(v, 0, quanta.buffer(t), 0, v.length);
                                    }
                                }
                                quanta.runOp(i);
                                assertThat((byte[]) quanta.buffer(op.output(0)))
                                        .as("%s op %d (%s) on %s", file, i, op.type(), path)
                                        .isEqualTo(oracle.get(builtin.index(op.output(0))));
                            }
                        }
                    }
                }
            } finally {
                for (NativeTflite x : xnnpack.values()) {
                    x.close();
                }
            }
        }
    }
}
