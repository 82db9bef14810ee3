package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.spark.QuantaSpark;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --json} of {@code predict} and {@code quantize --calibration DATA --spark local[2]} (issue 13): the Spark
 * stages' times, in order, beside the master and the partitions; standard output is the JSON only and, off a terminal,
 * no progress bar reaches either stream.
 */
@UsesFixtures
class SparkStageTimingCommandTest {
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

    private static List<String> stages(JsonNode sparkNode) {
        List<String> names = new ArrayList<>();
        sparkNode.get("stage_seconds").fields().forEachRemaining(e -> {
            assertThat(e.getValue().isNumber()).as(e.getKey()).isTrue();
            assertThat(e.getValue().asDouble()).as(e.getKey()).isNotNegative();
            names.add(e.getKey());
        });
        return names;
    }

    private static JsonNode json(CliRunner r) throws IOException {
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain("\r").endsWith("}\n");
        assertThat(r.err()).doesNotContain("\r");
        return new ObjectMapper().readTree(r.out());
    }

    @Test
    void predictJsonHasItsStageTimes() throws IOException {
        Path out = tmp.resolve("p.parquet");
        CliRunner r = CliRunner.run(
                "predict",
                MnistFixtures.model().toString(),
                "--data",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--limit",
                "300",
                "--out",
                out.toString(),
                "--spark",
                "local[2]",
                "--json");
        JsonNode json = json(r);
        assertThat(json.get("rows").asLong()).isEqualTo(300);
        assertThat(json.get("spark").get("master").asText()).isEqualTo("local[2]");
        // 300 samples are 5 batches of 64: 4 partitions for the 2 cores
        assertThat(json.get("spark").get("partitions").asInt()).isEqualTo(4);
        assertThat(stages(json.get("spark"))).containsExactly("load", "broadcast", "predict", "count");
        assertThat(Files.exists(out.resolve("_SUCCESS"))).isTrue();
    }

    @Test
    void quantizeSparkJsonHasItsStageTimes() throws IOException {
        CliRunner r = CliRunner.quantize(
                MnistFixtures.model(),
                tmp.resolve("q.tflite"),
                "--calibration",
                MnistFixtures.testImages().toString(),
                "--scale",
                "1/255",
                "--samples",
                "300",
                "--spark",
                "local[2]",
                "--json");
        JsonNode json = json(r);
        assertThat(json.get("calibration_samples").asInt()).isEqualTo(300);
        assertThat(json.get("spark").get("partitions").asInt()).isEqualTo(4);
        assertThat(stages(json.get("spark"))).containsExactly("load", "broadcast", "calibrate", "merge");
    }
}
