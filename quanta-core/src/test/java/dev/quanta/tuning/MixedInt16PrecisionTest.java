package dev.quanta.tuning;

import static dev.quanta.testing.CoreModels.int8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.Int16Layers;
import dev.quanta.quantize.LayerReport;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreOps;
import dev.quanta.testing.SensitiveModels;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link MixedPrecision} moving layers to 16x8 ({@link dev.quanta.quantize.Int16Layers}) on a classifier whose int8
 * loss is an activation outlier ({@link SensitiveModels#activationOutlierNet}), and the mixed int8/int16 file in
 * TFLite.
 */
@UsesOracle
class MixedInt16PrecisionTest {
    private static Converter converter(Model m) {
        return int8(m, SensitiveModels.data(m, 64, 1), c -> c.withGranularity(Granularity.PER_TENSOR));
    }

    @Test
    void maxDropMovesLayersTo16x8UntilTheOutliersWriterAndReaderPassInt16() throws Exception {
        Model m = SensitiveModels.activationOutlierNet();
        Dataset eval = SensitiveModels.data(m, 200, 9);
        MixedPrecision.Result r =
                MixedPrecision.choose(converter(m), eval, Metric.TOPK, 2.0, Evaluator.Options.defaults());
        System.out.println(r.steps());
        assertThat(r.floatValue()).isEqualTo(100.0);
        assertThat(r.steps().get(0).drop()).isGreaterThan(10);
        assertThat(r.met()).isTrue();
        // no layer recovers anything alone (d2 reads d1's int8 value whatever its own precision; d1 in float or
        // 16x8 still hands d2 an int8 value): each moves to 16x8, which ties with float, until d1 and d2 are both
        // 16x8 and pass int16 between them
        assertThat(r.steps().get(1).int16Layers()).containsExactly("d2");
        assertThat(r.steps().get(1).drop()).isEqualTo(r.steps().get(0).drop());
        assertThat(r.steps().get(2).floatLayers()).containsExactly("d2");
        assertThat(r.steps().get(2).drop()).isEqualTo(r.steps().get(0).drop());
        assertThat(r.chosen()).isEqualTo(r.steps().get(r.steps().size() - 1));
        assertThat(r.chosen().floatLayers()).isEmpty();
        assertThat(r.chosen().int16Layers()).containsExactlyInAnyOrder("d1", "d2", "softmax");
        assertThat(r.chosen().drop()).isLessThanOrEqualTo(2.0);
        Model mixed = r.conversion().model();
        assertThat(CoreOps.types(mixed)).isEqualTo("QUANTIZE FULLY_CONNECTED FULLY_CONNECTED SOFTMAX DEQUANTIZE");
        assertThat(mixed.ops().get(3).output(0).dtype()).isEqualTo(DType.INT16);
        assertThat(Sensitivity.value(mixed, eval, Metric.TOPK, Evaluator.Options.defaults()))
                .isEqualTo(r.chosen().value());
        assertRunsInTfliteAsInQuanta(mixed, eval);
    }

    @Test
    void consecutive16x8LayersPassInt16AndRunInTfliteExactlyAsInQuanta() throws Exception {
        Model m = SensitiveModels.activationOutlierNet();
        Dataset eval = SensitiveModels.data(m, 200, 9);
        Converter c = converter(m);
        Converter.Conversion int8 = c.convert();
        Converter.Conversion int16x8 =
                c.withConfig(c.config().withMode(QuantizationMode.INT16X8)).convert();
        assertThat(Int16Layers.runsIn16x8(int16x8, "d1")).isTrue();
        assertThat(Int16Layers.runsIn16x8(int16x8, "nowhere")).isFalse();
        Converter.Conversion mixed = Int16Layers.splice(int8, int16x8, Set.of("d1", "d2"));
        Model model = mixed.model();
        // the float input quantized straight to int16; d1 -> d2 in int16; d2's value requantized for the softmax
        assertThat(CoreOps.types(model))
                .isEqualTo("QUANTIZE FULLY_CONNECTED FULLY_CONNECTED QUANTIZE SOFTMAX DEQUANTIZE");
        assertThat(model.ops().get(0).input(0).dtype()).isEqualTo(DType.FLOAT32);
        assertThat(model.ops().get(0).output(0).dtype()).isEqualTo(DType.INT16);
        for (Op op : model.ops()) {
            if (op.type() == OpType.FULLY_CONNECTED) {
                assertThat(op.input(0).dtype()).isEqualTo(DType.INT16);
                assertThat(op.input(1).dtype()).isEqualTo(DType.INT8);
                if (op.inputs().size() > 2) { // d1's bias (d2 has none)
                    assertThat(op.input(2).dtype()).isEqualTo(DType.INT64);
                }
                assertThat(op.output(0).dtype()).isEqualTo(DType.INT16);
            }
        }
        Op requantize = model.ops().get(3);
        assertThat(requantize.input(0).dtype()).isEqualTo(DType.INT16);
        assertThat(requantize.output(0).dtype()).isEqualTo(DType.INT8);
        assertThat(requantize.output(0).quant())
                .isEqualTo(int8.model().tensor(requantize.output(0).name()).quant());
        assertThat(mixed.report().layers())
                .filteredOn(l -> l.layer().equals("d2"))
                .extracting(LayerReport::inputType)
                .containsOnly("int16");
        assertThat(mixed.report().techniques())
                .anySatisfy(t -> assertThat(t.name()).isEqualTo("16x8 layers"));
        double int8Value = Sensitivity.value(int8.model(), eval, Metric.TOPK, Evaluator.Options.defaults());
        double mixedValue = Sensitivity.value(model, eval, Metric.TOPK, Evaluator.Options.defaults());
        System.out.printf("int8 %.1f%%, d1 and d2 in 16x8 %.1f%%%n", int8Value, mixedValue);
        assertThat(int8Value).isLessThan(90);
        assertThat(mixedValue).isGreaterThanOrEqualTo(98);
        assertRunsInTfliteAsInQuanta(model, eval);
    }

    /** The written file runs in TFLite on both paths (int16 FULLY_CONNECTED, QUANTIZE int16 → int8) as in Quanta. */
    private static void assertRunsInTfliteAsInQuanta(Model m, Dataset eval) throws Exception {
        byte[] bytes = TfliteWriter.toBytes(m);
        Model written = TfliteReader.read(bytes, Path.of("mixed.tflite"));
        float[] x = new float[SensitiveModels.IN];
        float[] mine = new float[SensitiveModels.CLASSES];
        for (TfliteOracle.Kernels k : TfliteOracle.Kernels.values()) {
            try (TfliteOracle o = TfliteOracle.open(bytes, k, 1);
                    Interpreter it = new Interpreter(written)) {
                for (int s = 0; s < eval.size(); s++) {
                    eval.copySample(s, x, 0);
                    o.setInput(0, x);
                    o.invoke();
                    it.run(x, mine);
                    assertThat(mine).as("%s, sample %d", k, s).containsExactly(o.outputFloat(0));
                }
            }
        }
    }
}
