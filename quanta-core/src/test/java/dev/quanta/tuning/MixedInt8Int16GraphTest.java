package dev.quanta.tuning;

import static dev.quanta.testing.CoreModels.dense;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph mixed precision with 16x8 layers needs, checked in TFLite 2.21 before Quanta writes it: int8 layers, a
 * QUANTIZE that requantizes int8 to int16, a 16x8 FULLY_CONNECTED (int16 activations, int8 weights, int64 bias),
 * a QUANTIZE from int16 back to int8, int8 layers. TFLite loads it and runs it on both of its paths, bit-exact with
 * Quanta's interpreter.
 */
@UsesOracle
class MixedInt8Int16GraphTest {
    @TempDir
    Path tmp;

    @Test
    void int8AndInt16LayersJoinedByRequantizingQuantizeOpsRunInTflite() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        ModelBuilder b = new ModelBuilder("three-dense");
        Tensor x = b.input("x", Shape.batched(8));
        Tensor h1 = dense(b, "d1", x, CoreArrays.uniform(r, 64, -0.5, 0.5), CoreArrays.uniform(r, 8, -0.1, 0.1));
        Tensor h2 = dense(b, "d2", h1, CoreArrays.uniform(r, 48, -0.5, 0.5), CoreArrays.uniform(r, 6, -0.1, 0.1));
        Tensor y = dense(b, "d3", h2, CoreArrays.uniform(r, 24, -0.5, 0.5), CoreArrays.uniform(r, 4, -0.1, 0.1));
        Model floatModel = b.output(y).build(ModelMetadata.inMemory());
        Dataset d = Dataset.of("x", new int[] {8}, CoreArrays.uniform(r, 8 * 64, -1, 1), null);
        Model int8 = convert(floatModel, d, QuantizationMode.INT8);
        Model int16 = convert(floatModel, d, QuantizationMode.INT16X8);

        // int8 up to d1; d1 (int8) -> int16 -> d2 in 16x8 -> QUANTIZE (int16 to int8) -> int8 d3 and the int8 tail
        Tensor d1In8 = int8.tensor("d1");
        Tensor d2In8 = int8.tensor("d2");
        Op d2Of16 = producer(int16, "d2");
        Tensor d1As16 = rename(int16.tensor("d1"), "d1/int16");
        Tensor d1Float = Tensor.activation("d1/float", d1In8.shape());
        Tensor d2As16 = rename(d2Of16.output(0), "d2/int16");
        List<Tensor> d2Inputs = new ArrayList<>(d2Of16.inputs());
        d2Inputs.set(0, d1As16);
        Op d2 = new Op(d2Of16.name(), d2Of16.type(), d2Inputs, List.of(d2As16), d2Of16.attributes(), d2Of16.origin());
        Op down = Op.unary("d2", OpType.QUANTIZE, d2As16, d2In8, d2.origin());
        // TFLite's QUANTIZE requantizes int16 to int8 but refuses int8 to int16 (quantize.cc: "output->type ==
        // kTfLiteUInt8 || output->type == kTfLiteInt8 was not true")
        Model requantized = splice(
                int8, d2In8, List.of(Op.unary("d1/int16", OpType.QUANTIZE, d1In8, d1As16, d2.origin()), d2, down));
        Path refused = tmp.resolve("int8-to-int16-quantize.tflite");
        TfliteWriter.write(requantized, refused);
        assertThatThrownBy(() -> TfliteOracle.open(refused, TfliteOracle.Kernels.BUILTIN, 1)
                        .close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("AllocateTensors");
        // so the way up is DEQUANTIZE to float and QUANTIZE to int16
        Model mixed = splice(
                int8,
                d2In8,
                List.of(
                        Op.unary("d1/float", OpType.DEQUANTIZE, d1In8, d1Float, d2.origin()),
                        Op.unary("d1/int16", OpType.QUANTIZE, d1Float, d1As16, d2.origin()),
                        d2,
                        down));
        assertThat(d1As16.dtype()).isEqualTo(DType.INT16);
        assertThat(d2Inputs.get(1).dtype()).isEqualTo(DType.INT8);
        assertThat(d1In8.dtype()).isEqualTo(DType.INT8);
        Path file = tmp.resolve("mixed.tflite");
        TfliteWriter.write(mixed, file);
        float[] in = new float[8];
        try (Interpreter reference = new Interpreter(floatModel);
                Interpreter xnnQuanta = new Interpreter(mixed);
                Interpreter builtinQuanta =
                        new Interpreter(mixed, Interpreter.Options.defaults().withKernelPath(QuantizedPath.BUILTIN));
                TfliteOracle xnn = TfliteOracle.open(file, TfliteOracle.Kernels.XNNPACK, 1);
                TfliteOracle builtin = TfliteOracle.open(file, TfliteOracle.Kernels.BUILTIN, 1)) {
            for (int i = 0; i < 16; i++) {
                d.copySample(i, in, 0);
                float[] want = new float[4];
                reference.run(in, want);
                float[] mineXnn = new float[4];
                xnnQuanta.run(in, mineXnn);
                float[] mineBuiltin = new float[4];
                builtinQuanta.run(in, mineBuiltin);
                assertThat(xnn.runFloat(in)).as("XNNPACK, sample " + i).containsExactly(mineXnn);
                assertThat(builtin.runFloat(in)).as("built-in, sample " + i).containsExactly(mineBuiltin);
                for (int j = 0; j < 4; j++) {
                    assertThat(Math.abs(mineBuiltin[j] - want[j]))
                            .as("value " + j)
                            .isLessThan(0.05f);
                }
            }
        }
    }

    private static Model convert(Model m, Dataset d, QuantizationMode mode) {
        Converter.Conversion c = Converter.fromModel(m)
                .withConfig(QuantizationConfig.defaults().withMode(mode).withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert();
        return c.model();
    }

    /** {@code m} with the op that writes {@code replaced} swapped for {@code instead}. */
    private static Model splice(Model m, Tensor replaced, List<Op> instead) {
        List<Op> ops = new ArrayList<>();
        for (Op op : m.ops()) {
            if (op.outputs().contains(replaced)) {
                ops.addAll(instead);
            } else {
                ops.add(op);
            }
        }
        return new Model("mixed", m.inputs(), m.outputs(), ops, m.metadata());
    }

    private static Op producer(Model m, String tensor) {
        return m.ops().stream()
                .filter(o -> o.outputs().stream().anyMatch(t -> t.name().equals(tensor)))
                .findFirst()
                .orElseThrow();
    }

    private static Tensor rename(Tensor t, String name) {
        return new Tensor(name, t.shape(), t.dtype(), t.data(), t.quant(), t.trainable());
    }
}
