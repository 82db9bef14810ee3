package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.Granularity;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MLPerf Tiny accuracy table of the README, regenerated from the fixtures, and its acceptance checks: Quanta's
 * int8 (default settings: int8 symmetric, per-channel convolutions, min/max calibration on the first
 * {@value #CALIBRATION} samples of each set) is at least as accurate as the TFLite converter's int8 in the official
 * runtime on IC, the large IC and KWS, and meets MLPerf Tiny's targets (IC 85%, large IC 91%, KWS 90%). Every model
 * of a row is scored on the same samples, the ones after the calibration samples: calibration and evaluation never
 * share a sample. The table is written to {@code target/accuracy-table.md}:
 * {@code ./run-tests -pl quanta-core -am -Dtest=AccuracyTableIT} regenerates it.
 */
@UsesFixtures
@UsesOracle
class AccuracyTableIT {
    @TempDir
    Path tmp;

    /** Calibration samples: the first ones of each set; the rest is evaluated. */
    static final int CALIBRATION = 100;

    private final List<String> rows = new ArrayList<>();

    /** The samples after the calibration ones. */
    static Dataset held(Dataset d) {
        return d.slice(CALIBRATION, d.size());
    }

    /** The calibration samples. */
    static Dataset calibration(Dataset d) {
        return d.slice(0, CALIBRATION);
    }

    /** Mean over samples of the per-sample mean squared reconstruction error, in the official runtime. */
    static double oracleMse(Path file, Dataset data, TfliteOracle.Kernels kernels) {
        Model m = TfliteReader.read(file);
        double sum = 0;
        float[] x = new float[data.sampleSize()];
        try (TfliteOracle o = TfliteOracle.open(file, kernels, 1)) {
            for (int s = 0; s < data.size(); s++) {
                data.copySample(s, x, 0);
                Tensor in = m.inputs().get(0);
                OracleRuns.setInput(o, in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in));
                o.invoke();
                sum += mse(OracleRuns.output(o, m.outputs().get(0)), x);
            }
        }
        return sum / data.size();
    }

    /** The same in Quanta's interpreter. */
    static double quantaMse(Model m, Dataset data) {
        double sum = 0;
        float[] x = new float[data.sampleSize()];
        Tensor in = m.inputs().get(0);
        Tensor out = m.outputs().get(0);
        try (Interpreter it = new Interpreter(m)) {
            Object y = Buffers.allocate(out.dtype(), it.getOutputTensor(0).numElements());
            for (int s = 0; s < data.size(); s++) {
                data.copySample(s, x, 0);
                it.run(in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in), y);
                sum += mse(InputQuantizer.dequantize(y, out), x);
            }
        }
        return sum / data.size();
    }

    private static double mse(float[] y, float[] x) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            double d = y[i] - x[i];
            s += d * d;
        }
        return s / x.length;
    }

    private static int quantaTop1(Model m, Dataset d) {
        return quantaTop1(m, d, 50);
    }

    private static int quantaTop1(Model m, Dataset d, int batch) {
        EvaluationResult r = Evaluator.evaluate(
                m, d, Evaluator.Options.defaults().withThreads(2).withBatchSize(batch), Evaluator.Progress.NONE);
        return r.correct();
    }

    private Path quantaInt8(Model source, Dataset calibration, String name) {
        Path out = tmp.resolve(name);
        TfliteWriter.write(
                Converter.fromModel(source)
                        .withConfig(QuantizationConfig.defaults().withCalibrationThreads(2))
                        .withRepresentativeDataset(calibration)
                        .convert()
                        .model(),
                out);
        return out;
    }

    private static String pct(int correct, int n) {
        return String.format(Locale.ROOT, "%.1f%% (%d)", 100.0 * correct / n, correct);
    }

    private static long size(Path p) throws IOException {
        return Files.size(p);
    }

    private void row(
            String model,
            String data,
            String floatAcc,
            String converter,
            String quantaInQuanta,
            String quantaInTflite,
            String sizes) {
        rows.add(String.join(" | ", "", model, data, floatAcc, converter, quantaInQuanta, quantaInTflite, sizes, "")
                .trim());
    }

    /** Quanta's int8 file calibrated on some samples, and the other samples it is scored on. */
    record Fold(Path file, Dataset scored) {}

    /**
     * The two folds of a small set: calibrated on the first {@value #CALIBRATION} samples and scored on the rest, and
     * calibrated on the rest and scored on the first; every sample is scored once, by a file not calibrated on it.
     */
    private List<Fold> twoFolds(Model source, Dataset all, String name) {
        Dataset first = calibration(all);
        Dataset rest = held(all);
        return List.of(
                new Fold(quantaInt8(source, first, name + "_a.tflite"), rest),
                new Fold(quantaInt8(source, rest, name + "_b.tflite"), first));
    }

    /**
     * The row of a classifier that the TFLite converter quantized too, top-1 over all of {@code d} (for Quanta, the
     * sum over its folds, whose scored samples make up {@code d}), and its checks: Quanta's interpreter scores what
     * the official runtime's XNNPACK path scores on Quanta's files, at least {@code minCorrect}, and no fewer than
     * {@code slack} samples below the converter's file on each of the runtime's paths.
     */
    private void classifierRow(
            String model,
            String data,
            Dataset d,
            Path floatFile,
            String floatNote,
            Path converterFile,
            List<Fold> folds,
            int minCorrect,
            int slack)
            throws IOException {
        int n = d.size();
        int mineX = 0;
        int mineB = 0;
        int mineQ = 0;
        for (Fold f : folds) {
            mineX += OracleRuns.top1(f.file(), f.scored(), TfliteOracle.Kernels.XNNPACK);
            mineB += OracleRuns.top1(f.file(), f.scored(), TfliteOracle.Kernels.BUILTIN);
            mineQ += quantaTop1(TfliteReader.read(f.file()), f.scored());
        }
        int convX = OracleRuns.top1(converterFile, d, TfliteOracle.Kernels.XNNPACK);
        int convB = OracleRuns.top1(converterFile, d, TfliteOracle.Kernels.BUILTIN);
        row(
                model,
                data,
                pct(OracleRuns.top1(floatFile, d, TfliteOracle.Kernels.XNNPACK), n) + floatNote,
                pct(convX, n) + " / " + pct(convB, n),
                pct(mineQ, n),
                pct(mineX, n) + " / " + pct(mineB, n),
                size(floatFile) + " / " + size(converterFile) + " / "
                        + size(folds.get(0).file()));
        System.out.printf(
                Locale.ROOT,
                "%s: Quanta int8 %d / %d (XNNPACK / built-in), converter %d / %d of %d%n",
                model,
                mineX,
                mineB,
                convX,
                convB,
                n);
        assertThat(mineQ).isEqualTo(mineX).isGreaterThanOrEqualTo(minCorrect);
        assertThat(mineX).isGreaterThanOrEqualTo(convX - slack);
        assertThat(mineB).isGreaterThanOrEqualTo(convB - slack);
    }

    @Test
    void mlperfTinyTable() throws IOException {
        // IC: Keras float, converter's int8, Quanta's int8 from the .h5 in two folds (calibrated on images 1-100 and
        // scored on 101-200, and the other way round), all scored on the 200 images
        Dataset ic = KerasFixtureModels.icImages();
        Path icFloat = Fixtures.require("mlperf-tiny/ic/pretrainedResnet.tflite");
        Path icConv = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite");
        List<Fold> icMine = twoFolds(KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5"), ic, "ic");
        classifierRow("IC ResNet-8", "200 images, 2 folds", ic, icFloat, "", icConv, icMine, 170, 0);

        // large IC: from the float .tflite (no .h5 in the fixtures)
        Path largeFloat = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_large_float.tflite");
        Path largeConv = Fixtures.require("mlperf-tiny/ic/pretrainedResnet_large_int8.tflite");
        List<Fold> largeMine = twoFolds(ModelFiles.load(largeFloat), ic, "ic_large");
        classifierRow("IC large ResNet", "200 images, 2 folds", ic, largeFloat, "", largeConv, largeMine, 182, 2);

        // KWS: from the hybrid "float32" .tflite, calibrated on samples 1-100, scored on 101-1000
        Dataset kwsAll = TfliteInputQuantizationIT.kwsFeatures();
        Dataset kws = held(kwsAll);
        Path kwsFloat = Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite");
        Path kwsConv = Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite");
        Path kwsMine = quantaInt8(ModelFiles.load(kwsFloat), calibration(kwsAll), "kws.tflite");
        classifierRow(
                "KWS DS-CNN",
                "kws01 101-1000",
                kws,
                kwsFloat,
                " (hybrid file)",
                kwsConv,
                List.of(new Fold(kwsMine, kws)),
                810,
                0);

        // AD: mean window MSE on the normal_id_01 clip (lower is closer to the float model), calibrated on windows
        // 1-100, scored on 101-196
        Dataset adAll = RandomData.adWindows();
        Dataset ad = held(adAll);
        Path adFloat = Fixtures.require("mlperf-tiny/ad/ad01_fp32.tflite");
        Path adConv = Fixtures.require("mlperf-tiny/ad/ad01_int8.tflite");
        Path adMine = quantaInt8(ModelFiles.load(adFloat), calibration(adAll), "ad.tflite");
        double adQ = quantaMse(TfliteReader.read(adMine), ad);
        double adX = oracleMse(adMine, ad, TfliteOracle.Kernels.XNNPACK);
        row(
                "AD autoencoder (mean window MSE)",
                "windows 101-196",
                String.format(Locale.ROOT, "%.4f", oracleMse(adFloat, ad, TfliteOracle.Kernels.XNNPACK)),
                String.format(
                        Locale.ROOT,
                        "%.4f / %.4f",
                        oracleMse(adConv, ad, TfliteOracle.Kernels.XNNPACK),
                        oracleMse(adConv, ad, TfliteOracle.Kernels.BUILTIN)),
                String.format(Locale.ROOT, "%.4f", adQ),
                String.format(Locale.ROOT, "%.4f / %.4f", adX, oracleMse(adMine, ad, TfliteOracle.Kernels.BUILTIN)),
                size(adFloat) + " / " + size(adConv) + " / " + size(adMine));
        assertThat(adQ).isCloseTo(adX, org.assertj.core.data.Offset.offset(1e-9));

        // MNIST and Fashion-MNIST Keras models, calibrated on test images 1-100, scored on 101-10000
        Dataset mnistAll = KerasFixtureModels.idx("mnist", null);
        Dataset mnist = held(mnistAll);
        int mn = mnist.size();
        Model mnistKeras = KerasFixtureModels.model("mnist/keras_mlp/mnist.h5");
        Path mnistMine = quantaInt8(mnistKeras, calibration(mnistAll), "mnist.tflite");
        int mQ = quantaTop1(TfliteReader.read(mnistMine), mnist);
        row(
                "MNIST MLP (Keras .h5)",
                "t10k 101-10000",
                pct(quantaTop1(mnistKeras, mnist), mn),
                "—",
                pct(mQ, mn),
                pct(OracleRuns.top1(mnistMine, mnist, TfliteOracle.Kernels.XNNPACK), mn),
                size(Fixtures.require("mnist/keras_mlp/mnist.h5")) + " / — / " + size(mnistMine));
        Dataset fashionAll = KerasFixtureModels.idx("fashion-mnist", new int[] {28, 28, 1});
        Dataset fashion = held(fashionAll);
        int fn = fashion.size();
        Model lenet = KerasFixtureModels.lenet();
        Path lenetMine = quantaInt8(lenet, calibration(fashionAll), "lenet.tflite");
        int fQ = quantaTop1(TfliteReader.read(lenetMine), fashion);
        row(
                "Fashion LeNet (JSON + weights)",
                "t10k 101-10000",
                pct(quantaTop1(lenet, fashion), fn),
                "—",
                pct(fQ, fn),
                pct(OracleRuns.top1(lenetMine, fashion, TfliteOracle.Kernels.XNNPACK), fn),
                size(Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5")) + " / — / "
                        + size(lenetMine));

        // mnist_lstm: the float file quantized by Quanta (calibrated on test images 1-100), beside the converter's
        // int8 file as shipped, scored on 101-10000
        Dataset lstm = mnist;
        Path lstmFloat = Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite");
        Path lstmInt8 = Fixtures.require("tflite-micro/mnist_lstm/trained_lstm_int8.tflite");
        Model lstmSource = ModelFiles.load(lstmFloat);
        Path lstmMine = quantaInt8(lstmSource, calibration(mnistAll), "mnist_lstm.tflite");
        int lstmConverter = OracleRuns.top1(lstmInt8, lstm, TfliteOracle.Kernels.XNNPACK);
        int lstmQ = quantaTop1(TfliteReader.read(lstmMine), lstm, 1);
        int lstmX = OracleRuns.top1(lstmMine, lstm, TfliteOracle.Kernels.XNNPACK);
        int lstmB = OracleRuns.top1(lstmMine, lstm, TfliteOracle.Kernels.BUILTIN);
        row(
                "mnist_lstm (tflite-micro .tflite)",
                "t10k 101-10000",
                pct(quantaTop1(lstmSource, lstm, 1), mn) + " in Quanta",
                pct(lstmConverter, mn) + " / " + pct(OracleRuns.top1(lstmInt8, lstm, TfliteOracle.Kernels.BUILTIN), mn),
                pct(lstmQ, mn),
                pct(lstmX, mn) + " / " + pct(lstmB, mn),
                size(lstmFloat) + " / " + size(lstmInt8) + " / " + size(lstmMine));
        // the integer LSTM has no XNNPACK kernel: both paths run TFLite's built-in 8x8→16 LSTM, as Quanta does
        assertThat(lstmX).isEqualTo(lstmQ);
        assertThat(lstmB).isEqualTo(lstmQ);
        assertThat(lstmQ).as("Quanta's int8 LSTM vs the converter's").isGreaterThanOrEqualTo(lstmConverter);

        StringBuilder md = new StringBuilder();
        md.append("| model | data | float | TFLite converter's int8 (XNNPACK / built-in) | Quanta int8 in Quanta ")
                .append("| Quanta int8 in TFLite (XNNPACK / built-in) | bytes: float / converter int8 / Quanta "
                        + "int8 |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (String r : rows) {
            md.append(r).append('\n');
        }
        Path target = Path.of("target", "accuracy-table.md");
        Files.createDirectories(target.getParent());
        Files.writeString(target, md.toString());
        System.out.print(md);
    }

    /** One model of the calibration table: its source, calibration and scored samples, and how a file scores. */
    private record TableModel(
            String name,
            String data,
            Model source,
            Dataset calibration,
            Dataset scored,
            boolean reconstruction,
            Path floatFile,
            Path converterFile) {
        /** The float model's score: its file in the runtime (XNNPACK / built-in), else the model in Quanta. */
        String floatScore() {
            if (floatFile != null) {
                return score(floatFile, TfliteOracle.Kernels.XNNPACK) + " / "
                        + score(floatFile, TfliteOracle.Kernels.BUILTIN);
            }
            return quantaTop1(source, scored, 1) + " (in Quanta)";
        }

        /** Top-1 correct (classifiers) or mean window MSE (the autoencoder) of {@code file} in the runtime. */
        String score(Path file, TfliteOracle.Kernels kernels) {
            return reconstruction
                    ? String.format(Locale.ROOT, "%.4f", oracleMse(file, scored, kernels))
                    : Integer.toString(OracleRuns.top1(file, scored, kernels));
        }
    }

    /**
     * Issue 10's calibration table: every calibrator, each with and without bias correction, with per-channel and
     * per-tensor weights, in the official runtime on its XNNPACK and built-in paths, calibration and scored samples
     * disjoint. Scored subsets keep the run short: IC and the large IC calibrated on images 101–200, scored on 1–100
     * (one fold); KWS calibrated on 1–100, scored on 101–400; AD calibrated on windows 1–98, scored on 99–196 (mean
     * window MSE: closer to the float model's is better); MNIST, LeNet and mnist_lstm calibrated on test images 1–100,
     * scored on 101–600. Each cell is "XNNPACK / built-in". Written to {@code target/calibration-table.md}. Check
     * (issue 10, acceptance 2): per model, {@code auto} is at least {@code minmax} in the default per-channel setting
     * on XNNPACK (a lower MSE for AD).
     */
    @Test
    void calibrationTable() throws IOException {
        Dataset ic = KerasFixtureModels.icImages();
        Dataset kwsAll = TfliteInputQuantizationIT.kwsFeatures();
        Dataset adAll = RandomData.adWindows();
        Dataset mnistAll = KerasFixtureModels.idx("mnist", null);
        Dataset fashionAll = KerasFixtureModels.idx("fashion-mnist", new int[] {28, 28, 1});
        List<TableModel> models = List.of(
                new TableModel(
                        "IC ResNet-8",
                        "images 1-100 (of 100)",
                        KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5"),
                        ic.slice(100, 200),
                        ic.slice(0, 100),
                        false,
                        Fixtures.require("mlperf-tiny/ic/pretrainedResnet.tflite"),
                        Fixtures.require("mlperf-tiny/ic/pretrainedResnet_quant.tflite")),
                new TableModel(
                        "IC large ResNet",
                        "images 1-100 (of 100)",
                        ModelFiles.load(Fixtures.require("mlperf-tiny/ic/pretrainedResnet_large_float.tflite")),
                        ic.slice(100, 200),
                        ic.slice(0, 100),
                        false,
                        Fixtures.require("mlperf-tiny/ic/pretrainedResnet_large_float.tflite"),
                        Fixtures.require("mlperf-tiny/ic/pretrainedResnet_large_int8.tflite")),
                new TableModel(
                        "KWS DS-CNN",
                        "kws01 101-400 (of 300)",
                        ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite")),
                        kwsAll.slice(0, 100),
                        kwsAll.slice(100, 400),
                        false,
                        Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite"),
                        Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite")),
                new TableModel(
                        "AD autoencoder",
                        "windows 99-196 (mean window MSE)",
                        ModelFiles.load(Fixtures.require("mlperf-tiny/ad/ad01_fp32.tflite")),
                        adAll.slice(0, 98),
                        adAll.slice(98, adAll.size()),
                        true,
                        Fixtures.require("mlperf-tiny/ad/ad01_fp32.tflite"),
                        Fixtures.require("mlperf-tiny/ad/ad01_int8.tflite")),
                new TableModel(
                        "MNIST MLP",
                        "t10k 101-600 (of 500)",
                        KerasFixtureModels.model("mnist/keras_mlp/mnist.h5"),
                        mnistAll.slice(0, 100),
                        mnistAll.slice(100, 600),
                        false,
                        null,
                        null),
                new TableModel(
                        "Fashion LeNet",
                        "t10k 101-600 (of 500)",
                        KerasFixtureModels.lenet(),
                        fashionAll.slice(0, 100),
                        fashionAll.slice(100, 600),
                        false,
                        null,
                        null),
                new TableModel(
                        "mnist_lstm",
                        "t10k 101-600 (of 500)",
                        ModelFiles.load(Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite")),
                        mnistAll.slice(0, 100),
                        mnistAll.slice(100, 600),
                        false,
                        Fixtures.require("tflite-micro/mnist_lstm/trained_lstm.tflite"),
                        Fixtures.require("tflite-micro/mnist_lstm/trained_lstm_int8.tflite")));
        StringBuilder md = new StringBuilder(
                "| model | scored on | calibrator | bias correction | per-channel (XNNPACK / built-in) "
                        + "| per-tensor (XNNPACK / built-in) |\n|---|---|---|---|---|---|\n");
        for (TableModel m : models) {
            md.append(String.join(" | ", "", m.name(), m.data(), "float", "—", m.floatScore(), "—", "")
                            .trim())
                    .append('\n');
            if (m.converterFile() != null) {
                md.append(String.join(
                                        " | ",
                                        "",
                                        m.name(),
                                        m.data(),
                                        "TFLite converter's int8",
                                        "—",
                                        m.score(m.converterFile(), TfliteOracle.Kernels.XNNPACK) + " / "
                                                + m.score(m.converterFile(), TfliteOracle.Kernels.BUILTIN),
                                        "—",
                                        "")
                                .trim())
                        .append('\n');
            }
            Map<String, String> cells = new java.util.LinkedHashMap<>();
            for (Calibrator c : Calibrator.values()) {
                for (boolean bc : new boolean[] {false, true}) {
                    String[] cell = new String[2];
                    for (Granularity g : Granularity.values()) {
                        Path file = tmp.resolve("table.tflite");
                        TfliteWriter.write(
                                Converter.fromModel(m.source())
                                        .withConfig(QuantizationConfig.defaults()
                                                .withMode(QuantizationMode.INT8)
                                                .withCalibrationThreads(2)
                                                .withCalibrationSamples(
                                                        m.calibration().size())
                                                .withCalibrator(c)
                                                .withBiasCorrection(bc)
                                                .withGranularity(g))
                                        .withRepresentativeDataset(m.calibration())
                                        .convert()
                                        .model(),
                                file);
                        String x = m.score(file, TfliteOracle.Kernels.XNNPACK);
                        String b = m.score(file, TfliteOracle.Kernels.BUILTIN);
                        cell[g == Granularity.PER_CHANNEL ? 0 : 1] = x + " / " + b;
                        cells.put(c.cliName() + (bc ? "+bc" : "") + " " + g, x);
                    }
                    md.append(String.join(
                                            " | ",
                                            "",
                                            m.name(),
                                            m.data(),
                                            c.cliName(),
                                            bc ? "yes" : "no",
                                            cell[0],
                                            cell[1],
                                            "")
                                    .trim())
                            .append('\n');
                }
            }
            System.out.println(m.name() + ": " + cells);
            double auto = Double.parseDouble(cells.get("auto " + Granularity.PER_CHANNEL));
            double minmax = Double.parseDouble(cells.get("minmax " + Granularity.PER_CHANNEL));
            if (m.reconstruction()) {
                assertThat(auto).as(m.name() + ": auto's MSE against minmax's").isLessThanOrEqualTo(minmax);
            } else {
                assertThat(auto)
                        .as(m.name() + ": auto's correct against minmax's")
                        .isGreaterThanOrEqualTo(minmax);
            }
        }
        Path target = Path.of("target", "calibration-table.md");
        Files.createDirectories(target.getParent());
        Files.writeString(target, md.toString());
        System.out.print(md);
    }
}
