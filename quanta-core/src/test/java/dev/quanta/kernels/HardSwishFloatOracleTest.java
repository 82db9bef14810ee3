package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Float HARD_SWISH equals TFLite's bit for bit on each path: the built-in kernel rounds x · min(6, max(0, x + 3))
 * · (1/6), XNNPACK x · min(1, max(0, fma(x, 1/6, 1/2))); one ulp matters once a float HARD_SWISH left in float by a
 * 16x8 conversion is requantized to int16.
 */
@UsesOracle
class HardSwishFloatOracleTest {
    private static final int N = 20_000;

    @ParameterizedTest
    @EnumSource(QuantizedPath.class)
    void floatHardSwishIsBitExactWithTheSamePath(QuantizedPath path) {
        ModelBuilder b = new ModelBuilder("hard_swish");
        Tensor x = b.input("x", Shape.of(1, N));
        Tensor y = b.add(OpType.HARD_SWISH, "hs", new Origin("hs", "Activation"), OpAttributes.None.INSTANCE, x);
        Model m = b.output(y).build(ModelMetadata.inMemory());
        float[] in = CoreArrays.uniform(new SplittableRandom(3), N, -5, 5);
        in[0] = -3f;
        in[1] = 3f;
        in[2] = 0f;
        in[3] = -0f;
        try (TfliteOracle o = TfliteOracle.open(TfliteWriter.toBytes(m), TfliteOracle.Kernels.valueOf(path.name()), 1);
                Interpreter it =
                        new Interpreter(m, Interpreter.Options.defaults().withKernelPath(path))) {
            o.setInput(0, in);
            o.invoke();
            float[] got = new float[N];
            it.run(in, got);
            assertThat(got).as(path.name()).containsExactly(o.outputFloat(0));
        }
    }
}
