package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
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
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The converter's choice of mode when none is set, and its refusals, which name API settings. */
class ConverterTest {

    /** input [4] → Dense(3) → softmax, seeded weights. */
    static Model tinyDense() {
        SplittableRandom r = new SplittableRandom(11);
        ModelBuilder b = new ModelBuilder("tiny_dense");
        Tensor x = b.input("input", Shape.batched(4));
        float[] w = new float[12];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextDouble() * 2 - 1);
        }
        Tensor kernel = b.constant("dense/kernel", Shape.of(3, 4), w);
        Tensor bias = b.constant("dense/bias", Shape.of(3), new float[] {0.1f, -0.2f, 0.05f});
        Tensor d = b.add(OpType.FULLY_CONNECTED, "dense", new Origin("dense", "Dense"),
                new OpAttributes.FullyConnected(Activation.NONE), x, kernel, bias);
        Tensor s = b.add(OpType.SOFTMAX, "softmax", new Origin("softmax", "Softmax"),
                new OpAttributes.Softmax(1f), d);
        return b.output(s).build(ModelMetadata.inMemory());
    }

    static Dataset calibration() {
        SplittableRandom r = new SplittableRandom(3);
        float[] f = new float[40 * 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextDouble();
        }
        return Dataset.of("random", new int[] {4}, f, null);
    }

    private static Op dense(Model m) {
        return m.ops().stream().filter(o -> o.type() == OpType.FULLY_CONNECTED).findFirst().orElseThrow();
    }

    @Test
    void withoutModeOrDataItQuantizesDynamicRangeAndSaysWhy() {
        Converter.Conversion c = Converter.fromModel(tinyDense()).convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.DYNAMIC);
        assertThat(c.report().modeReason()).startsWith("chosen: no representative dataset");
        assertThat(c.report().render()).startsWith("Mode: dynamic (chosen: no representative dataset");
        Op dense = dense(c.model());
        assertThat(dense.input(1).dtype()).isEqualTo(DType.INT8);
        assertThat(dense.input(0).dtype()).isEqualTo(DType.FLOAT32);
    }

    @Test
    void withDataAndNoModeItQuantizesFullInteger() {
        Converter.Conversion c = Converter.fromModel(tinyDense()).representativeDataset(calibration(), 40).convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.INT8);
        assertThat(c.report().modeReason()).startsWith("chosen: a representative dataset was given");
        assertThat(c.report().calibrationSamples()).isEqualTo(40);
        assertThat(dense(c.model()).input(0).dtype()).isEqualTo(DType.INT8);
    }

    @Test
    void anExplicitModeHasNoReason() {
        Converter.Conversion c = Converter.fromModel(tinyDense()).mode(QuantizationMode.FLOAT16).convert();
        assertThat(c.report().mode()).isEqualTo(QuantizationMode.FLOAT16);
        assertThat(c.report().modeReason()).isNull();
        assertThat(c.report().render()).startsWith("Mode: float16, scheme");
    }

    @Test
    void refusalsNameApiSettingsAndRenderWithAFrontEndsNames() {
        Converter int8WithoutData = Converter.fromModel(tinyDense()).mode(QuantizationMode.INT8);
        assertThatThrownBy(int8WithoutData::convert).isInstanceOf(QuantaException.class)
                .hasMessage("mode int8 calibrates activations: give a representative dataset")
                .satisfies(e -> assertThat(((QuantaException) e).render(s -> "<" + s.name() + ">"))
                        .isEqualTo("<MODE> int8 calibrates activations: give <REPRESENTATIVE_DATASET>"));
        Converter int8Io = Converter.fromModel(tinyDense()).io(IoType.INT8);
        assertThatThrownBy(int8Io::convert).hasMessage("io type int8 needs full-integer quantization, which "
                + "calibrates activations: give a representative dataset");
        Converter asymmetricDynamic = Converter.fromModel(tinyDense()).mode(QuantizationMode.DYNAMIC)
                .scheme(QuantizationScheme.ASYMMETRIC);
        assertThatThrownBy(asymmetricDynamic::convert).hasMessageStartingWith("scheme asymmetric does not apply to "
                + "mode dynamic");
    }

    @Test
    void bracesInNamesThatAreNoSettingStayAsTheyAre() {
        QuantaException e = QuantaException.aboutSettings("layer '{weird}' {NOT_A_SETTING}: set {MODE}");
        assertThat(e.getMessage()).isEqualTo("layer '{weird}' {NOT_A_SETTING}: set mode");
        assertThat(e.render(s -> "--" + s.name().toLowerCase())).isEqualTo("layer '{weird}' {NOT_A_SETTING}: set --mode");
        assertThat(new QuantaException("plain {MODE}").render(s -> "x")).isEqualTo("plain {MODE}");
    }
}
