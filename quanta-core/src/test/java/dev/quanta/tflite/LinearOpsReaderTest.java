package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.testing.HostileFiles;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The reader refuses TRANSPOSE_CONV and BATCH_MATMUL operators it cannot take with one line naming the file and the
 * operator: an output_shape whose channels are not the weights' or whose size the input does not come from, and a
 * hybrid BATCH_MATMUL whose weights are not int8.
 */
class LinearOpsReaderTest {
    private static final Path FILE = Path.of("unet.tflite");

    /** x [1, 3, 3, 2] → TRANSPOSE_CONV 2×2, stride 2, SAME → [1, 6, 6, 5]; output_shape written as (1, 6, 6, 5). */
    private static byte[] transposeConvFile() {
        Tensor x = new Tensor("x", Shape.of(1, 3, 3, 2), DType.FLOAT32, null, null, false);
        Tensor w = Tensor.constant("w", Shape.of(5, 2, 2, 2), new float[40]);
        Tensor y = new Tensor("y", Shape.of(1, 6, 6, 5), DType.FLOAT32, null, null, false);
        Op op = new Op(
                "up",
                OpType.TRANSPOSE_CONV,
                List.of(x, w),
                List.of(y),
                new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 6, 6, Activation.NONE),
                new Origin("up", "Conv2DTranspose"));
        return TfliteWriter.toBytes(new Model("up", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory()));
    }

    /**
     * {@code bytes} with every occurrence of the int32 values {@code from} replaced by {@code to}: the output_shape
     * constant and the output tensor's shape, which agree.
     */
    private static byte[] patched(byte[] bytes, int[] from, int[] to) {
        byte[] f = ints(from);
        byte[] out = bytes.clone();
        int found = 0;
        for (int i = 0; i + f.length <= bytes.length; i++) {
            if (java.util.Arrays.equals(bytes, i, i + f.length, f, 0, f.length)) {
                System.arraycopy(ints(to), 0, out, i, f.length);
                found++;
            }
        }
        assertThat(found).as("output_shape and the output's shape").isEqualTo(2);
        return out;
    }

    private static byte[] ints(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i : v) {
            b.putInt(i);
        }
        return b.array();
    }

    @Test
    void readsTheWrittenFile() {
        Model m = TfliteReader.read(transposeConvFile(), FILE);
        assertThat(m.ops()).extracting(Op::type).containsExactly(OpType.TRANSPOSE_CONV);
    }

    @Test
    void refusesAnOutputShapeWithOtherChannelsThanTheWeights() {
        byte[] bad = patched(transposeConvFile(), new int[] {1, 6, 6, 5}, new int[] {1, 6, 6, 4});
        QuantaException e = HostileFiles.refusal(() -> TfliteReader.read(bad, FILE));
        assertThat(e.getMessage())
                .contains("unet.tflite")
                .contains("TRANSPOSE_CONV")
                .contains("output_shape [1, 6, 6, 4] does not have the 5 output channels");
    }

    @Test
    void refusesAnOutputSizeTheInputDoesNotComeFrom() {
        // a 9-wide output with stride 2 is the gradient of a 5-wide convolution input, not of the 3-wide one given
        byte[] bad = patched(transposeConvFile(), new int[] {1, 6, 6, 5}, new int[] {1, 6, 9, 5});
        QuantaException e = HostileFiles.refusal(() -> TfliteReader.read(bad, FILE));
        assertThat(e.getMessage()).contains("unet.tflite").contains("3x5 convolution input, not the 3x3 given");
    }

    @Test
    void refusesAHybridBatchMatMulWithoutInt8Weights() {
        Tensor a = new Tensor("a", Shape.of(1, 2, 3), DType.FLOAT32, null, null, false);
        Tensor b = new Tensor(
                "b",
                Shape.of(3, 4),
                DType.INT16,
                TensorData.ofBytes(DType.INT16, new byte[24]),
                QuantParams.perTensor(0.1f, 0),
                true);
        Tensor y = new Tensor("y", Shape.of(1, 2, 4), DType.FLOAT32, null, null, false);
        Op op = new Op(
                "mm",
                OpType.BATCH_MATMUL,
                List.of(a, b),
                List.of(y),
                new OpAttributes.BatchMatMul(false, false),
                new Origin("mm", "MatMul"));
        byte[] bytes =
                TfliteWriter.toBytes(new Model("mm", List.of(a), List.of(y), List.of(op), ModelMetadata.inMemory()));
        QuantaException e = HostileFiles.refusal(() -> TfliteReader.read(bytes, Path.of("mm.tflite")));
        assertThat(e.getMessage())
                .contains("mm.tflite")
                .contains("hybrid BATCH_MATMUL takes int8 weights, found INT16");
    }
}
