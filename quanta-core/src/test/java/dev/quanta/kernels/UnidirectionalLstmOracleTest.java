package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM against the official runtime: seeded random single-op models ({@link LstmModels})
 * written by Quanta's writer, read back, run by Quanta's interpreter on both kernel paths and by TFLite on both
 * (XNNPACK does not take the LSTM, so TFLite's built-in kernel runs on both). TFLite keeps the states in variable
 * tensors between invocations; they are reset before every sample, as Quanta starts every run from zero states.
 */
@UsesOracle
class UnidirectionalLstmOracleTest {
    private static final int CASES = 24;
    private static final int SAMPLES = 3;

    /** The integer 8x8→16 LSTM with random zero points everywhere: every output bit-exact. */
    @TestFactory
    Stream<DynamicTest> integerLstmWithAnyZeroPointsIsBitExact() {
        LstmModels g = new LstmModels(20261202L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            LstmModels.Case c = g.integer(g.dims(), i % 3 != 2);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> checkInteger(g, c)));
        }
        return tests.stream();
    }

    /**
     * Float LSTMs whose output is mostly positive, quantized by Quanta's converter (int8, int8 I/O): the written
     * LSTM has an asymmetric hidden state with a zero point far from 0, the converter's form, and runs bit-exact in
     * Quanta and in TFLite on both paths.
     */
    @TestFactory
    Stream<DynamicTest> rewrittenLstmWithAsymmetricHiddenStateIsBitExact() {
        LstmModels g = new LstmModels(1202L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            LstmModels.Dims d = g.dims();
            d = new LstmModels.Dims(d.nInput(), d.nCell(), 1, d.steps(), false, d.cifg(), d.cellClip());
            LstmModels.Case f = g.floatLstm(d, 0.6, new float[] {0.5f, 1f, 1.5f, 1.5f}, true);
            int samples = 40;
            float[] data = g.floats(samples * d.steps() * d.nInput(), 2);
            Dataset calibration = Dataset.of("sequences", new int[] {d.steps(), d.nInput()}, data, null);
            Model q = Converter.fromModel(f.model())
                    .withConfig(QuantizationConfig.defaults()
                            .withMode(QuantizationMode.INT8)
                            .withIo(IoType.INT8))
                    .withRepresentativeDataset(calibration)
                    .convert()
                    .model();
            tests.add(DynamicTest.dynamicTest("rewritten " + f.name(), () -> {
                OpAttributes.Lstm a = q.ops().stream()
                        .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                        .findFirst()
                        .orElseThrow()
                        .attrs(OpAttributes.Lstm.class);
                assertThat(Math.abs(a.outputStateQuant().zeroPoint()))
                        .as("hidden zero point of " + a.outputStateQuant())
                        .isGreaterThanOrEqualTo(20);
                assertThat(a.intermediates()[4]).isEqualTo(a.outputStateQuant());
                checkInteger(g, new LstmModels.Case(f.name(), q));
            }));
        }
        return tests.stream();
    }

    /**
     * The hybrid LSTM (float activations, int8 weights), with asymmetric_quantize_inputs both ways: float outputs
     * within {@value #FLOAT_TOLERANCE} of the output range (2: h = o·tanh(c) is in (−1, 1)) of TFLite's; the
     * number of bit-exact outputs is printed.
     */
    @TestFactory
    Stream<DynamicTest> hybridLstmFollowsTheBuiltinKernel() {
        LstmModels g = new LstmModels(2612L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            LstmModels.Case c = g.hybrid(g.dims(), 0.8, i % 2 == 0);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> checkFloat(g, c)));
        }
        return tests.stream();
    }

    /**
     * The hybrid LSTM with peepholes (int8, recovered as float(q)·s) and/or a projection (the cell output m quantized
     * on the fly, an optional bias and proj_clip), asymmetric_quantize_inputs both ways: outputs within
     * {@value #FLOAT_TOLERANCE} of TFLite's on both paths.
     */
    @TestFactory
    Stream<DynamicTest> hybridLstmWithPeepholesAndProjection() {
        LstmModels g = new LstmModels(1203L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 18; i++) {
            boolean peephole = i % 3 != 1;
            boolean projection = i % 3 != 0;
            LstmModels.Case c = g.hybridPeepholeProjection(
                    g.dims(), peephole, projection, 1 + i % 7, i % 4 != 3, i % 5 == 0 ? 0.5f : 0f, i % 2 == 0);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> checkFloat(g, c)));
        }
        return tests.stream();
    }

    /**
     * Dynamic range on a float LSTM with peepholes and a projection: the gate, peephole and projection weights become
     * int8 per tensor (biases float), the report keeps no float layer, and the file runs in TFLite on both paths
     * within {@value #FLOAT_TOLERANCE} of Quanta.
     */
    @org.junit.jupiter.api.Test
    void dynamicRangeMakesPeepholesAndProjectionHybrid() {
        LstmModels g = new LstmModels(1204L);
        LstmModels.Case hybrid = g.hybridPeepholeProjection(
                new LstmModels.Dims(4, 6, 2, 5, false, false, 0f), true, true, 3, true, 0f, true);
        Model f = dequantized(hybrid.model());
        dev.quanta.quantize.Converter.Conversion conv = Converter.fromModel(f)
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        assertThat(conv.report().floatLayers()).isEmpty();
        var op = conv.model().ops().stream()
                .filter(o -> o.type() == OpType.UNIDIRECTIONAL_SEQUENCE_LSTM)
                .findFirst()
                .orElseThrow();
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        for (int k : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16}) {
            assertThat(op.input(a.position(k)).dtype()).as("TFLite input " + k).isEqualTo(dev.quanta.ir.DType.INT8);
        }
        for (int k : new int[] {12, 13, 14, 15, 17}) {
            assertThat(op.input(a.position(k)).dtype()).as("TFLite input " + k).isEqualTo(dev.quanta.ir.DType.FLOAT32);
        }
        checkFloat(g, new LstmModels.Case("dynamic range " + hybrid.name(), conv.model()));
    }

    /** {@code m} with every int8 constant replaced by its float values q · s. */
    private static Model dequantized(Model m) {
        var op = m.ops().get(0);
        List<Tensor> ins = new ArrayList<>();
        for (Tensor t : op.inputs()) {
            if (t.isConstant() && t.dtype() == dev.quanta.ir.DType.INT8) {
                byte[] q = t.data().bytes();
                float[] v = new float[q.length];
                for (int i = 0; i < q.length; i++) {
                    v[i] = q[i] * t.quant().scale();
                }
                ins.add(Tensor.constant(t.name(), t.shape(), v));
            } else {
                ins.add(t);
            }
        }
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        var floatAttrs = new OpAttributes.Lstm(
                a.activation(), a.cellClip(), a.projClip(), a.timeMajor(), false, a.presentInputs());
        var fop = new dev.quanta.ir.Op(op.name(), op.type(), ins, op.outputs(), floatAttrs, op.origin());
        return new Model(m.name(), m.inputs(), m.outputs(), List.of(fop), m.metadata());
    }

    static final double FLOAT_TOLERANCE = 1e-5 * 2;

    /**
     * Runs {@code c} (float input and output) in Quanta and in TFLite on both paths over random inputs in ±2: every
     * output within {@link #FLOAT_TOLERANCE}; prints how many are bit-exact and the largest difference, and returns
     * the number of outputs that differ.
     */
    static int checkFloat(LstmModels g, LstmModels.Case c) {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of("lstm.tflite"));
        Tensor in = c.model().inputs().get(0);
        Tensor out = c.model().outputs().get(0);
        int n = LstmModels.count(in.shape().dims());
        int m = LstmModels.count(out.shape().dims());
        int exact = 0;
        double worst = 0;
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels, 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                quanta.resizeInput(0, in.shape().dims());
                for (int s = 0; s < SAMPLES; s++) {
                    float[] x = g.floats(n, 2);
                    oracle.resetVariableTensors();
                    oracle.setInput(0, x);
                    oracle.invoke();
                    float[] want = oracle.outputFloat(0);
                    float[] got = new float[m];
                    quanta.run(x, got);
                    for (int k = 0; k < m; k++) {
                        assertThat((double) got[k])
                                .as(path + " sample " + s + " output " + k)
                                .isCloseTo(want[k], org.assertj.core.data.Offset.offset(FLOAT_TOLERANCE));
                        exact += got[k] == want[k] ? 1 : 0;
                        worst = Math.max(worst, Math.abs(got[k] - want[k]));
                    }
                }
            }
        }
        System.out.printf(
                "%s: %d/%d outputs bit-exact, largest difference %.3g%n", c.name(), exact, 2 * SAMPLES * m, worst);
        return 2 * SAMPLES * m - exact;
    }

    private static void checkInteger(LstmModels g, LstmModels.Case c) {
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of("lstm.tflite"));
        Tensor in = c.model().inputs().get(0);
        Tensor out = c.model().outputs().get(0);
        int[] inDims = in.shape().isDynamic()
                ? in.shape().withBatch(1).dims()
                : in.shape().dims();
        int[] outDims = out.shape().isDynamic()
                ? out.shape().withBatch(1).dims()
                : out.shape().dims();
        int n = LstmModels.count(inDims);
        int m = LstmModels.count(outDims);
        for (QuantizedPath path : QuantizedPath.values()) {
            TfliteOracle.Kernels kernels =
                    path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels, 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                quanta.resizeInput(0, inDims);
                for (int s = 0; s < SAMPLES; s++) {
                    byte[] x = g.bytes(n);
                    oracle.resetVariableTensors();
                    oracle.setInput(0, x);
                    oracle.invoke();
                    byte[] got = new byte[m];
                    quanta.run(x, got);
                    assertThat(got).as(path + " sample " + s).isEqualTo(oracle.outputInt8(0));
                }
            }
        }
    }
}
