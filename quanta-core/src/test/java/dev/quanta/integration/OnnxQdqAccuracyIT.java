package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.Shape;
import dev.quanta.onnx.OnnxExportRuntime;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, acceptance 3: Quanta's int8 models of IC ResNet-8 (from the Keras file) and KWS DS-CNN (from the float
 * .tflite), calibrated as {@link AccuracyTableIT} calibrates them, written as QDQ ONNX: their accuracy in ONNX Runtime
 * is within 0.5 points of the same int8 models written as .tflite and run in the official TFLite runtime.
 */
@UsesFixtures
@UsesOracle
class OnnxQdqAccuracyIT {
    @TempDir
    Path tmp;

    /**
     * Top-1 correct of one int8 model on its scored samples: in TFLite (built-in kernels), and in ONNX Runtime as
     * written (int8 activations) and as U8S8 (uint8 activations, which ONNX Runtime fuses into integer kernels on x86).
     */
    record Scores(int tflite, int onnxRuntime, int onnxRuntimeU8s8) {
        Scores plus(Scores o) {
            return new Scores(tflite + o.tflite, onnxRuntime + o.onnxRuntime, onnxRuntimeU8s8 + o.onnxRuntimeU8s8);
        }
    }

    private Scores score(Model source, Dataset calibration, Dataset scored, String name) {
        return score(source, calibration, scored, name, QuantizationConfig.defaults());
    }

    private Scores score(Model source, Dataset calibration, Dataset scored, String name, QuantizationConfig config) {
        Model q = Converter.fromModel(source)
                .withConfig(config.withCalibrationThreads(2))
                .withRepresentativeDataset(calibration)
                .convert()
                .model();
        Path tflite = tmp.resolve(name + ".tflite");
        TfliteWriter.write(q, tflite);
        Path onnx = tmp.resolve(name + ".onnx");
        OnnxWriter.write(q, onnx);
        Path u8s8 = tmp.resolve(name + "_u8s8.onnx");
        OnnxWriter.write(q, u8s8, OnnxWriter.Options.defaults().withUint8Activations(true));
        int inTflite = OracleRuns.top1(tflite, scored, TfliteOracle.Kernels.BUILTIN);
        return new Scores(inTflite, onnxRuntimeTop1(onnx, q, scored), onnxRuntimeTop1(u8s8, q, scored));
    }

    /** Top-1 correct of the ONNX file in ONNX Runtime, one float sample per run. */
    static int onnxRuntimeTop1(Path onnx, Model m, Dataset d) {
        int[] dims = m.inputs().get(0).shape().dims();
        long[] shape = new long[dims.length];
        for (int i = 0; i < dims.length; i++) {
            shape[i] = dims[i] == Shape.DYNAMIC ? 1 : dims[i];
        }
        float[] x = new float[d.sampleSize()];
        int correct = 0;
        try (OnnxExportRuntime ort = new OnnxExportRuntime(java.nio.file.Files.readAllBytes(onnx))) {
            for (int s = 0; s < d.size(); s++) {
                d.copySample(s, x, 0);
                if (CoreArrays.argmax(ort.run(x, shape)) == d.label(s)) {
                    correct++;
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return correct;
    }

    private static void report(String model, Scores s, int n) {
        System.out.printf(
                Locale.ROOT,
                "%s int8: TFLite %d (%.1f%%), QDQ ONNX in ONNX Runtime %d (%.1f%%), U8S8 %d (%.1f%%) of %d%n",
                model,
                s.tflite(),
                100.0 * s.tflite() / n,
                s.onnxRuntime(),
                100.0 * s.onnxRuntime() / n,
                s.onnxRuntimeU8s8(),
                100.0 * s.onnxRuntimeU8s8() / n,
                n);
        assertThat(Math.abs(s.onnxRuntime() - s.tflite()) * 100.0 / n).isLessThanOrEqualTo(0.5);
        assertThat(Math.abs(s.onnxRuntimeU8s8() - s.tflite()) * 100.0 / n).isLessThanOrEqualTo(0.5);
    }

    @Test
    void icResNet8FromKerasInTwoFolds() {
        Dataset ic = KerasFixtureModels.icImages();
        Model keras = KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5");
        Scores a = score(keras, AccuracyTableIT.calibration(ic), AccuracyTableIT.held(ic), "ic_a");
        Scores b = score(keras, AccuracyTableIT.held(ic), AccuracyTableIT.calibration(ic), "ic_b");
        Scores sum = a.plus(b);
        report("IC ResNet-8", sum, ic.size());
        assertThat(sum).isEqualTo(new Scores(EXPECTED_IC_TFLITE, EXPECTED_IC_ORT, EXPECTED_IC_ORT));
    }

    /** 7-bit weights ({@code --reduce-range}) cost IC and KWS little, in TFLite and in ONNX Runtime alike. */
    @Test
    void reduceRange() {
        QuantizationConfig sevenBit = QuantizationConfig.defaults().withReduceRange(true);
        Dataset ic = KerasFixtureModels.icImages();
        Model keras = KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5");
        Scores icScores = score(keras, AccuracyTableIT.calibration(ic), AccuracyTableIT.held(ic), "ic7a", sevenBit)
                .plus(score(keras, AccuracyTableIT.held(ic), AccuracyTableIT.calibration(ic), "ic7b", sevenBit));
        report("IC ResNet-8 7-bit weights", icScores, ic.size());
        Dataset all = TfliteInputQuantizationIT.kwsFeatures();
        Model kws = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite"));
        Dataset scored = AccuracyTableIT.held(all);
        Scores kwsScores = score(kws, AccuracyTableIT.calibration(all), scored, "kws7", sevenBit);
        report("KWS DS-CNN 7-bit weights", kwsScores, scored.size());
        // full-range weights: IC 173 / 174 / 174, KWS 813 / 814 / 814
        assertThat(icScores).isEqualTo(new Scores(175, 174, 174));
        assertThat(kwsScores).isEqualTo(new Scores(812, 812, 812));
    }

    @Test
    void kwsFromTheFloatTflite() {
        Dataset all = TfliteInputQuantizationIT.kwsFeatures();
        Model kws = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite"));
        Dataset scored = AccuracyTableIT.held(all);
        Scores s = score(kws, AccuracyTableIT.calibration(all), scored, "kws");
        report("KWS DS-CNN", s, scored.size());
        assertThat(s).isEqualTo(new Scores(EXPECTED_KWS_TFLITE, EXPECTED_KWS_ORT, EXPECTED_KWS_ORT));
    }

    // the counts measured (ONNX Runtime 1.23.2 on x86-64, TFLite 2.21 built-in kernels): IC 86.5% / 87.0%, KWS 90.3% /
    // 90.4%
    static final int EXPECTED_IC_TFLITE = 173;
    static final int EXPECTED_IC_ORT = 174;
    static final int EXPECTED_KWS_TFLITE = 813;
    static final int EXPECTED_KWS_ORT = 814;
}
