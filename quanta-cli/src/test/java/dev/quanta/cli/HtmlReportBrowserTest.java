package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.keras.KerasH5Writer;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.SensitiveModels;
import dev.quanta.testing.UsesFixtures;
import dev.quanta.tflite.TfliteWriter;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The HTML reports of {@code evaluate --compare}, {@code quantize} and {@code sensitivity} opened in a real
 * browser: Debian's chromium (headless) through chromedriver. Each page loads with no SEVERE console entry, each chart has one bar per layer
 * or display bin, and the numbers the CLI printed are on the page; a screenshot of each is kept in
 * {@code target/report-screenshots}. A missing browser fails the class (never a skip), naming the packages to install.
 */
class HtmlReportBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target", "report-screenshots");

    private static ChromeDriver driver;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startBrowser() {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("no " + CHROMIUM + " or " + CHROMEDRIVER
                    + ": install them with apt-get install chromium chromium-driver (.ci/run does)");
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1100,1600");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        driver = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stopBrowser() {
        if (driver != null) {
            driver.quit();
        }
    }

    /** Opens {@code page}, asserts an empty SEVERE console and keeps a screenshot named {@code name}.png. */
    private static void open(Path page, String name) throws IOException {
        driver.get(page.toUri().toString());
        List<LogEntry> severe = severeLogs();
        assertThat(severe).as("SEVERE console entries of " + name).isEmpty();
        Files.createDirectories(SCREENSHOTS);
        Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
    }

    private static List<LogEntry> severeLogs() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .toList();
    }

    private static int count(String css) {
        return driver.findElements(By.cssSelector(css)).size();
    }

    /** The console check can fail: a page whose inline script the report's policy blocks logs a SEVERE entry. */
    @Test
    void consoleCheckSeesABlockedScript() throws IOException {
        Path page = tmp.resolve("blocked.html");
        String html = new dev.quanta.report.HtmlPage("t").render().replace("</body>", "<script>1</script></body>");
        Files.writeString(page, html, StandardCharsets.UTF_8);
        driver.get(page.toUri().toString());
        assertThat(severeLogs()).isNotEmpty();
    }

    /** IDX ubyte images [n, 8, 8] and labels 0..2, seeded. */
    private static void writeIdx(Path images, Path labels, int n) throws IOException {
        SplittableRandom r = new SplittableRandom(11);
        ByteArrayOutputStream bi = new ByteArrayOutputStream();
        DataOutputStream di = new DataOutputStream(bi);
        di.writeInt(0x0803);
        di.writeInt(n);
        di.writeInt(8);
        di.writeInt(8);
        for (int i = 0; i < n * 64; i++) {
            di.writeByte(r.nextInt(256));
        }
        Files.write(images, bi.toByteArray());
        ByteArrayOutputStream bl = new ByteArrayOutputStream();
        DataOutputStream dl = new DataOutputStream(bl);
        dl.writeInt(0x0801);
        dl.writeInt(n);
        for (int i = 0; i < n; i++) {
            dl.writeByte(i % 3);
        }
        Files.write(labels, bl.toByteArray());
    }

    @Test
    void compareReportOfAGeneratedModel() throws IOException {
        Path model = tmp.resolve("tiny <b>.h5");
        KerasH5Writer.write(CliTestModels.relu6AfterPool(), model);
        Path images = tmp.resolve("images-idx3-ubyte");
        Path labels = tmp.resolve("labels-idx1-ubyte");
        writeIdx(images, labels, 64);
        Path int8 = tmp.resolve("tiny_int8.tflite");
        CliRunner q = CliRunner.quantize(model, int8, "--calibration", images.toString(), "--scale", "1/255");
        assertThat(q.exitCode()).as(q.err()).isZero();
        Path report = tmp.resolve("compare.html");
        String[] data = {"--data", images.toString(), "--labels", labels.toString(), "--scale", "1/255"};
        CliRunner e = CliRunner.run(CliRunner.args(
                new String[] {
                    "evaluate", model.toString(), "--compare", int8.toString(), "--json", "--report", report.toString()
                },
                data));
        assertThat(e.exitCode()).as(e.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(e.out());
        int layers = json.get("layers").size();
        assertThat(layers).isGreaterThanOrEqualTo(4);

        open(report, "compare-generated");
        assertThat(driver.getTitle()).isEqualTo("Quanta: tiny <b>.h5 against tiny_int8.tflite");
        assertThat(count("#sqnr svg .bar")).isEqualTo(layers);
        assertThat(count("#sqnr svg .bar.worst")).isEqualTo(1);
        assertThat(count("#layers tbody tr")).isEqualTo(layers);
        String summary = driver.findElement(By.id("summary")).getText();
        assertThat(summary)
                .contains(pct(json.get("float").get("accuracy").asDouble()))
                .contains(pct(json.get("quantized").get("accuracy").asDouble()))
                .contains(String.format(
                        Locale.ROOT, "%,d", json.get("quantized_file_bytes").asLong()))
                .contains("latency p50");
        // the worst bar is the first table row's layer, with its SQNR
        JsonNode worst = json.get("layers").get(0);
        WebElement bar = driver.findElement(By.cssSelector("#sqnr svg .bar.worst"));
        assertThat(bar.findElement(By.tagName("title")).getAttribute("textContent"))
                .isEqualTo(worst.get("layer").asText() + ": "
                        + String.format(
                                Locale.ROOT, "%.2f dB", worst.get("sqnr_db").asDouble()));
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    @Test
    @UsesFixtures
    void quantizeReportOfTheImageClassifier() throws IOException {
        Path h5 = Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5");
        Path samples = Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5");
        Path out = tmp.resolve("ic_int8.tflite");
        Path report = tmp.resolve("quantize.html");
        CliRunner r = CliRunner.quantize(
                h5,
                out,
                "--calibration",
                samples.toString(),
                "--sample-type",
                "uint8",
                "--sample-shape",
                "32,32,3",
                "--samples",
                "8",
                "--json",
                "--report",
                report.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        int tensors = json.get("activations").size();
        assertThat(tensors).isGreaterThan(10);

        open(report, "quantize-ic-int8");
        assertThat(driver.getTitle()).isEqualTo("Quanta: pretrainedResnet.h5 quantized to ic_int8.tflite");
        // one histogram per calibrated tensor (min/max: collected for the report), each of the same bar count
        assertThat(count("#activations svg.histogram")).isEqualTo(tensors);
        assertThat(count("#activations svg .bar")).isEqualTo(tensors * dev.quanta.report.HistogramChart.BARS);
        assertThat(count("#activations svg .clip")).isEqualTo(2 * tensors);
        assertThat(count("#layers tbody tr")).isEqualTo(json.get("layers").size());
        String settings = driver.findElement(By.id("settings")).getText();
        assertThat(settings)
                .contains("minmax on 8 samples")
                .contains(String.format(
                        Locale.ROOT,
                        "%,d B -> %,d B",
                        json.get("input_file_bytes").asLong(),
                        json.get("output_file_bytes").asLong()));
        // the page's ranges are the calibration's
        JsonNode first = json.get("activations").get(0);
        assertThat(driver.findElement(By.cssSelector("#activations table.ranges tbody tr"))
                        .getText())
                .startsWith(first.get("tensor").asText())
                .contains(String.format(
                        Locale.ROOT,
                        "[%.6g, %.6g]",
                        first.get("chosen_min").asDouble(),
                        first.get("chosen_max").asDouble()));
    }

    /** The sensitivity report of {@link SensitiveModels#outlierNet}: one bar per layer, "outlier" first in red. */
    @Test
    void sensitivityReportOfTheOutlierModel() throws IOException {
        Model m = SensitiveModels.outlierNet();
        Path model = tmp.resolve("outlier.tflite");
        TfliteWriter.write(m, model);
        Dataset d = SensitiveModels.data(m, 264, 4);
        Path samples = tmp.resolve("x.npy");
        Path labels = tmp.resolve("y.npy");
        Files.write(samples, SensitiveModels.samplesNpy(d));
        Files.write(labels, SensitiveModels.labelsNpy(d));
        Path report = tmp.resolve("sensitivity.html");
        CliRunner r = CliRunner.run(
                "sensitivity",
                model.toString(),
                "--calibration",
                samples.toString(),
                "--data",
                samples.toString(),
                "--labels",
                labels.toString(),
                "--samples",
                "64",
                "--skip",
                "64",
                "--granularity",
                "per-tensor",
                "--json",
                "--report",
                report.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        int layers = json.get("layers").size();
        assertThat(layers).isEqualTo(4);

        open(report, "sensitivity-outlier");
        assertThat(driver.getTitle()).isEqualTo("Quanta: sensitivity of outlier.tflite");
        assertThat(count("#recovered svg .bar")).isEqualTo(layers);
        assertThat(count("#recovered svg .bar.worst")).isEqualTo(1);
        assertThat(count("#layers tbody tr")).isEqualTo(layers);
        JsonNode first = json.get("layers").get(0);
        assertThat(first.get("layer").asText()).isEqualTo("outlier");
        WebElement bar = driver.findElement(By.cssSelector("#recovered svg .bar.worst"));
        assertThat(bar.findElement(By.tagName("title")).getAttribute("textContent"))
                .isEqualTo(String.format(
                        Locale.ROOT, "outlier: %+.2f", first.get("recovered").asDouble()));
        assertThat(driver.findElement(By.id("summary")).getText())
                .contains(String.format(Locale.ROOT, "%.2f%%", json.get("float").asDouble()))
                .contains(String.format(
                        Locale.ROOT, "%.2f%%", json.get("quantized").asDouble()))
                .contains(String.format(
                        Locale.ROOT, "%+.2f", json.get("quantized_drop").asDouble()));
        // the bars are drawn: the worst one is wider than any other
        int worstWidth = bar.getSize().getWidth();
        for (WebElement other : driver.findElements(By.cssSelector("#recovered svg .bar:not(.worst)"))) {
            assertThat(other.getSize().getWidth()).isLessThan(worstWidth);
        }
        // --report is never an input
        byte[] before = Files.readAllBytes(labels);
        CliAssertions.assertOneLineError(
                CliRunner.run(
                        "sensitivity",
                        model.toString(),
                        "--calibration",
                        samples.toString(),
                        "--data",
                        samples.toString(),
                        "--labels",
                        labels.toString(),
                        "--skip",
                        "100",
                        "--report",
                        labels.toString()),
                "y.npy");
        assertThat(Files.readAllBytes(labels)).isEqualTo(before);
    }

    @Test
    void reportNeedsCompareAndIsNeverAnInput() throws IOException {
        Path model = tmp.resolve("tiny.h5");
        KerasH5Writer.write(CliTestModels.relu6AfterPool(), model);
        CliAssertions.assertOneLineError(
                CliRunner.run("evaluate", model.toString(), "--data", model.toString(), "--report", "r.html"),
                "--report needs --compare");
        byte[] before = Files.readAllBytes(model);
        CliRunner r = CliRunner.quantize(model, tmp.resolve("o.tflite"), "--report", model.toString());
        CliAssertions.assertOneLineError(r, "tiny.h5");
        assertThat(Files.readAllBytes(model)).isEqualTo(before);
        Path same = tmp.resolve("same.tflite");
        CliAssertions.assertOneLineError(
                CliRunner.quantize(model, same, "--report", same.toString()), "is the -o file");
        assertThat(same).doesNotExist();
    }
}
