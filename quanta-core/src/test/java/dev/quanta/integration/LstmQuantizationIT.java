package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quanta's int8 quantization of an LSTM (tflite-micro's mnist_lstm, float .tflite), checked as the TFLite
 * converter's own int8 file is: the written file is TFLite's integer 8x8→16 LSTM (int8 weights per tensor, int32
 * biases at s_x·s_W, int16 cell state with a power-of-two scale, the 5 intermediates), it runs in the official
 * runtime, and Quanta's interpreter is bit-exact with it on both paths over real MNIST digits.
 */
@UsesFixtures
@UsesOracle
class LstmQuantizationIT {
    private static final int SAMPLES = 300;

    @TempDir
    Path tmp;

    private static Model floatLstm() {
        return ModelFiles.load(Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite"));
    }

    @Test
    void int8LstmIsTflitesIntegerLstmAndBitExactWithTheOfficialRuntime() {
        Dataset mnist = KerasFixtureModels.idx("mnist", null);
        for (IoType io : new IoType[] {IoType.FLOAT, IoType.INT8}) {
            Path file = tmp.resolve("lstm_" + io + ".tflite");
            TfliteWriter.write(
                    Converter.fromModel(floatLstm())
                            .withConfig(QuantizationConfig.defaults().withIo(io))
                            .withRepresentativeDataset(mnist)
                            .convert()
                            .model(),
                    file);
            Model written = TfliteReader.read(file);
            Op lstm = written.ops().stream()
                    .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                    .findFirst()
                    .orElseThrow();
            OpAttributes.Lstm a = lstm.attrs(OpAttributes.Lstm.class);
            assertThat(lstm.input(0).dtype()).isEqualTo(DType.INT8);
            assertThat(lstm.output(0).dtype()).isEqualTo(DType.INT8);
            assertThat(a.cellStateQuant().scale())
                    .as("power-of-two cell scale")
                    .isIn(0x1p-15f, 0x1p-14f, 0x1p-13f, 0x1p-12f, 0x1p-11f);
            assertThat(a.intermediates()).hasSize(5);
            assertThat(a.intermediates()[4]).isEqualTo(lstm.output(0).quant());
            // the converter's form: asymmetric over the calibrated output range (zero point −1 on this data)
            assertThat(a.outputStateQuant()).isEqualTo(lstm.output(0).quant());
            assertThat(a.outputStateQuant().zeroPoint())
                    .as("asymmetric hidden state")
                    .isNotZero();
            for (int i = 1; i <= 8; i++) {
                Tensor w = lstm.input(a.position(i));
                assertThat(w.dtype()).isEqualTo(DType.INT8);
                assertThat(w.quant().isPerTensor()).isTrue();
            }
            for (int i = 12; i <= 15; i++) {
                Tensor b = lstm.input(a.position(i));
                Tensor w = lstm.input(a.position(i - 11));
                assertThat(b.dtype()).isEqualTo(DType.INT32);
                assertThat(b.quant().scale())
                        .isEqualTo(lstm.input(0).quant().scale() * w.quant().scale());
            }

            Tensor in = written.inputs().get(0);
            Tensor out = written.outputs().get(0);
            float[] x = new float[mnist.sampleSize()];
            int[] exact = new int[2];
            try (Interpreter qx = new Interpreter(written);
                    Interpreter qb = new Interpreter(
                            written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                    TfliteOracle ox = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                    TfliteOracle ob = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
                Interpreter[] mine = {qx, qb};
                TfliteOracle[] theirs = {ox, ob};
                for (int s = 0; s < SAMPLES; s++) {
                    mnist.copySample(5000 + s, x, 0); // beyond the calibration samples
                    Object input = in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in);
                    for (int p = 0; p < 2; p++) {
                        Object y = Buffers.allocate(
                                out.dtype(), mine[p].getOutputTensor(0).numElements());
                        mine[p].run(input, y);
                        OracleRuns.setInput(theirs[p], input);
                        theirs[p].resetVariableTensors(); // TFLite keeps LSTM states between invocations
                        theirs[p].invoke();
                        float[] ref = OracleRuns.output(theirs[p], out);
                        exact[p] += java.util.Arrays.equals(InputQuantizer.dequantize(y, out), ref) ? 1 : 0;
                    }
                }
            }
            System.out.printf(
                    "mnist_lstm int8 (io %s): bit-exact XNNPACK %d/%d, built-in %d/%d, cell scale %s%n",
                    io, exact[0], SAMPLES, exact[1], SAMPLES, a.cellStateQuant().scale());
            assertThat(exact).containsExactly(SAMPLES, SAMPLES);
        }
    }

    @Test
    void uint8HasNoIntegerLstmAndSaysSo() {
        Dataset mnist = KerasFixtureModels.idx("mnist", null);
        QuantizationConfig uint8 = QuantizationConfig.defaults()
                .withMode(QuantizationMode.INT8)
                .withScheme(QuantizationScheme.ASYMMETRIC)
                .withCalibrationSamples(20);
        Converter c = Converter.fromModel(floatLstm()).withConfig(uint8).withRepresentativeDataset(mnist);
        assertThatThrownBy(c::convert)
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("UNIDIRECTIONAL_SEQUENCE_LSTM has no uint8 kernel")
                .hasMessageContaining("set allowFloatFallback to keep this layer in float");
        Model fallback =
                c.withConfig(uint8.withAllowFloatFallback(true)).convert().model();
        Op lstm = fallback.ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .findFirst()
                .orElseThrow();
        assertThat(lstm.input(0).dtype())
                .as("kept in float between DEQUANTIZE and QUANTIZE")
                .isEqualTo(DType.FLOAT32);
    }
}
