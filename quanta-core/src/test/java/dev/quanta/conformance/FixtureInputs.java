package dev.quanta.conformance;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The inputs the suite feeds a fixture (see {@code shared/fixtures/MANIFEST.md}): the fixture's real data where it
 * has some, seeded random values otherwise. Each sample is one array per graph input, of the input's Java type
 * ({@code byte[]} for INT8/UINT8, {@code short[]} for INT16, {@code float[]} for FLOAT32).
 *
 * <ul>
 *   <li>IC ({@code mlperf-tiny/ic}): the first {@value #IC_SAMPLES} perf_samples_v0.5 images (uint8 HWC RGB);
 *       float models take the raw 0..255 pixels, int8 models pixel − 128;</li>
 *   <li>KWS: the first {@value #KWS_SAMPLES} kws01_mfcc {@code .bin} files; their bytes are the int8 input, the
 *       float model takes (q − 83) × 0.5847029;</li>
 *   <li>person_detect: person.bmp and no_person.bmp, pixel bytes in top-down order (already int8 input);</li>
 *   <li>mnist_lstm: the first {@value #MNIST_SAMPLES} MNIST test images, [1,28,28] pixel/255 (int8: pixel − 128);</li>
 *   <li>hello_world: {@value #HELLO_SAMPLES} points x evenly spaced over [0, 2π], quantized with the model's own
 *       input parameters for the int8 model;</li>
 *   <li>anything else (VWW, AD and ToyCar variants, SWW, micro_speech, MobileNetV2 and any new fixture): seeded
 *       random values — uniform bytes for integer inputs, uniform [0, 1) for VWW's float image, N(0, 2²) for
 *       other float inputs. MobileNetV2 gets only 2 samples (it is slow).</li>
 * </ul>
 */
final class FixtureInputs {
    static final int IC_SAMPLES = 20;
    static final int KWS_SAMPLES = 100;
    static final int MNIST_SAMPLES = 50;
    static final int HELLO_SAMPLES = 50;

    private FixtureInputs() {}

    /** What was fed and how many samples. */
    record Samples(String source, List<Object[]> inputs) {}

    static Samples forFixture(Path root, String rel, List<Tensor> inputs) {
        String r = rel.replace('\\', '/').toLowerCase(Locale.ROOT);
        try {
            if (inputs.size() == 1) {
                Tensor in = inputs.get(0);
                if (r.startsWith("mlperf-tiny/ic/")) {
                    return one("IC perf samples", icImages(root, IC_SAMPLES), p -> image(p, in));
                }
                if (r.startsWith("mlperf-tiny/kws/")) {
                    return one("KWS kws01_mfcc", kws(root, KWS_SAMPLES), q -> kwsInput(q, in));
                }
                if (r.contains("person_detect")) {
                    Path dir = root.resolve("tflite-micro/person_detection");
                    return one(
                            "person.bmp, no_person.bmp",
                            List.of(bmpTopDown(dir.resolve("person.bmp")), bmpTopDown(dir.resolve("no_person.bmp"))),
                            b -> b);
                }
                if (r.contains("mnist_lstm/")) {
                    return one("MNIST test images", mnist(root, MNIST_SAMPLES), p -> image(p, in));
                }
                if (r.contains("hello_world/")) {
                    List<Float> xs = new ArrayList<>();
                    for (int i = 0; i < HELLO_SAMPLES; i++) {
                        xs.add((float) (2 * Math.PI * i / (HELLO_SAMPLES - 1)));
                    }
                    return one("x in [0, 2pi]", xs, x -> real(new float[] {x}, in));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int n = r.contains("mobilenet") ? 2 : r.contains("/ad/") ? 20 : 10;
        Random rnd = new Random(r.hashCode());
        List<Object[]> out = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            Object[] sample = new Object[inputs.size()];
            for (int i = 0; i < sample.length; i++) {
                sample[i] = random(inputs.get(i), rnd, r.contains("vww"));
            }
            out.add(sample);
        }
        return new Samples("seeded random", out);
    }

    private static <T> Samples one(String source, List<T> items, java.util.function.Function<T, Object> f) {
        List<Object[]> out = new ArrayList<>();
        for (T item : items) {
            out.add(new Object[] {f.apply(item)});
        }
        return new Samples(source, out);
    }

    private static int length(Tensor t) {
        return Math.toIntExact(
                t.shape().isDynamic()
                        ? t.shape().withBatch(1).elementCount()
                        : t.shape().elementCount());
    }

    private static Object random(Tensor t, Random rnd, boolean unitInterval) {
        int n = length(t);
        return switch (t.dtype()) {
            case INT8, UINT8 -> {
                byte[] b = new byte[n];
                rnd.nextBytes(b);
                yield b;
            }
            case INT16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) {
                    s[i] = (short) rnd.nextInt();
                }
                yield s;
            }
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = unitInterval ? rnd.nextFloat() : (float) (2 * rnd.nextGaussian());
                }
                yield f;
            }
            default -> throw new IllegalStateException("no random input for " + t.dtype() + " input " + t.name());
        };
    }

    /** uint8 pixels as the model's input: raw 0..255 floats, or pixel − 128 for int8 (pixel for uint8). */
    private static Object image(byte[] pixels, Tensor in) {
        if (in.dtype() == DType.FLOAT32) {
            float[] f = new float[pixels.length];
            float div = in.shape().rank() == 3 ? 255f : 1f; // mnist_lstm [1,28,28] takes pixel/255
            for (int i = 0; i < f.length; i++) {
                f[i] = (pixels[i] & 0xFF) / div;
            }
            return f;
        }
        byte[] q = new byte[pixels.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (in.dtype() == DType.UINT8 ? pixels[i] : (pixels[i] & 0xFF) - 128);
        }
        return q;
    }

    private static Object kwsInput(byte[] q, Tensor in) {
        if (in.dtype() == DType.INT8) {
            return q;
        }
        float[] f = new float[q.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (q[i] - 83) * 0.5847029f;
        }
        return f;
    }

    /** Real values as the input's type: as they are for FLOAT32, quantized with its parameters otherwise. */
    private static Object real(float[] x, Tensor in) {
        if (in.dtype() == DType.FLOAT32) {
            return x;
        }
        QuantParams q = in.quant();
        byte[] out = new byte[x.length];
        int lo = in.dtype() == DType.UINT8 ? 0 : -128;
        for (int i = 0; i < x.length; i++) {
            long v = Math.round(x[i] / q.scale()) + q.zeroPoint();
            out[i] = (byte) Math.max(lo, Math.min(lo + 255, v));
        }
        return out;
    }

    static List<byte[]> icImages(Path root, int n) throws IOException {
        Path dir = root.resolve("mlperf-tiny/ic/perf_samples_v0.5");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> bins = files.filter(p -> p.toString().endsWith(".bin"))
                    .sorted()
                    .limit(n)
                    .toList();
            List<byte[]> out = new ArrayList<>();
            for (Path p : bins) {
                out.add(Files.readAllBytes(p));
            }
            return out;
        }
    }

    static List<byte[]> kws(Path root, int n) throws IOException {
        Path dir = root.resolve("mlperf-tiny/kws/kws01_mfcc");
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> bins = files.filter(p -> p.toString().endsWith(".bin"))
                    .sorted()
                    .limit(n)
                    .toList();
            List<byte[]> out = new ArrayList<>();
            for (Path p : bins) {
                out.add(Files.readAllBytes(p));
            }
            return out;
        }
    }

    static List<byte[]> mnist(Path root, int n) throws IOException {
        try (InputStream raw = Files.newInputStream(root.resolve("mnist/t10k-images-idx3-ubyte.gz"));
                DataInputStream in = new DataInputStream(new GZIPInputStream(raw))) {
            if (in.readInt() != 0x803) {
                throw new IOException("not an IDX3 image file");
            }
            int count = Math.min(n, in.readInt());
            int size = in.readInt() * in.readInt();
            List<byte[]> out = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                byte[] img = new byte[size];
                in.readFully(img);
                out.add(img);
            }
            return out;
        }
    }

    /** An 8-bit BMP's pixel bytes in top-down row order (BMP stores rows bottom-up unless the height is negative). */
    static byte[] bmpTopDown(Path file) throws IOException {
        byte[] bmp = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bmp).order(ByteOrder.LITTLE_ENDIAN);
        int offset = b.getInt(10);
        int width = b.getInt(18);
        int height = b.getInt(22);
        int bits = b.getShort(28);
        if (bits != 8) {
            throw new IOException(file + ": " + bits + "-bit BMP, expected 8");
        }
        int rows = Math.abs(height);
        int stride = (width + 3) & ~3;
        byte[] out = new byte[width * rows];
        for (int r = 0; r < rows; r++) {
            int src = height > 0 ? rows - 1 - r : r;
            System.arraycopy(bmp, offset + src * stride, out, r * width, width);
        }
        return out;
    }
}
