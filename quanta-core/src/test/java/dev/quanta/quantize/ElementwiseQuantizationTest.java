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
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.ModelChecks;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Full-integer quantization of SUB, MUL, ABS and (int8) SQUARED_DIFFERENCE: each becomes an integer op whose inputs share the producers' (or a
 * constant's own) parameters and whose output takes the calibrated range; the written file runs in TFLite on both
 * paths bit-exactly like Quanta on the same path.
 */
@UsesOracle
class ElementwiseQuantizationTest {
    @TempDir
    Path tmp;

    /** x[8] → d = x − c (c a constant) → y = d · x (fused RELU) → z = y − d → w = |z| (→ v = (w − x)²). */
    static Model subMul(boolean squaredDifference) {
        ModelBuilder mb = new ModelBuilder("sub_mul");
        Tensor x = mb.input("x", Shape.batched(8));
        Tensor c = mb.constant("c", Shape.of(8), new float[] {0.5f, -1, 0.25f, 2, -0.75f, 1, 0, -2});
        Tensor d = mb.add(
                OpType.SUB, "d", new Origin("d", "Subtract"), new OpAttributes.Arithmetic(Activation.NONE), x, c);
        Tensor y = mb.add(
                OpType.MUL, "y", new Origin("y", "Multiply"), new OpAttributes.Arithmetic(Activation.RELU), d, x);
        Tensor z = mb.add(
                OpType.SUB, "z", new Origin("z", "Subtract"), new OpAttributes.Arithmetic(Activation.NONE), y, d);
        Tensor w = mb.add(OpType.ABS, "w", new Origin("w", "Abs"), OpAttributes.None.INSTANCE, z);
        if (!squaredDifference) {
            return mb.output(w).build(ModelMetadata.inMemory());
        }
        Tensor v = mb.add(
                OpType.SQUARED_DIFFERENCE, "v", new Origin("v", "SquaredDifference"), OpAttributes.None.INSTANCE, w, x);
        return mb.output(v).build(ModelMetadata.inMemory());
    }

    @ParameterizedTest
    @EnumSource(
            value = QuantizationMode.class,
            names = {"INT8", "INT16X8"})
    void subMulAndAbsBecomeIntegerOpsThatRunInTfliteOnBothPaths(QuantizationMode mode) throws Exception {
        // TFLite has no int16 SQUARED_DIFFERENCE: the 16x8 model leaves it out
        Model f = subMul(mode == QuantizationMode.INT8);
        Dataset d =
                Dataset.of("vectors", new int[] {8}, CoreArrays.uniform(new SplittableRandom(3), 32 * 8, -2, 2), null);
        Converter.Conversion c = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults().withMode(mode))
                .withRepresentativeDataset(d)
                .convert();
        DType act = mode == QuantizationMode.INT8 ? DType.INT8 : DType.INT16;
        for (Op op : c.model().ops()) {
            boolean integer = op.type() == OpType.SUB || op.type() == OpType.MUL || op.type() == OpType.ABS;
            if (integer || op.type() == OpType.SQUARED_DIFFERENCE) {
                assertThat(op.output(0).dtype()).as(op.name()).isEqualTo(act);
                for (Tensor in : op.inputs()) {
                    assertThat(in.dtype()).as(op.name() + " input " + in.name()).isEqualTo(act);
                }
            }
        }
        assertThat(c.report().floatLayers()).isEmpty();
        // within 2% of the float output's largest magnitude (a few steps of the output scale)
        double largest = 0;
        try (Interpreter floatModel = new Interpreter(f)) {
            float[] xs = new float[8];
            float[] ys = new float[8];
            for (int i = 0; i < 8; i++) {
                d.copySample(i, xs, 0);
                floatModel.run(xs, ys);
                for (float v : ys) {
                    largest = Math.max(largest, Math.abs(v));
                }
            }
        }
        assertThat(ModelChecks.maxDifference(f, c.model(), d, 8)).isLessThan(0.02 * largest);

        Path file = tmp.resolve("sub_mul.tflite");
        TfliteWriter.write(c.model(), file);
        Model written = TfliteReader.read(file);
        float[] x = new float[8];
        try (Interpreter xnnQuanta = new Interpreter(written);
                Interpreter builtinQuanta =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < d.size(); i++) {
                d.copySample(i, x, 0);
                float[] mine = new float[8];
                xnnQuanta.run(x, mine);
                float[] mineBuiltin = new float[8];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x)).as("XNNPACK, sample " + i).containsExactly(mine);
                assertThat(builtin.runFloat(x)).as("built-in, sample " + i).containsExactly(mineBuiltin);
            }
        }
    }
}
