package dev.quanta.kernels;

import static dev.quanta.testing.CoreArrays.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.quanta.kernels.conv.ConvolutionKernels;
import dev.quanta.runtime.Interpreter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Tiny single-op models with outputs worked out by hand from the integer spec (scales are powers of two, so the
 * real multipliers are exact and the rounding rule of each path is what the expected values test).
 */
class QuantizedKernelsTest {

    // ------------------------------------------------------------------ model helpers

    private static Tensor act(String name, DType type, float scale, int zp, int... dims) {
        return new Tensor(
                name,
                Shape.of(dims),
                type,
                null,
                type == DType.FLOAT32 ? null : QuantParams.perTensor(scale, zp),
                false);
    }

    private static Tensor int8(String name, float scale, int[] dims, int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return new Tensor(
                name,
                Shape.of(dims),
                DType.INT8,
                TensorData.ofBytes(DType.INT8, b),
                QuantParams.perTensor(scale, 0),
                true);
    }

    private static Tensor int32(String name, float scale, int... values) {
        return new Tensor(
                name,
                Shape.of(values.length),
                DType.INT32,
                TensorData.ofInts(values),
                QuantParams.perTensor(scale, 0),
                true);
    }

    private static Model model(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        Op op = new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin(out.name(), type.name()));
        List<Tensor> inputs =
                java.util.Arrays.stream(ins).filter(t -> !t.isConstant()).toList();
        return new Model("m", inputs, List.of(out), List.of(op), ModelMetadata.inMemory());
    }

    private static byte[] run(Model m, QuantizedPath path, Object... inputs) {
        try (KernelRunner r = new KernelRunner(m, path)) {
            r.run(inputs);
            return ((byte[]) r.output()).clone();
        }
    }

    // ------------------------------------------------------------------ FULLY_CONNECTED

    /**
     * s_x = 0.5, s_w = 0.5, s_y = 1 → M = 0.25 = (2^30, −1). W = [[1, 1], [2, 1], [1, −1]], b = 0.
     * x − zp = [−2, −4]: acc = [−6, −8, 2] → exact [−1.5, −2, 0.5].
     * XNNPACK rint: [−2, −2, 0]; built-in int8 FC (double rounding, upward tie of the shift): [−1, −2, 1].
     */
    @Test
    void fullyConnectedTiesShowEachPath() {
        Tensor x = act("x", DType.INT8, 0.5f, 3, 1, 2);
        Tensor w = int8("w", 0.5f, new int[] {3, 2}, 1, 1, 2, 1, 1, -1);
        Tensor b = int32("b", 0.25f, 0, 0, 0);
        Tensor y = act("y", DType.INT8, 1f, 10, 1, 3);
        Model m = model(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.NONE), y, x, w, b);
        byte[] in = bytes(1, -1);
        assertThat(run(m, QuantizedPath.XNNPACK, in)).containsExactly(8, 8, 10);
        assertThat(run(m, QuantizedPath.BUILTIN, in)).containsExactly(9, 8, 11);
    }

    /** Bias and ReLU6: acc = 4·3 + 6 = 18, M = 0.5 → 9 steps; ReLU6 at s_y = 0.5 clamps to q(6) = 12 + zp. */
    @Test
    void fullyConnectedBiasAndFusedRelu6() {
        Tensor x = act("x", DType.INT8, 1f, 0, 1, 1);
        Tensor w = int8("w", 0.25f, new int[] {2, 1}, 3, -3);
        Tensor b = int32("b", 0.25f, 6, 0);
        Tensor y = act("y", DType.INT8, 0.5f, -5, 1, 2);
        Model m = model(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.RELU6), y, x, w, b);
        for (QuantizedPath p : QuantizedPath.values()) {
            // unit 0: acc 18 → 4.5 real → clamp at 6? no: 18·0.25 = 4.5 real = 9 steps → 9 − 5 = 4
            // unit 1: acc −12 → −3 real → ReLU → 0 → zp = −5
            assertThat(run(m, p, bytes(4))).as(p.name()).containsExactly(4, -5);
        }
        assertThat(run(m, QuantizedPath.BUILTIN, bytes(20))).containsExactly(7, -5); // 15 real → 6 → 12 − 5
    }

    // ------------------------------------------------------------------ CONV_2D and DEPTHWISE_CONV_2D

    /**
     * 3×3 input, 3×3 kernel of ones, SAME, zp_x = 2: padded taps read the zero point and add nothing, so the corner
     * output sums 4 centred inputs and the centre 9. s_x = s_w = 1, s_y = 1 → M = 1.
     */
    @Test
    void convSamePaddingAddsNothingForPaddedTaps() {
        Tensor x = act("x", DType.INT8, 1f, 2, 1, 3, 3, 1);
        Tensor w = int8("w", 1f, new int[] {1, 3, 3, 1}, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        Tensor b = int32("b", 1f, 0);
        Tensor y = act("y", DType.INT8, 1f, 0, 1, 3, 3, 1);
        Model m = model(OpType.CONV_2D, new OpAttributes.Conv2D(Padding.SAME, 1, 1, 1, 1, Activation.NONE), y, x, w, b);
        byte[] in = bytes(3, 3, 3, 3, 3, 3, 3, 3, 3); // centred: all 1
        for (QuantizedPath p : QuantizedPath.values()) {
            assertThat(run(m, p, in)).as(p.name()).containsExactly(4, 6, 4, 6, 9, 6, 4, 6, 4);
        }
    }

    /**
     * Depthwise, multiplier 2: output channels 2c, 2c+1 read input channel c. M = 0.25 (s_x = s_w = 0.5).
     * acc = [−6, 10, 2, −2] → exact [−1.5, 2.5, 0.5, −0.5]. XNNPACK rint: [−2, 2, 0, 0]; built-in depthwise
     * (gemmlowp double rounding, ties away): [−2, 3, 1, −1].
     */
    @Test
    void depthwiseMultiplierTwoAndItsRounding() {
        Tensor x = act("x", DType.INT8, 0.5f, 0, 1, 1, 1, 2);
        Tensor w = int8("w", 0.5f, new int[] {1, 1, 1, 4}, -3, 5, 1, -1);
        Tensor b = int32("b", 0.25f, 0, 0, 0, 0);
        Tensor y = act("y", DType.INT8, 1f, 0, 1, 1, 1, 4);
        var a = new OpAttributes.DepthwiseConv2D(Padding.VALID, 1, 1, 1, 1, 2, Activation.NONE);
        Model m = model(OpType.DEPTHWISE_CONV_2D, a, y, x, w, b);
        byte[] in = bytes(2, 2);
        assertThat(run(m, QuantizedPath.XNNPACK, in)).containsExactly(-2, 2, 0, 0);
        assertThat(run(m, QuantizedPath.BUILTIN, in)).containsExactly(-2, 3, 1, -1);
    }

    @Test
    void xnnpackQuirkNegativeSamePaddingGivesTheBias() {
        // kernel 1×2, stride 2 in H over an even height: TF SAME total padding (out−1)·2 + 1 − 4 = −1 < 0
        Tensor x = act("x", DType.INT8, 1f, 0, 1, 4, 4, 1);
        Tensor w = int8("w", 1f, new int[] {1, 1, 2, 1}, 1, 1);
        Tensor b = int32("b", 1f, 7);
        Tensor y = act("y", DType.INT8, 1f, 0, 1, 2, 4, 1);
        Model m = model(OpType.CONV_2D, new OpAttributes.Conv2D(Padding.SAME, 2, 1, 1, 1, Activation.NONE), y, x, w, b);
        byte[] in = new byte[16];
        java.util.Arrays.fill(in, (byte) 1);
        assertThat(run(m, QuantizedPath.XNNPACK, in)).containsOnly(7);
        assertThat(run(m, QuantizedPath.BUILTIN, in)).containsExactly(9, 9, 9, 8, 9, 9, 9, 8);
    }

    // ------------------------------------------------------------------ ADD

    /**
     * s_a = 0.5, s_b = 0.25, s_y = 0.5, zero points 0: y = a + b/2 in steps of s_y. a = 3, b = 1 → 3.5.
     * Built-in (double rounding, ties away): 4. XNNPACK (ratios 1, 0.5 → shift 20, arithmetic shift with a
     * +2^19 bias, ties up): 4. a = −3, b = −1 → −3.5: built-in −4, XNNPACK −3.
     */
    @Test
    void addTiesShowEachPath() {
        Tensor a = act("a", DType.INT8, 0.5f, 0, 1, 2);
        Tensor b = act("b", DType.INT8, 0.25f, 0, 1, 2);
        Tensor y = act("y", DType.INT8, 0.5f, 0, 1, 2);
        Model m = model(OpType.ADD, new OpAttributes.Add(Activation.NONE), y, a, b);
        assertThat(run(m, QuantizedPath.BUILTIN, bytes(3, -3), bytes(1, -1))).containsExactly(4, -4);
        assertThat(run(m, QuantizedPath.XNNPACK, bytes(3, -3), bytes(1, -1))).containsExactly(4, -3);
    }

    @Test
    void addBroadcastsAndAppliesRelu() {
        Tensor a = act("a", DType.INT8, 1f, 0, 1, 2, 2);
        Tensor b = act("b", DType.INT8, 1f, 0, 1, 1, 2);
        Tensor y = act("y", DType.INT8, 1f, 0, 1, 2, 2);
        Model m = model(OpType.ADD, new OpAttributes.Add(Activation.RELU), y, a, b);
        for (QuantizedPath p : QuantizedPath.values()) {
            assertThat(run(m, p, bytes(1, 2, 3, 4), bytes(10, -20)))
                    .as(p.name())
                    .containsExactly(11, 0, 13, 0);
        }
    }

    // ------------------------------------------------------------------ pooling, mean

    @Test
    void averagePoolRoundsHalfAwayFromZero() {
        Tensor x = act("x", DType.INT8, 1f, 0, 1, 1, 4, 1);
        Tensor y = act("y", DType.INT8, 1f, 0, 1, 1, 2, 1);
        var a = new OpAttributes.Pool2D(Padding.VALID, 1, 2, 1, 2, Activation.NONE);
        Model m = model(OpType.AVERAGE_POOL_2D, a, y, x);
        for (QuantizedPath p : QuantizedPath.values()) {
            assertThat(run(m, p, bytes(1, 2, -1, -2))).as(p.name()).containsExactly(2, -2);
        }
        Model max = model(OpType.MAX_POOL_2D, a, y, x);
        assertThat(run(max, QuantizedPath.XNNPACK, bytes(1, 2, -1, -2))).containsExactly(2, -1);
    }

    /** Mean over H, W of a 1×2×2×1 input: Σ(x − zp) = 8 → mean 2 steps of s_x = 1.0 real → 1 step of s_y. */
    @Test
    void meanWithOtherOutputParameters() {
        Tensor x = act("x", DType.INT8, 0.5f, 1, 1, 2, 2, 1);
        Tensor y = act("y", DType.INT8, 1f, -3, 1, 1);
        Model m = model(OpType.MEAN, new OpAttributes.Mean(new int[] {1, 2}, false), y, x);
        for (QuantizedPath p : QuantizedPath.values()) {
            assertThat(run(m, p, bytes(2, 3, 3, 4))).as(p.name()).containsExactly(-2);
        }
    }

    // ------------------------------------------------------------------ softmax, logistic, tanh

    @Test
    void softmaxOfEqualLogitsIsUniform() {
        Tensor x = act("x", DType.INT8, 0.1f, 0, 1, 4);
        Tensor y = act("y", DType.INT8, 1f / 256, -128, 1, 4);
        Model m = model(OpType.SOFTMAX, new OpAttributes.Softmax(1f), y, x);
        for (QuantizedPath p : QuantizedPath.values()) {
            assertThat(run(m, p, bytes(5, 5, 5, 5))).as(p.name()).containsOnly(-64); // 0.25 · 256 − 128
        }
    }

    @Test
    void logisticAndTanhAtTheZeroPoint() {
        Tensor x = act("x", DType.INT8, 0.1f, 7, 1, 1);
        Tensor sig = act("s", DType.INT8, 1f / 256, -128, 1, 1);
        Tensor th = act("t", DType.INT8, 1f / 128, 0, 1, 1);
        assertThat(run(model(OpType.LOGISTIC, OpAttributes.None.INSTANCE, sig, x), QuantizedPath.BUILTIN, bytes(7)))
                .containsExactly(0); // 0.5 · 256 − 128
        assertThat(run(model(OpType.TANH, OpAttributes.None.INSTANCE, th, x), QuantizedPath.XNNPACK, bytes(7)))
                .containsExactly(0);
        // far in the tails: logistic saturates at 1 → 256 − 128 = 128 → clamped to 127
        assertThat(run(model(OpType.LOGISTIC, OpAttributes.None.INSTANCE, sig, x), QuantizedPath.BUILTIN, bytes(127)))
                .containsExactly(127);
    }

    // ------------------------------------------------------------------ quantize, dequantize, copies

    /** 0.125 / 0.25 = 0.5: TFLite rounds away (1), XNNPACK to even (0). */
    @Test
    void quantizeFloatTies() {
        Tensor x = act("x", DType.FLOAT32, 0, 0, 1, 3);
        Tensor y = act("y", DType.INT8, 0.25f, 0, 1, 3);
        Model m = model(OpType.QUANTIZE, OpAttributes.None.INSTANCE, y, x);
        float[] in = {0.125f, -0.375f, 100f};
        assertThat(run(m, QuantizedPath.BUILTIN, (Object) in)).containsExactly(1, -2, 127);
        assertThat(run(m, QuantizedPath.XNNPACK, (Object) in)).containsExactly(0, -2, 127);
    }

    @Test
    void requantizeInt8ToUint8AndDequantize() {
        Tensor x = act("x", DType.INT8, 0.5f, -1, 1, 3);
        Tensor y = act("y", DType.UINT8, 0.5f, 127, 1, 3);
        Model m = model(OpType.QUANTIZE, OpAttributes.None.INSTANCE, y, x);
        for (QuantizedPath p : QuantizedPath.values()) {
            byte[] out = run(m, p, bytes(-128, 0, 127));
            assertThat(new int[] {out[0] & 0xFF, out[1] & 0xFF, out[2] & 0xFF}).containsExactly(0, 128, 255);
        }
        Tensor f = act("f", DType.FLOAT32, 0, 0, 1, 3);
        Model dq = model(OpType.DEQUANTIZE, OpAttributes.None.INSTANCE, f, x);
        try (KernelRunner r = new KernelRunner(dq, QuantizedPath.XNNPACK)) {
            r.run((Object) bytes(-1, 0, -128));
            assertThat((float[]) r.output()).containsExactly(0f, 0.5f, -63.5f);
        }
    }

    @Test
    void dequantizeFloat16IsExact() {
        short[] halves = {Float.floatToFloat16(1.5f), Float.floatToFloat16(-0.0009765625f)};
        Tensor h = new Tensor(
                "h",
                Shape.of(2),
                DType.FLOAT16,
                TensorData.ofBytes(
                        DType.FLOAT16,
                        ByteBuffer.allocate(4)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putShort(halves[0])
                                .putShort(halves[1])
                                .array()),
                null,
                false);
        Tensor f = act("f", DType.FLOAT32, 0, 0, 2);
        Op op = new Op(
                "f",
                OpType.DEQUANTIZE,
                List.of(h),
                List.of(f),
                OpAttributes.None.INSTANCE,
                new Origin("f", "Dequantize"));
        float[] out = new float[2];
        Kernel k = Kernels.create(op, t -> t == h ? halves : out, t -> t.shape().dims());
        k.run(Parallel.of(1));
        assertThat(out).containsExactly(1.5f, -0.0009765625f);
    }

    @Test
    void padFillsWithTheZeroPointAndConcatenationCopies() {
        Tensor x = act("x", DType.INT8, 0.5f, -7, 1, 1, 1, 1);
        Tensor y = act("y", DType.INT8, 0.5f, -7, 1, 1, 3, 1);
        Model pad = model(OpType.PAD, new OpAttributes.Pad(new int[][] {{0, 0}, {0, 0}, {1, 1}, {0, 0}}), y, x);
        assertThat(run(pad, QuantizedPath.XNNPACK, bytes(5))).containsExactly(-7, 5, -7);
        Tensor a = act("a", DType.INT8, 0.5f, -7, 1, 2);
        Tensor b = act("b", DType.INT8, 0.5f, -7, 1, 1);
        Tensor c = act("c", DType.INT8, 0.5f, -7, 1, 3);
        Model cat = model(OpType.CONCATENATION, new OpAttributes.Concatenation(1, Activation.NONE), c, a, b);
        assertThat(run(cat, QuantizedPath.BUILTIN, bytes(1, 2), bytes(3))).containsExactly(1, 2, 3);
    }

    @Test
    void reluRequantizesToTheOutputParameters() {
        Tensor x = act("x", DType.INT8, 0.5f, 0, 1, 3);
        Tensor y = act("y", DType.INT8, 1f, -128, 1, 3);
        Model m = model(OpType.RELU, OpAttributes.None.INSTANCE, y, x);
        // real [−1, 1.5, 60] → [0, 1.5, 60] → steps of 1 from −128: [−128, −126 (1.5 → 2), −68]
        assertThat(run(m, QuantizedPath.BUILTIN, bytes(-2, 3, 120))).containsExactly(-128, -126, -68);
    }

    // ------------------------------------------------------------------ hybrid

    /**
     * Hybrid FC: x = [2, −1] quantized asymmetrically: r_min = −1, r_max = 2, s = 3/255, z = round(−128 + 85) = −43
     * (min error 128 + 85 = 213 &lt; 127 + 170), q = [127, −128]; W = [1, 2], s_w = 0.5:
     * acc = 127 − 256 − (−43)·3 = 0 → y = b = 0.25.
     */
    @Test
    void hybridFullyConnectedQuantizesRowsAsymmetrically() {
        Tensor x = act("x", DType.FLOAT32, 0, 0, 1, 2);
        Tensor w = int8("w", 0.5f, new int[] {1, 2}, 1, 2);
        Tensor b = Tensor.constant("b", Shape.of(1), new float[] {0.25f});
        Tensor y = act("y", DType.FLOAT32, 0, 0, 1, 1);
        Model m = model(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.NONE), y, x, w, b);
        try (KernelRunner r = new KernelRunner(m, QuantizedPath.BUILTIN)) {
            r.run((Object) new float[] {2f, -1f});
            assertThat((float[]) r.output()).containsExactly(0.25f);
        }
    }

    // ------------------------------------------------------------------ interpreter, threads, errors

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        SingleOpModels g = new SingleOpModels(3);
        Model m = g.conv(DType.INT8, true).model();
        byte[] in = (byte[]) g.randomInput(m.inputs().get(0));
        byte[] one;
        try (KernelRunner r =
                new KernelRunner(m, QuantizedPath.BUILTIN, ConvolutionKernels.BuiltinRounding.DEFAULT, 1)) {
            r.run((Object) in);
            one = ((byte[]) r.output()).clone();
        }
        try (KernelRunner r =
                new KernelRunner(m, QuantizedPath.BUILTIN, ConvolutionKernels.BuiltinRounding.DEFAULT, 2)) {
            r.run((Object) in);
            assertThat((byte[]) r.output()).isEqualTo(one);
        }
    }

    @Test
    void theInterpreterRunsQuantizedModelsWithByteArrays() {
        Tensor x = act("x", DType.INT8, 0.5f, 3, 1, 2);
        Tensor w = int8("w", 0.5f, new int[] {3, 2}, 1, 1, 2, 1, 1, -1);
        Tensor b = int32("b", 0.25f, 0, 0, 0);
        Tensor y = act("y", DType.INT8, 1f, 10, 1, 3);
        Model m = model(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.NONE), y, x, w, b);
        byte[] out = new byte[3];
        try (Interpreter it = new Interpreter(m)) {
            it.run(bytes(1, -1), out);
        }
        assertThat(out).containsExactly(8, 8, 10); // the XNNPACK path, TFLite's default
    }

    @Test
    void unsupportedCombinationsNameTheOpTheTypesAndWhatIsMissing() {
        Tensor x = act("x", DType.INT16, 1f / 4096, 0, 1, 4);
        Tensor y = act("y", DType.INT16, 1f / 4096, 0, 1, 4); // TFLite's int16 softmax needs output scale 1/32768
        Model m = model(OpType.SOFTMAX, new OpAttributes.Softmax(1f), y, x);
        assertThatThrownBy(() -> new KernelRunner(m, QuantizedPath.XNNPACK))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("layer 'y' (SOFTMAX)")
                .hasMessageContaining("INT16 -> INT16")
                .hasMessageContaining("output of scale 1/32768");
        Tensor f = act("f", DType.INT8, 1f, 0, 1, 2);
        Tensor w = int8("w", 1f, new int[] {2, 2}, 1, 2, 3, 4);
        Tensor u = act("u", DType.UINT8, 1f, 0, 1, 2);
        Model mixed = model(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(Activation.NONE), u, f, w);
        assertThatThrownBy(() -> new KernelRunner(mixed, QuantizedPath.BUILTIN))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("FULLY_CONNECTED")
                .hasMessageContaining("INT8, INT8 -> UINT8");
    }

    @Test
    void runAllocatesNothingAfterWarmUp() {
        SingleOpModels g = new SingleOpModels(new Random(9).nextLong());
        Model m = g.fullyConnected(DType.INT8, true).model();
        byte[] in = (byte[]) g.randomInput(m.inputs().get(0));
        try (KernelRunner r = new KernelRunner(m, QuantizedPath.XNNPACK)) {
            for (int i = 0; i < 2000; i++) {
                r.run((Object) in); // warm up so that escape analysis removes the range lambdas
            }
            com.sun.management.ThreadMXBean bean =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100; i++) {
                r.run((Object) in);
            }
            long perRun = (bean.getCurrentThreadAllocatedBytes() - before) / 100;
            assertThat(perRun).as("bytes allocated per run").isLessThan(256);
        }
    }
}
