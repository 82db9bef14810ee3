package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Writing and reading back the resampling and reduction operators without the official runtime: attributes survive
 * the round trip (the output type of ARG_MAX/ARG_MIN, keep_dims, the resize flags and size) and each operator gets
 * the version op_version.cc gives its type and options.
 */
class TfliteResampleReduceOpsTest {
    private static Model single(OpType type, OpAttributes attrs, DType in, DType out, int... dims) {
        QuantParams q = in == DType.FLOAT32 || in == DType.INT32 ? null : QuantParams.perTensor(0.05f, 0);
        Tensor x = new Tensor("x", Shape.of(dims), in, null, q, false);
        Shape s = ShapeInference.infer(type, attrs, List.of(x));
        QuantParams qy = out == DType.INT32 || out == DType.INT64 || out == DType.FLOAT32 ? null : q;
        Tensor y = new Tensor("y", s, out, null, qy, false);
        Op op = new Op("y", type, List.of(x), List.of(y), attrs, new Origin("y", type.name()));
        return new Model("m", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
    }

    private static Op roundTrip(Model m) {
        byte[] bytes = TfliteWriter.toBytes(m);
        return TfliteReader.read(bytes, Path.of("m.tflite")).ops().get(0);
    }

    private static int version(Model m) {
        TfliteFile f = TfliteFile.open(Path.of("m.tflite"), TfliteWriter.toBytes(m));
        return f.operatorCodes().get(0).version();
    }

    @Test
    void attributesSurviveTheRoundTrip() {
        Op nearest = roundTrip(single(
                OpType.RESIZE_NEAREST_NEIGHBOR,
                new OpAttributes.Resize(5, 7, true, true),
                DType.INT8,
                DType.INT8,
                1,
                3,
                4,
                2));
        assertThat(nearest.type()).isEqualTo(OpType.RESIZE_NEAREST_NEIGHBOR);
        assertThat(nearest.attributes()).isEqualTo(new OpAttributes.Resize(5, 7, true, true));
        assertThat(nearest.output(0).shape().dims()).containsExactly(-1, 5, 7, 2); // the reader's dynamic batch

        Op bilinear = roundTrip(single(
                OpType.RESIZE_BILINEAR,
                new OpAttributes.Resize(2, 9, false, true),
                DType.FLOAT32,
                DType.FLOAT32,
                1,
                3,
                4,
                2));
        assertThat(bilinear.attributes()).isEqualTo(new OpAttributes.Resize(2, 9, false, true));

        Op arg = roundTrip(single(OpType.ARG_MIN, new OpAttributes.ArgMinMax(-2), DType.UINT8, DType.INT64, 2, 3, 4));
        assertThat(arg.type()).isEqualTo(OpType.ARG_MIN);
        assertThat(arg.attrs(OpAttributes.ArgMinMax.class).axis()).isEqualTo(-2);
        assertThat(arg.output(0).dtype()).isEqualTo(DType.INT64);

        for (OpType t : new OpType[] {OpType.SUM, OpType.REDUCE_MAX, OpType.REDUCE_MIN, OpType.REDUCE_PROD}) {
            Op r = roundTrip(
                    single(t, new OpAttributes.Reduce(new int[] {1, -1}, true), DType.FLOAT32, DType.FLOAT32, 2, 3, 4));
            assertThat(r.type()).isEqualTo(t);
            assertThat(r.attrs(OpAttributes.Reduce.class).axes()).containsExactly(1, -1);
            assertThat(r.attrs(OpAttributes.Reduce.class).keepDims()).isTrue();
        }
        assertThat(roundTrip(single(
                                OpType.L2_NORMALIZATION,
                                OpAttributes.None.INSTANCE,
                                DType.FLOAT32,
                                DType.FLOAT32,
                                2,
                                5))
                        .type())
                .isEqualTo(OpType.L2_NORMALIZATION);
    }

    @Test
    void versionsFollowOpVersion() {
        OpAttributes.Resize plain = new OpAttributes.Resize(6, 6, false, false);
        OpAttributes.Resize half = new OpAttributes.Resize(6, 6, false, true);
        OpAttributes.Resize align = new OpAttributes.Resize(6, 6, true, false);
        assertThat(version(single(OpType.RESIZE_BILINEAR, plain, DType.FLOAT32, DType.FLOAT32, 1, 3, 3, 1)))
                .isEqualTo(1);
        assertThat(version(single(OpType.RESIZE_BILINEAR, plain, DType.INT8, DType.INT8, 1, 3, 3, 1)))
                .isEqualTo(2);
        assertThat(version(single(OpType.RESIZE_BILINEAR, half, DType.UINT8, DType.UINT8, 1, 3, 3, 1)))
                .isEqualTo(3);
        assertThat(version(single(OpType.RESIZE_BILINEAR, align, DType.UINT8, DType.UINT8, 1, 3, 3, 1)))
                .isEqualTo(1);
        assertThat(version(single(OpType.RESIZE_NEAREST_NEIGHBOR, align, DType.UINT8, DType.UINT8, 1, 3, 3, 1)))
                .isEqualTo(3);
        assertThat(version(single(OpType.RESIZE_NEAREST_NEIGHBOR, plain, DType.INT16, DType.INT16, 1, 3, 3, 1)))
                .isEqualTo(4);
        OpAttributes.ArgMinMax last = new OpAttributes.ArgMinMax(-1);
        assertThat(version(single(OpType.ARG_MAX, last, DType.INT8, DType.INT32, 2, 3)))
                .isEqualTo(2);
        assertThat(version(single(OpType.ARG_MAX, last, DType.BOOL, DType.INT32, 2, 3)))
                .isEqualTo(3);
        assertThat(version(single(OpType.ARG_MIN, last, DType.FLOAT32, DType.INT64, 2, 3)))
                .isEqualTo(1);
        OpAttributes.Reduce r = new OpAttributes.Reduce(new int[] {1}, false);
        assertThat(version(single(OpType.REDUCE_MAX, r, DType.INT16, DType.INT16, 2, 3)))
                .isEqualTo(3);
        assertThat(version(single(OpType.REDUCE_MIN, r, DType.INT8, DType.INT8, 2, 3)))
                .isEqualTo(2);
        assertThat(version(single(OpType.SUM, r, DType.INT8, DType.INT8, 2, 3))).isEqualTo(2);
        assertThat(version(single(OpType.SUM, r, DType.FLOAT32, DType.FLOAT32, 2, 3)))
                .isEqualTo(1);
        assertThat(version(single(OpType.L2_NORMALIZATION, OpAttributes.None.INSTANCE, DType.INT8, DType.INT8, 2, 3)))
                .isEqualTo(2);
    }
}
