package dev.quanta.keras;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.testing.Fixtures;
import dev.quanta.testing.HostileFiles;
import dev.quanta.testing.HostileFiles.ZipItem;
import dev.quanta.testing.UsesFixtures;
import io.jhdf.HdfFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model configs are capped at {@link KerasImporter#MAX_CONFIG_BYTES} (issue 8, finding 9): a larger {@code
 * config.json} / {@code metadata.json} entry, model JSON file or HDF5 config attribute is refused quickly, with one
 * line naming the entry and its size, before it is read.
 */
class KerasConfigSizeTest {
    private static final long HUGE = 1_500_000_000L;

    @TempDir
    Path tmp;

    /** A deflated config.json of "{", 1.5 GB of spaces and "}": about 1.5 MB on disk. */
    private static HostileFiles.Deflated hugeConfig() {
        return HostileFiles.deflate(
                "{".getBytes(StandardCharsets.US_ASCII), ' ', HUGE, "}".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void hugeConfigJsonInAKerasArchiveIsRefusedBeforeItIsInflated() {
        Path keras = HostileFiles.zip(
                tmp.resolve("huge.keras"),
                ZipItem.deflated("config.json", hugeConfig()),
                ZipItem.stored("metadata.json", "{}".getBytes(StandardCharsets.US_ASCII)));
        assertThat(keras.toFile().length()).isLessThan(2_000_000);
        assertThat(HostileFiles.refusal(() -> KerasImporter.load(keras)))
                .hasMessage(keras + ": config.json in the archive "
                        + "is 1.4 GiB (1,500,000,002 bytes), more than the 64.0 MiB (67,108,864 bytes) a Keras "
                        + "model config "
                        + "may have");
    }

    @Test
    void configEntryThatInflatesBeyondItsDeclaredSizeIsCutOffAtTheCap() {
        Path keras = HostileFiles.zip(
                tmp.resolve("lying.keras"),
                ZipItem.stored("config.json", "{}".getBytes(StandardCharsets.US_ASCII)),
                ZipItem.deflated("metadata.json", hugeConfig()).declaring(100));
        assertThat(HostileFiles.refusal(() -> KerasImporter.load(keras)))
                .hasMessage(keras + ": metadata.json in the "
                        + "archive inflates to more than the 64.0 MiB (67,108,864 bytes) a Keras model config "
                        + "may have (it "
                        + "declares 100 bytes)");
    }

    @Test
    @UsesFixtures
    void modelJsonFileLargerThanTheCapIsRefusedUnread() throws IOException {
        Path json = tmp.resolve("model.json");
        try (RandomAccessFile f = new RandomAccessFile(json.toFile(), "rw")) {
            f.write('{');
            f.setLength(KerasImporter.MAX_CONFIG_BYTES + 1); // sparse: cheap to make
        }
        Path weights = Fixtures.require("fashion-mnist/keras_lenet/mnist_weights_only.h5");
        assertThat(HostileFiles.refusal(() -> KerasImporter.load(json, weights)))
                .hasMessage(json + ": the model JSON is "
                        + "64.0 MiB (67,108,865 bytes), more than the 64.0 MiB (67,108,864 bytes) a Keras model "
                        + "config may "
                        + "have");
    }

    @Test
    @UsesFixtures
    void hdf5ConfigAttributeLargerThanTheCapIsRefused() throws IOException {
        Path h5 = Fixtures.require("mnist/keras_mlp/mnist.h5");
        long size = Files.size(h5);
        try (Hdf5 file = Hdf5.open(h5, size)) {
            HdfFile root = file.root();
            String config = file.stringAttribute(root, "model_config", KerasImporter.MAX_CONFIG_BYTES);
            assertThat(config).startsWith("{").contains("Sequential");
            long cap = config.length() - 1;
            assertThat(HostileFiles.refusal(() -> file.stringAttribute(root, "model_config", cap))
                            .getMessage())
                    .startsWith(h5 + ": attribute 'model_config' of the root group is ")
                    .endsWith(", more than the " + KerasImporter.size(cap) + " a Keras model config may have");
        }
    }
}
