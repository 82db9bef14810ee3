package dev.quanta.quantize;

import static dev.quanta.testing.CoreModels.dense;
import static dev.quanta.testing.CoreModels.int8;
import static dev.quanta.testing.CoreModels.relu;
import static dev.quanta.testing.CoreModels.softmax;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SimulatedQuantization}: the float model with the int8 model's weights and grids computes, tensor for
 * tensor, what the int8 model computes, up to one step where the integer kernels' fixed-point rounding differs.
 */
class SimulatedQuantizationTest {
    /** x[8] → Dense(16) → ReLU → Dense(4) → softmax, weights N(0, 0.5²) and biases N(0, 0.1²) from seed 5. */
    private static Model model() {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder b = new ModelBuilder("mlp");
        Tensor x = b.input("x", Shape.batched(8));
        Tensor h = relu(b, "relu", dense(b, "hidden", x, gaussian(r, 128, 0.5), gaussian(r, 16, 0.1)));
        Tensor y = dense(b, "out", h, gaussian(r, 64, 0.5), gaussian(r, 4, 0.1));
        return b.output(softmax(b, "softmax", y)).build(ModelMetadata.inMemory());
    }

    private static float[] gaussian(SplittableRandom r, int n, double sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sigma);
        }
        return v;
    }

    private static Dataset samples(int n, long seed) {
        return Dataset.of("gaussian", new int[] {8}, gaussian(new SplittableRandom(seed), 8 * n, 1), new int[n]);
    }

    @Test
    void everyQuantizedTensorIsOnItsGridAndWithinOneStepOfTheInt8Model() {
        Model floatModel = FloatGraphPasses.apply(model());
        Model q = int8(model(), samples(100, 1), s -> s.withGranularity(Granularity.PER_TENSOR))
                .convert()
                .model();
        Model sim = SimulatedQuantization.of(floatModel, q);
        assertThat(sim.ops())
                .allSatisfy(op -> assertThat(op.inputs())
                        .allSatisfy(t -> assertThat(
                                        t == null || t.dtype() == DType.FLOAT32 || op.type() == OpType.DEQUANTIZE)
                                .isTrue()));
        Dataset test = samples(50, 2);
        Interpreter.Options all = Interpreter.Options.defaults().withPreserveAllTensors(true);
        long compared = 0;
        long equal = 0;
        int rounded = 0;
        try (Interpreter qi = new Interpreter(q, all);
                Interpreter si = new Interpreter(sim, all)) {
            float[] in = new float[8];
            for (int s = 0; s < test.size(); s++) {
                test.copySample(s, in, 0);
                qi.run(in, null);
                si.run(in, null);
                for (Tensor t : q.tensors()) {
                    if (t.isConstant()
                            || t.dtype() != DType.INT8
                            || (sim.tensor(t.name()) == null && sim.tensor(base(t.name())) == null)) {
                        continue;
                    }
                    // the quantized graph input is NAME/quantized, the simulation's rounded input
                    // NAME/simulated_float
                    Tensor st = sim.inputs().get(0).name().equals(base(t.name()))
                            ? sim.tensor(base(t.name()) + "/simulated_float")
                            : sim.tensor(t.name()) != null ? sim.tensor(t.name()) : sim.tensor(base(t.name()));
                    float[] qv = qi.readTensorAsFloats(t);
                    float[] sv = si.readTensorAsFloats(st);
                    float scale = t.quant().scale();
                    long zp = t.quant().zeroPoint();
                    for (int i = 0; i < qv.length; i++) {
                        double level = sv[i] / scale + zp;
                        assertThat(Math.abs(level - Math.rint(level)))
                                .as(st.name())
                                .isLessThan(1e-3);
                        double steps = Math.abs(sv[i] - qv[i]) / scale;
                        assertThat(steps)
                                .as(String.format(Locale.ROOT, "%s[%d] sample %d", t.name(), i, s))
                                .isLessThan(1.001);
                        compared++;
                        equal += steps < 1e-3 ? 1 : 0;
                    }
                    rounded++;
                }
            }
        }
        // the input, hidden (ReLU fused), out and the softmax output
        assertThat(rounded).isEqualTo(4 * 50);
        System.out.printf(Locale.ROOT, "simulated: %d of %d values equal to the int8 model's%n", equal, compared);
        assertThat((double) equal / compared).isGreaterThan(0.9);
    }

    /** A graph input's or output's integer tensor is NAME/quantized in the int8 model. */
    private static String base(String name) {
        return name.endsWith("/quantized") ? name.substring(0, name.length() - "/quantized".length()) : name;
    }
}
