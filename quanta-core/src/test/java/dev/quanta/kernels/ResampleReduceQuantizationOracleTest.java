package dev.quanta.kernels;

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
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.quantize.QuantizationScheme;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.UsesOracle;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@code quantize} of float models made of the resampling and reduction ops: the rewriter gives each op TFLite's
 * parameters (resize, REDUCE_MAX and REDUCE_MIN share their input's; SUM and REDUCE_PROD are calibrated;
 * L2_NORMALIZATION is fixed at 1/128; ARG_MAX keeps its int32 output), and the written file runs in TFLite 2.21 on
 * both paths with the same outputs as in Quanta.
 */
@UsesOracle
class ResampleReduceQuantizationOracleTest {
    private static final int SAMPLES = 24;

    private static Origin layer(String name) {
        return new Origin(name, "Layer");
    }

    /** x[4,4,3] → bilinear 7×6 (half-pixel) → nearest 3×3 (align) → max over W → sum over H → L2 normalization. */
    private static Model resizeReduce(boolean l2) {
        ModelBuilder mb = new ModelBuilder("resize_reduce");
        Tensor x = mb.input("x", Shape.batched(4, 4, 3));
        Tensor up = mb.add(OpType.RESIZE_BILINEAR, "up", layer("up"), new OpAttributes.Resize(7, 6, false, true), x);
        Tensor down = mb.add(
                OpType.RESIZE_NEAREST_NEIGHBOR, "down", layer("down"), new OpAttributes.Resize(3, 3, true, false), up);
        Tensor max = mb.add(OpType.REDUCE_MAX, "max", layer("max"), new OpAttributes.Reduce(new int[] {2}, true), down);
        Tensor sum = mb.add(OpType.SUM, "sum", layer("sum"), new OpAttributes.Reduce(new int[] {1}, true), max);
        Tensor out = l2
                ? mb.add(OpType.L2_NORMALIZATION, "l2", layer("l2"), OpAttributes.None.INSTANCE, sum)
                : mb.add(OpType.REDUCE_MIN, "min", layer("min"), new OpAttributes.Reduce(new int[] {3}, false), sum);
        return mb.output(out).build(ModelMetadata.inMemory());
    }

    /** x[4,4,3] → product over channels → index of the largest along W (int32). */
    private static Model prodArgMax() {
        ModelBuilder mb = new ModelBuilder("prod_argmax");
        Tensor x = mb.input("x", Shape.batched(4, 4, 3));
        Tensor prod =
                mb.add(OpType.REDUCE_PROD, "prod", layer("prod"), new OpAttributes.Reduce(new int[] {-1}, false), x);
        OpAttributes.ArgMinMax a = new OpAttributes.ArgMinMax(-1);
        Tensor idx = new Tensor(
                "argmax", ShapeInference.infer(OpType.ARG_MAX, a, List.of(prod)), DType.INT32, null, null, false);
        mb.add(new Op("argmax", OpType.ARG_MAX, List.of(prod), List.of(idx), a, layer("argmax")));
        return mb.output(idx).build(ModelMetadata.inMemory());
    }

    private static Dataset data() {
        SplittableRandom r = new SplittableRandom(7);
        return Dataset.of("x", new int[] {4, 4, 3}, CoreArrays.uniform(r, SAMPLES * 48, -1.5, 1.5), null);
    }

    private static Model quantize(Model f, UnaryOperator<QuantizationConfig> settings) {
        return Converter.fromModel(f)
                .withConfig(settings.apply(QuantizationConfig.defaults().withCalibrationSamples(SAMPLES)))
                .withRepresentativeDataset(data())
                .convert()
                .model();
    }

    private static void assertRunsLikeTflite(Model q) throws Exception {
        ResampleReduceOracleSupport g = new ResampleReduceOracleSupport(11);
        for (QuantizedPath path : QuantizedPath.values()) {
            var o = g.compare(q, path, 4, 0, 1f);
            ResampleReduceOracleSupport.assertMatches(q.name(), path, DType.INT32, o); // every output bit-exact
        }
    }

    @Test
    void int8RulesAndTfliteAgreement() throws Exception {
        Model q = quantize(resizeReduce(true), c -> c.withMode(QuantizationMode.INT8));
        QuantParams in = q.tensor("x/quantized").quant();
        assertThat(q.tensor("up").quant()).isEqualTo(in);
        assertThat(q.tensor("down").quant()).isEqualTo(in);
        assertThat(q.tensor("max").quant()).isEqualTo(in);
        assertThat(q.tensor("sum").quant()).isNotEqualTo(in);
        assertThat(q.tensor("l2/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 128, 0));
        assertRunsLikeTflite(q);

        Model p = quantize(prodArgMax(), c -> c.withMode(QuantizationMode.INT8));
        assertThat(p.tensor("prod").dtype()).isEqualTo(DType.INT8);
        assertThat(p.outputs().get(0).dtype()).isEqualTo(DType.INT32);
        assertThat(p.outputs().get(0).quant()).isNull();
        assertRunsLikeTflite(p);

        // int8 model I/O: the index output stays int32, with no QUANTIZE or DEQUANTIZE after it
        Model io = quantize(prodArgMax(), c -> c.withMode(QuantizationMode.INT8).withIo(IoType.INT8));
        assertThat(io.inputs().get(0).dtype()).isEqualTo(DType.INT8);
        assertThat(io.outputs().get(0).dtype()).isEqualTo(DType.INT32);
        assertThat(io.ops().get(io.ops().size() - 1).type()).isEqualTo(OpType.ARG_MAX);
        assertRunsLikeTflite(io);
    }

    @Test
    void uint8AndInt16() throws Exception {
        Model u = quantize(
                resizeReduce(true),
                c -> c.withMode(QuantizationMode.INT8)
                        .withScheme(QuantizationScheme.ASYMMETRIC)
                        .withGranularity(Granularity.PER_TENSOR));
        assertThat(u.tensor("l2/quantized").quant()).isEqualTo(QuantParams.perTensor(1f / 128, 128));
        assertThat(u.tensor("up").dtype()).isEqualTo(DType.UINT8);
        assertRunsLikeTflite(u);

        Model s = quantize(resizeReduce(false), c -> c.withMode(QuantizationMode.INT16X8));
        assertThat(s.tensor("up").dtype()).isEqualTo(DType.INT16);
        assertThat(s.tensor("min/quantized").dtype()).isEqualTo(DType.INT16);
        assertRunsLikeTflite(s);
    }
}
