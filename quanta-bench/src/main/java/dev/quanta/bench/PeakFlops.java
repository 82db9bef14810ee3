package dev.quanta.bench;

import dev.quanta.kernels.Simd;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The single-core float peak the kernels are measured against: a loop of {@link #CHAINS} independent fused
 * multiply-add chains held in registers, with no memory traffic, so it runs at the FMA units' throughput rather
 * than their latency.
 *
 * <ul>
 *   <li>{@link #vector}: {@code FloatVector.fma} at the kernels' width ({@link Simd#bits()}, so {@code -p simd=256}
 *       gives the AVX2 width on an AVX-512 machine); {@link #vectorFlops()} per call.
 *   <li>{@link #scalar}: {@code Math.fma} on plain floats; {@link #SCALAR_FLOPS} per call.
 * </ul>
 *
 * A call's GFLOP/s is its flops divided by its time in ns (an FMA is 2 flops per lane).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PeakFlops {
    /** Independent accumulators: enough to cover the FMA latency (4 cycles) times 2 FMA units, with margin. */
    static final int CHAINS = 12;

    /** Loop trips per call. */
    static final int TRIPS = 4096;

    /** Flops of one {@link #scalar} call. */
    static final long SCALAR_FLOPS = 2L * CHAINS * TRIPS;

    /** QUANTA_SIMD for this fork ({@code on}, {@code 128}, {@code 256}, {@code 512}), set before Simd is read. */
    @Param({"on"})
    public String simd;

    private float sa;
    private float sb;
    /** Distinct starting values, read from a field, so the compiler cannot merge the identical chains. */
    private float[] start;

    /** Flops of one {@link #vector} call at the kernels' width. */
    static long vectorFlops(int bits) {
        return 2L * CHAINS * TRIPS * (bits / 32);
    }

    @Setup(Level.Trial)
    public void setUp() {
        KernelThroughput.applySimd(simd);
        if (!Simd.enabled()) {
            throw new IllegalStateException("PeakFlops needs the Vector API: " + Simd.describe());
        }
        // a multiplier just below 1 and a small addend keep the chains finite (no overflow, no denormals)
        sa = 0.999f;
        sb = 1e-3f;
        start = new float[CHAINS];
        for (int i = 0; i < CHAINS; i++) {
            start[i] = 0.01f * (i + 1);
        }
    }

    /** {@link #CHAINS} vector FMA chains, {@link #TRIPS} steps each. */
    @Benchmark
    public float vector() {
        VectorSpecies<Float> species = Lanes.FLOAT;
        FloatVector x = FloatVector.broadcast(species, sa);
        FloatVector y = FloatVector.broadcast(species, sb);
        float[] s = start;
        FloatVector c0 = FloatVector.broadcast(species, s[0]);
        FloatVector c1 = FloatVector.broadcast(species, s[1]);
        FloatVector c2 = FloatVector.broadcast(species, s[2]);
        FloatVector c3 = FloatVector.broadcast(species, s[3]);
        FloatVector c4 = FloatVector.broadcast(species, s[4]);
        FloatVector c5 = FloatVector.broadcast(species, s[5]);
        FloatVector c6 = FloatVector.broadcast(species, s[6]);
        FloatVector c7 = FloatVector.broadcast(species, s[7]);
        FloatVector c8 = FloatVector.broadcast(species, s[8]);
        FloatVector c9 = FloatVector.broadcast(species, s[9]);
        FloatVector c10 = FloatVector.broadcast(species, s[10]);
        FloatVector c11 = FloatVector.broadcast(species, s[11]);
        for (int i = 0; i < TRIPS; i++) {
            c0 = c0.fma(x, y);
            c1 = c1.fma(x, y);
            c2 = c2.fma(x, y);
            c3 = c3.fma(x, y);
            c4 = c4.fma(x, y);
            c5 = c5.fma(x, y);
            c6 = c6.fma(x, y);
            c7 = c7.fma(x, y);
            c8 = c8.fma(x, y);
            c9 = c9.fma(x, y);
            c10 = c10.fma(x, y);
            c11 = c11.fma(x, y);
        }
        return c0.add(c1)
                .add(c2)
                .add(c3)
                .add(c4)
                .add(c5)
                .add(c6)
                .add(c7)
                .add(c8)
                .add(c9)
                .add(c10)
                .add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** {@link #CHAINS} scalar {@code Math.fma} chains, {@link #TRIPS} steps each. */
    @Benchmark
    public float scalar() {
        float x = sa;
        float y = sb;
        float[] s = start;
        float c0 = s[0];
        float c1 = s[1];
        float c2 = s[2];
        float c3 = s[3];
        float c4 = s[4];
        float c5 = s[5];
        float c6 = s[6];
        float c7 = s[7];
        float c8 = s[8];
        float c9 = s[9];
        float c10 = s[10];
        float c11 = s[11];
        for (int i = 0; i < TRIPS; i++) {
            c0 = Math.fma(c0, x, y);
            c1 = Math.fma(c1, x, y);
            c2 = Math.fma(c2, x, y);
            c3 = Math.fma(c3, x, y);
            c4 = Math.fma(c4, x, y);
            c5 = Math.fma(c5, x, y);
            c6 = Math.fma(c6, x, y);
            c7 = Math.fma(c7, x, y);
            c8 = Math.fma(c8, x, y);
            c9 = Math.fma(c9, x, y);
            c10 = Math.fma(c10, x, y);
            c11 = Math.fma(c11, x, y);
        }
        return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
    }

    /**
     * The species as a static final, which the JIT needs to keep vectors in registers; initialised on first use,
     * after {@link #setUp()} has set the width.
     */
    private static final class Lanes {
        static final VectorSpecies<Float> FLOAT =
                FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(Simd.bits()));
    }
}
