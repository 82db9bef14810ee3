package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The generated conv → ReLU → depthwise → ReLU → conv chain with learned rounding (per channel; per tensor with bias
 * correction; int16x8), written as a .tflite: TFLite's built-in kernels and XNNPACK compute exactly what Quanta's
 * interpreter computes, sample by sample, and the weights differ from nearest rounding's.
 */
@UsesOracle
class LearnedRoundingOracleTest {
    private static void bitExact(UnaryOperator<QuantizationConfig> settings, boolean xnnpack) {
        Model f = CrossLayerEqualizationTest.chain(Activation.RELU);
        Dataset d = CrossLayerEqualizationTest.data();
        Converter.Conversion c = CoreModels.int8(f, d, s -> settings.apply(s).withLearnedRounding(true))
                .convert();
        Model nearest = CoreModels.int8(f, d, settings).convert().model();
        QuantizationReport.Technique t = c.report().techniques().get(0);
        System.out.println(String.join("\n", t.changes()));
        assertThat(t.name()).isEqualTo("learned rounding");
        int changed = 0;
        for (String kernel : new String[] {"c1/kernel", "dw/kernel", "c2/kernel"}) {
            assertThat(c.model().tensor(kernel).quant())
                    .isEqualTo(nearest.tensor(kernel).quant());
            byte[] a = c.model().tensor(kernel).data().bytes();
            byte[] b = nearest.tensor(kernel).data().bytes();
            for (int e = 0; e < a.length; e++) {
                changed += a[e] != b[e] ? 1 : 0;
            }
        }
        assertThat(changed).isPositive();
        byte[] file = TfliteWriter.toBytes(c.model());
        float[] x = new float[d.sampleSize()];
        for (TfliteOracle.Kernels kernels : TfliteOracle.Kernels.values()) {
            if (kernels == TfliteOracle.Kernels.XNNPACK && !xnnpack) {
                continue;
            }
            try (TfliteOracle o = TfliteOracle.open(file, kernels, 1);
                    Interpreter it = new Interpreter(
                            c.model(),
                            Interpreter.Options.defaults().withKernelPath(QuantizedPath.valueOf(kernels.name())))) {
                float[] mine = new float[5 * 5 * 2];
                for (int s = 0; s < d.size(); s++) {
                    d.copySample(s, x, 0);
                    o.setInput(0, x);
                    o.invoke();
                    it.run(x, mine);
                    assertThat(mine).as("%s sample %d", kernels, s).containsExactly(o.outputFloat(0));
                }
            }
        }
    }

    @Test
    void perChannel() {
        bitExact(s -> s, true);
    }

    @Test
    void perTensorWithBiasCorrection() {
        bitExact(s -> s.withGranularity(Granularity.PER_TENSOR).withBiasCorrection(true), true);
    }

    @Test
    void int16x8() {
        // XNNPACK has no 16x8 kernels; the built-in ones run it
        bitExact(s -> s.withMode(QuantizationMode.INT16X8), true);
    }
}
