package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.kernels.conv.ConvolutionKernels;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * TRANSPOSE_CONV against the official runtime on both paths: seeded single-op models (float32, int8 with per-channel
 * and per-tensor weights, uint8, 16x8; strides 1–3, SAME and VALID, kernels 1–4, with and without bias, fused
 * activations) written by Quanta's writer. Integer outputs must be bit-exact; float32 within 1e-5 of the output's
 * range. What XNNPACK's delegate does not take (SAME with a kernel smaller than the stride) must agree with the built-in kernel on the XNNPACK path too.
 */
class TransposeConvOracleTest {
    private static final int SAMPLES = 2;

    @TestFactory
    @UsesOracle
    Stream<DynamicTest> agreesWithTfliteOnBothPaths() {
        SingleOpModels g = new SingleOpModels(20261202L);
        List<DynamicTest> tests = new ArrayList<>();
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.UINT8, DType.INT16}) {
            for (int i = 0; i < 14; i++) {
                boolean perChannel = type != DType.UINT8 && (type == DType.INT16 || i % 3 != 2);
                boolean shrunk = i % 5 == 4; // a SAME output below input·stride
                SingleOpModels.Case c = transposeConv(g, type, perChannel, i % 4 != 3, shrunk);
                tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                    for (QuantizedPath path : QuantizedPath.values()) {
                        String r = compare(g, c, path);
                        System.out.println(c.name() + " " + path + ": " + r);
                        assertThat(r).as(c.name() + " " + path).startsWith("ok");
                    }
                }));
            }
        }
        return tests.stream();
    }

    /** "ok ..." when Quanta agrees with TFLite on {@code path} (bit-exact, or float within 1e-5 of the range). */
    static String compare(SingleOpModels g, SingleOpModels.Case c, QuantizedPath path) {
        Model m = c.model();
        byte[] bytes = TfliteWriter.toBytes(m);
        Tensor out = m.outputs().get(0);
        try (NativeTflite oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
                KernelRunner mine = new KernelRunner(m, path)) {
            double worst = 0;
            for (int s = 0; s < SAMPLES; s++) {
                List<Object> ins = new ArrayList<>();
                for (Tensor t : m.inputs()) {
                    ins.add(g.randomInput(t));
                }
                for (int i = 0; i < ins.size(); i++) {
                    oracle.setInputArray(i, ins.get(i));
                }
                oracle.invoke();
                mine.run(ins.toArray());
                Object got = mine.output();
                Object want = oracle.outputArray(0, got);
                if (got instanceof float[] f) {
                    float[] w = (float[]) want;
                    double range = 0;
                    for (float v : w) {
                        range = Math.max(range, Math.abs(v));
                    }
                    for (int i = 0; i < f.length; i++) {
                        double d = Math.abs(f[i] - w[i]);
                        if (d > 1e-5 * Math.max(range, 1e-3)) {
                            return "float differs at " + i + ": " + f[i] + " vs " + w[i] + " (range " + range + ")";
                        }
                        worst = Math.max(worst, d);
                    }
                } else {
                    for (int i = 0; i < Buffers.length(got); i++) {
                        int a = Quant.get(got, out.dtype(), i);
                        int b = Quant.get(want, out.dtype(), i);
                        if (a != b) {
                            return "differs at " + i + ": " + a + " vs " + b
                                    + (oracle.delegated() ? " (delegated)" : "");
                        }
                    }
                }
            }
            return "ok" + (oracle.delegated() ? " delegated" : " builtin") + ", max diff " + worst;
        }
    }

    /**
     * A TRANSPOSE_CONV of random geometry. The output size is the Keras one (SAME: in·stride; VALID: (in − 1)·stride +
     * max(k, stride)), or with {@code shrunk} a SAME output up to stride − 1 smaller (still mapping back onto the input).
     */
    static SingleOpModels.Case transposeConv(
            SingleOpModels g, DType type, boolean perChannel, boolean withBias, boolean shrunk) {
        java.util.Random r = g.random;
        int batch = 1 + r.nextInt(2);
        int h = 1 + r.nextInt(6);
        int wd = 1 + r.nextInt(6);
        int c = 1 + r.nextInt(5);
        int o = 1 + r.nextInt(7);
        int kh = 1 + r.nextInt(4);
        int kw = 1 + r.nextInt(4);
        int stride = 1 + r.nextInt(3);
        if (shrunk) {
            stride = 2 + r.nextInt(2);
        }
        Padding pad = shrunk || r.nextBoolean() ? Padding.SAME : Padding.VALID;
        int oh = pad == Padding.SAME ? h * stride : (h - 1) * stride + Math.max(kh, stride);
        int ow = pad == Padding.SAME ? wd * stride : (wd - 1) * stride + Math.max(kw, stride);
        if (shrunk) {
            oh -= 1 + r.nextInt(stride - 1);
        }
        Activation act = g.activation();
        var a = new OpAttributes.TransposeConv(pad, stride, stride, oh, ow, act);
        String name = "TRANSPOSE_CONV " + type
                + (type == DType.FLOAT32 ? " " : perChannel ? " per-channel " : " per-tensor ") + "b" + batch + " " + h
                + "x" + wd + "x" + c + " -> " + oh + "x" + ow + "x" + o + " k" + kh + "x" + kw + " s" + stride + " "
                + pad
                + " " + act + (withBias ? "" : " no bias");
        Tensor x;
        Tensor w;
        Tensor b = null;
        Tensor y;
        if (type == DType.FLOAT32) {
            x = g.activation("x", type, 0, 0, batch, h, wd, c);
            w = Tensor.constant("w", Shape.of(o, kh, kw, c), gaussian(r, o * kh * kw * c));
            if (withBias) {
                b = Tensor.constant("b", Shape.of(o), gaussian(r, o));
            }
            y = g.activation("y", type, 0, 0, batch, oh, ow, o);
        } else {
            DType wType = type == DType.UINT8 ? DType.UINT8 : DType.INT8;
            float sx = g.logUniform(0.005f, 0.1f);
            x = g.activation("x", type, sx, g.zeroPoint(type), batch, h, wd, c);
            w = g.weights(wType, new int[] {o, kh, kw, c}, 0, perChannel);
            if (withBias) {
                b = g.bias(type, x, w, o, 3000);
            }
            int taps = Math.max(1, kh * kw * c / (stride * stride));
            float sy = g.accumulatorScale(sx, w.quant().scales()[0], taps, type);
            y = g.activation("y", type, sy, g.zeroPoint(type), batch, oh, ow, o);
        }
        Op op = b == null
                ? SingleOpModels.op(OpType.TRANSPOSE_CONV, a, y, x, w)
                : SingleOpModels.op(OpType.TRANSPOSE_CONV, a, y, x, w, b);
        return new SingleOpModels.Case(name, SingleOpModels.model("tconv", List.of(x), op));
    }

    private static float[] gaussian(java.util.Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    /** The writer stores output_shape as input 0 and the options; the reader gives the IR op back. */
    @Test
    void writeThenReadKeepsTheAttributes() {
        SingleOpModels g = new SingleOpModels(11);
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            SingleOpModels.Case c = transposeConv(g, type, true, true, false);
            Op written = c.model().ops().get(0);
            Model back = TfliteReader.read(TfliteWriter.toBytes(c.model()), Path.of("tconv.tflite"));
            assertThat(back.ops()).hasSize(1);
            Op op = back.ops().get(0);
            assertThat(op.type()).isEqualTo(OpType.TRANSPOSE_CONV);
            assertThat(op.attrs(OpAttributes.TransposeConv.class))
                    .isEqualTo(written.attrs(OpAttributes.TransposeConv.class));
            assertThat(op.inputs()).hasSize(3);
            assertThat(op.input(1).shape()).isEqualTo(written.input(1).shape());
            assertThat(op.output(0).shape().withBatch(1).dims())
                    .containsExactly(written.output(0).shape().withBatch(1).dims());
        }
    }

    /** An output_shape that the input does not come from is refused, naming the sizes. */
    @Test
    void refusesAnOutputShapeThatDoesNotFitTheInput() {
        SingleOpModels g = new SingleOpModels(12);
        Tensor x = g.activation("x", DType.FLOAT32, 0, 0, 1, 4, 4, 2);
        Tensor w = Tensor.constant("w", Shape.of(3, 3, 3, 2), new float[54]);
        var a = new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 5, 8, Activation.NONE); // 5 maps back to 3, not 4
        assertThatThrownBy(() -> dev.quanta.ir.ShapeInference.infer(OpType.TRANSPOSE_CONV, a, List.of(x, w)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("output 5x8")
                .hasMessageContaining("3x4 convolution input, not the 4x4");
    }

    /** int8 activations with uint8 weights have no kernel, in TFLite or here. */
    @Test
    void refusesMixedIntegerTypes() {
        SingleOpModels g = new SingleOpModels(13);
        Tensor x = g.activation("x", DType.INT8, 0.1f, 0, 1, 3, 3, 2);
        Tensor w = g.weights(DType.UINT8, new int[] {2, 2, 2, 2}, 0, false);
        Tensor y = g.activation("y", DType.INT8, 0.1f, 0, 1, 6, 6, 2);
        var a = new OpAttributes.TransposeConv(Padding.SAME, 2, 2, 6, 6, Activation.NONE);
        Model m = SingleOpModels.model("bad", List.of(x), SingleOpModels.op(OpType.TRANSPOSE_CONV, a, y, x, w));
        assertThatThrownBy(() -> new KernelRunner(m, QuantizedPath.BUILTIN))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("TRANSPOSE_CONV");
    }

    /** Output rows split over threads: the same values as on one thread, integer and float. */
    @Test
    void threadsDoNotChangeTheResult() {
        SingleOpModels g = new SingleOpModels(14);
        for (DType type : new DType[] {DType.FLOAT32, DType.INT8, DType.INT16}) {
            SingleOpModels.Case c = transposeConv(g, type, true, true, false);
            Object in = g.randomInput(c.model().inputs().get(0));
            try (KernelRunner one = new KernelRunner(
                            c.model(), QuantizedPath.BUILTIN, ConvolutionKernels.BuiltinRounding.DEFAULT, 1);
                    KernelRunner three = new KernelRunner(
                            c.model(), QuantizedPath.BUILTIN, ConvolutionKernels.BuiltinRounding.DEFAULT, 3)) {
                one.run(in);
                three.run(in);
                three.run(in); // a second run reuses the centred input and the accumulators
                assertThat(Buffers.length(three.output())).isPositive();
                assertThat(three.output()).as(c.name()).isEqualTo(one.output());
            }
        }
    }
}
