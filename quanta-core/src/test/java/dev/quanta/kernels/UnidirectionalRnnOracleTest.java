package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.testing.UsesOracle;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * UNIDIRECTIONAL_SEQUENCE_RNN against the official runtime in every form TFLite 2.21 registers: float32, and
 * hybrid (int8 weights) with asymmetric_quantize_inputs both ways, with seeded random sizes, layouts and
 * activations (TFLite has no integer kernel for it). Float outputs within 1e-5 of the output range (2: tanh is in
 * (−1, 1); the RELU cases have smaller outputs) of TFLite's on both paths (XNNPACK does not take the op); with
 * RELU and RELU6 (no transcendental function) every output bit-exact.
 */
@UsesOracle
class UnidirectionalRnnOracleTest {
    private static final int CASES = 8;

    @TestFactory
    Stream<DynamicTest> everyFormFollowsTheBuiltinKernel() {
        LstmModels g = new LstmModels(3511L);
        List<DynamicTest> tests = new ArrayList<>();
        OpAttributes.LstmActivation[] acts = {
            OpAttributes.LstmActivation.TANH, OpAttributes.LstmActivation.RELU, OpAttributes.LstmActivation.RELU6
        };
        for (int form = 0; form < 3; form++) {
            for (int i = 0; i < CASES; i++) {
                LstmModels.Dims d = g.dims();
                OpAttributes.LstmActivation act = acts[i % acts.length];
                LstmModels.Case c = g.rnn(d, 0.6, form > 0, form == 1, act);
                tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                    int differ = UnidirectionalLstmOracleTest.checkFloat(g, c);
                    if (act != OpAttributes.LstmActivation.TANH) {
                        // no transcendental function: the same float operations in the same order as TFLite
                        assertThat(differ).as("outputs not bit-exact").isZero();
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** Dynamic-range quantization makes a float RNN TFLite's hybrid RNN (int8 weights, asymmetric inputs). */
    @TestFactory
    Stream<DynamicTest> dynamicRangeRnnIsTheHybridRnn() {
        LstmModels g = new LstmModels(3512L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            LstmModels.Case f = g.rnn(g.dims(), 0.6, false, false, OpAttributes.LstmActivation.TANH);
            Model q = Converter.fromModel(f.model())
                    .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                    .convert()
                    .model();
            tests.add(DynamicTest.dynamicTest("dynamic range " + f.name(), () -> {
                Op rnn = q.ops().get(0);
                assertThat(rnn.input(1).dtype()).isEqualTo(DType.INT8);
                assertThat(rnn.input(2).dtype()).isEqualTo(DType.INT8);
                assertThat(rnn.input(3).dtype()).isEqualTo(DType.FLOAT32);
                assertThat(rnn.attrs(OpAttributes.SequenceRnn.class).asymmetricQuantizeInputs())
                        .isTrue();
                UnidirectionalLstmOracleTest.checkFloat(g, new LstmModels.Case(f.name(), q));
            }));
        }
        return tests.stream();
    }
}
