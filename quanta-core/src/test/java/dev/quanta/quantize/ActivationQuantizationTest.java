package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
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
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Full-integer quantization of float models containing the activation ops of issue 11: each op becomes integer
 * with the parameters the TFLite quantizer gives it (LOG_SOFTMAX's fixed 16/256, MINIMUM/MAXIMUM one shared set),
 * and the written file runs in TFLite on both paths exactly as in Quanta, close to the float model.
 */
@UsesOracle
class ActivationQuantizationTest {
    private static final int N = 12;
    private static final Origin O = new Origin("act", "Activation");

    private record Case(String name, Model model, double tolerance) {}

    private static Model unary(OpType type, OpAttributes attrs) {
        ModelBuilder mb = new ModelBuilder(type.name().toLowerCase());
        Tensor x = mb.input("x", Shape.batched(N));
        Tensor y = mb.add(type, "act", O, attrs, x);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    private static Model prelu() {
        ModelBuilder mb = new ModelBuilder("prelu");
        Tensor x = mb.input("x", Shape.batched(4, 3));
        Tensor alpha = mb.constant("alpha", Shape.of(3), new float[] {0.1f, 0.25f, -0.05f});
        Tensor y = mb.add(OpType.PRELU, "act", O, OpAttributes.None.INSTANCE, x, alpha);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /** max(x, hard_swish(x)) then min(·, 1.5): two activations of other ranges, then a constant operand. */
    private static Model minMax() {
        ModelBuilder mb = new ModelBuilder("minmax");
        Tensor x = mb.input("x", Shape.batched(N));
        Tensor h = mb.add(OpType.HARD_SWISH, "hswish", O, OpAttributes.None.INSTANCE, x);
        Tensor m = mb.add(OpType.MAXIMUM, "max", O, OpAttributes.None.INSTANCE, x, h);
        Tensor c = mb.constant("cap", Shape.of(1), new float[] {1.5f});
        Tensor y = mb.add(OpType.MINIMUM, "min", O, OpAttributes.None.INSTANCE, m, c);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    private static Dataset data(int size) {
        SplittableRandom r = new SplittableRandom(11);
        return Dataset.of("d", new int[] {size}, CoreArrays.uniform(r, size * 32, -4, 4), null);
    }

    @TestFactory
    Stream<DynamicTest> quantizedActivationsRunInTfliteAsInQuanta() {
        List<Case> cases = List.of(
                new Case("HARD_SWISH", unary(OpType.HARD_SWISH, OpAttributes.None.INSTANCE), 0.05),
                new Case("ELU", unary(OpType.ELU, OpAttributes.None.INSTANCE), 0.05),
                new Case("GELU", unary(OpType.GELU, new OpAttributes.Gelu(false)), 0.05),
                new Case("GELU approximate", unary(OpType.GELU, new OpAttributes.Gelu(true)), 0.05),
                new Case("RELU_N1_TO_1", unary(OpType.RELU_N1_TO_1, OpAttributes.None.INSTANCE), 0.02),
                new Case("RELU_0_TO_1", unary(OpType.RELU_0_TO_1, OpAttributes.None.INSTANCE), 0.02),
                new Case("LOG_SOFTMAX", unary(OpType.LOG_SOFTMAX, OpAttributes.None.INSTANCE), 0.1),
                new Case("PRELU", prelu(), 0.05),
                new Case("MAXIMUM / MINIMUM", minMax(), 0.05));
        Stream<DynamicTest> run = cases.stream()
                .flatMap(c -> Stream.of(
                        DynamicTest.dynamicTest(c.name() + " int8", () -> check(c, DType.INT8)),
                        DynamicTest.dynamicTest(c.name() + " uint8", () -> check(c, DType.UINT8)),
                        DynamicTest.dynamicTest(c.name() + " int16", () -> check(c, DType.INT16))))
                // TFLite has int16 kernels for GELU and PRELU (int8 slopes) only
                .filter(t -> !t.getDisplayName().endsWith("int16")
                        || t.getDisplayName().startsWith("GELU")
                        || t.getDisplayName().startsWith("PRELU"))
                .filter(t -> !t.getDisplayName().equals("ELU uint8"));
        // TFLite registers ELU for float32 and int8 only: the uint8 scheme refuses it (or keeps it in float)
        DynamicTest eluUint8 = DynamicTest.dynamicTest("ELU uint8 is refused", () -> {
            Model f = unary(OpType.ELU, OpAttributes.None.INSTANCE);
            assertThatThrownBy(() -> CoreModels.int8(
                                    f,
                                    data(N),
                                    s -> s.withScheme(QuantizationScheme.ASYMMETRIC)
                                            .withGranularity(Granularity.PER_TENSOR))
                            .convert())
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("ELU has no uint8 kernel");
        });
        return Stream.concat(run, Stream.of(eluUint8));
    }

    private void check(Case c, DType act) throws Exception {
        boolean u8 = act == DType.UINT8;
        Model f = c.model();
        UnaryOperator<QuantizationConfig> settings = switch (act) {
            case UINT8 -> s -> s.withScheme(QuantizationScheme.ASYMMETRIC).withGranularity(Granularity.PER_TENSOR);
            case INT16 -> s -> s.withMode(QuantizationMode.INT16X8);
            default -> s -> s;
        };
        int sampleSize = 1;
        for (int d : f.inputs().get(0).shape().dims()) {
            sampleSize *= d > 0 ? d : 1;
        }
        Dataset d = data(sampleSize);
        Model q = CoreModels.int8(f, d, settings).convert().model();
        for (Op op : q.ops()) {
            if (op.type() != OpType.QUANTIZE && op.type() != OpType.DEQUANTIZE) {
                assertThat(op.output(0).dtype()).as(op.describe()).isEqualTo(act);
                assertThat(op.input(0).dtype()).as(op.describe()).isEqualTo(act);
            }
            if (op.type() == OpType.LOG_SOFTMAX) {
                assertThat(op.output(0).quant()).isEqualTo(QuantParams.perTensor(16f / 256, u8 ? 255 : 127));
            }
            if (op.type() == OpType.MINIMUM || op.type() == OpType.MAXIMUM) {
                for (Tensor t : op.inputs()) {
                    assertThat(t.quant())
                            .as(op.describe() + " input " + t.name())
                            .isEqualTo(op.output(0).quant());
                }
            }
        }
        byte[] bytes = TfliteWriter.toBytes(q);
        Model written = TfliteReader.read(bytes, Path.of(c.name() + ".tflite"));
        float[] x = new float[sampleSize];
        try (Interpreter floatModel = new Interpreter(f);
                Interpreter xnnQuanta = new Interpreter(written);
                Interpreter builtinQuanta =
                        new Interpreter(written, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(bytes, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < d.size(); i++) {
                d.copySample(i, x, 0);
                float[] want = new float[sampleSize];
                floatModel.run(x, want);
                float[] mine = new float[sampleSize];
                xnnQuanta.run(x, mine);
                float[] mineBuiltin = new float[sampleSize];
                builtinQuanta.run(x, mineBuiltin);
                assertThat(xnn.runFloat(x))
                        .as(c.name() + " XNNPACK, sample " + i)
                        .containsExactly(mine);
                assertThat(builtin.runFloat(x))
                        .as(c.name() + " built-in, sample " + i)
                        .containsExactly(mineBuiltin);
                for (int k = 0; k < sampleSize; k++) {
                    assertThat((double) mine[k])
                            .as(c.name() + " sample " + i + " element " + k)
                            .isCloseTo(want[k], org.assertj.core.data.Offset.offset(c.tolerance() * 8));
                }
            }
        }
    }
}
