package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantizing a float model with a TRANSPOSE_CONV (a U-Net's upsampling step: 4×4×3 → 8×8×5, 3×3 kernel, stride 2,
 * SAME, ReLU): int8 with per-channel weights along the output channels, int16x8 with an int64 bias, and the uint8
 * scheme (per-tensor uint8 weights). The written
 * file runs in TFLite on both paths with the same outputs as Quanta's interpreter, and near the float model (within
 * the rounding error of inputs and weights).
 */
@UsesOracle
class TransposeConvQuantizationTest {
    private static final int SAMPLE = 4 * 4 * 3;
    private static final int OUT = 8 * 8 * 5;

    @TempDir
    Path tmp;

    static Model upsampler() {
        SplittableRandom r = new SplittableRandom(3);
        ModelBuilder mb = new ModelBuilder("upsample");
        Tensor x = mb.input("x", Shape.batched(4, 4, 3));
        float[] k = CoreArrays.uniform(r, 5 * 3 * 3 * 3, -0.5f, 0.5f);
        for (int i = 0; i < 27; i++) {
            k[2 * 27 + i] *= 0.05f; // a weak channel: per-channel scales differ
        }
        Tensor w = mb.constant("up/kernel", Shape.of(5, 3, 3, 3), k);
        Tensor b = mb.constant("up/bias", Shape.of(5), new float[] {0.1f, -0.2f, 0.05f, 0.3f, 0f});
        Tensor y = mb.add(
                OpType.TRANSPOSE_CONV,
                "up",
                new Origin("up", "Conv2DTranspose"),
                new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 8, 8, Activation.RELU),
                x,
                w,
                b);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    static Dataset data(int n) {
        return Dataset.of(
                "x", new int[] {4, 4, 3}, CoreArrays.uniform(new SplittableRandom(9), n * SAMPLE, -1, 1), null);
    }

    @Test
    void int8PerChannelRunsInTfliteAsInQuanta() throws Exception {
        checkQuantized(QuantizationMode.INT8, DType.INT8);
    }

    @Test
    void int16x8RunsInTfliteAsInQuanta() throws Exception {
        checkQuantized(QuantizationMode.INT16X8, DType.INT16);
    }

    /** The uint8 scheme (asymmetric, per-tensor): uint8 activations and weights, TF1's file form. */
    @Test
    void uint8RunsInTfliteAsInQuanta() throws Exception {
        checkQuantized(QuantizationMode.INT8, DType.UINT8);
    }

    /**
     * Dynamic range: the weights become int8 per output channel (bias float), TFLite 2.21's hybrid TRANSPOSE_CONV
     * runs the file on both paths, and its outputs agree with Quanta's within float rounding and with the float model
     * within the input and weight rounding.
     */
    @Test
    void dynamicRangeRunsTheHybridKernel() throws Exception {
        Converter.Conversion c = Converter.fromModel(upsampler())
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        Op op = c.model().ops().stream()
                .filter(o -> o.type() == OpType.TRANSPOSE_CONV)
                .findFirst()
                .orElseThrow();
        assertThat(op.input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(op.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(op.input(1).quant().scales()).hasSize(5);
        assertThat(op.input(2).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(c.report().floatLayers()).isEmpty();
        float[] reference = new float[OUT];
        try (Interpreter f = new Interpreter(upsampler())) {
            f.run(CoreArrays.uniform(new SplittableRandom(4), SAMPLE, -1, 1), reference);
        }
        Path file = tmp.resolve("dynamic.tflite");
        TfliteWriter.write(c.model(), file);
        float[] x = CoreArrays.uniform(new SplittableRandom(4), SAMPLE, -1, 1);
        try (Interpreter quanta = new Interpreter(TfliteReader.read(file))) {
            float[] mine = new float[OUT];
            quanta.run(x, mine);
            for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
                try (TfliteOracle o = TfliteOracle.open(file, k, 1)) {
                    float[] theirs = o.runFloat(x);
                    for (int j = 0; j < OUT; j++) {
                        assertThat(theirs[j])
                                .as(k + " value " + j)
                                .isCloseTo(mine[j], org.assertj.core.api.Assertions.within(1e-5f));
                    }
                }
            }
            for (int j = 0; j < OUT; j++) {
                assertThat(mine[j])
                        .as("float value " + j)
                        .isCloseTo(reference[j], org.assertj.core.api.Assertions.within(0.05f));
            }
        }
    }

    private void checkQuantized(QuantizationMode mode, DType act) throws Exception {
        Model floatModel = upsampler();
        Dataset d = data(32);
        QuantizationConfig config = QuantizationConfig.defaults().withMode(mode).withCalibrationSamples(d.size());
        if (act == DType.UINT8) {
            config = config.withScheme(QuantizationScheme.ASYMMETRIC).withGranularity(Granularity.PER_TENSOR);
        }
        Converter.Conversion c = Converter.fromModel(floatModel)
                .withConfig(config)
                .withRepresentativeDataset(d)
                .convert();
        Op op = c.model().ops().stream()
                .filter(o -> o.type() == OpType.TRANSPOSE_CONV)
                .findFirst()
                .orElseThrow();
        assertThat(op.input(0).dtype()).isEqualTo(act);
        assertThat(op.input(1).dtype()).isEqualTo(act == DType.UINT8 ? DType.UINT8 : DType.INT8);
        if (act != DType.UINT8) {
            assertThat(op.input(1).quant().scales()).hasSize(5); // per output channel
            assertThat(op.input(1).quant().axis()).isZero();
        }
        assertThat(op.input(2).dtype()).isEqualTo(act == DType.INT16 ? DType.INT64 : DType.INT32);
        float outScale = op.output(0).quant().scale();

        Path file = tmp.resolve(mode + "-" + act + ".tflite");
        TfliteWriter.write(c.model(), file);
        Model written = TfliteReader.read(file);
        float[] x = new float[SAMPLE];
        try (Interpreter reference = new Interpreter(floatModel);
                Interpreter xnnQuanta = new Interpreter(written);
                Interpreter builtinQuanta =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < 8; i++) {
                d.copySample(i, x, 0);
                float[] want = new float[OUT];
                reference.run(x, want);
                float[] mineXnn = new float[OUT];
                xnnQuanta.run(x, mineXnn);
                float[] mineBuiltin = new float[OUT];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x)).as("XNNPACK, sample " + i).containsExactly(mineXnn);
                assertThat(builtin.runFloat(x)).as("built-in, sample " + i).containsExactly(mineBuiltin);
                for (int j = 0; j < OUT; j++) {
                    // input (int8: step 2/255) and weight (step <= 0.5/127) rounding over at most 12 taps of
                    // |x|, |w| <= 1: 12 * (0.5 * 0.008 + 0.5 * 0.004) = 0.072 at worst, plus half an output step
                    assertThat(Math.abs(mineBuiltin[j] - want[j]))
                            .as("value " + j)
                            .isLessThan(0.072f + outScale);
                }
            }
        }
    }
}
