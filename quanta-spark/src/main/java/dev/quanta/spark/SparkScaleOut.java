package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.data.DatasetSpec;
import dev.quanta.eval.EvaluationResult;
import dev.quanta.eval.Evaluator;
import dev.quanta.eval.Metric;
import dev.quanta.eval.ModelComparison;
import dev.quanta.eval.ReconstructionResult;
import dev.quanta.eval.ScaleOut;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/** {@link ScaleOut} on Apache Spark, for the command line's {@code --spark [MASTER]} (found by ServiceLoader). */
public final class SparkScaleOut implements ScaleOut {
    @Override
    public String name() {
        return "spark";
    }

    /**
     * Starts a Spark session on {@code master}. Spark logs warnings and errors only (Quanta's log4j2 configuration,
     * unless {@code log4j2.configurationFile} names another), through log4j2 as the one SLF4J provider.
     */
    @Override
    public Session open(String master) {
        requireReachable(master);
        quietLogging();
        SparkSession spark;
        // a session this JVM already runs (an application's, a test's) is used and left running
        boolean existed = SparkSession.getActiveSession().isDefined()
                || SparkSession.getDefaultSession().isDefined();
        try {
            spark = QuantaSpark.session(master);
        } catch (Exception e) {
            throw new QuantaException(
                    "--spark " + master + ": " + SparkErrors.unwrap(e).getMessage(), e);
        }
        return new SparkRuns(spark, !existed, null);
    }

    /** How long to wait for a standalone master to accept a connection. */
    private static final int CONNECT_MILLIS = 3000;

    /**
     * Refuses a standalone master ({@code spark://host:port[,host:port]}) none of whose addresses accepts a TCP
     * connection, at once: Spark itself would retry for a minute before giving up.
     */
    static void requireReachable(String master) {
        if (!master.startsWith("spark://")) {
            return;
        }
        String problem = null;
        for (String address : master.substring("spark://".length()).split(",")) {
            int colon = address.lastIndexOf(':');
            if (colon < 0) {
                throw new QuantaException("--spark " + master + ": '" + address + "' has no port (spark://HOST:PORT)");
            }
            String host = address.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(address.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new QuantaException("--spark " + master + ": '" + address + "' has no port (spark://HOST:PORT)");
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host, port), CONNECT_MILLIS);
                return;
            } catch (IOException | IllegalArgumentException e) {
                problem = address + " (" + e.getMessage() + ")";
            }
        }
        throw new QuantaException("--spark " + master + ": cannot reach the master at " + problem);
    }

    static void quietLogging() {
        if (System.getProperty("log4j2.configurationFile") == null) {
            URL config = SparkScaleOut.class.getResource("log4j2-quanta.properties");
            if (config != null) {
                System.setProperty("log4j2.configurationFile", config.toString());
            }
        }
        if (System.getProperty("slf4j.provider") == null) {
            System.setProperty("slf4j.provider", "org.apache.logging.slf4j.SLF4JServiceProvider");
        }
    }

    /**
     * A session's runs, each through {@link QuantaSpark}; with a {@code config} (a Keras model JSON), the models of
     * evaluate, reconstruct and predict, and the float model of compare, are weights-only files of it.
     */
    private record SparkRuns(SparkSession spark, boolean stopOnClose, Path config) implements Session {
        @Override
        public Session withModelConfig(Path config) {
            return new SparkRuns(spark, stopOnClose, config);
        }

        @Override
        public Run<EvaluationResult> evaluate(
                Path model, DatasetSpec data, Evaluator.Options options, Evaluator.Progress progress) {
            return QuantaSpark.evaluate(spark, model, config, data, options, progress);
        }

        @Override
        public Run<ReconstructionResult> reconstruct(
                Path model, DatasetSpec data, Metric metric, Evaluator.Options options, Evaluator.Progress progress) {
            return QuantaSpark.reconstruct(spark, model, config, data, metric, options, progress);
        }

        @Override
        public Run<ModelComparison.Result> compare(
                Path floatModel,
                Path quantizedModel,
                DatasetSpec data,
                ModelComparison.Options options,
                Evaluator.Progress progress) {
            return QuantaSpark.compare(spark, floatModel, config, quantizedModel, data, options, progress);
        }

        @Override
        public Run<Long> predict(
                Path model,
                DatasetSpec data,
                String column,
                int topK,
                Evaluator.Options options,
                Path out,
                Evaluator.Progress progress) {
            return QuantaSpark.writePredictions(spark, model, config, data, column, topK, options, out, progress);
        }

        @Override
        public void close() {
            if (stopOnClose) {
                spark.stop();
            }
        }
    }
}
