package dev.quanta.kernels.conv;

import dev.quanta.ir.DType;
import dev.quanta.kernels.SimdSpecies;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Centring of 8-bit activations into floats for {@link Int8Gemm}: {@code dst[d + i] = x[s + i] − zp} (uint8 read
 * unsigned), exact (the values are integers of magnitude at most 255). Vectors of {@link SimdSpecies#FLOAT} lanes
 * load as many bytes, widen them and subtract; the tail runs per value.
 */
final class SimdCentre {
    private static final VectorSpecies<Float> F = SimdSpecies.FLOAT;
    /** Bytes of one float vector's lanes (a quarter of the width); null at 128 bits (no 32-bit shape): scalar. */
    private static final VectorSpecies<Byte> B =
            F.length() * 8 < 64 ? null : ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(F.length() * 8));

    private SimdCentre() {}

    static void toFloat(Object src, DType type, int zp, int s, float[] dst, int d, int n) {
        byte[] x = (byte[]) src;
        int lanes = B == null ? Integer.MAX_VALUE : F.length();
        int i = 0;
        float z = zp;
        if (type == DType.UINT8) {
            for (; i <= n - lanes; i += lanes) {
                ByteVector v = ByteVector.fromArray(B, x, s + i);
                ((FloatVector) v.convertShape(VectorOperators.ZERO_EXTEND_B2I, SimdSpecies.INT, 0)
                                .convert(VectorOperators.I2F, 0))
                        .sub(z)
                        .intoArray(dst, d + i);
            }
            for (; i < n; i++) {
                dst[d + i] = (x[s + i] & 0xFF) - zp;
            }
        } else {
            for (; i <= n - lanes; i += lanes) {
                ByteVector v = ByteVector.fromArray(B, x, s + i);
                ((FloatVector) v.convertShape(VectorOperators.B2F, F, 0)).sub(z).intoArray(dst, d + i);
            }
            for (; i < n; i++) {
                dst[d + i] = x[s + i] - zp;
            }
        }
    }
}
