package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quanta demo} runs on the example the CLI ships as resources (made by the quanta-examples module). */
class DemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void runsTheWholeWorkflowOnTheShippedExampleAndKeepsItsFiles() throws IOException {
        Path dir = tmp.resolve("demo");
        CliRunner r = CliRunner.run("demo", "--output-dir", dir.toString(), "--runs", "1");
        assertThat(r.exitCode()).as(r.err()).isZero();
        assertThat(r.out())
                .contains("== 1. summary")
                .contains("Total params: 9,604")
                .containsPattern("float32 Keras \\(\\.h5\\)\\s+45,034 B\\s+97\\.30% \\(973\\)")
                .contains("== 4. benchmark")
                .contains("Files are in " + dir);
        List<String> shipped = List.of(
                DemoCommand.MODEL,
                DemoCommand.TEST_IMAGES,
                DemoCommand.TEST_LABELS,
                DemoCommand.TRAIN_IMAGES,
                DemoCommand.TRAIN_LABELS);
        for (String name : shipped) {
            try (InputStream in = DemoCommand.class.getResourceAsStream(DemoCommand.RESOURCES + name)) {
                assertThat(in).as(name).isNotNull();
                assertThat(Files.readAllBytes(dir.resolve(name))).as(name).isEqualTo(in.readAllBytes());
            }
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tflite")))
                    .containsExactlyInAnyOrder(
                            "shapes_cnn_int8_symmetric_per_channel.tflite",
                            "shapes_cnn_uint8_asymmetric_per_tensor.tflite",
                            "shapes_cnn_dynamic_range_int8.tflite",
                            "shapes_cnn_float16.tflite");
        }
    }
}
