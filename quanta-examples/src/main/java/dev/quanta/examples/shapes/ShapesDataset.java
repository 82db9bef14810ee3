package dev.quanta.examples.shapes;

import java.util.SplittableRandom;

/**
 * A seeded generator of synthetic, labelled 16×16 grey images (uint8 with {@value #LEVELS} grey levels 0, 17, 34,
 * … 255) of four classes:
 *
 * <ol start="0">
 *   <li>{@code horizontal}: stripes that run left to right (intensity varies along y);
 *   <li>{@code vertical}: stripes that run top to bottom (intensity varies along x);
 *   <li>{@code diagonal}: stripes at ±45°;
 *   <li>{@code disc}: a filled, possibly elliptical disc on a plain background.
 * </ol>
 *
 * Every image draws its own period, phase, angle jitter (±{@value #ANGLE_JITTER_DEGREES}°), position, size,
 * polarity, background level, contrast and noise level; stripes are sometimes sine waves and sometimes square
 * waves, sometimes confined to a window, and discs sometimes carry faint stripes. The angle ranges of neighbouring
 * stripe classes almost meet (a 3° gap at 67.5°), and noise, low contrast and short windows blur the rest, so the
 * task is hard enough that a small CNN does not reach 100% (the demo model gets about 97%).
 *
 * <p>Sample {@code i} of a seed depends only on {@code (seed, i)}, so the first {@code n} samples of a larger set
 * are the same as a set of {@code n}. Labels are balanced: every aligned block of four samples holds each class
 * once, in a random order. The only transcendental functions used are {@link StrictMath}'s, and noise is a sum
 * of uniforms (not {@code nextGaussian}), so the bytes are the same on every JVM.
 */
public final class ShapesDataset {
    /** Image height and width. */
    public static final int SIZE = 16;
    /** Pixels per image. */
    public static final int PIXELS = SIZE * SIZE;
    /** Number of classes. */
    public static final int CLASSES = 4;
    /** Class names, by label. */
    public static final java.util.List<String> CLASS_NAMES =
            java.util.List.of("horizontal", "vertical", "diagonal", "disc");
    /** Maximum deviation of the stripe direction from its class's nominal angle. */
    public static final int ANGLE_JITTER_DEGREES = 21;

    /** Grey levels used (0, 17, 34, … 255): fewer levels keep the shipped files small. */
    public static final int LEVELS = 16;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /**
     * A generated set: {@code images} holds {@code count × 256} bytes (row-major, one byte per pixel, read as
     * unsigned), {@code labels} one class index per image. The arrays are shared, not copied.
     */
    public record Samples(byte[] images, int[] labels) {
        public int count() {
            return labels.length;
        }

        /** Pixel {@code p} (0..255) of image {@code i}, as an unsigned value. */
        public int pixel(int i, int p) {
            return images[i * PIXELS + p] & 0xFF;
        }

        /** All pixels scaled to [0, 1] (value / 255), as the model's input expects. */
        public float[] scaledPixels() {
            float[] x = new float[images.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = (images[i] & 0xFF) / 255f;
            }
            return x;
        }
    }

    private ShapesDataset() {}

    /** Generates samples {@code 0..count-1} of {@code seed}. */
    public static Samples generate(long seed, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be non-negative, got " + count);
        }
        byte[] images = new byte[count * PIXELS];
        int[] labels = new int[count];
        double[] pixels = new double[PIXELS];
        for (int i = 0; i < count; i++) {
            labels[i] = label(seed, i);
            render(labels[i], new SplittableRandom(mix(seed, 2L * i + 1)), pixels);
            for (int p = 0; p < PIXELS; p++) {
                images[i * PIXELS + p] = (byte) toByte(pixels[p]);
            }
        }
        return new Samples(images, labels);
    }

    /** The label of sample {@code i}: position {@code i % 4} of a seeded permutation of the classes. */
    static int label(long seed, int i) {
        SplittableRandom r = new SplittableRandom(mix(seed, 2L * (i / CLASSES)));
        int[] perm = {0, 1, 2, 3};
        for (int k = CLASSES - 1; k > 0; k--) {
            int j = r.nextInt(k + 1);
            int t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        return perm[i % CLASSES];
    }

    /** Renders one image of class {@code label} into {@code out} (values nominally in [0, 1]). */
    static void render(int label, SplittableRandom r, double[] out) {
        double background = uniform(r, 0.2, 0.8);
        double contrast = uniform(r, 0.25, 0.8) * (r.nextBoolean() ? 1 : -1);
        double noise = uniform(r, 0.02, 0.2);
        double[] pattern = new double[PIXELS];
        if (label == 3) {
            disc(r, pattern);
        } else {
            double nominal = switch (label) {
                case 0 -> 90.0; // intensity varies along y: horizontal stripes
                case 1 -> 0.0; // intensity varies along x: vertical stripes
                default -> r.nextBoolean() ? 45.0 : 135.0;
            };
            double degrees = nominal + uniform(r, -ANGLE_JITTER_DEGREES, ANGLE_JITTER_DEGREES);
            stripes(r, degrees, pattern);
            if (r.nextInt(4) == 0) {
                window(r, pattern);
            }
        }
        for (int p = 0; p < PIXELS; p++) {
            double n = (r.nextDouble() + r.nextDouble() + r.nextDouble() - 1.5) * 2.0; // mean 0, sd 1
            out[p] = background + contrast * (pattern[p] - 0.5) + noise * n;
        }
    }

    /** Stripes in [0, 1] whose intensity varies along direction {@code degrees} (0 = along x). */
    private static void stripes(SplittableRandom r, double degrees, double[] pattern) {
        double theta = StrictMath.toRadians(degrees);
        double dx = StrictMath.cos(theta);
        double dy = StrictMath.sin(theta);
        double period = uniform(r, 3.0, 7.0);
        double phase = uniform(r, 0, 2 * StrictMath.PI);
        boolean square = r.nextInt(3) == 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double s = StrictMath.sin(2 * StrictMath.PI * (x * dx + y * dy) / period + phase);
                pattern[y * SIZE + x] = square ? (s >= 0 ? 1.0 : 0.0) : 0.5 + 0.5 * s;
            }
        }
    }

    /** Keeps the stripes only inside a random rectangle of at least 8×8 pixels; mid-grey elsewhere. */
    private static void window(SplittableRandom r, double[] pattern) {
        int h = 8 + r.nextInt(SIZE - 8 + 1);
        int w = 8 + r.nextInt(SIZE - 8 + 1);
        int y0 = r.nextInt(SIZE - h + 1);
        int x0 = r.nextInt(SIZE - w + 1);
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                if (y < y0 || y >= y0 + h || x < x0 || x >= x0 + w) {
                    pattern[y * SIZE + x] = 0.5;
                }
            }
        }
    }

    /** A filled ellipse with a one-pixel soft edge, 1 inside and 0 outside; sometimes with faint stripes. */
    private static void disc(SplittableRandom r, double[] pattern) {
        double cx = uniform(r, 4.0, 11.0);
        double cy = uniform(r, 4.0, 11.0);
        double ra = uniform(r, 2.5, 6.0);
        double rb = ra * uniform(r, 0.7, 1.0);
        double theta = uniform(r, 0, StrictMath.PI);
        double c = StrictMath.cos(theta);
        double s = StrictMath.sin(theta);
        double[] faint = null;
        if (r.nextInt(4) == 0) {
            faint = new double[PIXELS];
            stripes(r, uniform(r, 0, 180), faint);
        }
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double u = (x - cx) * c + (y - cy) * s;
                double v = -(x - cx) * s + (y - cy) * c;
                double d = StrictMath.sqrt((u / ra) * (u / ra) + (v / rb) * (v / rb)); // 1 on the edge
                double edge = (d - 1.0) * StrictMath.min(ra, rb); // ≈ signed pixel distance to the edge
                double inside = edge <= -0.5 ? 1.0 : edge >= 0.5 ? 0.0 : 0.5 - edge;
                double value = inside;
                if (faint != null) {
                    value = 0.8 * inside + 0.2 * faint[y * SIZE + x];
                }
                pattern[y * SIZE + x] = value;
            }
        }
    }

    private static double uniform(SplittableRandom r, double lo, double hi) {
        return lo + (hi - lo) * r.nextDouble();
    }

    private static int toByte(double v) {
        long q = StrictMath.round(v * (LEVELS - 1));
        return (int) (q < 0 ? 0 : q > LEVELS - 1 ? LEVELS - 1 : q) * (255 / (LEVELS - 1));
    }

    /** A 64-bit mix of the seed and a stream index (SplitMix64's finalizer), used to seed one sample. */
    static long mix(long seed, long stream) {
        long z = seed + GOLDEN * (stream + 1);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
