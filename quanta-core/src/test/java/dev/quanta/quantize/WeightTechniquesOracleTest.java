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
import org.junit.jupiter.api.Test;

/**
 * The generated conv → ReLU → depthwise → ReLU → conv chain, quantized per tensor with cross-layer equalization and
 * bias correction, written as a .tflite: TFLite's built-in kernels and XNNPACK compute exactly what Quanta's
 * interpreter computes, sample by sample.
 */
@UsesOracle
class WeightTechniquesOracleTest {
    @Test
    void writtenFileRunsBitExactInTheOfficialRuntime() {
        Model f = CrossLayerEqualizationTest.chain(Activation.RELU);
        Dataset d = CrossLayerEqualizationTest.data();
        Converter.Conversion c = CoreModels.int8(
                        f,
                        d,
                        s -> s.withGranularity(Granularity.PER_TENSOR)
                                .withCrossLayerEqualization(true)
                                .withBiasCorrection(true))
                .convert();
        assertThat(c.report().techniques())
                .extracting(QuantizationReport.Technique::name)
                .containsExactly("cross-layer equalization", "bias absorption", "bias correction");
        byte[] file = TfliteWriter.toBytes(c.model());
        float[] x = new float[d.sampleSize()];
        for (TfliteOracle.Kernels kernels : TfliteOracle.Kernels.values()) {
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
}
