package dev.quanta.spark;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.Preprocessing;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.CalibrationScaleOut;
import dev.quanta.quantize.Calibrator;
import dev.quanta.quantize.Converter;
import dev.quanta.quantize.QuantizationConfig;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Calibration statistics collected on Spark in local mode with two cores (found as the class path's
 * {@link CalibrationScaleOut}), merged on the driver: the KWS int8 file calibrated on 300 kws01 samples is the file
 * of one calibration pass on one machine, byte for byte.
 */
@UsesFixtures
class SparkCalibrationTest {
    private static final int SAMPLES = 300;
    private static CalibrationScaleOut.Session session;

    @BeforeAll
    static void start() {
        CalibrationScaleOut engine = CalibrationScaleOut.find().orElseThrow();
        assertThat(engine).isInstanceOf(SparkCalibration.class);
        session = engine.open("local[2]");
    }

    @AfterAll
    static void stop() {
        session.close();
    }

    /** kws01 features as the float model takes them: (q − 83) × 0.5847029. */
    static DatasetSpec kwsFeatures() {
        return DatasetSpec.of(Fixtures.require("mlperf-tiny/kws/kws01_mfcc"))
                .withFormat("raw")
                .withSamples(SampleType.INT8, 49, 10, 1)
                .withPreprocessing(Preprocessing.scale(0.5847029f).withOffset(-83 * 0.5847029f));
    }

    @ParameterizedTest
    @EnumSource(
            value = Calibrator.class,
            names = {"MINMAX", "AUTO"})
    void kwsCalibratedOnSparkWritesTheFileOfOneMachine(Calibrator calibrator) {
        Path file = Fixtures.require("mlperf-tiny/kws/kws_ref_model_float32.tflite");
        DatasetSpec spec = kwsFeatures();
        Model m = ModelFiles.load(file);
        Dataset data = Datasets.load(spec, m);
        QuantizationConfig config =
                QuantizationConfig.defaults().withCalibrator(calibrator).withCalibrationSamples(SAMPLES);
        Converter converter = Converter.fromModel(m).withConfig(config).withRepresentativeDataset(data);
        byte[] one = TfliteWriter.toBytes(converter.convert().model());

        byte[] spread = TfliteWriter.toBytes(converter
                .withCalibrationStatistics(session.statistics(file, spec))
                .convert()
                .model());

        // 300 samples are 10 batches of 32: local[2] asks for 4 partitions
        assertThat(session.lastPartitions()).isEqualTo(4);
        assertThat(spread).isEqualTo(one);
    }
}
