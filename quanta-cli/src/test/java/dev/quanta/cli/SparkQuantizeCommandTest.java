package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quantize --calibration DATA --spark local[2]} (issue 13): the calibration statistics collected on Spark and
 * merged give the single-machine file byte for byte (MNIST, 1000 calibration samples, min/max and entropy); bad
 * use is one line and exit code 2.
 */
@UsesFixtures
class SparkQuantizeCommandTest {
    private static SparkSession spark;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() {
        spark = QuantaSpark.session("local[2]");
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private CliRunner quantize(Path out, String... more) {
        return CliRunner.quantize(
                MnistFixtures.model(),
                out,
                CliRunner.args(
                        new String[] {
                            "--calibration",
                            MnistFixtures.testImages().toString(),
                            "--scale",
                            "1/255",
                            "--samples",
                            "1000"
                        },
                        more));
    }

    @Test
    void minmaxFileEqualsOneMachine() throws IOException {
        Path one = tmp.resolve("one.tflite");
        Path spread = tmp.resolve("spark.tflite");
        CliRunner a = quantize(one);
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner b = quantize(spread, "--spark", "local[2]", "--json");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(Files.readAllBytes(spread)).isEqualTo(Files.readAllBytes(one));
        JsonNode json = new ObjectMapper().readTree(b.out());
        assertThat(json.get("calibration_samples").asInt()).isEqualTo(1000);
        assertThat(json.get("spark").get("master").asText()).isEqualTo("local[2]");
        // 1000 samples are 32 batches: 2 partitions per core of local[2]
        assertThat(json.get("spark").get("partitions").asInt()).isEqualTo(4);
    }

    @Test
    void entropyFileEqualsOneMachine() throws IOException {
        Path one = tmp.resolve("one.tflite");
        Path spread = tmp.resolve("spark.tflite");
        CliRunner a = quantize(one, "--calibrator", "entropy");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRunner b = quantize(spread, "--calibrator", "entropy", "--spark", "local[2]");
        assertThat(b.exitCode()).as(b.err()).isZero();
        // the same report, all but the conversion time
        assertThat(withoutTime(b.out())).isEqualTo(withoutTime(a.out().replace(one.toString(), spread.toString())));
        assertThat(Files.readAllBytes(spread)).isEqualTo(Files.readAllBytes(one));
    }

    private static String withoutTime(String out) {
        return out.replaceAll("converted in [0-9.]+ s", "converted in T s");
    }

    @Test
    void sparkWithoutCalibrationDataIsOneLine() {
        CliRunner r = CliRunner.quantize(
                MnistFixtures.model(), tmp.resolve("x.tflite"), "--mode", "dynamic", "--spark", "local[2]");
        assertOneLineError(r, "--spark collects calibration statistics: give --calibration DATA");
    }
}
