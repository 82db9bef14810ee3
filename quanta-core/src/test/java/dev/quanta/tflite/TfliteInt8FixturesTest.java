package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The int8 fixtures read into the IR with their types and quantization parameters; written back, they run bit
 * for bit like the originals in the official runtime (both kernel paths).
 */
@UsesFixtures
@UsesOracle
class TfliteInt8FixturesTest {

    private static final String IC = "mlperf-tiny/ic/pretrainedResnet_quant.tflite";
    private static final String KWS = "mlperf-tiny/kws/kws_ref_model.tflite";
    private static final String VWW = "mlperf-tiny/vww/vww_96_int8.tflite";
    private static final String AD = "mlperf-tiny/ad/ad01_int8.tflite";
    private static final String TOYCAR = "mlperf-tiny/ad/model_ToyCar_quant_fullint_floatio.tflite";

    private static void assertPerTensor(Tensor t, DType type, float scale, long zeroPoint) {
        assertThat(t.dtype()).as(t.name()).isEqualTo(type);
        assertThat(t.quant()).as(t.name()).isEqualTo(QuantParams.perTensor(scale, zeroPoint));
    }

    /** Every CONV_2D weight is INT8 per channel along axis 0, every DEPTHWISE weight along axis 3, biases INT32. */
    private static void assertConvWeightsPerChannel(Model m) {
        for (Op op : m.ops()) {
            if (op.type() != OpType.CONV_2D && op.type() != OpType.DEPTHWISE_CONV_2D) {
                continue;
            }
            int axis = op.type() == OpType.CONV_2D ? 0 : 3;
            Tensor w = op.input(1);
            assertThat(w.dtype()).isEqualTo(DType.INT8);
            assertThat(w.isConstant()).isTrue();
            assertThat(w.quant().axis()).as(w.name()).isEqualTo(axis);
            assertThat(w.quant().scales()).hasSize(w.shape().dim(axis));
            assertThat(w.quant().zeroPoints()).containsOnly(0L);
            Tensor b = op.input(2);
            assertThat(b.dtype()).isEqualTo(DType.INT32);
            assertThat(b.quant().axis()).isEqualTo(0);
            assertThat(b.quant().scales()).hasSize(w.shape().dim(axis));
            // bias scale = input scale × weight scale, per channel
            float in = op.input(0).quant().scale();
            for (int c = 0; c < b.quant().scales().length; c++) {
                assertThat(b.quant().scales()[c]).isCloseTo(in * w.quant().scales()[c], within(1e-6f * in));
            }
        }
    }

    @Test
    void icInt8TypesQuantParamsAndOps() {
        Model m = TfliteReader.read(Fixtures.require(IC));
        Tensor in = m.inputs().get(0);
        assertPerTensor(in, DType.INT8, 1.0f, -128);
        assertThat(in.shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 32, 32, 3));
        assertPerTensor(m.outputs().get(0), DType.INT8, 1f / 256, -128);
        assertThat(CoreOps.counts(m)).isEqualTo(CoreOps.IC_RESNET_COUNTS);
        assertConvWeightsPerChannel(m);
        Op fc = m.ops().stream()
                .filter(o -> o.type() == OpType.FULLY_CONNECTED)
                .findFirst()
                .orElseThrow();
        assertThat(fc.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(fc.input(1).quant().isPerTensor()).isTrue();
        assertThat(fc.input(2).dtype()).isEqualTo(DType.INT32);
        Op reshape = m.ops().stream()
                .filter(o -> o.type() == OpType.RESHAPE)
                .findFirst()
                .orElseThrow();
        assertThat(reshape.inputs()).hasSize(1);
        assertThat(reshape.output(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 64));
    }

    @Test
    void kwsVwwAndAdTypesQuantParamsAndOps() {
        Model kws = TfliteReader.read(Fixtures.require(KWS));
        assertPerTensor(kws.inputs().get(0), DType.INT8, 0.5847029f, 83);
        assertThat(kws.inputs().get(0).shape()).isEqualTo(Shape.of(Shape.DYNAMIC, 49, 10, 1));
        assertPerTensor(kws.outputs().get(0), DType.INT8, 1f / 256, -128);
        assertThat(CoreOps.counts(kws))
                .isEqualTo(CoreOps.parseCounts(
                        "CONV_2D 5, DEPTHWISE_CONV_2D 4, AVERAGE_POOL_2D 1, RESHAPE 1, FULLY_CONNECTED 1, SOFTMAX 1"));
        assertConvWeightsPerChannel(kws);

        Model vww = TfliteReader.read(Fixtures.require(VWW));
        assertPerTensor(vww.inputs().get(0), DType.INT8, 1f / 255, -128);
        assertPerTensor(vww.outputs().get(0), DType.INT8, 1f / 256, -128);
        assertThat(CoreOps.counts(vww)).isEqualTo(CoreOps.VWW_MOBILENET_COUNTS);
        assertConvWeightsPerChannel(vww);

        Model ad = TfliteReader.read(Fixtures.require(AD));
        assertPerTensor(ad.inputs().get(0), DType.INT8, 0.39101523f, 89);
        assertPerTensor(ad.outputs().get(0), DType.INT8, 0.36449847f, 96);
        assertThat(CoreOps.counts(ad)).isEqualTo(CoreOps.parseCounts("FULLY_CONNECTED 10"));

        Model toycar = TfliteReader.read(Fixtures.require(TOYCAR));
        assertThat(toycar.inputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(toycar.outputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(CoreOps.counts(toycar))
                .isEqualTo(CoreOps.parseCounts("QUANTIZE 1, FULLY_CONNECTED 10, DEQUANTIZE 1"));
        assertThat(toycar.ops().get(0).type()).isEqualTo(OpType.QUANTIZE);
        // calibrated separately from ad01_int8: its own input parameters
        assertPerTensor(toycar.ops().get(0).output(0), DType.INT8, 0.40484673f, 81);
    }

    /** Runs the original and the rewritten file on the same int8 inputs in both kernel paths; outputs identical. */
    private static int assertInt8BitIdentical(Path original, byte[] written, List<byte[]> inputs) {
        int compared = 0;
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            List<byte[]> in =
                    k == TfliteOracle.Kernels.XNNPACK ? inputs : inputs.subList(0, Math.min(3, inputs.size()));
            try (TfliteOracle a = TfliteOracle.open(original, k, 1);
                    TfliteOracle b = TfliteOracle.open(written, k, 1)) {
                assertThat(b.inputType(0)).isEqualTo(a.inputType(0));
                assertThat(b.inputScale(0)).isEqualTo(a.inputScale(0));
                assertThat(b.inputZeroPoint(0)).isEqualTo(a.inputZeroPoint(0));
                assertThat(b.outputScale(0)).isEqualTo(a.outputScale(0));
                assertThat(b.outputZeroPoint(0)).isEqualTo(a.outputZeroPoint(0));
                for (byte[] x : in) {
                    a.setInput(0, x);
                    a.invoke();
                    b.setInput(0, x);
                    b.invoke();
                    assertThat(b.outputInt8(0))
                            .as(k + " output of the rewritten " + original.getFileName())
                            .containsExactly(a.outputInt8(0));
                    compared++;
                }
            }
        }
        return compared;
    }

    @Test
    void int8FixturesWrittenBackGiveBitIdenticalOutputsInTheOracle() {
        List<byte[]> ic = new ArrayList<>();
        for (TfliteSamples.Sample s : TfliteSamples.icImages(16)) {
            ic.add(TfliteSamples.pixelsMinus128(s.bytes()));
        }
        List<byte[]> kws =
                TfliteSamples.kws(16).stream().map(TfliteSamples.Sample::bytes).toList();
        SplittableRandom r = new SplittableRandom(11);
        List<byte[]> vww = List.of(
                TfliteSamples.randomBytes(r, 96 * 96 * 3),
                TfliteSamples.randomBytes(r, 96 * 96 * 3),
                TfliteSamples.randomBytes(r, 96 * 96 * 3));
        List<byte[]> ad = new ArrayList<>();
        for (float[] w : TfliteSamples.adWindows(16)) {
            ad.add(TfliteSamples.quantize(w, 0.39101523f, 89));
        }
        Map<String, List<byte[]>> cases = Map.of(IC, ic, KWS, kws, VWW, vww, AD, ad);
        for (Map.Entry<String, List<byte[]>> c : cases.entrySet()) {
            Path file = Fixtures.require(c.getKey());
            byte[] written = TfliteWriter.toBytes(TfliteReader.read(file));
            int n = assertInt8BitIdentical(file, written, c.getValue());
            System.out.printf("%s rewritten: %d int8 outputs bit-identical to the original's%n", file.getFileName(), n);
        }
    }

    @Test
    void floatIoInt8ModelWrittenBackIsBitIdenticalInTheOracle() {
        Path file = Fixtures.require(TOYCAR);
        byte[] written = TfliteWriter.toBytes(TfliteReader.read(file));
        TfliteFloatFixturesTest.assertOracleBitIdentical(file, written, List.of(TfliteSamples.adWindows(16)));
    }

    /**
     * person_detect's rank-1 biases carry quantized_dimension 3, which stock TFLite refuses; the reader takes
     * them along their only axis and the rewritten file runs in stock TFLite with the expected classes.
     */
    @Test
    void personDetectIsReadAndItsRewriteRunsInStockTflite() {
        Model m = TfliteReader.read(Fixtures.require("tflite-micro/person_detection/person_detect.tflite"));
        Tensor bias = m.ops().get(0).input(2);
        assertThat(bias.shape().rank()).isEqualTo(1);
        assertThat(bias.quant().axis()).isEqualTo(0);
        byte[] written = TfliteWriter.toBytes(m);
        try (TfliteOracle o = TfliteOracle.open(written, TfliteOracle.Kernels.XNNPACK, 1)) {
            float scale = o.outputScale(0);
            int zp = o.outputZeroPoint(0);
            o.setInput(0, TfliteSamples.personBmp("person.bmp"));
            o.invoke();
            byte[] person = o.outputInt8(0);
            o.setInput(0, TfliteSamples.personBmp("no_person.bmp"));
            o.invoke();
            byte[] noPerson = o.outputInt8(0);
            double personScore = scale * (person[1] - zp);
            double noPersonScore = scale * (noPerson[0] - zp);
            System.out.printf(
                    "person_detect rewritten: person.bmp person %.3f, no_person.bmp no-person %.3f%n",
                    personScore, noPersonScore);
            assertThat(personScore).isGreaterThan(0.5);
            assertThat(noPersonScore).isGreaterThan(0.5);
        }
    }
}
