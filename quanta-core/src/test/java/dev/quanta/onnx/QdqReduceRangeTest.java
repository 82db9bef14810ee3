package dev.quanta.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.testing.UsesOracle;
import org.junit.jupiter.api.Test;

/** {@link QuantizationConfig#withReduceRange}: 7-bit weights, as ONNX Runtime's {@code reduce_range} (issue 12). */
@UsesOracle
class QdqReduceRangeTest {
    private static Model quantize(Model m, QuantizationConfig config) {
        return Converter.fromModel(m)
                .withConfig(config.withCalibrationSamples(24))
                .withRepresentativeDataset(OnnxWriterTest.data(m, 24, 1))
                .convert()
                .model();
    }

    private static QuantizationConfig int8() {
        return QuantizationConfig.defaults().withMode(QuantizationMode.INT8);
    }

    @Test
    void symmetricWeightsUseScaleMaxOver63AndStayWithin63() {
        Model source = OnnxWriterTest.vision();
        Model q = quantize(source, int8().withReduceRange(true));
        int checked = 0;
        for (Op op : q.ops()) {
            if (op.type() != OpType.CONV_2D && op.type() != OpType.FULLY_CONNECTED) {
                continue;
            }
            Tensor w = op.input(1);
            assertThat(w.dtype()).isEqualTo(DType.INT8);
            byte[] v = w.data().bytes();
            int max = 0;
            for (byte b : v) {
                max = Math.max(max, Math.abs(b));
            }
            assertThat(max).as(w.name()).isEqualTo(63);
            // s = max|w| / 63 for the first channel (axis 0), from the float weights
            float[] f = source.tensor(w.name()).data().floats();
            int perChannel = v.length / w.quant().scales().length;
            double absMax = 0;
            for (int i = 0; i < perChannel; i++) {
                absMax = Math.max(absMax, Math.abs(f[i]));
            }
            assertThat(w.quant().scales()[0]).isEqualTo((float) (absMax / 63));
            checked++;
        }
        assertThat(checked).isEqualTo(3);
    }

    @Test
    void asymmetricUint8WeightsStayWithin0To127() {
        Model q = quantize(
                OnnxWriterTest.classifier(),
                int8().withScheme(QuantizationScheme.ASYMMETRIC)
                        .withGranularity(Granularity.PER_TENSOR)
                        .withReduceRange(true));
        for (Op op : q.ops()) {
            if (op.type() == OpType.FULLY_CONNECTED) {
                Tensor w = op.input(1);
                assertThat(w.dtype()).isEqualTo(DType.UINT8);
                int hi = 0;
                for (byte b : w.data().bytes()) {
                    hi = Math.max(hi, b & 0xff);
                }
                assertThat(hi).as(w.name()).isEqualTo(127);
            }
        }
    }

    @Test
    void reducedRangeModelRunsInOnnxRuntimeLikeInQuanta() {
        Model q = quantize(OnnxWriterTest.classifier(), int8().withReduceRange(true));
        double[] range = new double[1];
        double worst =
                OnnxWriterTest.maxFloatDifference(q, OnnxWriterTest.data(OnnxWriterTest.classifier(), 24, 2), range);
        // the float output is the int8 softmax dequantized: one step is 1/256
        assertThat(worst).isLessThanOrEqualTo(1 / 256.0 * 1.001);
    }

    @Test
    void onlyInt8ModeTakesIt() {
        assertThatThrownBy(() -> Converter.fromModel(OnnxWriterTest.classifier())
                        .withConfig(QuantizationConfig.defaults()
                                .withMode(QuantizationMode.DYNAMIC)
                                .withReduceRange(true))
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("reduceRange")
                .hasMessageContaining("int8");
        assertThat(int8().withReduceRange(true)).isNotEqualTo(int8());
        assertThat(int8().withReduceRange(true)
                        .withScheme(QuantizationScheme.SYMMETRIC)
                        .reduceRange())
                .isTrue();
    }
}
