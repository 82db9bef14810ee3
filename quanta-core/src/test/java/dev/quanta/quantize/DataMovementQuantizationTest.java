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
import dev.quanta.ir.TensorData;
import dev.quanta.kernels.Buffers;
import dev.quanta.kernels.QuantizedPath;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A float model of SPLIT, GATHER, PACK, UNPACK, GATHER_ND and SPLIT_V, quantized by Quanta (int8, uint8, 16x8) and
 * written as a .tflite: the data movement ops keep their input's parameters, PACK's inputs are requantized to its
 * calibrated output parameters (TFLite's kernel requires equal ones), and the file runs in TFLite on both paths
 * bit for bit as in Quanta.
 */
@UsesOracle
class DataMovementQuantizationTest {

    /**
     * x[B,4,6] → SPLIT(axis −1, 2) → a, b [B,4,3]; a → GATHER(axis 1, [3,0,2,1]) → g; PACK(g, relu(b); axis 1) →
     * p[B,2,4,3]; UNPACK(p; axis 3) → u0, u1, u2 [B,2,4]; u0 → GATHER_ND([[0,1],[0,0]]) → n[2,4]; u1 →
     * SPLIT_V(axis 2, [1, −1]) → s0[B,2,1], s1[B,2,3]. Outputs n, s1, u2.
     */
    static Model model() {
        ModelBuilder mb = new ModelBuilder("data_movement");
        Tensor x = mb.input("x", Shape.batched(4, 6));
        List<Tensor> ab = multi(mb, OpType.SPLIT, "split", new OpAttributes.Split(-1, 2), x, 2);
        Tensor idx = new Tensor(
                "gather/indices", Shape.of(4), DType.INT32, TensorData.ofInts(new int[] {3, 0, 2, 1}), null, false);
        Tensor g = mb.add(
                OpType.GATHER, "gather", new Origin("gather", "Gather"), new OpAttributes.Gather(1, 0), ab.get(0), idx);
        Tensor r = mb.add(OpType.RELU, "relu", new Origin("relu", "ReLU"), OpAttributes.None.INSTANCE, ab.get(1));
        Tensor p = mb.add(OpType.PACK, "pack", new Origin("pack", "Pack"), new OpAttributes.Pack(1), g, r);
        List<Tensor> u = multi(mb, OpType.UNPACK, "unpack", new OpAttributes.Unpack(3, 3), p, 3);
        Tensor ndIdx = new Tensor(
                "gather_nd/indices",
                Shape.of(2, 2),
                DType.INT32,
                TensorData.ofInts(new int[] {0, 1, 0, 0}),
                null,
                false);
        Tensor n = mb.add(
                OpType.GATHER_ND,
                "gather_nd",
                new Origin("gather_nd", "GatherNd"),
                OpAttributes.None.INSTANCE,
                u.get(0),
                ndIdx);
        List<Tensor> s =
                multi(mb, OpType.SPLIT_V, "split_v", new OpAttributes.SplitV(2, new int[] {1, -1}), u.get(1), 2);
        return mb.output(n).output(s.get(1)).output(u.get(2)).build(ModelMetadata.inMemory());
    }

    /** A multi-output op of {@code count} outputs {@code <name>/<k>}. */
    private static List<Tensor> multi(ModelBuilder mb, OpType type, String name, OpAttributes a, Tensor x, int count) {
        List<Shape> shapes = dev.quanta.ir.ShapeInference.inferAll(type, a, List.of(x));
        assertThat(shapes).hasSize(count);
        List<Tensor> outs = java.util.stream.IntStream.range(0, count)
                .mapToObj(k -> Tensor.activation(name + "/" + k, shapes.get(k)))
                .toList();
        mb.add(new Op(name, type, List.of(x), outs, a, new Origin(name, type.name())));
        return outs;
    }

    private static Dataset data() {
        SplittableRandom r = new SplittableRandom(7);
        float[] v = new float[16 * 24];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 5 - 2);
        }
        return Dataset.of("data-movement", new int[] {4, 6}, v, null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16X8"})
    void quantizedFileRunsBitExactInTflite(String form) throws Exception {
        Model f = model();
        Dataset d = data();
        UnaryOperator<QuantizationConfig> cfg = switch (form) {
            case "UINT8" -> c -> c.withScheme(QuantizationScheme.ASYMMETRIC);
            case "INT16X8" -> c -> c.withMode(QuantizationMode.INT16X8);
            default -> c -> c;
        };
        Model q = Converter.fromModel(f)
                .withConfig(cfg.apply(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withCalibrationSamples(d.size())))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        DType act = form.equals("UINT8") ? DType.UINT8 : form.equals("INT16X8") ? DType.INT16 : DType.INT8;

        Op split = producer(q, OpType.SPLIT);
        assertThat(split.input(0).dtype()).isEqualTo(act);
        for (Tensor o : split.outputs()) {
            assertThat(o.quant()).isEqualTo(split.input(0).quant());
        }
        for (OpType t : new OpType[] {OpType.GATHER, OpType.UNPACK, OpType.GATHER_ND, OpType.SPLIT_V}) {
            Op op = producer(q, t);
            assertThat(op.output(op.outputs().size() - 1).quant())
                    .as(t.name())
                    .isEqualTo(op.input(0).quant());
        }
        Op pack = producer(q, OpType.PACK);
        for (Tensor in : pack.inputs()) {
            assertThat(in.quant()).isEqualTo(pack.output(0).quant());
        }
        assertThat(q.ops().stream()
                        .filter(o -> o.type() == OpType.QUANTIZE
                                && o.output(0).name().contains("/requantized/")))
                .as("PACK's inputs requantized to its output's parameters")
                .isNotEmpty();

        assertBitExactInTflite(q, d, form, new int[] {1, 4, 6});
    }

    /**
     * x[B,4,4,2] → PADV2(value 0.5) → SPACE_TO_DEPTH(2) → DEPTH_TO_SPACE(2) → MIRROR_PAD(REFLECT) → SLICE →
     * REVERSE_V2 → TILE → EXPAND_DIMS → SQUEEZE → BROADCAST_TO (the batch kept).
     */
    static Model spatialModel() {
        ModelBuilder mb = new ModelBuilder("spatial_movement");
        Origin o = new Origin("spatial", "Test");
        Tensor x = mb.input("x", Shape.batched(4, 4, 2));
        Tensor v = Tensor.constant("padv2/value", Shape.of(), new float[] {0.5f});
        Tensor t = mb.add(
                OpType.PADV2, "padv2", o, new OpAttributes.Pad(new int[][] {{0, 0}, {1, 1}, {0, 2}, {0, 0}}), x, v);
        t = mb.add(OpType.SPACE_TO_DEPTH, "s2d", o, new OpAttributes.BlockSize(2), t);
        t = mb.add(OpType.DEPTH_TO_SPACE, "d2s", o, new OpAttributes.BlockSize(2), t);
        t = mb.add(
                OpType.MIRROR_PAD,
                "mirror",
                o,
                new OpAttributes.MirrorPad(new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}, false),
                t);
        t = mb.add(
                OpType.SLICE, "slice", o, new OpAttributes.Slice(new int[] {0, 1, 0, 0}, new int[] {-1, 4, 8, 2}), t);
        t = mb.add(OpType.REVERSE_V2, "reverse", o, new OpAttributes.Reverse(new int[] {2}), t);
        t = mb.add(OpType.TILE, "tile", o, new OpAttributes.Tile(new int[] {1, 1, 1, 2}), t);
        t = mb.add(OpType.EXPAND_DIMS, "expand", o, new OpAttributes.ExpandDims(1), t);
        t = mb.add(OpType.SQUEEZE, "squeeze", o, new OpAttributes.Squeeze(new int[] {1}), t);
        Tensor s = mb.add(
                OpType.SLICE, "row", o, new OpAttributes.Slice(new int[] {0, 0, 0, 0}, new int[] {-1, 1, 8, 4}), t);
        Tensor b =
                mb.add(OpType.BROADCAST_TO, "broadcast", o, new OpAttributes.BroadcastTo(new int[] {-1, 3, 8, 4}), s);
        return mb.output(t).output(b).build(ModelMetadata.inMemory());
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16X8"})
    void spatialOpsKeepTheirInputParametersAndRunBitExactInTflite(String form) throws Exception {
        SplittableRandom r = new SplittableRandom(11);
        float[] v = new float[12 * 32];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 3 - 1);
        }
        Dataset d = Dataset.of("spatial", new int[] {4, 4, 2}, v, null);
        Model q = Converter.fromModel(spatialModel())
                .withConfig(config(form).withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        for (Op op : q.ops()) {
            boolean integer = op.input(0).dtype() != DType.FLOAT32;
            if (op.type() != OpType.QUANTIZE && op.type() != OpType.DEQUANTIZE && integer) {
                assertThat(op.output(0).quant())
                        .as(op.type().name())
                        .isEqualTo(op.input(0).quant());
            }
        }
        // TFLite 2.21 has no int16 DEPTH_TO_SPACE or SPACE_TO_DEPTH: with 16x8 they stay in float, as allowed
        boolean int16 = form.equals("INT16X8");
        assertThat(producer(q, OpType.SPACE_TO_DEPTH).input(0).dtype() == DType.FLOAT32)
                .isEqualTo(int16);
        assertThat(producer(q, OpType.DEPTH_TO_SPACE).input(0).dtype() == DType.FLOAT32)
                .isEqualTo(int16);
        Op pad = producer(q, OpType.PADV2);
        assertThat(pad.input(1).dtype()).isEqualTo(pad.input(0).dtype());
        assertBitExactInTflite(q, d, form, new int[] {1, 4, 4, 2});
    }

    /** x[B,4] + FILL(dims [1,4], value 0.75) → ADD: FILL's output keeps its value's parameters. */
    static Model fillModel() {
        ModelBuilder mb = new ModelBuilder("fill");
        Origin o = new Origin("fill", "Test");
        Tensor x = mb.input("x", Shape.batched(4));
        Tensor v = Tensor.constant("fill/value", Shape.of(), new float[] {0.75f});
        Tensor f = mb.add(OpType.FILL, "fill", o, new OpAttributes.Fill(new int[] {1, 4}), v);
        Tensor y = mb.add(OpType.ADD, "add", o, new OpAttributes.Add(dev.quanta.ir.Activation.NONE), x, f);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * int8 and 16x8: FILL becomes TFLite's int8/int16 FILL, its output with its value's parameters (int16
     * symmetric) and the file bit-exact in TFLite on both paths. uint8: TFLite has no uint8 FILL, so the quantizer
     * refuses it naming the op, or keeps it in float when allowed.
     */
    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16X8"})
    void fillKeepsItsValueParametersAndRunsBitExactInTflite(String form) throws Exception {
        SplittableRandom r = new SplittableRandom(13);
        float[] v = new float[8 * 4];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 4 - 2);
        }
        Dataset d = Dataset.of("fill", new int[] {4}, v, null);
        if (form.equals("UINT8")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Converter.fromModel(fillModel())
                            .withConfig(QuantizationConfig.defaults()
                                    .withMode(QuantizationMode.INT8)
                                    .withScheme(QuantizationScheme.ASYMMETRIC)
                                    .withCalibrationSamples(d.size()))
                            .withRepresentativeDataset(d)
                            .convert())
                    .isInstanceOf(dev.quanta.QuantaException.class)
                    .hasMessageContaining("FILL has no uint8 kernel");
        }
        Model q = Converter.fromModel(fillModel())
                .withConfig(config(form).withAllowFloatFallback(true).withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        Op fill = producer(q, OpType.FILL);
        if (form.equals("UINT8")) {
            assertThat(fill.output(0).dtype()).isEqualTo(DType.FLOAT32);
        } else {
            DType act = form.equals("INT8") ? DType.INT8 : DType.INT16;
            assertThat(fill.input(0).dtype()).isEqualTo(act);
            assertThat(fill.output(0).dtype()).isEqualTo(act);
            assertThat(fill.output(0).quant()).isEqualTo(fill.input(0).quant());
            if (act == DType.INT16) {
                assertThat(fill.input(0).quant().zeroPoint()).isZero();
            }
            assertThat(producer(q, OpType.ADD).input(0).dtype()).isEqualTo(act);
        }
        assertBitExactInTflite(q, d, form, new int[] {1, 4});
    }

    /**
     * x[B,6] gathered (axis 1) at an int32 RANGE(4, −1, −2) = [4, 2, 0], plus a float RANGE(0, 1.5, 0.5) =
     * [0, 0.5, 1] added to the result: y = x[:, [4, 2, 0]] + [0, 0.5, 1].
     */
    static Model rangeModel() {
        ModelBuilder mb = new ModelBuilder("range");
        Origin o = new Origin("range", "Test");
        Tensor x = mb.input("x", Shape.batched(6));
        Tensor[] ints = new Tensor[3];
        Tensor[] floats = new Tensor[3];
        int[] iv = {4, -1, -2};
        float[] fv = {0f, 1.5f, 0.5f};
        for (int i = 0; i < 3; i++) {
            ints[i] = new Tensor("ir" + i, Shape.of(), DType.INT32, TensorData.ofInts(new int[] {iv[i]}), null, false);
            floats[i] = Tensor.nonTrainableConstant("fr" + i, Shape.of(), new float[] {fv[i]});
        }
        Tensor idx = new Tensor("indices", Shape.of(3), DType.INT32, null, null, false);
        mb.add(new Op("indices", OpType.RANGE, List.of(ints), List.of(idx), OpAttributes.None.INSTANCE, o));
        Tensor g = mb.add(OpType.GATHER, "gather", o, new OpAttributes.Gather(1, 0), x, idx);
        Tensor offsets = mb.add(OpType.RANGE, "offsets", o, OpAttributes.None.INSTANCE, floats);
        Tensor y = mb.add(OpType.ADD, "add", o, new OpAttributes.Add(dev.quanta.ir.Activation.NONE), g, offsets);
        return mb.output(y).build(ModelMetadata.inMemory());
    }

    /**
     * The int32 RANGE passes through every mode unchanged (its output is indices, not an activation); the float
     * RANGE has no integer kernel in TFLite, so int8 refuses it naming the op, and with float fallback it stays
     * float, its output quantized for the ADD. The files run bit-exact in TFLite on both paths; float16 and
     * dynamic-range files keep both RANGEs as they are.
     */
    @ParameterizedTest
    @ValueSource(strings = {"INT8", "UINT8", "INT16X8", "FLOAT16", "DYNAMIC"})
    void rangeIndicesPassThroughAndTheFloatRangeFallsBackToFloat(String form) throws Exception {
        SplittableRandom r = new SplittableRandom(17);
        float[] v = new float[8 * 6];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextDouble() * 4 - 2);
        }
        Dataset d = Dataset.of("range", new int[] {6}, v, null);
        QuantizationConfig c = switch (form) {
            case "FLOAT16" -> QuantizationConfig.defaults().withMode(QuantizationMode.FLOAT16);
            case "DYNAMIC" -> QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC);
            default -> config(form);
        };
        if (form.equals("INT8")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Converter.fromModel(rangeModel())
                            .withConfig(c.withCalibrationSamples(d.size()))
                            .withRepresentativeDataset(d)
                            .convert())
                    .isInstanceOf(dev.quanta.QuantaException.class)
                    .hasMessageContaining("RANGE has no int8 kernel");
        }
        Model q = Converter.fromModel(rangeModel())
                .withConfig(c.withAllowFloatFallback(true).withCalibrationSamples(d.size()))
                .withRepresentativeDataset(d)
                .convert()
                .model();
        List<Op> ranges =
                q.ops().stream().filter(op -> op.type() == OpType.RANGE).toList();
        assertThat(ranges).hasSize(2);
        assertThat(ranges.get(0).output(0).dtype()).isEqualTo(DType.INT32);
        assertThat(ranges.get(1).output(0).dtype()).isEqualTo(DType.FLOAT32);
        for (Op range : ranges) {
            assertThat(range.inputs()).allMatch(Tensor::isConstant);
        }
        if (!form.equals("FLOAT16") && !form.equals("DYNAMIC")) {
            DType act = form.equals("UINT8") ? DType.UINT8 : form.equals("INT16X8") ? DType.INT16 : DType.INT8;
            assertThat(producer(q, OpType.GATHER).output(0).dtype()).isEqualTo(act);
            assertThat(producer(q, OpType.ADD).output(0).dtype()).isEqualTo(act);
        }
        assertBitExactInTflite(q, d, form, new int[] {1, 6});
    }

    private static QuantizationConfig config(String form) {
        QuantizationConfig c = QuantizationConfig.defaults().withMode(QuantizationMode.INT8);
        return switch (form) {
            case "UINT8" -> c.withScheme(QuantizationScheme.ASYMMETRIC);
            case "INT16X8" -> c.withMode(QuantizationMode.INT16X8).withAllowFloatFallback(true);
            default -> c;
        };
    }

    /** The written file, read back by Quanta and run by TFLite on both paths, sample by sample: equal floats. */
    private static void assertBitExactInTflite(Model q, Dataset d, String form, int[] inputShape) throws Exception {
        byte[] file = TfliteWriter.toBytes(q);
        Model read = TfliteReader.read(file, Path.of("data_movement.tflite"));
        float[] x = new float[d.sampleSize()];
        for (TfliteOracle.Kernels kernels : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(file, kernels, 1);
                    Interpreter it = new Interpreter(
                            read,
                            Interpreter.Options.defaults().withKernelPath(QuantizedPath.valueOf(kernels.name())))) {
                it.resizeInput(0, inputShape);
                for (int s = 0; s < d.size(); s++) {
                    d.copySample(s, x, 0);
                    o.setInput(0, x);
                    o.invoke();
                    Object[] outs = new Object[read.outputs().size()];
                    for (int k = 0; k < outs.length; k++) {
                        outs[k] = Buffers.allocate(DType.FLOAT32, o.outputLength(k));
                    }
                    it.runForMultipleInputsOutputs(new Object[] {x}, outs);
                    for (int k = 0; k < outs.length; k++) {
                        assertThat((float[]) outs[k])
                                .as("%s %s sample %d output %d", form, kernels, s, k)
                                .containsExactly(o.outputFloat(k));
                    }
                }
            }
        }
    }

    private static Op producer(Model m, OpType type) {
        return m.ops().stream().filter(o -> o.type() == type).findFirst().orElseThrow();
    }
}
