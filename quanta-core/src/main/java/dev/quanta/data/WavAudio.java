package dev.quanta.data;

import dev.quanta.QuantaException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A 16-bit PCM WAV file (RIFF/WAVE, format 1): its sample rate, channel count and interleaved samples. The reader
 * walks the RIFF chunks (skipping any it does not need), checks every length against the file, and names the file
 * and the offset of what is wrong.
 *
 * @param sampleRate samples per second per channel
 * @param channels number of interleaved channels
 * @param samples the interleaved samples (frame-major)
 */
public record WavAudio(int sampleRate, int channels, short[] samples) {

    /** Number of frames (samples per channel). */
    public int frames() {
        return samples.length / channels;
    }

    /**
     * Reads {@code file}.
     *
     * @throws QuantaException naming the file when it cannot be read or is not 16-bit PCM WAV
     */
    public static WavAudio read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw QuantaException.inFile(file, "no such file");
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e, e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 12 || b.getInt(0) != 0x46464952 || b.getInt(8) != 0x45564157) {
            throw QuantaException.inFile(file, "not a WAV file (no RIFF/WAVE header at offset 0)");
        }
        int format = -1;
        int channels = 0;
        int rate = 0;
        int bits = 0;
        int pos = 12;
        while (pos + 8 <= bytes.length) {
            int id = b.getInt(pos);
            long size = Integer.toUnsignedLong(b.getInt(pos + 4));
            int body = pos + 8;
            if (body + size > bytes.length) {
                throw QuantaException.inFile(
                        file,
                        "chunk '" + fourcc(id) + "' at offset " + pos + " claims " + size
                                + " bytes but the file ends after " + (bytes.length - body));
            }
            if (id == 0x20746D66) { // "fmt "
                if (size < 16) {
                    throw QuantaException.inFile(
                            file, "fmt chunk at offset " + pos + " is " + size + " bytes, less than 16");
                }
                format = b.getShort(body) & 0xFFFF;
                channels = b.getShort(body + 2) & 0xFFFF;
                rate = b.getInt(body + 4);
                bits = b.getShort(body + 14) & 0xFFFF;
            } else if (id == 0x61746164) { // "data"
                if (format != 1 || bits != 16 || channels < 1) {
                    throw QuantaException.inFile(
                            file,
                            format < 0
                                    ? "data chunk at offset " + pos + " comes before the fmt chunk"
                                    : "only 16-bit PCM is supported (format " + format + ", " + bits + " bits, "
                                            + channels + " channels)");
                }
                if (size % (2L * channels) != 0) {
                    throw QuantaException.inFile(
                            file,
                            "data chunk at offset " + pos + " holds " + size + " bytes, not a whole number of "
                                    + channels + "-channel 16-bit frames");
                }
                short[] samples = new short[(int) (size / 2)];
                b.position(body);
                b.asShortBuffer().get(samples);
                return new WavAudio(rate, channels, samples);
            }
            pos = Math.toIntExact(body + size + (size & 1));
        }
        throw QuantaException.inFile(file, "no data chunk");
    }

    private static String fourcc(int id) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            char c = (char) (id >> (8 * i) & 0xFF);
            sb.append(c >= 0x20 && c < 0x7F ? c : '?');
        }
        return sb.toString();
    }
}
