package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreModels;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Layer-by-layer errors of hand-made models whose outputs are exact in float, so SQNR, RMSE and the largest error
 * are worked out in the test; pairing by name, by position and automatically; integer candidates.
 */
class LayerComparisonTest {
    /** Three samples of two features (all values exact in binary). */
    private static final float[] SAMPLES = {1f, 2f, -2f, 4f, 3f, -1f};

    private static Dataset data() {
        return Dataset.of("three", new int[] {2}, SAMPLES.clone(), null);
    }

    /** x[2] → Dense(W, b) named {@code dense} → ReLU named {@code relu}. */
    private static Model denseRelu(String name, String denseName, String reluName, float[] w, float[] b) {
        ModelBuilder mb = new ModelBuilder(name);
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor kernel = mb.constant(denseName + "/kernel", Shape.of(2, 2), w);
        Tensor bias = mb.constant(denseName + "/bias", Shape.of(2), b);
        Tensor d = mb.add(
                OpType.FULLY_CONNECTED,
                denseName,
                new Origin(denseName + "_layer", "Dense"),
                new OpAttributes.FullyConnected(Activation.NONE),
                x,
                kernel,
                bias);
        Tensor r =
                mb.add(OpType.RELU, reluName, new Origin(reluName + "_layer", "ReLU"), OpAttributes.None.INSTANCE, d);
        return mb.output(r).build(ModelMetadata.inMemory());
    }

    /** y = x. */
    private static Model reference() {
        return denseRelu("ref", "dense", "relu", new float[] {1, 0, 0, 1}, new float[] {0, 0});
    }

    /** y = (1.5·x0, x1 + 0.5). */
    private static Model perturbed(String denseName, String reluName) {
        return denseRelu("cand", denseName, reluName, new float[] {1.5f, 0, 0, 1}, new float[] {0, 0.5f});
    }

    private static LayerError byTensor(List<LayerError> errors, String tensor) {
        return errors.stream()
                .filter(e -> e.tensor().equals(tensor))
                .findFirst()
                .orElseThrow();
    }

    /**
     * dense: f = x, q = (1.5·x0, x1 + 0.5): errors (−.5, −.5), (1, −.5), (−1.5, .5): Σe² = 4.25, Σf² = 35.
     * relu: f = (1, 2), (0, 4), (3, 0); q = (1.5, 2.5), (0, 4.5), (4.5, 0): Σe² = 3, Σf² = 30 → 10 dB.
     */
    @Test
    void errorsOfEveryPairedLayerWorstFirst() {
        List<LayerError> errors = LayerComparison.compare(reference(), perturbed("dense", "relu"), data(), 3, 1);
        assertThat(errors).extracting(LayerError::tensor).containsExactly("dense", "relu");
        LayerError dense = errors.get(0);
        assertThat(dense.layer()).isEqualTo("dense_layer");
        assertThat(dense.op()).isEqualTo("FULLY_CONNECTED");
        assertThat(dense.count()).isEqualTo(6);
        assertThat(dense.sqnrDb()).isCloseTo(10 * Math.log10(35 / 4.25), within(1e-9));
        assertThat(dense.rmse()).isCloseTo(Math.sqrt(4.25 / 6), within(1e-12));
        assertThat(dense.maxAbs()).isEqualTo(1.5);
        assertThat(dense.scale()).isNaN();
        assertThat(dense.rmseOverScale()).isNaN();
        LayerError relu = errors.get(1);
        assertThat(relu.layer()).isEqualTo("relu_layer");
        assertThat(relu.op()).isEqualTo("RELU");
        assertThat(relu.sqnrDb()).isCloseTo(10.0, within(1e-9));
        assertThat(relu.rmse()).isCloseTo(Math.sqrt(0.5), within(1e-12));
        assertThat(relu.maxAbs()).isEqualTo(1.5);
    }

    /** Only the first {@code samples} samples count: for 2, dense has Σe² = 1.75 and Σf² = 25 over 4 values. */
    @Test
    void onlyTheFirstSamplesAreCompared() {
        LayerError dense =
                byTensor(LayerComparison.compare(reference(), perturbed("dense", "relu"), data(), 2, 1), "dense");
        assertThat(dense.count()).isEqualTo(4);
        assertThat(dense.sqnrDb()).isCloseTo(10 * Math.log10(25 / 1.75), within(1e-9));
        assertThat(dense.maxAbs()).isEqualTo(1.0);
        // more samples than the data holds: all of them
        assertThat(byTensor(LayerComparison.compare(reference(), perturbed("dense", "relu"), data(), 99, 2), "dense")
                        .count())
                .isEqualTo(6);
    }

    /**
     * The reference's values recorded once give the very numbers of running it with each candidate; values of
     * another data set, or lacking a paired tensor, are not used.
     */
    @Test
    void recordedReferenceValuesGiveTheSameErrors() {
        Model ref = reference();
        Model cand = perturbed("dense", "relu");
        Dataset d = data();
        List<Tensor> paired = List.of(ref.tensor("dense"), ref.tensor("relu"));
        LayerComparison.ReferenceValues recorded = LayerComparison.ReferenceValues.record(ref, d, paired, 1);
        assertThat(recorded.covers(ref, d, paired)).isTrue();
        assertThat(recorded.covers(ref, data(), paired)).isFalse();
        assertThat(LayerComparison.ReferenceValues.record(ref, d, paired.subList(0, 1), 1)
                        .covers(ref, d, paired))
                .isFalse();
        for (int samples = 1; samples <= 3; samples++) {
            assertThat(LayerComparison.compare(ref, cand, d, samples, 1, LayerComparison.Matching.NAME, recorded))
                    .isEqualTo(LayerComparison.compare(ref, cand, d, samples, 1));
        }
        assertThat(LayerComparison.ReferenceValues.floatsPerSample(paired)).isEqualTo(4);
    }

    @Test
    void identicalModelsHaveNoNoise() {
        List<LayerError> errors = LayerComparison.compare(reference(), reference(), data(), 3, 1);
        assertThat(errors).hasSize(2).allSatisfy(e -> {
            assertThat(e.sqnrDb()).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(e.rmse()).isZero();
            assertThat(e.maxAbs()).isZero();
        });
    }

    @Test
    void modelsNamedDifferentlyPairByPosition() {
        Model other = perturbed("fc_out", "act_out");
        assertThatThrownBy(
                        () -> LayerComparison.compare(reference(), other, data(), 3, 1, LayerComparison.Matching.NAME))
                .isInstanceOf(QuantaException.class)
                .hasMessage("models 'ref' and 'cand' have no tensors to pair by name");
        for (LayerComparison.Matching m :
                new LayerComparison.Matching[] {LayerComparison.Matching.POSITION, LayerComparison.Matching.AUTO}) {
            List<LayerError> errors = LayerComparison.compare(reference(), other, data(), 3, 1, m);
            assertThat(errors).as(m.name()).extracting(LayerError::tensor).containsExactly("fc_out", "act_out");
            assertThat(errors.get(0).sqnrDb()).isCloseTo(10 * Math.log10(35 / 4.25), within(1e-9));
            assertThat(errors.get(1).sqnrDb()).isCloseTo(10.0, within(1e-9));
        }
    }

    /** As documented: data that does not fit the models, or no data, is refused rather than compared. */
    @Test
    void refusesDataThatDoesNotFitTheModels() {
        Dataset narrow = Dataset.of("narrow.npy", new int[] {1}, new float[] {1f, 2f, 3f}, null);
        assertThatThrownBy(() -> LayerComparison.compare(reference(), perturbed("dense", "relu"), narrow, 3, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("narrow.npy: samples have shape [1] (1 values) but model 'ref' takes input 'x' of shape "
                        + Shape.batched(2) + " (2 values per sample)");
        Dataset wide = Dataset.of("wide.npy", new int[] {3}, new float[] {1f, 2f, 3f}, null);
        assertThatThrownBy(() -> LayerComparison.compare(reference(), perturbed("dense", "relu"), wide, 3, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessageStartingWith("wide.npy: samples have shape [3]");
        ModelBuilder mb = new ModelBuilder("three_inputs");
        Tensor x3 = mb.input("x", Shape.batched(3));
        Model three = mb.output(CoreModels.dense(mb, "dense", x3, mb.constant("k", Shape.of(2, 3), new float[6])))
                .build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> LayerComparison.compare(reference(), three, data(), 3, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("model 'three_inputs': input " + Shape.batched(3) + " does not match model 'ref''s input "
                        + Shape.batched(2));
        Dataset empty = Dataset.of("empty.npy", new int[] {2}, new float[0], null);
        assertThatThrownBy(() -> LayerComparison.compare(reference(), perturbed("dense", "relu"), empty, 3, 1))
                .isInstanceOf(QuantaException.class)
                .hasMessage("empty.npy: no samples to compare");
        assertThatThrownBy(() -> LayerComparison.compare(reference(), perturbed("dense", "relu"), data(), 0, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LayerComparison samples must be at least 1, got 0");
    }

    /** AUTO takes names when the models share any; position then pairs the n-th op of each type. */
    @Test
    void pairingRules() {
        Model ref = reference();
        List<Object[]> byName = LayerComparison.pair(ref, perturbed("dense", "other"), LayerComparison.Matching.AUTO);
        assertThat(byName).hasSize(1);
        assertThat(((Tensor) byName.get(0)[0]).name()).isEqualTo("dense");
        // a candidate whose ops come in another order pairs only what follows in the same order
        ModelBuilder mb = new ModelBuilder("swapped");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor r = CoreModels.relu(mb, "r", x);
        Tensor d = CoreModels.dense(mb, "d", r, mb.constant("k", Shape.of(2, 2), new float[] {1, 0, 0, 1}));
        Model swapped = mb.output(d).build(ModelMetadata.inMemory());
        List<Object[]> byPosition = LayerComparison.pair(ref, swapped, LayerComparison.Matching.POSITION);
        assertThat(byPosition).hasSize(1);
        assertThat(((Tensor) byPosition.get(0)[0]).name()).isEqualTo("dense");
        assertThat(((Tensor) byPosition.get(0)[1]).name()).isEqualTo("d");
    }

    /**
     * A quantized candidate: the int8 hidden layer is read as real values (scale × (q − zp)) and its scale is
     * reported; the errors equal those computed here from the two interpreters' raw arrays.
     */
    @Test
    void integerCandidatesAreDequantizedAndTheirScaleReported() {
        ModelBuilder mb = new ModelBuilder("two_dense");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor d1 = CoreModels.dense(
                mb, "hidden", x, new float[] {0.3f, -0.7f, 1.1f, 0.2f, -0.4f, 0.9f}, new float[] {0.05f, -0.1f, 0.2f});
        Tensor d2 = CoreModels.dense(mb, "out", d1, new float[] {0.5f, -1.2f, 0.8f});
        Model ref = mb.output(d2).build(ModelMetadata.inMemory());
        float[] samples = new float[40];
        for (int i = 0; i < samples.length; i++) {
            samples[i] = (float) Math.sin(i * 1.7) * 2;
        }
        Dataset data = Dataset.of("sine", new int[] {2}, samples, null);
        Model floatIo = CoreModels.int8(ref, data).convert().model();
        Model int8Io =
                CoreModels.int8(ref, data, c -> c.withIo(IoType.INT8)).convert().model();

        List<LayerError> errors = LayerComparison.compare(ref, floatIo, data, 20, 1);
        LayerError hidden = byTensor(errors, "hidden");
        Tensor q = floatIo.tensor("hidden");
        QuantParams p = q.quant();
        assertThat(hidden.scale()).isEqualTo(p.scale());
        assertThat(hidden.rmseOverScale()).isEqualTo(hidden.rmse() / p.scale());

        double noise = 0;
        double signal = 0;
        double maxAbs = 0;
        try (Interpreter r = new Interpreter(ref, Interpreter.Options.defaults().withPreserveAllTensors(true));
                Interpreter c =
                        new Interpreter(floatIo, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            for (int s = 0; s < 20; s++) {
                float[] in = {samples[2 * s], samples[2 * s + 1]};
                r.run(in, new float[1]);
                c.run(in, new float[1]);
                float[] f = (float[]) r.readTensor(ref.tensor("hidden"));
                byte[] b = (byte[]) c.readTensor(q);
                for (int i = 0; i < 3; i++) {
                    double real = p.scale() * (b[i] - p.zeroPoint());
                    noise += (f[i] - real) * (f[i] - real);
                    signal += (double) f[i] * f[i];
                    maxAbs = Math.max(maxAbs, Math.abs(f[i] - real));
                }
            }
        }
        assertThat(hidden.count()).isEqualTo(60);
        assertThat(hidden.rmse()).isCloseTo(Math.sqrt(noise / 60), within(1e-6));
        assertThat(hidden.sqnrDb()).isCloseTo(10 * Math.log10(signal / noise), within(1e-6));
        assertThat(hidden.maxAbs()).isCloseTo(maxAbs, within(1e-6));
        assertThat(hidden.rmseOverScale()).isBetween(0.05, 1.0);

        // integer I/O: the float samples are quantized with the input's parameters before they are fed
        LayerError hiddenInt8Io = byTensor(LayerComparison.compare(ref, int8Io, data, 20, 1), "hidden");
        assertThat(int8Io.inputs().get(0).dtype()).isEqualTo(dev.quanta.ir.DType.INT8);
        assertThat(hiddenInt8Io.rmse()).isCloseTo(hidden.rmse(), within(1e-6));
        assertThat(hiddenInt8Io.sqnrDb()).isCloseTo(hidden.sqnrDb(), within(1e-6));
    }

    /**
     * Saturation on a model calibrated on [−1, 1] and compared on data beyond it: x → Dense "lin" (identity) →
     * Dense "act" (identity, fused ReLU) → Dense "out" (sum). Over the eight values −3, 0.5, 2, 0, 5, −0.5, 0.25,
     * 0.9, "lin" clips −3, 2 and 5 (3/8); "act" = ReLU(lin) holds [0, 1] with its zero point at −128, so its three
     * zeros sit at the lowest level exactly and only 2 and 5 are clipped (2/8). The QUANTIZE of the input, paired
     * with the reference's input, clips −3, 2 and 5 too. The float model's tensors have no saturation.
     */
    @Test
    void saturationIsTheShareOfValuesClippedAtTheQuantizedRange() {
        ModelBuilder mb = new ModelBuilder("lin_relu");
        Tensor x = mb.input("x", Shape.batched(2));
        Tensor lin =
                CoreModels.dense(mb, "lin", x, mb.constant("lin/kernel", Shape.of(2, 2), new float[] {1, 0, 0, 1}));
        Tensor act = CoreModels.dense(
                mb, "act", Activation.RELU, lin, mb.constant("act/kernel", Shape.of(2, 2), new float[] {1, 0, 0, 1}));
        Tensor out = CoreModels.dense(mb, "out", act, mb.constant("out/kernel", Shape.of(1, 2), new float[] {1, 1}));
        Model ref = mb.output(out).build(ModelMetadata.inMemory());
        Dataset calibration = Dataset.of("calibration", new int[] {2}, new float[] {-1, 1, 1, -1, 0.5f, -0.5f}, null);
        Model int8 = CoreModels.int8(ref, calibration).convert().model();
        assertThat(int8.tensor("act").quant().zeroPoint()).isEqualTo(-128);
        Dataset wide = Dataset.of("wide", new int[] {2}, new float[] {-3, 0.5f, 2, 0, 5, -0.5f, 0.25f, 0.9f}, null);

        List<LayerError> errors = LayerComparison.compare(ref, int8, wide, 4, 1);
        assertThat(byTensor(errors, "lin").saturation()).isEqualTo(3.0 / 8);
        assertThat(byTensor(errors, "act").saturation()).isEqualTo(2.0 / 8);
        // the QUANTIZE of the float input pairs with the reference's input "x": the same −3, 2 and 5 are clipped
        LayerError input = errors.stream()
                .filter(e -> e.op().equals("QUANTIZE"))
                .findFirst()
                .orElseThrow();
        assertThat(input.tensor()).isEqualTo(int8.ops().get(0).output(0).name());
        assertThat(input.count()).isEqualTo(8);
        assertThat(input.saturation()).isEqualTo(3.0 / 8);
        assertThat(errors).hasSize(4);
        // inside the calibrated range nothing is clipped
        assertThat(byTensor(LayerComparison.compare(ref, int8, calibration, 3, 1), "lin")
                        .saturation())
                .isZero();
        // float against float: not quantized, no saturation
        assertThat(LayerComparison.compare(ref, ref, wide, 4, 1))
                .allSatisfy(e -> assertThat(e.saturation()).isNaN());
    }
}
