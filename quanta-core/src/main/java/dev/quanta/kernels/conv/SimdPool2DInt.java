package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.Simd;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fast int8/uint8 MAX_POOL_2D and AVERAGE_POOL_2D, vectorised across channels, the integers of
 * {@link Pool2DInt} bit for bit:
 *
 * <ul>
 *   <li>max: a lanewise maximum of {@link SimdSpecies#BYTE} lanes, then the clamp; uint8 is compared as int8 after
 *       flipping the top bit ({@code v ^ 0x80} maps 0..255 onto −128..127 in the same order);</li>
 *   <li>average: blocks of {@link SimdSpecies#INT}-many channels, their bytes widened to ints and summed (needs
 *       vectors of 256 bits or more, else the scalar kernel runs), then the rounding division
 *       {@code S > 0 ? (S + ⌊n/2⌋) / n : (S − ⌊n/2⌋) / n} (truncating) computed as {@code (int) (float(S ± ⌊n/2⌋) /
 *       float(n))}. With {@code N = S ± ⌊n/2⌋} this is exact while {@code |N| + n < 2^24}: both operands are then
 *       exact floats, and a quotient magnitude {@code k + 1 − 1/n} (the largest below an integer k + 1) rounds to at
 *       most {@code (k + 1 − 1/n)(1 + 2^−24)}, which stays below k + 1 because {@code (k + 1)·n ≤ |N| + n < 2^24}.
 *       With 8-bit values ({@code |S| ≤ 255·n}) that holds for windows of up to {@link #MAX_AVERAGE_WINDOW}
 *       elements; larger windows take the scalar kernel.</li>
 * </ul>
 *
 * Small pools (under {@link #MIN_BLOCKS} output blocks per run) stay scalar. Only loaded when {@link Simd#enabled()}.
 */
final class SimdPool2DInt extends WindowKernel {
    private static final VectorSpecies<Byte> BYTE = SimdSpecies.BYTE;
    private static final VectorSpecies<Integer> INT = SimdSpecies.INT;
    /** Bytes of one int vector's lanes (a quarter of the width); none below 256 bits, where averages stay scalar. */
    private static final VectorSpecies<Byte> BYTE_QUARTER = INT.length() * 8 >= 64
            ? ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(INT.length() * 8))
            : null;
    /** The largest window whose average the float division rounds exactly (see the class comment). */
    static final int MAX_AVERAGE_WINDOW = (1 << 24) / 257;
    /**
     * Pools with fewer (output pixel, channel block) pairs per run stay scalar: Vector API code is fast only once the
     * JIT has compiled it, which takes thousands of calls of the per-block methods; a global pool over a few thousand
     * elements would run slowly for hundreds of inferences while its scalar form takes a few microseconds. 16 (it was
     * 64) keeps such global pools scalar but takes a 2×2 pool to 4×4×16 (the demo CNN's second pool: 0.9 µs scalar),
     * whose vector form runs compiled after a few hundred inferences.
     */
    static final int MIN_BLOCKS = 16;
    /**
     * Narrower byte vectors for max pools of few channels (at most 8, 16 or 32): the fewest lanes that hold a pixel's
     * channels, so a small layer (a 2×2 pool over 8 or 16 channels) loads and compares no lanes past them.
     */
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;

    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;

    private final boolean max;
    private final byte[] x;
    private final byte[] y;
    private final boolean unsigned;
    /** The clamp, as int8 values (uint8: flipped). */
    private final byte lo;

    private final byte hi;
    private final int loInt;
    private final int hiInt;
    private final int fullC;
    private final VectorMask<Byte> tail;
    /** Average pools: channels in whole int vectors, and the quarter-width byte lanes of the rest. */
    private final int fullInt;

    private final VectorMask<Byte> tailInt;
    /** Max pools of few channels: the lanes of the narrow vector used (8, 16, 32), or 0 (full vectors); its mask. */
    private final int narrow;

    private final VectorMask<Byte> narrowMask;

    /** The fast kernel for 8-bit types (average windows up to {@link #MAX_AVERAGE_WINDOW}), else the scalar one. */
    static Kernel create(
            boolean max,
            Object x,
            int[] xShape,
            Object y,
            int[] yShape,
            DType type,
            OpAttributes.Pool2D a,
            int lo,
            int hi) {
        boolean bytes = type == DType.INT8 || type == DType.UINT8;
        long blocks = (long) yShape[0] * yShape[1] * yShape[2] * ((yShape[3] + BYTE.length() - 1) / BYTE.length());
        boolean averageFits = BYTE_QUARTER != null && a.filterH() * a.filterW() <= MAX_AVERAGE_WINDOW;
        if (!bytes || blocks < MIN_BLOCKS || (!max && !averageFits)) {
            return new Pool2DInt(max, x, xShape, y, yShape, type, a, lo, hi);
        }
        return new SimdPool2DInt(max, (byte[]) x, xShape, (byte[]) y, yShape, type, a, lo, hi);
    }

    SimdPool2DInt(
            boolean max,
            byte[] x,
            int[] xShape,
            byte[] y,
            int[] yShape,
            DType type,
            OpAttributes.Pool2D a,
            int lo,
            int hi) {
        super(xShape, yShape, Window.of(a));
        this.max = max;
        this.x = x;
        this.y = y;
        this.unsigned = type == DType.UINT8;
        this.loInt = lo;
        this.hiInt = hi;
        this.lo = (byte) (unsigned ? lo ^ 0x80 : lo);
        this.hi = (byte) (unsigned ? hi ^ 0x80 : hi);
        this.fullC = BYTE.loopBound(inC);
        this.tail = fullC < inC ? BYTE.indexInRange(fullC, inC) : null;
        if (!max && BYTE_QUARTER == null) {
            throw new IllegalArgumentException("the fast average pool needs vectors of 256 bits or more");
        }
        this.fullInt = INT.loopBound(inC);
        this.tailInt = !max && fullInt < inC ? BYTE_QUARTER.indexInRange(0, inC - fullInt) : null;
        int lanes = inC <= 8 ? 8 : inC <= 16 ? 16 : inC <= 32 ? 32 : 0;
        this.narrow = max && lanes < BYTE.length() ? lanes : 0;
        VectorSpecies<Byte> ns = narrow == 8 ? B8 : narrow == 16 ? B16 : B32;
        this.narrowMask = narrow == 0 || inC == narrow ? null : ns.indexInRange(0, inC);
    }

    @Override
    public void run(Parallel parallel) {
        forEachOutputRow(parallel);
    }

    @Override
    protected void outputRow(int b, int oy) {
        int y0 = Math.max(0, oy * sh - padT);
        int y1 = Math.min(inH, oy * sh - padT + kh);
        switch (narrow) {
            case 8 -> {
                maxRow8(b, oy, y0, y1);
                return;
            }
            case 16 -> {
                maxRow16(b, oy, y0, y1);
                return;
            }
            case 32 -> {
                maxRow32(b, oy, y0, y1);
                return;
            }
            default -> {}
        }
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + kw);
            int out = ((b * outH + oy) * outW + ox) * inC;
            int first = ((b * inH + y0) * inW + x0) * inC;
            int n = (y1 - y0) * (x1 - x0);
            if (max) {
                for (int c = 0; c < inC; c += BYTE.length()) {
                    maxBlock(first + c, y1 - y0, x1 - x0, c < fullC ? null : tail, out + c);
                }
            } else {
                for (int c = 0; c < inC; c += INT.length()) {
                    meanBlock(first + c, y1 - y0, x1 - x0, n, c < fullInt ? null : tailInt, out + c);
                }
            }
        }
    }

    /** A max pool's output row with {@link #B8} vectors (at most 8 channels); as {@link #maxBlock}. */
    private void maxRow8(int b, int oy, int y0, int y1) {
        VectorMask<Byte> m = narrowMask;
        ByteVector lowest = ByteVector.broadcast(B8, Byte.MIN_VALUE);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + kw);
            ByteVector acc = lowest;
            for (int iy = y0; iy < y1; iy++) {
                int in = ((b * inH + iy) * inW + x0) * inC;
                for (int ix = x0; ix < x1; ix++, in += inC) {
                    ByteVector v = m == null ? ByteVector.fromArray(B8, x, in) : ByteVector.fromArray(B8, x, in, m);
                    acc = acc.max(unsigned ? v.lanewise(VectorOperators.XOR, (byte) 0x80) : v);
                }
            }
            acc = acc.max(lo).min(hi);
            acc = unsigned ? acc.lanewise(VectorOperators.XOR, (byte) 0x80) : acc;
            int out = ((b * outH + oy) * outW + ox) * inC;
            if (m == null) {
                acc.intoArray(y, out);
            } else {
                acc.intoArray(y, out, m);
            }
        }
    }

    /** A max pool's output row with {@link #B16} vectors (at most 16 channels); as {@link #maxBlock}. */
    private void maxRow16(int b, int oy, int y0, int y1) {
        VectorMask<Byte> m = narrowMask;
        ByteVector lowest = ByteVector.broadcast(B16, Byte.MIN_VALUE);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + kw);
            ByteVector acc = lowest;
            for (int iy = y0; iy < y1; iy++) {
                int in = ((b * inH + iy) * inW + x0) * inC;
                for (int ix = x0; ix < x1; ix++, in += inC) {
                    ByteVector v = m == null ? ByteVector.fromArray(B16, x, in) : ByteVector.fromArray(B16, x, in, m);
                    acc = acc.max(unsigned ? v.lanewise(VectorOperators.XOR, (byte) 0x80) : v);
                }
            }
            acc = acc.max(lo).min(hi);
            acc = unsigned ? acc.lanewise(VectorOperators.XOR, (byte) 0x80) : acc;
            int out = ((b * outH + oy) * outW + ox) * inC;
            if (m == null) {
                acc.intoArray(y, out);
            } else {
                acc.intoArray(y, out, m);
            }
        }
    }

    /** A max pool's output row with {@link #B32} vectors (at most 32 channels); as {@link #maxBlock}. */
    private void maxRow32(int b, int oy, int y0, int y1) {
        VectorMask<Byte> m = narrowMask;
        ByteVector lowest = ByteVector.broadcast(B32, Byte.MIN_VALUE);
        for (int ox = 0; ox < outW; ox++) {
            int x0 = Math.max(0, ox * sw - padL);
            int x1 = Math.min(inW, ox * sw - padL + kw);
            ByteVector acc = lowest;
            for (int iy = y0; iy < y1; iy++) {
                int in = ((b * inH + iy) * inW + x0) * inC;
                for (int ix = x0; ix < x1; ix++, in += inC) {
                    ByteVector v = m == null ? ByteVector.fromArray(B32, x, in) : ByteVector.fromArray(B32, x, in, m);
                    acc = acc.max(unsigned ? v.lanewise(VectorOperators.XOR, (byte) 0x80) : v);
                }
            }
            acc = acc.max(lo).min(hi);
            acc = unsigned ? acc.lanewise(VectorOperators.XOR, (byte) 0x80) : acc;
            int out = ((b * outH + oy) * outW + ox) * inC;
            if (m == null) {
                acc.intoArray(y, out);
            } else {
                acc.intoArray(y, out, m);
            }
        }
    }

    private ByteVector load(int at, VectorMask<Byte> m) {
        return m == null ? ByteVector.fromArray(BYTE, x, at) : ByteVector.fromArray(BYTE, x, at, m);
    }

    /**
     * Stores at {@code out} the clamped maximum over a rows × cols window whose first element (of this channel block)
     * is at {@code at}. Like {@link #meanBlock}, a method invoked once per output pixel and channel block that no
     * vector enters or leaves, so the JIT compiles it whole.
     */
    private void maxBlock(int at, int rows, int cols, VectorMask<Byte> m, int out) {
        ByteVector acc = ByteVector.broadcast(BYTE, Byte.MIN_VALUE);
        for (int r = 0; r < rows; r++) {
            int in = at + r * inW * inC;
            for (int col = 0; col < cols; col++, in += inC) {
                ByteVector v = load(in, m);
                acc = acc.max(unsigned ? v.lanewise(VectorOperators.XOR, (byte) 0x80) : v);
            }
        }
        acc = acc.max(lo).min(hi);
        acc = unsigned ? acc.lanewise(VectorOperators.XOR, (byte) 0x80) : acc;
        if (m == null) {
            acc.intoArray(y, out);
        } else {
            acc.intoArray(y, out, m);
        }
    }

    /** Stores at {@code out} the clamped rounded mean of the n elements of a rows × cols window starting at {@code at}. */
    private void meanBlock(int at, int rows, int cols, int n, VectorMask<Byte> m, int out) {
        IntVector sum = IntVector.zero(INT);
        for (int r = 0; r < rows; r++) {
            int in = at + r * inW * inC;
            for (int col = 0; col < cols; col++, in += inC) {
                ByteVector v = m == null
                        ? ByteVector.fromArray(BYTE_QUARTER, x, in)
                        : ByteVector.fromArray(BYTE_QUARTER, x, in, m);
                IntVector w = (IntVector) v.convertShape(VectorOperators.B2I, INT, 0);
                sum = sum.add(unsigned ? w.and(0xFF) : w);
            }
        }
        IntVector half = IntVector.broadcast(INT, n / 2);
        IntVector num = sum.add(half.blend(-(n / 2), sum.compare(VectorOperators.LE, 0)));
        FloatVector q = ((FloatVector) num.convert(VectorOperators.I2F, 0)).div((float) n);
        IntVector v = ((IntVector) q.convert(VectorOperators.F2I, 0)).max(loInt).min(hiInt);
        ByteVector b = (ByteVector) v.convertShape(VectorOperators.I2B, BYTE_QUARTER, 0);
        if (m == null) {
            b.intoArray(y, out);
        } else {
            b.intoArray(y, out, m);
        }
    }
}
