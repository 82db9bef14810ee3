package dev.quanta.tflite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Real inputs of the fixture models, read straight from the fixture files. */
final class TfliteSamples {
    private TfliteSamples() {}

    /** A labelled sample: raw bytes of the file and its class. */
    record Sample(String name, byte[] bytes, int label) {}

    static byte[] bytes(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Samples of a folder with a {@code y_labels.csv} of lines {@code file,classes,label}; the first {@code n}. */
    static List<Sample> labelled(String folder, int n) {
        Path dir = Fixtures.require(folder);
        List<Sample> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("y_labels.csv"))) {
                if (out.size() == n) {
                    break;
                }
                String[] f = line.trim().split(",");
                if (f.length == 3) {
                    out.add(new Sample(f[0], Files.readAllBytes(dir.resolve(f[0])), Integer.parseInt(f[2])));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The 200 CIFAR-10 IC images (uint8 HWC RGB). */
    static List<Sample> icImages(int n) {
        List<Sample> s = labelled("mlperf-tiny/ic/perf_samples_v0.5", n);
        assertThat(s).allSatisfy(x -> assertThat(x.bytes()).hasSize(3072));
        return s;
    }

    /** Pixels 0..255 as floats, as the float IC model takes them. */
    static float[] pixels(byte[] image) {
        float[] f = new float[image.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = image[i] & 0xFF;
        }
        return f;
    }

    /** Pixels as int8 q = pixel − 128, as the int8 IC model takes them (scale 1, zero point −128). */
    static byte[] pixelsMinus128(byte[] image) {
        byte[] q = new byte[image.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) ((image[i] & 0xFF) - 128);
        }
        return q;
    }

    /** KWS MFCC features: 490 int8 bytes each, already quantized for kws_ref_model. */
    static List<Sample> kws(int n) {
        return labelled("mlperf-tiny/kws/kws01_mfcc", n);
    }

    /** {@code count} windows of 640 floats (stride 128 floats) of the AD normal_id_01 clip. */
    static float[][] adWindows(int count) {
        byte[] raw = bytes(Fixtures.require("mlperf-tiny/ad/normal_id_01_00000000_hist_librosa.bin"));
        float[] frames = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(frames);
        int windows = (frames.length - 640) / 128 + 1;
        float[][] out = new float[Math.min(count, windows)][640];
        for (int w = 0; w < out.length; w++) {
            System.arraycopy(frames, w * 128 * (windows / out.length), out[w], 0, 640);
        }
        return out;
    }

    /** Floats quantized with {@code scale} and {@code zeroPoint} to int8 (round half away from zero, clamped). */
    static byte[] quantize(float[] x, float scale, int zeroPoint) {
        byte[] q = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            long v = Math.round(x[i] / scale) + zeroPoint;
            q[i] = (byte) Math.max(-128, Math.min(127, v));
        }
        return q;
    }

    /** Seeded random int8 values. */
    static byte[] randomBytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /** A person_detection BMP's pixel bytes in top-down row order (they are the model's int8 input as they are). */
    static byte[] personBmp(String name) {
        byte[] bmp = bytes(Fixtures.require("tflite-micro/person_detection/" + name));
        ByteBuffer b = ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN);
        int offset = b.getInt(10);
        int width = b.getInt(18);
        int height = b.getInt(22);
        assertThat(width).isEqualTo(96);
        assertThat(Math.abs(height)).isEqualTo(96);
        byte[] out = new byte[96 * 96];
        for (int row = 0; row < 96; row++) {
            int src = height > 0 ? 95 - row : row; // positive height: rows stored bottom-up
            System.arraycopy(bmp, offset + src * 96, out, row * 96, 96);
        }
        return out;
    }
}
