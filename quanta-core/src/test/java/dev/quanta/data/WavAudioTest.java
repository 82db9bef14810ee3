package dev.quanta.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The WAV reader: real 16 kHz clips, files written here (extra chunks, stereo), and every malformed case. */
class WavAudioTest {
    @TempDir
    Path tmp;

    @Test
    @UsesFixtures
    void readsTheMicroSpeechClips() {
        WavAudio yes = WavAudio.read(Fixtures.require("tflite-micro/micro_speech/testdata/yes_1000ms.wav"));
        assertThat(yes.sampleRate()).isEqualTo(16000);
        assertThat(yes.channels()).isEqualTo(1);
        assertThat(yes.frames()).isEqualTo(16000); // 32044-byte file: 44-byte header + 16000 samples
        WavAudio short30 = WavAudio.read(Fixtures.require("tflite-micro/micro_speech/testdata/no_30ms.wav"));
        assertThat(short30.frames()).isEqualTo(480);
    }

    /** A RIFF file with the given chunks (id, body), padded to even lengths as RIFF requires. */
    private static byte[] riff(Object... chunks) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WAVE".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (int i = 0; i < chunks.length; i += 2) {
            byte[] data = (byte[]) chunks[i + 1];
            body.writeBytes(((String) chunks[i]).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            body.writeBytes(le32(data.length));
            body.writeBytes(data);
            if (data.length % 2 == 1) {
                body.write(0);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("RIFF".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.writeBytes(le32(body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static byte[] le32(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }

    private static byte[] fmt(int format, int channels, int rate, int bits) {
        return ByteBuffer.allocate(16)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putShort((short) format)
                .putShort((short) channels)
                .putInt(rate)
                .putInt(rate * channels * bits / 8)
                .putShort((short) (channels * bits / 8))
                .putShort((short) bits)
                .array();
    }

    private static byte[] samples(short... s) {
        ByteBuffer b = ByteBuffer.allocate(2 * s.length).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : s) {
            b.putShort(v);
        }
        return b.array();
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    @Test
    void skipsOtherChunksAndKeepsChannelsInterleaved() throws Exception {
        Path p = write(
                "stereo.wav",
                riff(
                        "fmt ",
                        fmt(1, 2, 8000, 16),
                        "LIST",
                        new byte[] {1, 2, 3},
                        "data",
                        samples((short) 1, (short) -2, (short) 32767, (short) -32768)));
        WavAudio a = WavAudio.read(p);
        assertThat(a.sampleRate()).isEqualTo(8000);
        assertThat(a.channels()).isEqualTo(2);
        assertThat(a.frames()).isEqualTo(2);
        assertThat(a.samples()).containsExactly(1, -2, 32767, -32768);
    }

    @Test
    void malformedFilesFailWithOneLineNamingTheFileAndTheProblem() throws Exception {
        Object[][] cases = {
            {"not RIFF", "hello world, not a wav".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "not a WAV file"
            },
            {"8-bit", riff("fmt ", fmt(1, 1, 16000, 8), "data", new byte[] {1, 2}), "only 16-bit PCM"},
            {"float", riff("fmt ", fmt(3, 1, 16000, 32), "data", new byte[8]), "only 16-bit PCM"},
            {"data first", riff("data", samples((short) 1), "fmt ", fmt(1, 1, 16000, 16)), "before the fmt chunk"},
            {"short fmt", riff("fmt ", new byte[10], "data", samples((short) 1)), "less than 16"},
            {"no data", riff("fmt ", fmt(1, 1, 16000, 16)), "no data chunk"},
            {"odd frames", riff("fmt ", fmt(1, 2, 16000, 16), "data", samples((short) 1)), "not a whole number"},
        };
        for (Object[] c : cases) {
            Path p = write(((String) c[0]).replace(' ', '_') + ".wav", (byte[]) c[1]);
            assertThatThrownBy(() -> WavAudio.read(p))
                    .as((String) c[0])
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining(p.toString())
                    .hasMessageContaining((String) c[2])
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
        }
        byte[] good = riff("fmt ", fmt(1, 1, 16000, 16), "data", samples((short) 1, (short) 2, (short) 3));
        Path truncated = write("truncated.wav", java.util.Arrays.copyOf(good, good.length - 3));
        assertThatThrownBy(() -> WavAudio.read(truncated))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("chunk 'data' at offset 36 claims 6 bytes");
        assertThatThrownBy(() -> WavAudio.read(tmp.resolve("missing.wav")))
                .isInstanceOf(QuantaException.class)
                .hasMessageContaining("no such file");
    }
}
