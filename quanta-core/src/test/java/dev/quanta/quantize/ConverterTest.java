package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.Setting;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The converter's choice of mode when none is set, and its refusals, which name API settings. */
class ConverterTest {

    /** 40 samples for {@link CoreModels#classifier()}, uniform in [0, 1) from seed 3. */
    static Dataset calibration() {
        return Dataset.of("random", new int[] {4}, CoreArrays.uniform(new SplittableRandom(3), 40 * 4, 0, 1), null);
    }

    private static Op dense(Model m) {
        return m.ops().stream()
                .filter(o -> o.type() == OpType.FULLY_CONNECTED)
                .findFirst()
                .orElseThrow();
    }

    @Test
    void withoutModeOrDataItQuantizesDynamicRangeAndSaysWhy() {
        Converter.Conversion c = Converter.fromModel(CoreModels.classifier()).convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.DYNAMIC);
        assertThat(c.report().modeReason()).startsWith("chosen: no representative dataset");
        assertThat(c.report().render()).startsWith("Mode: dynamic (chosen: no representative dataset");
        Op dense = dense(c.model());
        assertThat(dense.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(dense.input(0).dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void withDataAndNoModeItQuantizesFullInteger() {
        Converter.Conversion c = Converter.fromModel(CoreModels.classifier())
                .withRepresentativeDataset(calibration())
                .convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.INT8);
        assertThat(c.report().modeReason()).startsWith("chosen: a representative dataset was given");
        assertThat(c.report().calibrationSamples()).isEqualTo(40);
        assertThat(dense(c.model()).input(0).dtype()).isEqualTo(DType.INT8);
    }

    @Test
    void anExplicitModeHasNoReason() {
        Converter.Conversion c = Converter.fromModel(CoreModels.classifier())
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.FLOAT16))
                .convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.FLOAT16);
        assertThat(c.report().modeReason()).isNull();
        assertThat(c.report().render()).startsWith("Mode: float16, scheme");
    }

    @Test
    void refusalsNameApiSettingsAndRenderWithAFrontEndsNames() {
        Converter int8WithoutData = Converter.fromModel(CoreModels.classifier())
                .withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.INT8));
        assertThatThrownBy(int8WithoutData::convert)
                .isInstanceOf(QuantaException.class)
                .hasMessage("mode int8 calibrates activations: give a representative dataset")
                .satisfies(e -> assertThat(((QuantaException) e).render(s -> "<" + s.name() + ">"))
                        .isEqualTo("<MODE> int8 calibrates activations: give <REPRESENTATIVE_DATASET>"));
        Converter int8Io = Converter.fromModel(CoreModels.classifier())
                .withConfig(QuantizationConfig.defaults().withIo(IoType.INT8));
        assertThatThrownBy(int8Io::convert)
                .hasMessage("io type int8 needs full-integer quantization, which "
                        + "calibrates activations: give a representative dataset");
        Converter asymmetricDynamic = Converter.fromModel(CoreModels.classifier())
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.DYNAMIC)
                        .withScheme(QuantizationScheme.ASYMMETRIC));
        assertThatThrownBy(asymmetricDynamic::convert)
                .hasMessageStartingWith("scheme asymmetric does not apply to mode dynamic");
    }

    @Test
    void configWithersRefuseValuesOutOfRangeNamingTheSetting() {
        QuantizationConfig d = QuantizationConfig.defaults();
        int max = Interpreter.MAX_THREADS;
        assertThatThrownBy(() -> d.withCalibrationThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("QuantizationConfig calibrationThreads must be between 1 and " + max + " ("
                        + Interpreter.THREADS_PER_CPU + " per CPU), got 0");
        assertThatThrownBy(() -> d.withCalibrationThreads(max + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("got " + (max + 1));
        assertThat(d.withCalibrationThreads(max).calibrationThreads()).isEqualTo(max);
        assertThatThrownBy(() -> d.withCalibrationSamples(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("QuantizationConfig calibrationSamples must be at least 1, got 0");
        assertThatThrownBy(() -> d.withScheme(null)).hasMessage("QuantizationConfig scheme must not be null");
        assertThatThrownBy(() -> d.withGranularity(null)).hasMessage("QuantizationConfig granularity must not be null");
        assertThatThrownBy(() -> d.withIo(null)).hasMessage("QuantizationConfig io must not be null");
        assertThatThrownBy(() -> Converter.fromModel(CoreModels.classifier()).withRepresentativeDataset(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Converter representativeDataset must not be null");
        assertThatThrownBy(() -> Converter.fromModel(CoreModels.classifier()).withConfig(null))
                .hasMessage("Converter config must not be null");
    }

    @Test
    void configsAndConvertersAreImmutableValues() {
        QuantizationConfig d = QuantizationConfig.defaults();
        QuantizationConfig int8 = d.withMode(QuantizationMode.INT8).withIo(IoType.INT8);
        assertThat(d.mode()).isNull();
        assertThat(d.io()).isEqualTo(IoType.FLOAT);
        assertThat(int8)
                .isEqualTo(QuantizationConfig.defaults().withIo(IoType.INT8).withMode(QuantizationMode.INT8))
                .hasSameHashCodeAs(d.withIo(IoType.INT8).withMode(QuantizationMode.INT8))
                .isNotEqualTo(d);
        assertThat(int8.withMode(null)).isEqualTo(d.withIo(IoType.INT8));
        assertThat(int8.toString()).contains("mode=INT8", "io=INT8", "calibrationSamples=100");

        Converter base = Converter.fromModel(CoreModels.classifier());
        Converter calibrated = base.withConfig(int8).withRepresentativeDataset(calibration());
        assertThat(base.config()).isSameAs(d);
        assertThat(calibrated.config()).isEqualTo(int8);
        // the base converter saw neither the config nor the data: it still chooses dynamic range
        assertThat(base.convert().report().mode()).isEqualTo(QuantizationMode.DYNAMIC);
        assertThat(calibrated.convert().model().inputs().get(0).dtype()).isEqualTo(DType.INT8);
    }

    @Test
    void calibrationUsesTheConfiguredNumberOfSamples() {
        Converter c = Converter.fromModel(CoreModels.classifier()).withRepresentativeDataset(calibration());
        assertThat(c.convert().report().calibrationSamples()).isEqualTo(40); // all 40: fewer than the default 100
        assertThat(c.withConfig(QuantizationConfig.defaults().withCalibrationSamples(7))
                        .convert()
                        .report()
                        .calibrationSamples())
                .isEqualTo(7);
    }

    @Test
    void theCalibratorChoosesTheRangesAndTheReportSaysWhichAndWhatItClipped() {
        Converter minmax = Converter.fromModel(CoreModels.classifier()).withRepresentativeDataset(calibration());
        QuantizationReport mm = minmax.convert().report();
        assertThat(mm.calibration().calibrator()).isEqualTo(Calibrator.MINMAX);
        assertThat(mm.render()).contains("Calibrator: minmax\n");
        Converter.Conversion pct = minmax.withConfig(QuantizationConfig.defaults()
                        .withCalibrator(Calibrator.PERCENTILE)
                        .withPercentile(90))
                .convert();
        CalibrationReport r = pct.report().calibration();
        assertThat(r.describe()).isEqualTo("percentile 90");
        // the input and the Dense output set their own parameters; the softmax's are fixed
        assertThat(r.tensors()).extracting(TensorCalibration::tensor).containsExactly("input", "dense");
        TensorCalibration in = r.tensors().get(0);
        // 160 values uniform in [0, 1): the 10th and 90th percentiles, the range widened to 0 below (so 10% clip)
        assertThat(in.seen()).isEqualTo(mm.calibration().tensors().get(0).chosen());
        assertThat(in.chosen().min()).isZero();
        assertThat((double) in.chosen().max()).isBetween(0.8, 0.95);
        assertThat(in.clippedFraction()).isBetween(0.08, 0.12);
        // the quantized input's scale follows the chosen range (zero point −128 for [0, max])
        Tensor q = pct.model().ops().get(0).output(0);
        assertThat(q.quant().scale()).isEqualTo(in.chosen().max() / 255f);
        assertThat(pct.report().render())
                .contains("Calibrator: percentile 90\n")
                .containsPattern(
                        "input +\\[0\\.00\\d+, 0\\.9\\d+\\] +\\[0\\.0+, 0\\.[89]\\d+\\] +\\d+\\.\\d{4}% +percentile");
        // modes that do not calibrate report no calibration
        assertThat(minmax.withConfig(QuantizationConfig.defaults().withMode(QuantizationMode.DYNAMIC))
                        .convert()
                        .report()
                        .calibration())
                .isNull();
    }

    @Test
    void bracesInNamesThatAreNoSettingStayAsTheyAre() {
        QuantaException e = QuantaException.aboutSettings("layer '{weird}' {NOT_A_SETTING}: set {MODE}");
        assertThat(e.getMessage()).isEqualTo("layer '{weird}' {NOT_A_SETTING}: set mode");
        assertThat(e.render(s -> "--" + s.name().toLowerCase()))
                .isEqualTo("layer '{weird}' {NOT_A_SETTING}: set --mode");
        assertThat(new QuantaException("plain {MODE}").render(s -> "x")).isEqualTo("plain {MODE}");
        // which settings a message asks for: only those its template marks
        assertThat(e.names(Setting.MODE)).isTrue();
        assertThat(e.names(Setting.SCHEME)).isFalse();
        assertThat(new QuantaException("plain {MODE}").names(Setting.MODE)).isFalse();
    }
}
