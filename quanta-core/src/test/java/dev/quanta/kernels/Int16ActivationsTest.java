package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.Int16Activations;
import dev.quanta.runtime.Interpreter;
import java.util.List;
import java.util.function.DoubleUnaryOperator;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * int16 LOGISTIC and TANH (output scale 2⁻¹⁵): exact values at hand-picked inputs worked out from the formulas of
 * {@link Int16Activations}' Javadoc and TFLite's sigmoid table, and every int16 input within a few units of the
 * real function (both arithmetics are approximations: the table is interpolated, gemmlowp's exp and division are
 * polynomial and Newton steps).
 */
class Int16ActivationsTest {
    private static final double ONE = 32768;

    @Test
    void checkedLog2AcceptsPowersOfTwoWithinOneThousandthOfAnOctave() {
        assertThat(Int16Activations.checkedLog2(0x1p-12f)).isEqualTo(-12);
        assertThat(Int16Activations.checkedLog2(0.5f)).isEqualTo(-1);
        assertThat(Int16Activations.checkedLog2(1f)).isEqualTo(0);
        assertThat(Int16Activations.checkedLog2(8f)).isEqualTo(3);
        assertThat(Int16Activations.checkedLog2(0x1p-12f * 1.0005f)).isEqualTo(-12); // log2 off by 0.00072
        assertThat(Int16Activations.checkedLog2(0x1p-12f * 1.0015f)).isNull(); // off by 0.0022
        assertThat(Int16Activations.checkedLog2(3f / 32768)).isNull();
        assertThat(Int16Activations.checkedLog2(0.01f)).isNull();
    }

    /** M = s_x·12288 doubled while ≤ 16383.5, n the number of doublings. */
    @Test
    void rescaleFindsTheMultiplierAndShift() {
        assertThat(Int16Activations.rescale(0.5f)).containsExactly(24576, 2); // 6144 → 12288 → 24576
        assertThat(Int16Activations.rescale(0x1p-12f)).containsExactly(24576, 13); // 3 · 2^13
        assertThat(Int16Activations.rescale(1f / 48)).containsExactly(16384, 6); // 256 · 2^6
        assertThat(Int16Activations.rescale(0.01f)).containsExactly(31457, 8); // 122.88 · 256 = 31457.28
        assertThat(Int16Activations.rescale(2f)).containsExactly(24576, 0); // already above 16383.5
    }

    /**
     * s_x = 0.5: v = 6144·x, so x = ±1 and ±2 fall on table entries 12 and 24 (σ(0.5), σ(1)) without interpolation:
     * LOGISTIC y = (S·2⁹ + 2⁹) ≫ 10 for x ≥ 0, (2²⁵ − S·2⁹ + 2⁹ − 1) ≫ 10 below; TANH reads entry 24 for x = 1.
     */
    @Test
    void tablePathOnTableEntries() {
        assertThat(Int16Activations.SIGMOID[12]).isEqualTo(40794);
        assertThat(Int16Activations.SIGMOID[24]).isEqualTo(47911);
        IntUnaryOperator sigmoid = Int16Activations.logistic(0.5f);
        assertThat(sigmoid.applyAsInt(0)).isEqualTo(16384);
        assertThat(sigmoid.applyAsInt(1)).isEqualTo(20397); // 40794 / 2; σ(0.5)·32768 = 20398.0
        assertThat(sigmoid.applyAsInt(-1)).isEqualTo(12371); // 32768 − 20397
        assertThat(sigmoid.applyAsInt(2)).isEqualTo(23956); // ⌊47911 / 2 + ½⌋; σ(1)·32768 = 23955.9
        assertThat(sigmoid.applyAsInt(-2)).isEqualTo(8812); // ⌊32768 − 23955.5 + 511/1024⌋
        assertThat(sigmoid.applyAsInt(22)).isEqualTo(32767); // index 264 ≥ 255: saturated
        assertThat(sigmoid.applyAsInt(-22)).isEqualTo(1); // (2²⁵ − 32767·2¹⁰ + 511) ≫ 10
        IntUnaryOperator tanh = Int16Activations.tanh(0.5f);
        assertThat(tanh.applyAsInt(0)).isEqualTo(0);
        assertThat(tanh.applyAsInt(1)).isEqualTo(15143); // 47911 − 32768; tanh(0.5)·32768 = 15142.7
        assertThat(tanh.applyAsInt(-1)).isEqualTo(-15143);
        assertThat(tanh.applyAsInt(11)).isEqualTo(32767); // index 264: 65535·2⁸ − 2²³ + 2⁷ ≫ 8
    }

    /**
     * s_x = 1/48: v = 256·x, so odd x fall half way between two entries: x = 1 gives
     * r = S[0]·2⁹ + 256·(S[1] − S[0]) = 16952064 and y = (r + 2⁹) ≫ 10 = 16555 (σ(1/48)·32768 = 16554.7).
     */
    @Test
    void tablePathInterpolatesBetweenEntries() {
        IntUnaryOperator sigmoid = Int16Activations.logistic(1f / 48);
        assertThat(sigmoid.applyAsInt(1)).isEqualTo(16555);
        // x = 3: h = 1, f = 256: (33451·2⁹ + 256·(34133 − 33451) + 2⁹) ≫ 10 = 16896 (σ(1/16)·32768 = 16895.9)
        assertThat(sigmoid.applyAsInt(3)).isEqualTo(16896);
        assertThat(sigmoid.applyAsInt(-3)).isEqualTo(32768 - 16896); // (2²⁵ − r + 2⁹ − 1) ≫ 10, r = 17301504
    }

    @Test
    void gemmlowpPathAtZeroAndItsSymmetries() {
        IntUnaryOperator sigmoid = Int16Activations.logistic(0x1p-12f);
        IntUnaryOperator tanh = Int16Activations.tanh(0x1p-12f);
        assertThat(sigmoid.applyAsInt(0)).isEqualTo(16384);
        assertThat(tanh.applyAsInt(0)).isEqualTo(0);
        for (int x = 1; x <= 32767; x++) {
            // gemmlowp's one minus: σ(−a) = 32767 − σ(a); tanh is odd
            assertThat(sigmoid.applyAsInt(-x)).isEqualTo(32767 - sigmoid.applyAsInt(x));
            assertThat(tanh.applyAsInt(-x)).isEqualTo(-tanh.applyAsInt(x));
        }
        // s_x = 2⁻¹¹ is read as Q3.12 after a saturating doubling: the same table on 2x
        IntUnaryOperator tanh2 = Int16Activations.tanh(0x1p-11f);
        assertThat(tanh2.applyAsInt(1000)).isEqualTo(tanh.applyAsInt(2000));
        assertThat(tanh2.applyAsInt(20000)).isEqualTo(tanh.applyAsInt(32767));
        assertThat(tanh2.applyAsInt(-20000)).isEqualTo(tanh.applyAsInt(-32768));
    }

    /**
     * Every input, TFLite's interpolated table: LOGISTIC within 1 unit of 2¹⁵·σ(s_x·x), TANH within 3 of
     * 2¹⁵·tanh(s_x·x) (capped at 32767).
     */
    @Test
    void everyInputOfTheTablePathIsCloseToTheRealFunction() {
        for (float s : new float[] {0.5f, 0.01f, 3f / 32768, 1f / 48, 0.0003f, 0x1p-11f}) {
            assertWithin(Int16Activations.logistic(s), v -> 1 / (1 + Math.exp(-v)), s, 1, "logistic s_x=" + s);
            if (s != 0x1p-11f) { // TANH takes the gemmlowp path at 2⁻¹¹
                assertWithin(Int16Activations.tanh(s), Math::tanh, s, 3, "tanh s_x=" + s);
            }
        }
    }

    /**
     * Every input, gemmlowp's int16 fixed point (its exp polynomial and Newton division, with Q15 constants, are
     * coarser than the table): LOGISTIC within 6 units, TANH within 12 (measured bounds; bit-exactness with TFLite
     * is what {@code Int16ActivationOracleTest} checks).
     */
    @Test
    void everyInputOfTheGemmlowpPathIsCloseToTheRealFunction() {
        assertWithin(Int16Activations.logistic(0x1p-12f), v -> 1 / (1 + Math.exp(-v)), 0x1p-12f, 6, "logistic Q3.12");
        assertWithin(Int16Activations.tanh(0x1p-12f), Math::tanh, 0x1p-12f, 12, "tanh Q3.12");
        // L = 1: the doubled input saturates above 16383, where tanh(8) is 1 to within 2⁻²¹
        assertWithin(
                Int16Activations.tanh(0x1p-11f),
                v -> Math.tanh(Math.max(-8, Math.min(8, v))),
                0x1p-11f,
                12,
                "tanh s_x=2^-11");
    }

    /**
     * The LSTM's tables: tanh of Q{@code k}.(15 − k) inputs for k = 0 … 4 (the cell state read with 15 + log2 s_c
     * integer bits), logistic of Q3.12.
     */
    @Test
    void lstmTablesCoverEveryInput() {
        short[] sig = Int16Activations.logisticQ3Table();
        for (int v = -32768; v <= 32767; v += 7) {
            assertThat((int) sig[v + 32768]).isEqualTo(Int16Activations.logisticQ3(v));
        }
        for (int k = 0; k <= 4; k++) {
            short[] t = Int16Activations.tanhTable(k);
            float s = (float) Math.scalb(1.0, k - 15);
            int bits = k;
            assertWithin(v -> t[v + 32768], Math::tanh, s, 12, "tanh Q" + k);
            for (int v = -32768; v <= 32767; v += 11) {
                assertThat((int) t[v + 32768]).isEqualTo(Int16Activations.tanh(v, bits));
            }
        }
        assertThatThrownBy(() -> Int16Activations.tanh(5, 5)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertWithin(
            IntUnaryOperator f, DoubleUnaryOperator real, float sx, int tolerance, String what) {
        int worst = 0;
        int at = 0;
        for (int x = -32768; x <= 32767; x++) {
            int got = f.applyAsInt(x);
            if (got < -32768 || got > 32767) {
                throw new AssertionError(what + " at " + x + ": " + got + " is not an int16");
            }
            long want = Math.min(32767, Math.round(ONE * real.applyAsDouble((double) sx * x)));
            int err = (int) Math.abs(got - want);
            if (err > worst) {
                worst = err;
                at = x;
            }
        }
        assertThat(worst).as(what + ": largest error at input " + at).isLessThanOrEqualTo(tolerance);
    }

    /** The interpreter's int16 LOGISTIC and TANH are these functions, and need zero points 0 and scale 2⁻¹⁵ out. */
    @Test
    void theInterpreterRunsTheseKernels() {
        short[] in = {-32768, -1000, -1, 0, 1, 77, 4096, 32767};
        for (OpType type : new OpType[] {OpType.LOGISTIC, OpType.TANH}) {
            for (float s : new float[] {0x1p-12f, 0.01f}) {
                short[] out = new short[in.length];
                try (Interpreter it = new Interpreter(unary(type, s, 1f / 32768))) {
                    it.run(in.clone(), out);
                }
                IntUnaryOperator f = type == OpType.LOGISTIC ? Int16Activations.logistic(s) : Int16Activations.tanh(s);
                for (int i = 0; i < in.length; i++) {
                    assertThat((int) out[i])
                            .as(type + " s_x=" + s + " x=" + in[i])
                            .isEqualTo(f.applyAsInt(in[i]));
                }
            }
        }
        try (Interpreter it = new Interpreter(unary(OpType.LOGISTIC, 0.01f, 1f / 256))) {
            assertThatThrownBy(it::allocateTensors)
                    .isInstanceOf(QuantaException.class)
                    .hasMessageContaining("int16 LOGISTIC needs zero points 0, output scale 1/32768");
        }
    }

    private static Model unary(OpType type, float sx, float sy) {
        Tensor x = new Tensor("x", Shape.of(1, 8), DType.INT16, null, QuantParams.perTensor(sx, 0), false);
        Tensor y = new Tensor("y", Shape.of(1, 8), DType.INT16, null, QuantParams.perTensor(sy, 0), false);
        Op op = new Op("y", type, List.of(x), List.of(y), OpAttributes.None.INSTANCE, new Origin("y", "Activation"));
        return new Model("m", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
    }
}
