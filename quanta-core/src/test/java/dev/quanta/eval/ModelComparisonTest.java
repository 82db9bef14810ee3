package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.FloatGraphPasses;
import dev.quanta.quantize.LayerComparison;
import dev.quanta.quantize.LayerError;
import dev.quanta.quantize.LayerStatistics;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.runtime.Benchmark;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import dev.quanta.tflite.TfliteWriter;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModelComparison} and {@link LayerComparison}'s settings on a tiny Dense classifier and its int8 twin. */
class ModelComparisonTest {
    private static final String LOSS = CoreModels.CLASSIFIER_LOSS;

    @TempDir
    Path tmp;

    /** {@code n} samples uniform in [0, max), random labels of 3 classes. */
    private static Dataset data(int n, float max, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] f = CoreArrays.uniform(r, n * 4, 0, max);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(3);
        }
        return Dataset.of("data", new int[] {4}, f, labels, 3);
    }

    /**
     * The classifier as a Keras .h5 and the int8 conversion of that file as a .tflite, calibrated on {@link #data}
     * (200 samples in [0, 1), seed 7).
     */
    private Path[] files() {
        Path h5 = tmp.resolve("tiny.h5");
        Path tflite = tmp.resolve("tiny_int8.tflite");
        KerasH5Writer.write(CoreModels.classifier(), h5);
        TfliteWriter.write(
                Converter.fromModel(ModelFiles.load(h5))
                        .withConfig(QuantizationConfig.defaults().withCalibrationSamples(200))
                        .withRepresentativeDataset(data(200, 1f, 7))
                        .convert()
                        .model(),
                tflite);
        return new Path[] {h5, tflite};
    }

    @Test
    void filesAreEvaluatedOnTheSameDataAndScoredWithTheFloatModelsLoss() throws Exception {
        Path[] files = files();
        Dataset data = data(200, 1f, 7);
        ModelComparison.Result r = ModelComparison.compare(
                files[0],
                files[1],
                data,
                ModelComparison.Options.defaults().withLatency(null).withLayerSamples(20),
                Evaluator.Progress.NONE);

        // each side is what the Evaluator gives alone
        Model floatModel = ModelFiles.load(files[0]);
        Model quantized = ModelFiles.load(files[1]);
        EvaluationResult f =
                Evaluator.evaluate(floatModel, data, Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        EvaluationResult q = Evaluator.evaluate(
                quantized, data, Evaluator.Options.defaults().withLoss(Loss.parse(LOSS)), Evaluator.Progress.NONE);
        assertThat(r.floatResult().samples()).isEqualTo(200);
        assertThat(r.floatResult().correct()).isEqualTo(f.correct());
        assertThat(r.floatResult().predictions()).isEqualTo(f.predictions());
        assertThat(r.quantizedResult().correct()).isEqualTo(q.correct());
        assertThat(r.accuracyDrop()).isEqualTo(f.accuracy() - q.accuracy());
        // the .tflite records no training config: alone it has no loss, in the comparison it takes the float one's
        assertThat(Evaluator.evaluate(quantized, data, Evaluator.Options.defaults(), Evaluator.Progress.NONE)
                        .lossName())
                .isNull();
        assertThat(r.floatResult().lossName()).isEqualTo(LOSS);
        assertThat(r.quantizedResult().lossName()).isEqualTo(LOSS);
        assertThat(r.quantizedResult().loss()).isEqualTo(q.loss());

        int same = 0;
        for (int i = 0; i < 200; i++) {
            same += f.predictions()[i] == q.predictions()[i] ? 1 : 0;
        }
        assertThat(r.agreement()).isEqualTo(same / 200.0);
        assertThat(same).isGreaterThan(180);
        // paired by sample (top-1 here): each hit is the sample's prediction meeting its label
        int onlyFloat = 0;
        int onlyQuantized = 0;
        for (int i = 0; i < 200; i++) {
            boolean fr = f.predictions()[i] == data.label(i);
            boolean qr = q.predictions()[i] == data.label(i);
            assertThat(r.floatResult().hits()[i]).isEqualTo(fr);
            assertThat(r.quantizedResult().hits()[i]).isEqualTo(qr);
            onlyFloat += fr && !qr ? 1 : 0;
            onlyQuantized += qr && !fr ? 1 : 0;
        }
        assertThat(r.paired()).isEqualTo(new PairedComparison(200, onlyFloat, onlyQuantized));
        assertThat(onlyFloat - onlyQuantized).isEqualTo(f.correct() - q.correct());

        assertThat(r.floatBytes()).isEqualTo(Files.size(files[0]));
        assertThat(r.quantizedBytes()).isEqualTo(Files.size(files[1]));
        assertThat(r.floatLatency()).isNull();
        assertThat(r.quantizedLatency()).isNull();
        assertThat(r.notices()).isEmpty();

        // per-layer: the int8 Dense against the float one on its calibration data, where nothing saturates: in
        // units of its scale, near the rounding error alone
        LayerError dense = r.layers().stream()
                .filter(l -> l.op().equals("FULLY_CONNECTED"))
                .findFirst()
                .orElseThrow();
        assertThat(dense.layer()).startsWith("dense");
        assertThat(dense.count()).isEqualTo(20 * 3);
        assertThat(dense.rmseOverScale()).isBetween(0.2, 0.7);
        assertThat(dense.sqnrDb()).isGreaterThan(35);
        assertThat(r.layers()).extracting(LayerError::sqnrDb).isSorted();
    }

    /**
     * Issue 13: the per-layer table of a cluster is merged from parts of the samples. Any split, merged in any order,
     * gives the single-machine table to the last bit; and its sums are the exact ones (computed here in BigDecimal
     * from both models' tensors), rounded once.
     */
    @Test
    void perLayerTableMergedFromAnySplitOfTheSamplesIsTheSingleMachineOne() {
        Path[] files = files();
        Dataset data = data(200, 1f, 11);
        ModelComparison.Options options =
                ModelComparison.Options.defaults().withLatency(null).withLayerSamples(60);
        List<LayerError> single = ModelComparison.compare(files[0], files[1], data, options, Evaluator.Progress.NONE)
                .layers();
        Model floatModel = ModelFiles.load(files[0]);
        Model quantized = ModelFiles.load(files[1]);
        Model folded = FloatGraphPasses.apply(floatModel);
        int n = ModelComparison.layerSampleCount(data, options);
        assertThat(n).isEqualTo(60);

        SplittableRandom r = new SplittableRandom(13);
        for (int trial = 0; trial < 25; trial++) {
            List<LayerStatistics> parts = new ArrayList<>();
            int from = 0;
            while (from < n) {
                int to = trial == 0 ? n : Math.min(n, from + 1 + r.nextInt(n / 3));
                parts.add(ModelComparison.layerStatistics(folded, quantized, data, 1, from, to));
                from = to;
            }
            Collections.shuffle(parts, new Random(r.nextLong()));
            ModelComparison.Result merged =
                    ModelComparison.complete(floatModel, quantized, options, null, null, null, null, parts);
            assertThat(merged.layers()).as("split into %d parts", parts.size()).isEqualTo(single);
        }

        // the Dense row's SQNR and RMSE from the exact sums of its values over the 60 samples
        LayerError dense = single.stream()
                .filter(l -> l.op().equals("FULLY_CONNECTED"))
                .findFirst()
                .orElseThrow();
        assertThat(quantized.inputs().get(0).dtype()).isEqualTo(DType.FLOAT32);
        Interpreter.Options all = Interpreter.Options.defaults().withPreserveAllTensors(true);
        BigDecimal signal = BigDecimal.ZERO;
        BigDecimal noise = BigDecimal.ZERO;
        try (Interpreter f = new Interpreter(folded, all);
                Interpreter q = new Interpreter(quantized, all)) {
            float[] in = new float[4];
            for (int s = 0; s < n; s++) {
                data.copySample(s, in, 0);
                f.run(in, null);
                q.run(in, null);
                float[] fv = f.readTensorAsFloats(folded.tensor(dense.tensor()));
                float[] qv = q.readTensorAsFloats(quantized.tensor(dense.tensor()));
                for (int i = 0; i < fv.length; i++) {
                    double e = (double) fv[i] - qv[i];
                    signal = signal.add(new BigDecimal((double) fv[i] * fv[i]));
                    noise = noise.add(new BigDecimal(e * e));
                }
            }
        }
        assertThat(dense.count()).isEqualTo(60 * 3);
        assertThat(dense.sqnrDb()).isEqualTo(10 * Math.log10(signal.doubleValue() / noise.doubleValue()));
        assertThat(dense.rmse()).isEqualTo(Math.sqrt(noise.doubleValue() / (60 * 3)));

        assertThatThrownBy(() -> ModelComparison.layerStatistics(folded, quantized, data, 1, 50, 201))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void aModelAgainstItselfAgreesEverywhereAndMeasuresLatencyWhenAsked() {
        Model m = CoreModels.classifier();
        ModelComparison.Result r = ModelComparison.compare(
                m,
                m,
                data(40, 1f, 3),
                ModelComparison.Options.defaults()
                        .withLatency(Benchmark.Options.defaults().withWarmup(0).withRuns(3)),
                Evaluator.Progress.NONE);
        assertThat(r.agreement()).isEqualTo(1.0);
        assertThat(r.accuracyDrop()).isZero();
        assertThat(r.floatBytes()).isEqualTo(-1);
        assertThat(r.quantizedBytes()).isEqualTo(-1);
        assertThat(r.layers()).isNotEmpty().allSatisfy(l -> {
            assertThat(l.sqnrDb()).isInfinite();
            assertThat(l.maxAbs()).isZero();
        });
        assertThat(r.floatLatency().runs()).isEqualTo(3);
        assertThat(r.quantizedLatency().runs()).isEqualTo(3);
        assertThat(r.floatLatency().p99())
                .isGreaterThanOrEqualTo(r.floatLatency().p50());
    }

    @Test
    void dataOutsideTheQuantizedInputsRangeIsNoticedOnTheQuantizedSide() {
        Path[] files = files();
        // raw values up to 255 against a model calibrated on [0, 1)
        ModelComparison.Result r = ModelComparison.compare(
                files[0],
                files[1],
                data(100, 255f, 5),
                ModelComparison.Options.defaults().withLatency(null).withLayerSamples(5),
                Evaluator.Progress.NONE);
        assertThat(r.floatResult().notices()).isEmpty();
        assertThat(r.quantizedResult().notices()).hasSize(1);
        assertThat(r.notices()).isEqualTo(r.quantizedResult().notices());
        assertThat(r.notices().get(0).message()).contains("saturate");
    }

    @Test
    void progressIsReportedForBothModels() {
        Model m = CoreModels.classifier();
        int[] calls = new int[2];
        ModelComparison.compare(
                m,
                m,
                data(10, 1f, 3),
                ModelComparison.Options.defaults()
                        .withLatency(null)
                        .withEvaluation(Evaluator.Options.defaults().withBatchSize(4)),
                (done, total) -> {
                    calls[0]++;
                    calls[1] = done;
                    assertThat(total).isEqualTo(10);
                });
        assertThat(calls[0]).isEqualTo(2 * 3); // batches of 4, 4, 2 per model
        assertThat(calls[1]).isEqualTo(10);
    }

    @Test
    void settingsOutOfRangeAreRefusedByName() {
        assertThatThrownBy(() -> ModelComparison.Options.defaults().withLayerSamples(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ModelComparison layerSamples must be at least 1, got 0");
        assertThatThrownBy(() -> LayerComparison.Options.defaults().withSamples(-3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LayerComparison samples must be at least 1, got -3");
        assertThatThrownBy(() -> LayerComparison.Options.defaults().withThreads(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("LayerComparison threads must be between 1 and ")
                .hasMessageEndingWith("got 0");
        EvaluationResult ten = Evaluator.evaluate(
                CoreModels.classifier(), data(10, 1f, 1), Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        EvaluationResult twelve = Evaluator.evaluate(
                CoreModels.classifier(), data(12, 1f, 1), Evaluator.Options.defaults(), Evaluator.Progress.NONE);
        assertThatThrownBy(() -> ModelComparison.agreement(ten, twelve))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("results of 10 and 12 samples cannot be compared");
    }

    /** input [4] → Dense(3) → Dropout (IDENTITY) → ReLU, as a Keras file gives it. */
    private static Model withDropout() {
        ModelBuilder b = new ModelBuilder("dropout");
        Tensor x = b.input("input", Shape.batched(4));
        Tensor d = CoreModels.dense(b, "dense", x, new float[] {1, -1, 0, 2, 0.5f, 0.5f, -1, 0, 1, 1, 1, 1});
        Tensor i = b.add(OpType.IDENTITY, "dropout", new Origin("dropout", "Dropout"), OpAttributes.None.INSTANCE, d);
        Tensor y = CoreModels.relu(b, "relu", i);
        return b.output(y).build(ModelMetadata.inMemory());
    }

    @Test
    void kerasOnlyOpsAreFoldedAsTheConverterDoesUnlessTurnedOff() {
        Model keras = withDropout();
        Model folded = LayerComparison.folded(keras);
        assertThat(keras.ops())
                .extracting(o -> o.type())
                .containsExactly(OpType.FULLY_CONNECTED, OpType.IDENTITY, OpType.RELU);
        assertThat(folded.ops()).extracting(o -> o.type()).containsExactly(OpType.FULLY_CONNECTED);
        // a model without Keras-only ops is left as it is
        Model plain = CoreModels.classifier();
        assertThat(LayerComparison.folded(plain)).isSameAs(plain);

        // by position: folded, the single FULLY_CONNECTED of each pairs; unfolded, the unfused RELU has no partner
        Dataset d = data(8, 1f, 2);
        LayerComparison.Options byPosition =
                LayerComparison.Options.defaults().withSamples(8).withMatching(LayerComparison.Matching.POSITION);
        List<LayerError> rows = LayerComparison.compare(keras, folded, d, byPosition);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).op()).isEqualTo("FULLY_CONNECTED");
        assertThat(rows.get(0).maxAbs()).isZero();
        List<LayerError> unfolded = LayerComparison.compare(keras, folded, d, byPosition.withFoldKerasLayers(false));
        // the reference's Dense output (before the ReLU) against the fused Dense+ReLU: negative values differ
        assertThat(unfolded).hasSize(1);
        assertThat(unfolded.get(0).maxAbs()).isPositive();
    }

    @Test
    void modelsWithInputsOfDifferentSizesAndDataThatFitsNeitherAreRefused() {
        ModelBuilder b = new ModelBuilder("five");
        Tensor x = b.input("input", Shape.batched(5));
        Tensor y = CoreModels.relu(b, "relu", x);
        Model five = b.output(y).build(ModelMetadata.inMemory());
        assertThatThrownBy(() -> LayerComparison.compare(
                        CoreModels.classifier(), five, data(4, 1f, 1), LayerComparison.Options.defaults()))
                .isInstanceOf(QuantaException.class)
                .hasMessage("model 'five': input (None, 5) does not match model 'tiny''s input (None, 4)");
        assertThatThrownBy(
                        () -> LayerComparison.compare(five, five, data(4, 1f, 1), LayerComparison.Options.defaults()))
                .isInstanceOf(QuantaException.class)
                .hasMessage("data: samples have shape [4] (4 values) but model 'five' takes input 'input' of shape "
                        + "(None, 5) (5 values per sample)");
    }
}
