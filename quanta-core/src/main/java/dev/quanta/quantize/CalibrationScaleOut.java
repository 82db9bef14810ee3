package dev.quanta.quantize;

import dev.quanta.data.DatasetSpec;
import java.nio.file.Path;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * An engine that collects calibration statistics over a cluster (issue 13; the module quanta-spark provides one on
 * Apache Spark), found on the class path through {@link ServiceLoader}: quanta-core itself knows no cluster. The
 * statistics it returns equal one pass's ({@link CalibrationStatistics}), so the quantized file does too.
 */
public interface CalibrationScaleOut {
    /**
     * Connects to {@code master} (for Spark: {@code local[*]}, {@code local[2]}, {@code spark://host:port}).
     *
     * @throws dev.quanta.QuantaException when the master cannot be reached
     */
    Session open(String master);

    /** The first engine on the class path, if any. */
    static Optional<CalibrationScaleOut> find() {
        return ServiceLoader.load(CalibrationScaleOut.class).findFirst();
    }

    /** Where a calibration job reports the samples it has done of all it has. */
    @FunctionalInterface
    interface Progress {
        void update(int done, int total);
    }

    /** A connection to a cluster; close it when done. */
    interface Session extends AutoCloseable {
        /**
         * This session with the model files of its jobs read as weights-only Keras .h5 files of the model JSON
         * {@code config} ({@link dev.quanta.io.ModelFiles#load(Path, Path)}); closing the original closes both.
         *
         * @throws dev.quanta.QuantaException when the engine cannot ship a model config
         */
        default Session withModelConfig(Path config) {
            throw new dev.quanta.QuantaException("this calibration engine does not take a model config");
        }

        /**
         * The statistics of the model in {@code modelFile} (one self-contained file, read here and shipped) over the
         * samples of {@code data}, which every executor opens for itself, for
         * {@link Converter#withCalibrationStatistics}.
         */
        CalibrationStatistics.Source statistics(Path modelFile, DatasetSpec data);

        /** {@link #statistics(Path, DatasetSpec)}, reporting the samples done of each job to {@code progress}. */
        default CalibrationStatistics.Source statistics(Path modelFile, DatasetSpec data, Progress progress) {
            return statistics(modelFile, data);
        }

        /**
         * The time of each stage of the last {@link #statistics} job in seconds, in order (for Spark: {@code load},
         * {@code broadcast}, {@code calibrate}, {@code merge}); empty before any.
         */
        default java.util.Map<String, Double> lastStageSeconds() {
            return java.util.Map.of();
        }

        /** The partitions of the last {@link #statistics} job (0 before any). */
        int lastPartitions();

        @Override
        void close();
    }
}
