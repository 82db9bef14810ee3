package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Why {@code auto} scores fewer IC ResNet-8 images than {@code minmax} with per-tensor weights (issue 10, acceptance
 * 2), checked on both folds of the 200 IC images (calibrated on 101–200, scored on 1–100, and the reverse), in
 * Quanta's interpreter (bit-exact with the official runtime's XNNPACK path):
 *
 * <ul>
 *   <li>what auto scores is what it writes: the {@link SimulatedQuantization} of each written file (what
 *       {@link HeldOutSearch} runs) gets as many scored images right as the integer file, give or take the one image
 *       that the integer kernels' fixed-point rounding (at most one step from the simulation) may flip;
 *   <li>the candidates as auto scored them (ranges from the even calibration samples) agree with the float model's
 *       top-1 class on as many held-out calibration samples (the odd ones) as each other: a top-1 criterion on the
 *       calibration data cannot tell them apart, while auto's held-out error is lower on both halves.
 * </ul>
 *
 * Measured, with auto's per-tensor weight ranges clipped where that lowers its held-out error ({@link
 * WeightClipping}): images 1–100 minmax 87, auto 85 (integer and simulation alike); images 101–200 minmax 85, auto
 * 86 (its simulation 85); on the odd calibration samples 49 of 50 agree with the float model for both candidates on
 * both folds. That the gap is within the noise is
 * {@code CalibratorAccuracyIT#perTensorImageClassificationPaired}'s finding.
 */
@UsesFixtures
class AutoPerTensorIcIT {
    @Test
    void scoredIsWrittenAndTopOneCannotTell() {
        Model source = ModelFiles.load(Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5"));
        Dataset ic = Datasets.load(DatasetSpec.of(Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5"))
                .withFormat("raw")
                .withSamples(SampleType.UINT8, 32, 32, 3));
        Model floatModel = FloatGraphPasses.apply(source);
        QuantizationConfig auto = QuantizationConfig.defaults()
                .withMode(QuantizationMode.INT8)
                .withCalibrationThreads(2)
                .withCalibrationSamples(100)
                .withCalibrator(Calibrator.AUTO)
                .withGranularity(Granularity.PER_TENSOR);
        for (int fold = 0; fold < 2; fold++) {
            Dataset calibration = fold == 0 ? ic.slice(100, 200) : ic.slice(0, 100);
            Dataset scored = fold == 0 ? ic.slice(0, 100) : ic.slice(100, 200);
            int[] floatClasses = classes(floatModel, scored);
            for (Calibrator c : new Calibrator[] {Calibrator.MINMAX, Calibrator.AUTO}) {
                Model written = Converter.fromModel(source)
                        .withConfig(auto.withCalibrator(c))
                        .withRepresentativeDataset(calibration)
                        .convert()
                        .model();
                int integer = correct(classes(written, scored), scored);
                int simulated = correct(classes(SimulatedQuantization.of(floatModel, written), scored), scored);
                System.out.printf(
                        Locale.ROOT,
                        "IC per-tensor fold %d %s: integer %d, simulation %d of 100 (float %d)%n",
                        fold,
                        c.cliName(),
                        integer,
                        simulated,
                        correct(floatClasses, scored));
                assertThat(simulated).as("fold %d %s", fold, c.cliName()).isBetween(integer - 1, integer + 1);
            }
            // the two whole-model candidates as HeldOutSearch.auto scores them, on its held-out samples
            MinMaxCalibrator.Both both = MinMaxCalibrator.calibrateBoth(floatModel, calibration, auto, false);
            Map<Tensor, TensorRange> perTensor =
                    new IdentityHashMap<>(both.chosen().ranges());
            perTensor.putAll(both.evenChosen());
            Map<Tensor, TensorRange> minmax =
                    new IdentityHashMap<>(both.chosen().ranges());
            minmax.putAll(both.evenMinmax());
            Dataset heldOut = HeldOutSearch.every(calibration, calibration.size(), 1, HeldOutSearch.MAX_HELD_OUT);
            int[] reference = classes(floatModel, heldOut);
            int agreePerTensor = agree(candidate(floatModel, auto, perTensor), heldOut, reference);
            int agreeMinmax = agree(candidate(floatModel, auto, minmax), heldOut, reference);
            System.out.printf(
                    Locale.ROOT,
                    "IC per-tensor fold %d held-out: per-tensor choices agree with float on %d, min/max on %d of %d%n",
                    fold,
                    agreePerTensor,
                    agreeMinmax,
                    heldOut.size());
            assertThat(perTensor).isNotEqualTo(minmax);
            assertThat(agreePerTensor).isEqualTo(agreeMinmax);
        }
    }

    /** The float simulation of {@code floatModel} quantized with {@code ranges}, as the search runs a candidate. */
    private static Model candidate(Model floatModel, QuantizationConfig config, Map<Tensor, TensorRange> ranges) {
        Model q = FullIntegerRewriter.rewrite(floatModel, config, new Calibration(ranges, Map.of()), Map.of())
                .model();
        return SimulatedQuantization.of(floatModel, q);
    }

    private static int agree(Model m, Dataset data, int[] reference) {
        int[] c = classes(m, data);
        int n = 0;
        for (int s = 0; s < c.length; s++) {
            n += c[s] == reference[s] ? 1 : 0;
        }
        return n;
    }

    private static int correct(int[] classes, Dataset data) {
        int n = 0;
        for (int s = 0; s < classes.length; s++) {
            n += classes[s] == data.label(s) ? 1 : 0;
        }
        return n;
    }

    /** Each sample's top-1 class under {@code m}, run in Quanta's interpreter one sample at a time. */
    private static int[] classes(Model m, Dataset data) {
        int[] classes = new int[data.size()];
        Tensor in = m.inputs().get(0);
        Tensor out = m.outputs().get(0);
        float[] x = new float[data.sampleSize()];
        try (Interpreter it = new Interpreter(m)) {
            Object y = Buffers.allocate(out.dtype(), it.getOutputTensor(0).numElements());
            for (int s = 0; s < data.size(); s++) {
                data.copySample(s, x, 0);
                it.run(in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in), y);
                float[] v = out.dtype() == DType.FLOAT32 ? (float[]) y : InputQuantizer.dequantize(y, out);
                int best = 0;
                for (int k = 1; k < v.length; k++) {
                    if (v[k] > v[best]) {
                        best = k;
                    }
                }
                classes[s] = best;
            }
        }
        return classes;
    }
}
