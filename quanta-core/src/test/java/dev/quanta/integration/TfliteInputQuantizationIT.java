package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.eval.Evaluator;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.Converter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.testing.UsesOracle;
import dev.quanta.tflite.TfliteReader;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quantizing from a .tflite: Quanta's int8 of the KWS model, made from the hybrid "float32" file (its int8 conv
 * weights are dequantized first) and calibrated on the first 100 kws01 samples, is at least as accurate on the other
 * 900 as the TFLite converter's int8 file, on both of the runtime's paths, and meets MLPerf Tiny's 90%.
 */
@UsesFixtures
@UsesOracle
class TfliteInputQuantizationIT {
    @TempDir
    Path tmp;

    /** kws01 features as the float model takes them: (q − 83) × 0.5847029. */
    static Dataset kwsFeatures() {
        return Datasets.load(DatasetSpec.of(Fixtures.require("mlperf-tiny/kws/kws01_mfcc"))
                .withFormat("raw")
                .withSamples(SampleType.INT8, 49, 10, 1)
                .withPreprocessing(Preprocessing.scale(0.5847029f).withOffset(-83 * 0.5847029f)));
    }

    @Test
    void kwsInt8FromTheHybridFloatFileBeatsTheConvertersInt8() throws IOException {
        Model hybrid = ModelFiles.load(Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite"));
        Dataset all = kwsFeatures();
        assertThat(all.size()).isEqualTo(1000);
        Dataset kws = all.slice(100, all.size());
        Path out = tmp.resolve("kws_int8.tflite");
        TfliteWriter.write(
                Converter.fromModel(hybrid)
                        .withRepresentativeDataset(all.slice(0, 100))
                        .convert()
                        .model(),
                out);
        Model written = TfliteReader.read(out);
        int quanta = Evaluator.evaluate(
                        written, kws, Evaluator.Options.defaults().withThreads(2), Evaluator.Progress.NONE)
                .correct();
        int xnnpack = OracleRuns.top1(out, kws, TfliteOracle.Kernels.XNNPACK);
        int builtin = OracleRuns.top1(out, kws, TfliteOracle.Kernels.BUILTIN);
        Path converter = Fixtures.require("mlperf-tiny/kws/kws_ref_model.tflite");
        int converterX = OracleRuns.top1(converter, kws, TfliteOracle.Kernels.XNNPACK);
        int converterB = OracleRuns.top1(converter, kws, TfliteOracle.Kernels.BUILTIN);
        System.out.printf(
                "KWS int8 (Quanta, from kws_ref_model_float32.tflite, calibrated on samples 1-100): on samples "
                        + "101-1000 Quanta %d/900, TFLite XNNPACK %d, built-in %d; %d B (converter's int8: %d / %d, "
                        + "53,936 B)%n",
                quanta, xnnpack, builtin, Files.size(out), converterX, converterB);
        assertThat(xnnpack).isGreaterThanOrEqualTo(converterX);
        assertThat(builtin).isGreaterThanOrEqualTo(converterB);
        assertThat(quanta).isEqualTo(xnnpack);
        assertThat(quanta).isGreaterThanOrEqualTo(810); // 90%
    }
}
