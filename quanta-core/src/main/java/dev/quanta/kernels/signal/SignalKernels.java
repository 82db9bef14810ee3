package dev.quanta.kernels.signal;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import java.util.function.Function;

/**
 * Makes the kernel of a {@code SIGNAL_*} op (see the package documentation). Tensor types are checked when the
 * kernel is made, as tflite-micro's Prepare does; index tables that come from tensors are checked on every run, so
 * that a malformed model fails with a message rather than reading out of bounds.
 */
public final class SignalKernels {
    private SignalKernels() {}

    /**
     * @throws UnsupportedOperationException naming the op when its tensor types are not the ones tflite-micro takes
     */
    public static Kernel create(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        return switch (op.type()) {
            case SIGNAL_WINDOW -> window(op, buffer);
            case SIGNAL_FFT_AUTO_SCALE -> fftAutoScale(op, buffer);
            case SIGNAL_RFFT -> rfft(op, buffer, shape);
            case SIGNAL_ENERGY -> energy(op, buffer);
            case SIGNAL_FILTER_BANK -> filterBank(op, buffer);
            case SIGNAL_FILTER_BANK_SQUARE_ROOT -> squareRoot(op, buffer);
            case SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION -> new SpectralSubtraction(op, buffer);
            case SIGNAL_PCAN -> pcan(op, buffer);
            case SIGNAL_FILTER_BANK_LOG -> filterBankLog(op, buffer);
            default -> throw new IllegalArgumentException(op.type() + " is not a signal op");
        };
    }

    private static void requireTypes(Op op, DType[] inputs, DType[] outputs) {
        for (int i = 0; i < inputs.length; i++) {
            if (op.input(i).dtype() != inputs[i]) {
                throw new UnsupportedOperationException(op.describe() + ": input " + i + " is "
                        + op.input(i).dtype() + "; " + op.type() + " takes " + inputs[i]);
            }
        }
        for (int i = 0; i < outputs.length; i++) {
            if (op.output(i).dtype() != outputs[i]) {
                throw new UnsupportedOperationException(op.describe() + ": output " + i + " is "
                        + op.output(i).dtype() + "; " + op.type() + " gives " + outputs[i]);
            }
        }
    }

    private static DType[] types(DType... t) {
        return t;
    }

    /** y[i] = saturate16((x[i] · w[i mod |w|]) >> shift), arithmetic shift. */
    private static Kernel window(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.INT16, DType.INT16), types(DType.INT16));
        short[] x = (short[]) buffer.apply(op.input(0));
        short[] w = (short[]) buffer.apply(op.input(1));
        short[] y = (short[]) buffer.apply(op.output(0));
        int shift = op.attrs(OpAttributes.SignalWindow.class).shift();
        return p -> {
            for (int i = 0; i < x.length; i++) {
                int raw = (x[i] * w[i % w.length]) >> shift;
                y[i] = (short) Math.max(Short.MIN_VALUE, Math.min(Short.MAX_VALUE, raw));
            }
        };
    }

    /**
     * Scales the signal up to use the int16 range: s = max(0, 15 − ⌊log2 max|x|⌋) (as tflite-micro computes it,
     * max|x| kept in int16), y = x · 2^s, and the second output is s.
     */
    private static Kernel fftAutoScale(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.INT16), types(DType.INT16, DType.INT32));
        short[] x = (short[]) buffer.apply(op.input(0));
        short[] y = (short[]) buffer.apply(op.output(0));
        int[] scaleBits = (int[]) buffer.apply(op.output(1));
        return p -> {
            short max = 0;
            for (short v : x) {
                if (v > max) {
                    max = v;
                } else if (-v > max) {
                    max = (short) -v;
                }
            }
            int bits = Math.max(0, 16 - SignalMath.msb32(max) - 1);
            for (int i = 0; i < x.length; i++) {
                y[i] = (short) (x[i] * (1 << bits));
            }
            scaleBits[0] = bits;
        };
    }

    /** Each last-axis row, zero-padded to the FFT length, becomes fftLength/2 + 1 interleaved complex bins. */
    private static Kernel rfft(Op op, Function<Tensor, Object> buffer, Function<Tensor, int[]> shape) {
        requireTypes(op, types(DType.INT16), types(DType.INT16));
        short[] x = (short[]) buffer.apply(op.input(0));
        short[] y = (short[]) buffer.apply(op.output(0));
        int[] xs = shape.apply(op.input(0));
        RealFftInt16 fft =
                new RealFftInt16(op.attrs(OpAttributes.SignalRfft.class).fftLength());
        int rowIn = xs.length == 0 ? 1 : xs[xs.length - 1];
        int rowOut = fft.length() + 2;
        short[] padded = new short[fft.length()];
        return p -> {
            for (int in = 0, out = 0; in < x.length; in += rowIn, out += rowOut) {
                System.arraycopy(x, in, padded, 0, rowIn);
                java.util.Arrays.fill(padded, rowIn, padded.length, (short) 0);
                fft.forward(padded, 0, y, out);
            }
        };
    }

    /** e_k = re_k² + im_k² (int32 arithmetic, stored as uint32) for start ≤ k < end; other bins stay 0. */
    private static Kernel energy(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.INT16), types(DType.UINT32));
        short[] x = (short[]) buffer.apply(op.input(0));
        int[] y = (int[]) buffer.apply(op.output(0));
        OpAttributes.SignalEnergy a = op.attrs(OpAttributes.SignalEnergy.class);
        return p -> {
            for (int k = a.startIndex(); k < a.endIndex(); k++) {
                int re = x[2 * k];
                int im = x[2 * k + 1];
                y[k] = re * re + im * im;
            }
        };
    }

    /**
     * Triangular mel filters as weight/unweight pairs: channel i (of numChannels + 1, the first being scratch)
     * sums weight·e over its frequencies and hands unweight·e on to channel i + 1 (unsigned 64-bit, int16 weights
     * sign-extended as in C++); the output drops the scratch channel.
     */
    private static Kernel filterBank(Op op, Function<Tensor, Object> buffer) {
        requireTypes(
                op,
                types(DType.UINT32, DType.INT16, DType.INT16, DType.INT16, DType.INT16, DType.INT16),
                types(DType.UINT64));
        int[] x = (int[]) buffer.apply(op.input(0));
        short[] weights = (short[]) buffer.apply(op.input(1));
        short[] unweights = (short[]) buffer.apply(op.input(2));
        short[] freqStarts = (short[]) buffer.apply(op.input(3));
        short[] weightStarts = (short[]) buffer.apply(op.input(4));
        short[] widths = (short[]) buffer.apply(op.input(5));
        long[] y = (long[]) buffer.apply(op.output(0));
        int channels = op.attrs(OpAttributes.SignalFilterBank.class).numChannels();
        String where = op.describe();
        if (freqStarts.length <= channels
                || weightStarts.length <= channels
                || widths.length <= channels
                || y.length < channels) {
            throw new QuantaException(where + ": the channel tables hold fewer than " + (channels + 1) + " entries");
        }
        return p -> {
            long weighted = 0;
            long unweighted = 0;
            for (int i = 0; i <= channels; i++) {
                int freq = freqStarts[i];
                int wStart = weightStarts[i];
                int width = widths[i];
                if (freq < 0
                        || wStart < 0
                        || width < 0
                        || freq + width > x.length
                        || wStart + width > weights.length
                        || wStart + width > unweights.length) {
                    throw new QuantaException(where + ": channel " + i + " (frequencies " + freq + "+" + width
                            + ", weights " + wStart + "+" + width + ") reaches outside its " + x.length
                            + " inputs or " + weights.length + " weights");
                }
                for (int j = 0; j < width; j++) {
                    long e = Integer.toUnsignedLong(x[freq + j]);
                    weighted += weights[wStart + j] * e;
                    unweighted += unweights[wStart + j] * e;
                }
                if (i > 0) {
                    y[i - 1] = weighted;
                }
                weighted = unweighted;
                unweighted = 0;
            }
        };
    }

    /** y = sqrt64(x) >> s, with s the scale of the FFT auto-scaling (the scalar second input). */
    private static Kernel squareRoot(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.UINT64, DType.INT32), types(DType.UINT32));
        long[] x = (long[]) buffer.apply(op.input(0));
        int[] scaleBits = (int[]) buffer.apply(op.input(1));
        int[] y = (int[]) buffer.apply(op.output(0));
        return p -> {
            int s = scaleBits[0]; // a 32-bit x86 shift uses the low 5 bits of the count, as Java's >>> does
            for (int i = 0; i < x.length; i++) {
                y[i] = SignalMath.sqrt64(x[i]) >>> s;
            }
        };
    }

    /**
     * Spectral subtraction with a noise estimate that persists from one run to the next (reset by
     * {@link #reset}), per channel with coefficients in units of 2^−bits:
     * <pre>
     *   s = x << smoothingBits;   n = (s·α + n·(1 − α)) >> bits   (α alternates on odd channels)
     *   n' = min(n, s) (n itself is clamped too when clamping);   floor = (x · minRemaining) >> bits
     *   y = max((s − n') >> smoothingBits, floor)
     * </pre>
     * in unsigned 32-bit values with 64-bit products. The second output is the noise estimate.
     */
    private static final class SpectralSubtraction implements Kernel {
        private final int[] x;
        private final int[] y;
        private final int[] noiseOut;
        private final int[] noise;
        private final OpAttributes.SignalSpectralSubtraction a;

        SpectralSubtraction(Op op, Function<Tensor, Object> buffer) {
            requireTypes(op, types(DType.UINT32), types(DType.UINT32, DType.UINT32));
            x = (int[]) buffer.apply(op.input(0));
            y = (int[]) buffer.apply(op.output(0));
            noiseOut = (int[]) buffer.apply(op.output(1));
            a = op.attrs(OpAttributes.SignalSpectralSubtraction.class);
            noise = new int[a.numChannels()];
            if (x.length != a.numChannels() || y.length != a.numChannels() || noiseOut.length != a.numChannels()) {
                throw new UnsupportedOperationException(op.describe() + ": tensors of " + x.length
                        + " elements do not have the op's " + a.numChannels() + " channels");
            }
        }

        @Override
        public void run(dev.quanta.kernels.Parallel parallel) {
            int bits = a.spectralSubtractionBits();
            int smoothingBits = a.smoothingBits();
            for (int i = 0; i < noise.length; i++) {
                long smoothing = (i & 1) == 0 ? a.smoothing() : a.alternateSmoothing();
                long oneMinus = (i & 1) == 0 ? a.oneMinusSmoothing() : a.alternateOneMinusSmoothing();
                long signal = Integer.toUnsignedLong(x[i] << smoothingBits);
                noise[i] = (int) ((signal * smoothing + Integer.toUnsignedLong(noise[i]) * oneMinus) >>> bits);
                long estimate = Integer.toUnsignedLong(noise[i]);
                if (estimate > signal) {
                    estimate = signal;
                    if (a.clamping()) {
                        noise[i] = (int) estimate;
                    }
                }
                long floor = ((Integer.toUnsignedLong(x[i]) * a.minSignalRemaining()) >>> bits) & 0xFFFF_FFFFL;
                long subtracted = ((signal - estimate) & 0xFFFF_FFFFL) >>> smoothingBits;
                y[i] = (int) Math.max(subtracted, floor);
            }
            System.arraycopy(noise, 0, noiseOut, 0, noise.length);
        }

        @Override
        public void reset() {
            java.util.Arrays.fill(noise, 0);
        }
    }

    /**
     * Per-channel automatic gain control (PCAN): gain = the wide-dynamic-range function of the noise estimate
     * (int16, used as unsigned 32-bit), snr = (x · gain) >> snrShift, y = shrink(snr).
     */
    private static Kernel pcan(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.UINT32, DType.UINT32, DType.INT16), types(DType.UINT32));
        int[] x = (int[]) buffer.apply(op.input(0));
        int[] noise = (int[]) buffer.apply(op.input(1));
        short[] lut = (short[]) buffer.apply(op.input(2));
        int[] y = (int[]) buffer.apply(op.output(0));
        int snrShift = op.attrs(OpAttributes.SignalPcan.class).snrShift();
        if (noise.length != x.length || y.length != x.length) {
            throw new UnsupportedOperationException(op.describe() + ": input, noise estimate and output differ in"
                    + " size (" + x.length + ", " + noise.length + ", " + y.length + ")");
        }
        if (lut.length < SignalMath.PCAN_LUT_SIZE) {
            throw new UnsupportedOperationException(op.describe() + ": the gain table has " + lut.length
                    + " entries, PCAN needs " + SignalMath.PCAN_LUT_SIZE);
        }
        return p -> {
            for (int i = 0; i < x.length; i++) {
                long gain = Integer.toUnsignedLong(SignalMath.wideDynamicFunction(noise[i], lut));
                int snr = (int) ((Integer.toUnsignedLong(x[i]) * gain) >>> snrShift);
                y[i] = SignalMath.pcanShrink(snr);
            }
        };
    }

    /** y = min(32767, log32(x << correction, outputScale)) for x << correction > 1, else 0. */
    private static Kernel filterBankLog(Op op, Function<Tensor, Object> buffer) {
        requireTypes(op, types(DType.UINT32), types(DType.INT16));
        int[] x = (int[]) buffer.apply(op.input(0));
        short[] y = (short[]) buffer.apply(op.output(0));
        OpAttributes.SignalFilterBankLog a = op.attrs(OpAttributes.SignalFilterBankLog.class);
        return p -> {
            for (int i = 0; i < x.length; i++) {
                int scaled = x[i] << a.inputCorrectionBits();
                if (Integer.compareUnsigned(scaled, 1) > 0) {
                    int log = SignalMath.log32(scaled, a.outputScale());
                    y[i] = (short) (Integer.compareUnsigned(log, Short.MAX_VALUE) < 0 ? log : Short.MAX_VALUE);
                } else {
                    y[i] = 0;
                }
            }
        };
    }
}
