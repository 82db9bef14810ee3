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
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantizing float models with a BATCH_MATMUL, in int8 and 16x8: x[4, 6] times a constant [6, 3] (quantized
 * symmetric, zero point 0), and x times itself transposed (adj_y; both operands the calibrated x). The written file
 * runs in TFLite on both paths with the same outputs as Quanta's interpreter, and near the float model.
 */
@UsesOracle
class BatchMatMulQuantizationTest {
    private static final int SAMPLE = 4 * 6;

    @TempDir
    Path tmp;

    static Model matmul(boolean gram) {
        ModelBuilder mb = new ModelBuilder("matmul");
        Tensor x = mb.input("x", Shape.batched(4, 6));
        Tensor b = gram
                ? x
                : mb.constant("w", Shape.of(6, 3), CoreArrays.uniform(new SplittableRandom(3), 18, -0.8f, 0.5f));
        Tensor y = mb.add(
                OpType.BATCH_MATMUL,
                "matmul",
                new Origin("matmul", "MatMul"),
                new OpAttributes.BatchMatMul(false, gram),
                x,
                b);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    @Test
    void int8WithAConstantOperand() throws Exception {
        check(false, QuantizationMode.INT8, DType.INT8, 12);
    }

    @Test
    void int8GramMatrix() throws Exception {
        check(true, QuantizationMode.INT8, DType.INT8, 16);
    }

    @Test
    void int16x8WithAConstantOperand() throws Exception {
        check(false, QuantizationMode.INT16X8, DType.INT16, 12);
    }

    @Test
    void int16x8GramMatrix() throws Exception {
        check(true, QuantizationMode.INT16X8, DType.INT16, 16);
    }

    /**
     * Dynamic range: the constant operand becomes int8 per tensor with asymmetric_quantize_inputs set, TFLite 2.21's
     * hybrid BATCH_MATMUL runs the file on both paths within float rounding of Quanta, and Quanta is within the input
     * and weight rounding of the float model.
     */
    @Test
    void dynamicRangeRunsTheHybridKernel() throws Exception {
        Model floatModel = matmul(false);
        Converter.Conversion c = Converter.fromModel(floatModel)
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        Op op = c.model().ops().stream()
                .filter(o -> o.type() == OpType.BATCH_MATMUL)
                .findFirst()
                .orElseThrow();
        assertThat(op.input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(op.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(op.input(1).quant().isPerTensor()).isTrue();
        assertThat(op.attrs(OpAttributes.BatchMatMul.class).asymmetricQuantizeInputs())
                .isTrue();
        assertThat(c.report().floatLayers()).isEmpty();
        Path file = tmp.resolve("dynamic.tflite");
        TfliteWriter.write(c.model(), file);
        Model written = TfliteReader.read(file);
        float[] x = CoreArrays.uniform(new SplittableRandom(4), SAMPLE, -1, 1);
        try (Interpreter quanta = new Interpreter(written);
                Interpreter reference = new Interpreter(floatModel)) {
            float[] mine = new float[12];
            quanta.run(x, mine);
            float[] exact = new float[12];
            reference.run(x, exact);
            for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
                try (TfliteOracle o = TfliteOracle.open(file, k, 1)) {
                    float[] theirs = o.runFloat(x);
                    for (int j = 0; j < 12; j++) {
                        assertThat(theirs[j])
                                .as(k + " value " + j)
                                .isCloseTo(mine[j], org.assertj.core.api.Assertions.within(1e-5f));
                    }
                }
            }
            for (int j = 0; j < 12; j++) {
                assertThat(mine[j])
                        .as("float value " + j)
                        .isCloseTo(exact[j], org.assertj.core.api.Assertions.within(0.03f));
            }
        }
    }

    /**
     * Dynamic range leaves float, and says why, a BATCH_MATMUL of two activations (no weights) and one whose input
     * has two batch axes larger than 1 (TFLite's hybrid kernel reads other rows' scales there).
     */
    @Test
    void dynamicRangeLeavesFloatWhatTheHybridKernelGetsWrong() {
        Converter.Conversion gram = Converter.fromModel(matmul(true))
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        assertThat(gram.report().floatLayers())
                .extracting(LayerReport::reason)
                .containsExactly("no weights to quantize; dynamic range keeps activations in float");
        ModelBuilder mb = new ModelBuilder("batched");
        Tensor x = mb.input("x", Shape.batched(2, 3, 6));
        Tensor w = mb.constant("w", Shape.of(6, 3), CoreArrays.uniform(new SplittableRandom(3), 18, -0.8f, 0.5f));
        Tensor y = mb.add(
                OpType.BATCH_MATMUL,
                "matmul",
                new Origin("matmul", "MatMul"),
                new OpAttributes.BatchMatMul(false, false),
                x,
                w);
        Converter.Conversion batched = Converter.fromModel(mb.output(y).build(ModelMetadata.inMemory()))
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        assertThat(batched.report().floatLayers())
                .extracting(LayerReport::reason)
                .containsExactly("TFLite's hybrid BATCH_MATMUL kernel reads other rows' scales when two batch axes of"
                        + " an operand are larger than 1: the layer stays float");
    }

    private void check(boolean gram, QuantizationMode mode, DType act, int outSize) throws Exception {
        Model floatModel = matmul(gram);
        Dataset d = Dataset.of(
                "x", new int[] {4, 6}, CoreArrays.uniform(new SplittableRandom(9), 32 * SAMPLE, -1, 1), null);
        Converter.Conversion c = Converter.fromModel(floatModel)
                .withConfig(QuantizationConfig.defaults().withMode(mode).withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert();
        Op op = c.model().ops().stream()
                .filter(o -> o.type() == OpType.BATCH_MATMUL)
                .findFirst()
                .orElseThrow();
        assertThat(op.input(0).dtype()).isEqualTo(act);
        assertThat(op.input(1).dtype()).isEqualTo(act);
        if (!gram) {
            assertThat(op.input(1).quant().zeroPoint()).isZero();
        }
        float outScale = op.output(0).quant().scale();
        Path file = tmp.resolve(mode + "-" + gram + ".tflite");
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
                float[] want = new float[outSize];
                reference.run(x, want);
                float[] mineXnn = new float[outSize];
                xnnQuanta.run(x, mineXnn);
                float[] mineBuiltin = new float[outSize];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x)).as("XNNPACK, sample " + i).containsExactly(mineXnn);
                assertThat(builtin.runFloat(x)).as("built-in, sample " + i).containsExactly(mineBuiltin);
                for (int j = 0; j < outSize; j++) {
                    // 6 products of |x| <= 1 and |b| <= 1, each operand within half a step (int8: 2/255): 6·0.008,
                    // plus half an output step
                    assertThat(Math.abs(mineBuiltin[j] - want[j]))
                            .as("value " + j)
                            .isLessThan(0.05f + outScale);
                }
            }
        }
    }
}
