package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.Converter;
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
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * BIDIRECTIONAL_SEQUENCE_LSTM (float32, and hybrid with int8 weights) against the official runtime: seeded random models (sizes, batch- or
 * time-major, CIFG forward direction, cell clip, merged or separate outputs; as many cells backward as forward,
 * which TFLite requires) written by Quanta's writer, read back
 * and run by Quanta on both paths and by TFLite on both (XNNPACK does not take the op). Every output within 1e-5 of
 * the output range (2) of TFLite's; merged outputs of several batch-major rows row by row (see
 * {@link #checkRowByRow}: TFLite's own result for rows after the first reads past their state).
 */
@UsesOracle
class BidirectionalLstmOracleTest {
    private static final int CASES = 16;
    private static final int SAMPLES = 3;

    @TestFactory
    Stream<DynamicTest> floatBidirectionalLstmFollowsTheBuiltinKernel() {
        LstmModels g = new LstmModels(4811L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            LstmModels.Dims d = g.dims();
            LstmModels.Case c = g.bidirectional(d, d.nCell(), 0.8, i % 2 == 0);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(g, c)));
        }
        return tests.stream();
    }

    /** The hybrid form (int8 weights) with asymmetric_quantize_inputs both ways. */
    @TestFactory
    Stream<DynamicTest> hybridBidirectionalLstmFollowsTheBuiltinKernel() {
        LstmModels g = new LstmModels(4813L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            LstmModels.Dims d = g.dims();
            LstmModels.Case c = g.bidirectional(d, d.nCell(), 0.8, i % 2 == 0, true, i % 4 < 2);
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(g, c)));
        }
        return tests.stream();
    }

    /**
     * Peepholes and projection in both directions, float32 and hybrid (asymmetric_quantize_inputs both ways), merged
     * or two outputs. A hybrid projection quantizes the cell output m on the fly: where Quanta's float gate sums
     * differ from TFLite's by an ulp (their summation orders differ, as for every hybrid LSTM here), one element of m
     * can land one quantization step away and move the output by that step (about range(m)/255) times one
     * projection weight; such cases are held to {@value #PROJECTED_HYBRID_TOLERANCE} (2.9e-4 seen on one output of
     * these seeds), the others to 2e-5.
     */
    @TestFactory
    Stream<DynamicTest> peepholesAndProjectionFollowTheBuiltinKernel() {
        LstmModels g = new LstmModels(4815L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            LstmModels.Dims d = g.dims();
            boolean peephole = i % 3 != 1;
            boolean projection = i % 3 != 0;
            LstmModels.Case c = g.bidirectionalPeepholeProjection(
                    d, peephole, projection, 1 + i % 5, i % 4 != 3, i % 2 == 0, i >= 12, i % 4 < 2);
            double tol =
                    i >= 12 && projection ? PROJECTED_HYBRID_TOLERANCE : UnidirectionalLstmOracleTest.FLOAT_TOLERANCE;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> check(g, c, tol)));
        }
        return tests.stream();
    }

    static final double PROJECTED_HYBRID_TOLERANCE = 1e-3;

    /** Dynamic range quantizes the peephole and projection weights of a float bidirectional LSTM too. */
    @Test
    void dynamicRangeMakesPeepholesAndProjectionHybrid() {
        LstmModels g = new LstmModels(4816L);
        LstmModels.Dims d = new LstmModels.Dims(4, 5, 1, 4, false, false, 0f);
        LstmModels.Case f = g.bidirectionalPeepholeProjection(d, true, true, 3, true, true, false, false);
        dev.quanta.quantize.Converter.Conversion conv = Converter.fromModel(f.model())
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                .convert();
        assertThat(conv.report().floatLayers()).isEmpty();
        Op op = conv.model().ops().get(0);
        OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
        for (int k : new int[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 18, 25, 26, 27, 28, 33}) {
            assertThat(op.input(a.position(k)).dtype()).as("input " + k).isEqualTo(DType.INT8);
        }
        for (int k : new int[] {12, 15, 17, 29, 32, 34}) {
            assertThat(op.input(a.position(k)).dtype()).as("input " + k).isEqualTo(DType.FLOAT32);
        }
        check(g, new LstmModels.Case("dynamic range " + f.name(), conv.model()));
    }

    /** Dynamic-range quantization makes a float bidirectional LSTM the hybrid one (asymmetric inputs). */
    @TestFactory
    Stream<DynamicTest> dynamicRangeMakesTheHybridBidirectionalLstm() {
        LstmModels g = new LstmModels(4814L);
        List<DynamicTest> tests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            LstmModels.Dims d = g.dims();
            LstmModels.Case f = g.bidirectional(d, d.nCell(), 0.8, i % 2 == 0);
            Model q = Converter.fromModel(f.model())
                    .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                    .convert()
                    .model();
            tests.add(DynamicTest.dynamicTest("dynamic range " + f.name(), () -> {
                Op op = q.ops().get(0);
                OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
                assertThat(a.asymmetricQuantizeInputs()).isTrue();
                for (int k : new int[] {2, 3, 4, 6, 7, 8, 19, 20, 21, 23, 24, 25}) {
                    assertThat(op.input(a.position(k)).dtype()).as("input " + k).isEqualTo(DType.INT8);
                }
                check(g, new LstmModels.Case(f.name(), q));
            }));
        }
        return tests.stream();
    }

    /** TFLite's kernel takes as many backward cells as forward ones (its Prepare checks); Quanta refuses it too. */
    @Test
    void directionsOfDifferentSizesAreRefusedAsTfliteRefusesThem() {
        LstmModels g = new LstmModels(4812L);
        LstmModels.Dims d = new LstmModels.Dims(3, 4, 1, 2, false, false, 0f);
        LstmModels.Case c = g.bidirectional(d, 5, 0.8, true);
        byte[] bytes = TfliteWriter.toBytes(c.model());
        assertThatThrownBy(() -> TfliteOracle.open(bytes, TfliteOracle.Kernels.BUILTIN, 1)
                        .close())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("AllocateTensors");
        Model read = TfliteReader.read(bytes, Path.of("bilstm.tflite"));
        assertThatThrownBy(() -> {
                    try (Interpreter it = new Interpreter(read)) {
                        it.allocateTensors();
                    }
                })
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("as many cells");
    }

    private static void check(LstmModels g, LstmModels.Case c) {
        check(g, c, UnidirectionalLstmOracleTest.FLOAT_TOLERANCE);
    }

    /** As above, outputs within {@code tol} of TFLite's. */
    private static void check(LstmModels g, LstmModels.Case c, double tol) {
        Op op = c.model().ops().get(0);
        OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
        int batch = c.model().inputs().get(0).shape().dim(a.timeMajor() ? 1 : 0);
        if (a.mergeOutputs() && !a.timeMajor() && batch > 1) {
            checkRowByRow(g, c, batch, tol);
            return;
        }
        byte[] bytes = TfliteWriter.toBytes(c.model());
        Model read = TfliteReader.read(bytes, Path.of("bilstm.tflite"));
        assertThat(read.outputs()).hasSameSizeAs(c.model().outputs());
        Tensor in = c.model().inputs().get(0);
        int n = LstmModels.count(in.shape().dims());
        int outs = c.model().outputs().size();
        int[] stats = new int[2];
        double[] worst = new double[1];
        for (QuantizedPath path : QuantizedPath.values()) {
            try (TfliteOracle oracle = TfliteOracle.open(bytes, kernels(path), 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                quanta.resizeInput(0, in.shape().dims());
                for (int s = 0; s < SAMPLES; s++) {
                    float[] x = g.floats(n, 2);
                    Object[] got = new Object[outs];
                    for (int o = 0; o < outs; o++) {
                        got[o] = new float
                                [LstmModels.count(
                                        c.model().outputs().get(o).shape().dims())];
                    }
                    quanta.runForMultipleInputsOutputs(new Object[] {x}, got);
                    oracle.resetVariableTensors();
                    oracle.setInput(0, x);
                    oracle.invoke();
                    for (int o = 0; o < outs; o++) {
                        compare((float[]) got[o], 0, oracle.outputFloat(o), path + " sample " + s, stats, worst, tol);
                    }
                }
            }
        }
        System.out.printf(
                "%s: %d/%d outputs bit-exact, largest difference %.3g%n", c.name(), stats[0], stats[1], worst[0]);
    }

    /**
     * Merged outputs of a batch-major input with several rows: TFLite's EvalFloat offsets the activation state of
     * row b by b · (fw + bw) output columns instead of b · n_output (lstm_eval.cc), so rows after the first read
     * and write past their state; Quanta computes each row as TFLite computes it alone. Each row is compared with
     * TFLite running the same model on that row alone (batch 1).
     */
    private static void checkRowByRow(LstmModels g, LstmModels.Case c, int batch, double tol) {
        Model m = c.model();
        Op op = m.ops().get(0);
        Tensor x = m.inputs().get(0);
        Tensor y = m.outputs().get(0);
        int[] xd = x.shape().dims();
        int[] yd = y.shape().dims();
        Tensor x1 = new Tensor(x.name(), Shape.of(1, xd[1], xd[2]), x.dtype(), null, null, false);
        Tensor y1 = new Tensor(y.name(), Shape.of(1, yd[1], yd[2]), y.dtype(), null, null, false);
        List<Tensor> ins = new ArrayList<>(op.inputs());
        ins.set(0, x1);
        Op op1 = new Op(op.name(), op.type(), ins, List.of(y1), op.attributes(), op.origin());
        byte[] one = TfliteWriter.toBytes(
                new Model(m.name(), List.of(x1), List.of(y1), List.of(op1), ModelMetadata.inMemory()));
        Model read = TfliteReader.read(TfliteWriter.toBytes(m), Path.of("bilstm.tflite"));
        int rowIn = xd[1] * xd[2];
        int rowOut = yd[1] * yd[2];
        int[] stats = new int[2];
        double[] worst = new double[1];
        for (QuantizedPath path : QuantizedPath.values()) {
            try (TfliteOracle oracle = TfliteOracle.open(one, kernels(path), 1);
                    Interpreter quanta =
                            new Interpreter(read, Interpreter.Options.defaults().withKernelPath(path))) {
                quanta.resizeInput(0, xd);
                for (int s = 0; s < SAMPLES; s++) {
                    float[] in = g.floats(batch * rowIn, 2);
                    float[] got = new float[batch * rowOut];
                    quanta.run(in, got);
                    for (int b = 0; b < batch; b++) {
                        oracle.resetVariableTensors();
                        oracle.setInput(0, java.util.Arrays.copyOfRange(in, b * rowIn, (b + 1) * rowIn));
                        oracle.invoke();
                        compare(
                                got,
                                b * rowOut,
                                oracle.outputFloat(0),
                                path + " sample " + s + " row " + b,
                                stats,
                                worst,
                                tol);
                    }
                }
            }
        }
        System.out.printf(
                "%s (row by row): %d/%d outputs bit-exact, largest difference %.3g%n",
                c.name(), stats[0], stats[1], worst[0]);
    }

    private static TfliteOracle.Kernels kernels(QuantizedPath path) {
        return path == QuantizedPath.XNNPACK ? TfliteOracle.Kernels.XNNPACK : TfliteOracle.Kernels.BUILTIN;
    }

    /** mine[off + k] within the tolerance of want[k] for every k; counts bit-exact ones and the largest gap. */
    private static void compare(
            float[] mine, int off, float[] want, String what, int[] stats, double[] worst, double tol) {
        for (int k = 0; k < want.length; k++) {
            assertThat((double) mine[off + k]).as(what + " [" + k + "]").isCloseTo(want[k], Offset.offset(tol));
            stats[0] += mine[off + k] == want[k] ? 1 : 0;
            stats[1]++;
            worst[0] = Math.max(worst[0], Math.abs(mine[off + k] - want[k]));
        }
    }
}
