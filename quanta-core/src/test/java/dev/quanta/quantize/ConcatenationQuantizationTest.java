package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CONCATENATION of differently-ranged inputs, quantized: TFLite's int8 and int16 kernels and its XNNPACK delegate
 * require every input to have the output's scale and zero point, so the rewriter requantizes each differing input
 * with the output's parameters; the file then runs in TFLite on both paths bit for
 * bit as in Quanta.
 */
@UsesOracle
class ConcatenationQuantizationTest {

    /** x[B,3,4] → relu(x) (range [0, 2)), 3·x + 1 by a Dense (range ≈ [−5, 7)) → concat. */
    static Model model() {
        ModelBuilder b = new ModelBuilder("concat");
        Tensor x = b.input("x", Shape.batched(3, 4));
        Tensor r = CoreModels.relu(b, "relu", x);
        float[] k = new float[16];
        float[] bias = new float[4];
        for (int i = 0; i < 4; i++) {
            k[5 * i] = 3;
            bias[i] = 1;
        }
        Tensor d = CoreModels.dense(
                b,
                "dense",
                x,
                b.constant("dense/kernel", Shape.of(4, 4), k),
                b.constant("dense/bias", Shape.of(4), bias));
        Tensor y = b.add(
                OpType.CONCATENATION,
                "concat",
                new Origin("concat", "Concatenate"),
                new OpAttributes.Concatenation(-1, dev.quanta.ir.Activation.NONE),
                r,
                d);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16X8"})
    void inputsTakeTheOutputParametersAndTheFileRunsBitExactInTflite(String form) {
        SplittableRandom rnd = new SplittableRandom(5);
        Dataset d = Dataset.of("x", new int[] {3, 4}, CoreArrays.uniform(rnd, 20 * 12, -2, 2), null);
        QuantizationConfig cfg = QuantizationConfig.defaults()
                .withMode(form.equals("INT16X8") ? QuantizationMode.INT16X8 : QuantizationMode.INT8)
                .withScheme(form.equals("UINT8") ? QuantizationScheme.ASYMMETRIC : QuantizationScheme.SYMMETRIC)
                .withCalibrationSamples(d.size());
        Model q = Converter.fromModel(model())
                .withConfig(cfg)
                .withRepresentativeDataset(d)
                .convert()
                .model();
        Op concat = q.ops().stream()
                .filter(o -> o.type() == OpType.CONCATENATION)
                .findFirst()
                .orElseThrow();
        DType act = form.equals("UINT8") ? DType.UINT8 : form.equals("INT16X8") ? DType.INT16 : DType.INT8;
        assertThat(concat.output(0).dtype()).isEqualTo(act);
        for (Tensor in : concat.inputs()) {
            assertThat(in.quant()).as(in.name()).isEqualTo(concat.output(0).quant());
        }
        // the Dense output spans the whole output range already, so only the ReLU output is requantized
        assertThat(q.ops().stream()
                        .filter(o -> o.type() == OpType.QUANTIZE && o.input(0).dtype() == act))
                .extracting(o -> o.output(0).name())
                .containsExactly("relu/requantized/" + concat.name());

        byte[] file = TfliteWriter.toBytes(q);
        Model read = TfliteReader.read(file, Path.of("concat.tflite"));
        float[] x = new float[12];
        for (QuantizedPath path : QuantizedPath.values()) {
            try (TfliteOracle o = TfliteOracle.open(file, TfliteOracle.Kernels.valueOf(path.name()), 1);
                    Interpreter it =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                it.resizeInput(0, new int[] {1, 3, 4});
                for (int s = 0; s < d.size(); s++) {
                    d.copySample(s, x, 0);
                    o.setInput(0, x);
                    o.invoke();
                    float[] got = new float[3 * 8];
                    it.run(x, got);
                    assertThat(got).as("%s %s sample %d", form, path, s).containsExactly(o.outputFloat(0));
                }
            }
        }
    }

    /** relu(x) into two concatenations of different ranges: requantized twice, to two different parameters. */
    @org.junit.jupiter.api.Test
    void oneTensorIntoTwoConcatenationsIsRequantizedForEach() {
        ModelBuilder b = new ModelBuilder("two-concats");
        Tensor x = b.input("x", Shape.batched(3, 4));
        Tensor r = CoreModels.relu(b, "relu", x);
        Tensor wide = CoreModels.activation(b, OpType.TANH, "tanh", x);
        float[] k = new float[16];
        for (int i = 0; i < 4; i++) {
            k[5 * i] = 4;
        }
        Tensor d = CoreModels.dense(
                b,
                "dense",
                x,
                b.constant("dense/kernel", Shape.of(4, 4), k),
                b.constant("dense/bias", Shape.of(4), new float[4]));
        var a = new OpAttributes.Concatenation(-1, dev.quanta.ir.Activation.NONE);
        Tensor y1 = b.add(OpType.CONCATENATION, "concat1", new Origin("concat1", "Concatenate"), a, r, d);
        Tensor y2 = b.add(OpType.CONCATENATION, "concat2", new Origin("concat2", "Concatenate"), a, r, wide);
        Model f = b.output(y1).output(y2).build(ModelMetadata.inMemory());
        SplittableRandom rnd = new SplittableRandom(6);
        Dataset d8 = Dataset.of("x", new int[] {3, 4}, CoreArrays.uniform(rnd, 20 * 12, -2, 2), null);
        Model q = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationSamples(d8.size()))
                .withRepresentativeDataset(d8)
                .convert()
                .model();
        List<Op> concats =
                q.ops().stream().filter(o -> o.type() == OpType.CONCATENATION).toList();
        assertThat(concats).hasSize(2);
        assertThat(concats.get(0).output(0).quant())
                .isNotEqualTo(concats.get(1).output(0).quant());
        for (Op c : concats) {
            for (Tensor in : c.inputs()) {
                assertThat(in.quant())
                        .as(c.name() + " " + in.name())
                        .isEqualTo(c.output(0).quant());
            }
        }
        assertThat(q.ops().stream()
                        .filter(o -> o.type() == OpType.QUANTIZE
                                && o.input(0).name().equals("relu")
                                && o.input(0).dtype() == DType.INT8))
                .as("relu requantized once per concatenation, each under its own name")
                .extracting(o -> o.output(0).name())
                .doesNotHaveDuplicates()
                .hasSize(2);
        byte[] file = TfliteWriter.toBytes(q);
        Model read = TfliteReader.read(file, Path.of("two-concats.tflite"));
        float[] in = new float[12];
        for (QuantizedPath path : QuantizedPath.values()) {
            try (TfliteOracle o = TfliteOracle.open(file, TfliteOracle.Kernels.valueOf(path.name()), 1);
                    Interpreter it =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                it.resizeInput(0, new int[] {1, 3, 4});
                for (int s = 0; s < d8.size(); s++) {
                    d8.copySample(s, in, 0);
                    o.setInput(0, in);
                    o.invoke();
                    float[][] got = {new float[24], new float[24]};
                    it.runForMultipleInputsOutputs(new Object[] {in}, got);
                    assertThat(got[0]).as("%s sample %d concat1", path, s).containsExactly(o.outputFloat(0));
                    assertThat(got[1]).as("%s sample %d concat2", path, s).containsExactly(o.outputFloat(1));
                }
            }
        }
    }
}
