package dev.quanta.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API species the fast kernels use, all of {@link Simd#bits()} bits. Only loaded when {@link
 * Simd#enabled()} (or to ask for the preferred width), so the scalar kernels run on a JVM without the module.
 */
public final class SimdSpecies {
    private SimdSpecies() {}

    public static final VectorShape SHAPE = VectorShape.forBitSize(Math.max(128, Simd.bits()));
    public static final VectorSpecies<Float> FLOAT = FloatVector.SPECIES_PREFERRED.withShape(SHAPE);
    public static final VectorSpecies<Integer> INT = IntVector.SPECIES_PREFERRED.withShape(SHAPE);
    public static final VectorSpecies<Short> SHORT = ShortVector.SPECIES_PREFERRED.withShape(SHAPE);
    public static final VectorSpecies<Byte> BYTE = ByteVector.SPECIES_PREFERRED.withShape(SHAPE);
}
