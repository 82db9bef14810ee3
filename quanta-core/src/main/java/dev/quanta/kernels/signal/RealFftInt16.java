package dev.quanta.kernels.signal;

/**
 * KISS FFT's 16-bit fixed-point real FFT ({@code kiss_fftr} built with {@code FIXED_POINT=16}), bit for bit, for
 * power-of-two lengths.
 *
 * <p>The n real inputs are read as n/2 complex values, transformed by a mixed-radix (4, then 2) decimation-in-time
 * complex FFT, and split into the n/2 + 1 bins of the real spectrum with the "super twiddles"
 * e^{−iπ(k/(n/2) + 1/2)}. Every butterfly stage first divides its inputs by the radix
 * ({@code x·⌊32767/p⌋ + 2^14 >> 15}), so the output is the DFT divided by n; products of Q15 values round with
 * {@code + 2^14 >> 15}; every value is stored to 16 bits (wrap-around), and twiddles are
 * {@code ⌊0.5 + 32767·cos/sin(phase)⌋}.
 */
final class RealFftInt16 {
    private final int n;
    private final int ncfft;
    private final short[] twRe;
    private final short[] twIm;
    private final short[] superRe;
    private final short[] superIm;
    private final int[] factors;
    // work buffers: the complex FFT's output
    private final short[] re;
    private final short[] im;

    /**
     * Sets up a real FFT of {@code n} points, a power of two of at least 4 (n = 2 would take KISS FFT's generic
     * radix-1 butterfly, which is not reproduced).
     */
    RealFftInt16(int n) {
        if (n < 4 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("FFT length " + n + " is not a power of two of at least 4");
        }
        this.n = n;
        this.ncfft = n / 2;
        twRe = new short[ncfft];
        twIm = new short[ncfft];
        for (int i = 0; i < ncfft; i++) {
            double phase = -2 * Math.PI * i / ncfft;
            twRe[i] = q15(Math.cos(phase));
            twIm[i] = q15(Math.sin(phase));
        }
        superRe = new short[ncfft / 2];
        superIm = new short[ncfft / 2];
        for (int i = 0; i < ncfft / 2; i++) {
            double phase = -Math.PI * ((double) (i + 1) / ncfft + .5);
            superRe[i] = q15(Math.cos(phase));
            superIm[i] = q15(Math.sin(phase));
        }
        factors = factor(ncfft);
        re = new short[ncfft];
        im = new short[ncfft];
    }

    int length() {
        return n;
    }

    private static short q15(double v) {
        return (short) Math.floor(.5 + 32767 * v);
    }

    /** KISS FFT's factorization: radix 4 while it divides, then 2 (p, m pairs; p·m = the previous m). */
    private static int[] factor(int n) {
        int[] out = new int[64];
        int k = 0;
        int p = 4;
        double floorSqrt = Math.floor(Math.sqrt(n));
        do {
            while (n % p != 0) {
                p = p == 4 ? 2 : p == 2 ? 3 : p + 2;
                if (p > floorSqrt) {
                    p = n;
                }
            }
            n /= p;
            out[k++] = p;
            out[k++] = n;
        } while (n > 1);
        return java.util.Arrays.copyOf(out, k);
    }

    /**
     * Transforms {@code n} real samples {@code x[from ..]} into {@code n/2 + 1} complex bins written as interleaved
     * (re, im) pairs to {@code out[to ..]}.
     */
    void forward(short[] x, int from, short[] out, int to) {
        work(0, x, from, 1, 0);
        short tdcR = fixDiv(re[0], 2);
        short tdcI = fixDiv(im[0], 2);
        out[to] = (short) (tdcR + tdcI);
        out[to + 1] = 0;
        out[to + 2 * ncfft] = (short) (tdcR - tdcI);
        out[to + 2 * ncfft + 1] = 0;
        for (int k = 1; k <= ncfft / 2; k++) {
            short fpkR = fixDiv(re[k], 2);
            short fpkI = fixDiv(im[k], 2);
            short fpnkR = fixDiv(re[ncfft - k], 2);
            short fpnkI = fixDiv((short) -im[ncfft - k], 2);
            short f1kR = (short) (fpkR + fpnkR);
            short f1kI = (short) (fpkI + fpnkI);
            short f2kR = (short) (fpkR - fpnkR);
            short f2kI = (short) (fpkI - fpnkI);
            short twR = mulRe(f2kR, f2kI, superRe[k - 1], superIm[k - 1]);
            short twI = mulIm(f2kR, f2kI, superRe[k - 1], superIm[k - 1]);
            out[to + 2 * k] = (short) ((f1kR + twR) >> 1);
            out[to + 2 * k + 1] = (short) ((f1kI + twI) >> 1);
            out[to + 2 * (ncfft - k)] = (short) ((f1kR - twR) >> 1);
            out[to + 2 * (ncfft - k) + 1] = (short) ((twI - f1kI) >> 1);
        }
    }

    /** {@code sround(smul(x, 32767 / div))}: x / div in Q15 with rounding. */
    private static short fixDiv(short x, int div) {
        return (short) ((x * (32767 / div) + (1 << 14)) >> 15);
    }

    private static short mulRe(short ar, short ai, short br, short bi) {
        return (short) ((ar * br - ai * bi + (1 << 14)) >> 15);
    }

    private static short mulIm(short ar, short ai, short br, short bi) {
        return (short) ((ar * bi + ai * br + (1 << 14)) >> 15);
    }

    /**
     * One recursion level of {@code kf_work}: the DFT of the complex input values {@code f, f + fstride, …} (complex
     * index, read from interleaved {@code x[xFrom ..]}) into {@code re/im[out ..]}.
     */
    private void work(int out, short[] x, int xFrom, int fstride, int factor) {
        int p = factors[factor];
        int m = factors[factor + 1];
        int f = 0;
        if (m == 1) {
            for (int q = 0; q < p; q++) {
                re[out + q] = x[xFrom + 2 * f];
                im[out + q] = x[xFrom + 2 * f + 1];
                f += fstride;
            }
        } else {
            for (int q = 0; q < p; q++) {
                work(out + q * m, x, xFrom + 2 * f, fstride * p, factor + 2);
                f += fstride;
            }
        }
        switch (p) {
            case 2 -> butterfly2(out, fstride, m);
            case 4 -> butterfly4(out, fstride, m);
            default -> throw new IllegalStateException("radix " + p);
        }
    }

    private void butterfly2(int out, int fstride, int m) {
        for (int k = 0; k < m; k++) {
            int a = out + k;
            int b = a + m;
            short aR = fixDiv(re[a], 2);
            short aI = fixDiv(im[a], 2);
            short bR = fixDiv(re[b], 2);
            short bI = fixDiv(im[b], 2);
            int t = k * fstride;
            short tR = mulRe(bR, bI, twRe[t], twIm[t]);
            short tI = mulIm(bR, bI, twRe[t], twIm[t]);
            re[b] = (short) (aR - tR);
            im[b] = (short) (aI - tI);
            re[a] = (short) (aR + tR);
            im[a] = (short) (aI + tI);
        }
    }

    private void butterfly4(int out, int fstride, int m) {
        for (int k = 0; k < m; k++) {
            int i0 = out + k;
            int i1 = i0 + m;
            int i2 = i0 + 2 * m;
            int i3 = i0 + 3 * m;
            short f0R = fixDiv(re[i0], 4);
            short f0I = fixDiv(im[i0], 4);
            short f1R = fixDiv(re[i1], 4);
            short f1I = fixDiv(im[i1], 4);
            short f2R = fixDiv(re[i2], 4);
            short f2I = fixDiv(im[i2], 4);
            short f3R = fixDiv(re[i3], 4);
            short f3I = fixDiv(im[i3], 4);
            int t1 = k * fstride;
            int t2 = 2 * k * fstride;
            int t3 = 3 * k * fstride;
            short s0R = mulRe(f1R, f1I, twRe[t1], twIm[t1]);
            short s0I = mulIm(f1R, f1I, twRe[t1], twIm[t1]);
            short s1R = mulRe(f2R, f2I, twRe[t2], twIm[t2]);
            short s1I = mulIm(f2R, f2I, twRe[t2], twIm[t2]);
            short s2R = mulRe(f3R, f3I, twRe[t3], twIm[t3]);
            short s2I = mulIm(f3R, f3I, twRe[t3], twIm[t3]);
            short s5R = (short) (f0R - s1R);
            short s5I = (short) (f0I - s1I);
            f0R = (short) (f0R + s1R);
            f0I = (short) (f0I + s1I);
            short s3R = (short) (s0R + s2R);
            short s3I = (short) (s0I + s2I);
            short s4R = (short) (s0R - s2R);
            short s4I = (short) (s0I - s2I);
            re[i2] = (short) (f0R - s3R);
            im[i2] = (short) (f0I - s3I);
            re[i0] = (short) (f0R + s3R);
            im[i0] = (short) (f0I + s3I);
            re[i1] = (short) (s5R + s4I);
            im[i1] = (short) (s5I - s4R);
            re[i3] = (short) (s5R - s4I);
            im[i3] = (short) (s5I + s4R);
        }
    }
}
