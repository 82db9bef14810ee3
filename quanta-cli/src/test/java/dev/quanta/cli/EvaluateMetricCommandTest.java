package dev.quanta.cli;

import static dev.quanta.cli.CliAssertions.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code evaluate --metric auc|mse|mae} on the MLPerf Tiny AD autoencoder over generated clips made from the one
 * real clip (written to a temporary folder with their labels CSV), checked against clip scores and an AUC computed
 * here window by window; {@code --compare} with AUC and per-layer saturation; the refusals of bad metrics and data.
 */
@UsesFixtures
class EvaluateMetricCommandTest {
    private static final String AD = "mlperf-tiny/ad/";

    @TempDir
    static Path clips;

    private static Path csv;

    /** The four clips' float values, in CSV order, and their labels. */
    private static float[][] clipValues;

    private static final int[] LABELS = {0, 1, 0, 1};

    /**
     * Four clips from the real one (200 frames × 128 bins): itself (normal); its values × 1.5 (anomalous); itself
     * plus seeded Gaussian noise of σ 3 (normal); its last 100 frames (anomalous, 96 windows).
     */
    @BeforeAll
    static void writeClips() throws IOException {
        byte[] real = Files.readAllBytes(Fixtures.require(AD + "normal_id_01_00000000_hist_librosa.bin"));
        float[] v = new float[real.length / 4];
        ByteBuffer.wrap(real).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        float[] scaled = new float[v.length];
        float[] noisy = new float[v.length];
        Random random = new Random(10);
        for (int i = 0; i < v.length; i++) {
            scaled[i] = 1.5f * v[i];
            noisy[i] = v[i] + (float) (3 * random.nextGaussian());
        }
        float[] tail = Arrays.copyOfRange(v, 100 * 128, 200 * 128);
        clipValues = new float[][] {v, scaled, noisy, tail};
        String[] names = {"normal_00.bin", "anomaly_00.bin", "normal_01.bin", "anomaly_01.bin"};
        StringBuilder lines = new StringBuilder();
        for (int c = 0; c < 4; c++) {
            ByteBuffer b = ByteBuffer.allocate(4 * clipValues[c].length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(clipValues[c]);
            Files.write(clips.resolve(names[c]), b.array());
            lines.append(names[c]).append(",2,").append(LABELS[c]).append(",2560,512\n");
        }
        csv = clips.resolve("ad_labels.csv");
        Files.writeString(csv, lines);
    }

    private static Path model(String name) {
        return Fixtures.require(AD + name);
    }

    /** Each clip's mean window MSE, run here one window at a time: 640 floats every 128. */
    private static double[] clipScores(Path modelFile) {
        Model m = ModelFiles.load(modelFile);
        double[] scores = new double[4];
        try (Interpreter in = new Interpreter(m)) {
            for (int c = 0; c < 4; c++) {
                float[] v = clipValues[c];
                int windows = (v.length - 640) / 128 + 1;
                double sum = 0;
                for (int w = 0; w < windows; w++) {
                    float[] x = Arrays.copyOfRange(v, 128 * w, 128 * w + 640);
                    float[] y = new float[640];
                    in.run(x, y);
                    double sq = 0;
                    for (int j = 0; j < 640; j++) {
                        sq += ((double) x[j] - y[j]) * ((double) x[j] - y[j]);
                    }
                    sum += sq / 640;
                }
                scores[c] = sum / windows;
            }
        }
        return scores;
    }

    /** AUC by counting pairs: an anomalous clip scored above a normal one counts 1, a tie 1/2. */
    private static double pairwiseAuc(double[] scores) {
        double wins = 0;
        int pairs = 0;
        for (int a = 0; a < 4; a++) {
            for (int n = 0; n < 4; n++) {
                if (LABELS[a] == 1 && LABELS[n] == 0) {
                    pairs++;
                    wins += scores[a] > scores[n] ? 1 : scores[a] == scores[n] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }

    @Test
    void aucOverGeneratedClipsIsTheOneComputedWindowByWindow() throws Exception {
        double[] scores = clipScores(model("ad01_fp32.tflite"));
        double auc = pairwiseAuc(scores);
        // the noisy normal clip scores above the real anomalous tail: the AUC is neither 0 nor 1
        assertThat(auc).isStrictlyBetween(0.0, 1.0);

        CliRunner r = CliRunner.run(
                "evaluate", model("ad01_fp32.tflite").toString(), "--data", csv.toString(), "--metric", "auc");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("Data:       ad_labels.csv (684 windows of 4 clips: 2 normal, 2 anomalous)")
                .contains(String.format(Locale.ROOT, "AUC:        %.4f (ROC over clips;", auc));

        CliRunner j = CliRunner.run(
                "evaluate",
                model("ad01_fp32.tflite").toString(),
                "--data",
                clips.toString(),
                "--labels",
                csv.toString(),
                "--metric",
                "auc",
                "--json");
        assertThat(j.exitCode()).as(j.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(j.out());
        assertThat(json.get("metric").asText()).isEqualTo("auc");
        assertThat(json.get("value").asDouble()).isEqualTo(auc);
        assertThat(json.get("samples").asInt()).isEqualTo(196 * 3 + 96);
        for (int c = 0; c < 4; c++) {
            JsonNode clip = json.get("clip_scores").get(c);
            assertThat(clip.get("label").asInt()).isEqualTo(LABELS[c]);
            assertThat(clip.get("score").asDouble()).isCloseTo(scores[c], within(1e-9 * scores[c]));
        }
    }

    /**
     * The default metric of an autoencoder is the mean window MSE: 9.707 for the float model on the real clip's 196
     * windows (as the fixture's manifest says), and MAE on request.
     */
    @Test
    void meanWindowMseIsTheDefaultForAnAutoencoder() throws Exception {
        CliRunner r = CliRunner.run(
                "evaluate", model("ad01_fp32.tflite").toString(), "--data", csv.toString(), "--limit", "196", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("metric").asText()).isEqualTo("mse");
        assertThat(json.get("value").asDouble()).isCloseTo(9.707, within(0.001));
        assertThat(json.get("auc").isNull()).isTrue();
        assertThat(json.get("value").asDouble()).isCloseTo(clipScores(model("ad01_fp32.tflite"))[0], within(1e-9));
        CliRunner mae = CliRunner.run(
                "evaluate",
                model("ad01_fp32.tflite").toString(),
                "--data",
                csv.toString(),
                "--limit",
                "196",
                "--metric",
                "mae");
        assertThat(mae.exitCode()).as(mae.err()).isZero();
        assertThat(mae.out()).contains("Window MAE: ").doesNotContain("AUC:");
    }

    /** {@code --compare}: the AUC of both models (as {@code evaluate} reports each alone) and saturation per layer. */
    @Test
    void compareReportsTheAucOfBothModelsAndSaturationPerLayer() throws Exception {
        CliRunner alone = CliRunner.run(
                "evaluate",
                model("ad01_int8.tflite").toString(),
                "--data",
                csv.toString(),
                "--metric",
                "auc",
                "--json");
        assertThat(alone.exitCode()).as(alone.err()).isZero();
        double int8Auc = new ObjectMapper().readTree(alone.out()).get("auc").asDouble();

        CliRunner r = CliRunner.run(
                "evaluate",
                model("ad01_fp32.tflite").toString(),
                "--compare",
                model("ad01_int8.tflite").toString(),
                "--data",
                csv.toString(),
                "--metric",
                "auc",
                "--layer-samples",
                "10",
                "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        double floatAuc = pairwiseAuc(clipScores(model("ad01_fp32.tflite")));
        assertThat(json.at("/float/auc").asDouble()).isEqualTo(floatAuc);
        assertThat(json.at("/quantized/auc").asDouble()).isEqualTo(int8Auc);
        assertThat(json.get("auc_drop").asDouble()).isEqualTo(floatAuc - int8Auc);
        assertThat(json.get("layers"))
                .isNotEmpty()
                .allSatisfy(l -> assertThat(l.get("saturation").asDouble()).isBetween(0.0, 1.0));

        CliRunner text = CliRunner.run(
                "evaluate",
                model("ad01_fp32.tflite").toString(),
                "--compare",
                model("ad01_int8.tflite").toString(),
                "--data",
                csv.toString(),
                "--limit",
                "20",
                "--layer-samples",
                "5");
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("mean window MSE").contains("saturated").doesNotContain("accuracy");
    }

    @Test
    void badMetricsAndBadClipsAreRefusedInOneLine() throws IOException {
        Path fp32 = model("ad01_fp32.tflite");
        assertOneLineError(
                CliRunner.run("evaluate", fp32.toString(), "--data", csv.toString(), "--metric", "f1"),
                "quanta: unknown metric 'f1'; expected auc, mse, mae or topk");
        // the real clip alone: one label, no AUC
        assertOneLineError(
                CliRunner.run(
                        "evaluate", fp32.toString(), "--data", csv.toString(), "--limit", "196", "--metric", "auc"),
                "ad_labels.csv: metric auc needs clips labelled 0 (normal) and 1 (anomalous); found 1 normal and 0 "
                        + "anomalous");
        Path dir = Files.createTempDirectory(clips, "bad");
        Files.write(dir.resolve("short.bin"), new byte[1000]);
        Files.writeString(dir.resolve("y_labels.csv"), "short.bin,2,0,2560,512\n");
        assertOneLineError(
                CliRunner.run("evaluate", fp32.toString(), "--data", dir.toString(), "--metric", "auc"),
                "short.bin: line 1 of y_labels.csv: 1000 bytes, shorter than one window: window 0 ends at byte offset "
                        + "2560");
        Files.writeString(dir.resolve("y_labels.csv"), "short.bin,2,0,2560,512\nmissing.bin,2,1,2560,512\n");
        Files.write(dir.resolve("short.bin"), new byte[2560]);
        assertOneLineError(
                CliRunner.run("evaluate", fp32.toString(), "--data", dir.toString()),
                "y_labels.csv: line 2: clip file 'missing.bin' not found in " + dir);
        Files.writeString(dir.resolve("y_labels.csv"), "short.bin,2,0,2560,x512\n");
        assertOneLineError(
                CliRunner.run("evaluate", fp32.toString(), "--data", dir.toString()),
                "y_labels.csv: line 1: stride_bytes 'x512' is not an integer");
        // windows of 320 floats do not fit the model's 640
        Files.writeString(dir.resolve("y_labels.csv"), "short.bin,2,0,1280,512\n");
        assertOneLineError(
                CliRunner.run("evaluate", fp32.toString(), "--data", dir.toString()),
                "y_labels.csv: line 1: windows of 1280 bytes hold 320 float32 values, but samples of shape 640 (the "
                        + "model's input or the given sample shape) have 640");
    }
}
