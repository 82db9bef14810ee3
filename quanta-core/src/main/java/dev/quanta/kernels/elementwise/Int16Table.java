package dev.quanta.kernels.elementwise;

import dev.quanta.kernels.arithmetic.FixedPoint;
import java.util.function.DoubleUnaryOperator;

/**
 * TFLite's int16 lookup tables in single precision ({@code LUTPopulate<int16_t>} with a {@code float(float)}
 * function, as GELU's kernel builds them) and their interpolating lookup. For f on the input range [a, b] of the
 * int16 input, h = (b − a)/512 and κ = 65536 / (o_max − o_min), all in float, entries i = 0..511 are
 *
 * <pre>
 * s = round(f(a + i·h)·κ),   m = round((f(a + (i+1)·h)·κ + s) / 2),   c = round(f(a + i·h + h/2)·κ)
 * T[i] = clamp(s − round((m − c) / 2), −32768, 32767),      T[512] = clamp(round(f(b)·κ))
 * LUT(v) = T[256 + (v &gt;&gt; 7)] + ((Δ · (v &amp; 127) + 64) &gt;&gt; 7),   Δ = int16(T[j + 1] − T[j])
 * </pre>
 *
 * with {@code round} = {@code roundf} (ties away from zero). The table's outputs are in the output's quantized
 * units; TFLite uses it with zero points 0. {@link #populateDouble} is the same in double precision
 * ({@code LUTPopulateInt16<double>}, as int16 SOFTMAX builds its tables); the two are kept apart because TFLite's
 * results depend on the precision of every step.
 */
final class Int16Table {
    private Int16Table() {}

    static short[] populate(float inScale, int inZp, float outScale, int outZp, ActivationFormulas.FloatFunction f) {
        float inMin = inScale * (float) (-32768 - inZp);
        float inMax = inScale * (float) (32767 - inZp);
        float outMin = outScale * (float) (-32768 - outZp);
        float outMax = outScale * (float) (32767 - outZp);
        int steps = 512;
        float step = (inMax - inMin) / steps;
        float halfStep = step / 2;
        float scaling = 65536f / (outMax - outMin);
        short[] lut = new short[steps + 1];
        for (int i = 0; i < steps; i++) {
            float val = f.apply(inMin + i * step);
            float mid = f.apply(inMin + i * step + halfStep);
            float next = f.apply(inMin + (i + 1) * step);
            float sample = FixedPoint.roundHalfAwayFromZero(val * scaling);
            float midInterp = FixedPoint.roundHalfAwayFromZero(
                    (next * scaling + FixedPoint.roundHalfAwayFromZero(val * scaling)) / 2);
            float midVal = FixedPoint.roundHalfAwayFromZero(mid * scaling);
            float bias = FixedPoint.roundHalfAwayFromZero((midInterp - midVal) / 2);
            lut[i] = (short) Math.min(Math.max(sample - bias, -32768f), 32767f);
        }
        float last = FixedPoint.roundHalfAwayFromZero(f.apply(inMax) * scaling);
        lut[steps] = (short) Math.min(Math.max(last, -32768f), 32767f);
        return lut;
    }

    /** The table of {@code f} in double precision (TFLite's {@code LUTPopulateInt16<double>}). */
    static short[] populateDouble(double inScale, int inZp, double outScale, int outZp, DoubleUnaryOperator f) {
        double inMin = inScale * (-32768 - inZp);
        double inMax = inScale * (32767 - inZp);
        double outMin = outScale * (-32768 - outZp);
        double outMax = outScale * (32767 - outZp);
        int steps = 512;
        double step = (inMax - inMin) / steps;
        double halfStep = step / 2;
        double scaling = 65536.0 / (outMax - outMin);
        short[] lut = new short[steps + 1];
        for (int i = 0; i < steps; i++) {
            double val = f.applyAsDouble(inMin + i * step);
            double mid = f.applyAsDouble(inMin + i * step + halfStep);
            double next = f.applyAsDouble(inMin + (i + 1) * step);
            double sample = round(val * scaling);
            double midInterp = round((next * scaling + round(val * scaling)) / 2);
            double midVal = round(mid * scaling);
            double bias = round((midInterp - midVal) / 2);
            lut[i] = (short) Math.min(Math.max(sample - bias, -32768.0), 32767.0);
        }
        lut[steps] = (short) Math.min(Math.max(round(f.applyAsDouble(inMax) * scaling), -32768.0), 32767.0);
        return lut;
    }

    private static double round(double v) {
        return (double) FixedPoint.roundHalfAwayFromZero(v);
    }

    /** TFLite's {@code LUTLookup} for int16: linear interpolation between the entries around {@code v}. */
    static int lookup(int v, short[] lut) {
        int index = 256 + (v >> 7);
        int offset = v & 0x7f;
        int base = lut[index];
        int slope = (short) (lut[index + 1] - lut[index]);
        int delta = (slope * offset + 64) >> 7;
        return (short) (base + delta);
    }
}
