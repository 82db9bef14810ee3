package dev.quanta.integration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.CalibrationStatistics;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Calibration at scale, in pure Java: the KWS int8 file calibrated on 200 kws01 samples split into 2 to 4
 * partitions (each collected on a model rebuilt from the file, as an executor would, shipped through Java
 * serialization and merged in a shuffled order) is the very file of one calibration pass, byte for byte, for the
 * min/max, entropy and auto calibrators and with the range search (which starts from the calibrated ranges).
 */
@UsesFixtures
class CalibrationPartitionsIT {
    private static final int SAMPLES = 200;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"MINMAX, 2, false", "ENTROPY, 3, false", "AUTO, 4, false", "MINMAX, 3, true"})
    void partitionedCalibrationWritesTheFileOfOnePass(Calibrator calibrator, int partitions, boolean rangeSearch)
            throws IOException {
        Path file = Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite");
        Dataset data = TfliteInputQuantizationIT.kwsFeatures().slice(0, SAMPLES);
        QuantizationConfig config = QuantizationConfig.defaults()
                .withCalibrator(calibrator)
                .withCalibrationSamples(SAMPLES)
                .withRangeSearch(rangeSearch);
        Converter converter =
                Converter.fromModel(ModelFiles.load(file)).withConfig(config).withRepresentativeDataset(data);
        Path one = tmp.resolve("one.tflite");
        TfliteWriter.write(converter.convert().model(), one);

        List<String> collected = new ArrayList<>();
        Converter partitioned = converter.withCalibrationStatistics((model, n, settings, keep) -> {
            List<CalibrationStatistics> parts = new ArrayList<>();
            for (int[] range : CalibrationStatistics.partitions(n, partitions)) {
                // an executor: the model from the file, its calibration model, one range of the samples
                Model executorModel = Converter.fromModel(ModelFiles.load(file))
                        .withConfig(settings)
                        .calibrationModel();
                parts.add(shipped(
                        CalibrationStatistics.collect(executorModel, data, range[0], range[1], settings, keep)));
                collected.add(range[0] + "-" + range[1]);
            }
            Collections.shuffle(parts, new Random(partitions));
            return CalibrationStatistics.merge(parts);
        });
        Path merged = tmp.resolve("merged.tflite");
        TfliteWriter.write(partitioned.convert().model(), merged);

        assertThat(collected).hasSize(partitions);
        assertThat(Files.readAllBytes(merged)).isEqualTo(Files.readAllBytes(one));
    }

    private static CalibrationStatistics shipped(CalibrationStatistics s) {
        try {
            return roundTrip(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CalibrationStatistics roundTrip(CalibrationStatistics s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(s);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (CalibrationStatistics) in.readObject();
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
