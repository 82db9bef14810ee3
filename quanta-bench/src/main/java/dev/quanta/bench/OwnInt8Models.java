package dev.quanta.bench;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.IoType;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.quantize.QuantizationMode;
import dev.quanta.tflite.TfliteWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Quanta's own int8 files of the IC and VWW Keras models, made at benchmark setup with Quanta's {@link Converter}
 * (full int8 with int8 input and output, as the converter's files of the MLPerf Tiny set), so the table can put
 * Quanta's int8 beside Quanta's float of the same network.
 *
 * <p>Calibration: IC on the first 100 of the 200 MLPerf Tiny performance images (raw 0..255 RGB, as the model
 * was trained; the training-set images that {@code calibration_samples_idxs.npy} indexes are not among the
 * fixtures); VWW on 32 seeded uniform images in [0, 1] (the fixtures hold no VWW images).
 */
final class OwnInt8Models {
    private OwnInt8Models() {}

    /** A generated file and the float fixture it is compared with. */
    record Own(String label, Path file, String floatModel) {}

    /** Converts both models into {@code dir}; labels map to the written files. */
    static Map<String, Own> write(Path fixtures, Path dir) {
        Map<String, Own> out = new LinkedHashMap<>();
        Dataset icImages = Datasets.load(DatasetSpec.of(fixtures.resolve("mlperf-tiny/ic/perf_samples_v0.5"))
                .withFormat("raw")
                .withSamples(SampleType.UINT8, 32, 32, 3));
        out.put(
                "ic",
                new Own(
                        "IC, Quanta's int8 (from pretrainedResnet.h5)",
                        convert(
                                fixtures.resolve("mlperf-tiny/ic/pretrainedResnet.h5"),
                                icImages.slice(0, 100),
                                dir.resolve("ic_quanta_int8.tflite")),
                        "mlperf-tiny/ic/pretrainedResnet.tflite"));
        out.put(
                "vww",
                new Own(
                        "VWW, Quanta's int8 (from vww_96.h5)",
                        convert(
                                fixtures.resolve("mlperf-tiny/vww/vww_96.h5"),
                                uniform(96 * 96 * 3, 32),
                                dir.resolve("vww_quanta_int8.tflite")),
                        "mlperf-tiny/vww/vww_96_float.tflite"));
        return out;
    }

    private static Dataset uniform(int sampleSize, int n) {
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[sampleSize * n];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble();
        }
        return Dataset.of("uniform-random", new int[] {96, 96, 3}, x, new int[n]);
    }

    private static Path convert(Path keras, Dataset calibration, Path out) {
        Converter.Conversion c = Converter.fromModel(ModelFiles.load(keras))
                .withConfig(QuantizationConfig.defaults()
                        .withMode(QuantizationMode.INT8)
                        .withIo(IoType.INT8)
                        .withCalibrationSamples(calibration.size()))
                .withRepresentativeDataset(calibration)
                .convert();
        try {
            Files.createDirectories(out.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TfliteWriter.write(c.model(), out);
        return out;
    }
}
