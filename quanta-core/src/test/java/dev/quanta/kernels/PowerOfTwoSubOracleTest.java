package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * int16 SUB whose file sets pot_scale_int16 (SubOptions' default, as LSTM-style graphs carry it): with power-of-two
 * scales TFLite takes its shift form (Sub16, BroadcastSub16POTSlow), not the general rescaling. Quanta reads the
 * flag, writes it back and runs that form bit-exact with TFLite on both paths (XNNPACK takes no int16 SUB); the
 * exponent combinations TFLite's Prepare refuses are refused by both.
 */
@UsesOracle
class PowerOfTwoSubOracleTest {
    private final SplittableRandom random = new SplittableRandom(20261202L);

    private static Tensor int16(String name, int log2Scale, int... dims) {
        return new Tensor(
                name,
                Shape.of(dims),
                DType.INT16,
                null,
                QuantParams.perTensor((float) Math.scalb(1.0, log2Scale), 0),
                false);
    }

    private static Model sub(Tensor a, Tensor b, Tensor y, Activation act) {
        Op op = new Op(
                "y",
                OpType.SUB,
                List.of(a, b),
                List.of(y),
                new OpAttributes.PowerOfTwoSub(act),
                new Origin("y", "Sub"));
        return new Model("pot_sub", List.of(a, b), List.of(y), List.of(op), ModelMetadata.inMemory());
    }

    private short[] values(int n) {
        short[] v = new short[n];
        for (int i = 0; i < n; i++) {
            v[i] = (short) (random.nextInt(65536) - 32768);
        }
        return v;
    }

    /** Runs the written file in TFLite (both paths) and in Quanta (both paths) on the same inputs: equal outputs. */
    private void assertBitExact(Model m, String what) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(m);
        Model read = TfliteReader.read(bytes, Path.of("pot_sub.tflite"));
        assertThat(read.ops().get(0).attributes()).as(what).isInstanceOf(OpAttributes.PowerOfTwoSub.class);
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels, 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                for (int i = 0; i < 2; i++) {
                    quanta.resizeInput(i, m.inputs().get(i).shape().dims());
                }
                for (int s = 0; s < 3; s++) {
                    short[] a = values(Math.toIntExact(m.inputs().get(0).shape().elementCount()));
                    short[] b = values(Math.toIntExact(m.inputs().get(1).shape().elementCount()));
                    oracle.setInput(0, a);
                    oracle.setInput(1, b);
                    oracle.invoke();
                    short[] mine =
                            new short[Math.toIntExact(m.outputs().get(0).shape().elementCount())];
                    quanta.runForMultipleInputsOutputs(new Object[] {a, b}, new Object[] {mine});
                    assertThat(mine).as(what + " " + path + " sample " + s).containsExactly(oracle.outputInt16(0));
                }
            }
        }
    }

    @Test
    void powerOfTwoFormBitExactWithTflite() throws Exception {
        // input 2 shifted down by 2, input 1 by 3, none, with broadcasting, with fused activations
        assertBitExact(
                sub(int16("a", -10, 2, 8), int16("b", -12, 2, 8), int16("y", -10, 2, 8), Activation.NONE), "b >> 2");
        assertBitExact(
                sub(int16("a", -14, 3, 5), int16("b", -11, 3, 5), int16("y", -11, 3, 5), Activation.NONE), "a >> 3");
        assertBitExact(sub(int16("a", -12, 16), int16("b", -12, 16), int16("y", -12, 16), Activation.NONE), "no shift");
        assertBitExact(
                sub(int16("a", -9, 2, 3, 4), int16("b", -13, 4), int16("y", -9, 2, 3, 4), Activation.NONE),
                "broadcast");
        assertBitExact(sub(int16("a", -10, 6), int16("b", -15, 1), int16("y", -10, 6), Activation.RELU), "relu");
        assertBitExact(
                sub(int16("a", -15, 2, 6), int16("b", -15, 2, 6), int16("y", -15, 2, 6), Activation.RELU_N1_TO_1),
                "relu_n1_to_1");
    }

    /** Scales that are not all powers of two: the flag is kept but TFLite and Quanta take the general form. */
    @Test
    void otherScalesTakeTheGeneralForm() throws Exception {
        Tensor a = new Tensor("a", Shape.of(2, 8), DType.INT16, null, QuantParams.perTensor(0.0011f, 0), false);
        assertBitExact(sub(a, int16("b", -12, 2, 8), int16("y", -10, 2, 8), Activation.NONE), "general");
    }

    /** Both inputs shifted, or an input of a coarser scale than the output: TFLite refuses it, and so does Quanta. */
    @Test
    void exponentsTfliteRefusesAreRefused() throws Exception {
        List<Model> bad = List.of(
                sub(int16("a", -12, 4), int16("b", -12, 4), int16("y", -10, 4), Activation.NONE),
                sub(int16("a", -8, 4), int16("b", -10, 4), int16("y", -10, 4), Activation.NONE));
        for (Model m : bad) {
            byte[] bytes = TfliteWriter.toBytes(m);
            assertThatThrownBy(() -> {
                        try (TfliteOracle oracle = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
                            oracle.setInput(0, new short[4]);
                            oracle.setInput(1, new short[4]);
                            oracle.invoke();
                        }
                    })
                    .isInstanceOf(RuntimeException.class);
            Model read = TfliteReader.read(bytes, Path.of("pot_sub.tflite"));
            assertThatThrownBy(() -> {
                        try (Interpreter quanta = new Interpreter(read)) {
                            quanta.resizeInput(0, new int[] {4});
                            quanta.resizeInput(1, new int[] {4});
                            quanta.allocateTensors();
                        }
                    })
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("SUB")
                    .hasMessageContaining("power-of-two")
                    .hasMessageNotContaining("\n");
        }
    }
}
