package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpType;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (int16 activations, int8 weights): TFLite 2.21's built-in kernel has no such
 * form (tflite-micro has one, the full runtime's LSTM is integer only with int8 input, its 8x8→16 kernel), so it
 * refuses the file on both paths; Quanta's 16x8 quantization therefore refuses the layer, and keeps it float when
 * float fallback is allowed.
 */
@UsesOracle
class Int16LstmOracleTest {
    /** TFLite's TensorType INT16 and INT8 (schema enum values). */
    private static final byte INT16 = 7;

    private static final byte INT8 = 9;

    @Test
    void tfliteRefusesAnInt16Lstm() {
        LstmModels g = new LstmModels(16);
        LstmModels.Case c = g.integer(g.dims(), true);
        byte[] int8 = TfliteWriter.toBytes(c.model());
        for (boolean xnnpack : new boolean[] {false, true}) {
            try (NativeTflite t = new NativeTflite(int8, xnnpack)) {
                t.invoke(); // the 8x8→16 file runs: what follows fails for the int16 types alone
            }
            byte[] int16 = withGraphIoType(int8, INT16);
            assertThatThrownBy(() -> new NativeTflite(int16, xnnpack).close())
                    .as("xnnpack " + xnnpack)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("AllocateTensors failed");
        }
    }

    @Test
    void quantizerRefusesTheLstmIn16x8AndKeepsItFloatWhenAllowed() {
        LstmModels g = new LstmModels(17);
        LstmModels.Dims d = g.dims();
        d = new LstmModels.Dims(d.nInput(), d.nCell(), 1, d.steps(), false, d.cifg(), d.cellClip());
        Model f = g.floatLstm(d, 0.6, new float[] {0.5f, 1f, 1.5f, 1.5f}, true).model();
        Dataset cal = Dataset.of(
                "sequences", new int[] {d.steps(), d.nInput()}, g.floats(16 * d.steps() * d.nInput(), 2), null);
        QuantizationConfig config = QuantizationConfig.defaults().withMode(QuantizationMode.INT16X8);
        assertThatThrownBy(() -> Converter.fromModel(f)
                        .withConfig(config)
                        .withRepresentativeDataset(cal)
                        .convert())
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("UNIDIRECTIONAL_SEQUENCE_LSTM has no int16 kernel");
        Model q = Converter.fromModel(f)
                .withConfig(config.withAllowFloatFallback(true))
                .withRepresentativeDataset(cal)
                .convert()
                .model();
        assertThat(q.ops())
                .filteredOn(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .singleElement()
                .satisfies(o -> assertThat(o.input(0).dtype()).isEqualTo(dev.quanta.ir.DType.FLOAT32));
    }

    /**
     * A copy of {@code model} whose int8 graph inputs and outputs of subgraph 0 have TensorType {@code type}
     * (Model.subgraphs is field 2, SubGraph.tensors 0, inputs 1 and outputs 2, Tensor.type 1: a byte, present
     * because int8 is not the default).
     */
    static byte[] withGraphIoType(byte[] model, byte type) {
        ByteBuffer b = ByteBuffer.wrap(model.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int root = b.getInt(0);
        int subgraphs = vector(b, root, 2);
        int subgraph = subgraphs + 4 + b.getInt(subgraphs + 4);
        int tensors = vector(b, subgraph, 0);
        for (int field : new int[] {1, 2}) {
            int list = vector(b, subgraph, field);
            for (int i = 0; i < b.getInt(list); i++) {
                int index = b.getInt(list + 4 + 4 * i);
                int entry = tensors + 4 + 4 * index;
                int tensor = entry + b.getInt(entry);
                int typeAt = tensor + fieldOffset(b, tensor, 1);
                assertThat(b.get(typeAt)).isEqualTo(INT8);
                b.put(typeAt, type);
            }
        }
        return b.array();
    }

    private static int fieldOffset(ByteBuffer b, int table, int field) {
        int vtable = table - b.getInt(table);
        int off = b.getShort(vtable + 4 + 2 * field) & 0xFFFF;
        assertThat(off).as("field " + field).isPositive();
        return off;
    }

    private static int vector(ByteBuffer b, int table, int field) {
        int pos = table + fieldOffset(b, table, field);
        return pos + b.getInt(pos);
    }
}
