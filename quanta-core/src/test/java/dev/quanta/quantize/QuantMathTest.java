package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.QuantParams;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;

class QuantMathTest {

    @Property
    void zeroIsExactlyRepresentableAndParamsAreInRange(
            @ForAll @FloatRange(min = -1000, max = 1000) float a,
            @ForAll @FloatRange(min = -1000, max = 1000) float b) {
        float lo = Math.min(a, b);
        float hi = Math.max(a, b);
        for (int[] range : new int[][] {{-128, 127}, {0, 255}}) {
            QuantParams p = QuantMath.asymmetric(lo, hi, range[0], range[1]);
            assertThat(p.scale()).isPositive();
            assertThat(p.zeroPoint()).isBetween((long) range[0], (long) range[1]);
            long q0 = QuantMath.quantize(0f, p.scale(), p.zeroPoint(), range[0], range[1]);
            assertThat(p.scale() * (q0 - p.zeroPoint())).isEqualTo(0f);
        }
    }

    @Property
    void valuesInsideTheRangeRoundTripWithinHalfAStep(
            @ForAll @FloatRange(min = -50, max = 0) float lo,
            @ForAll @FloatRange(min = 0, max = 50) float hi,
            @ForAll @FloatRange(min = 0, max = 1) float t) {
        Assume.that(hi - lo > 1e-3);
        QuantParams p = QuantMath.asymmetric(lo, hi, -128, 127);
        float r = lo + t * (hi - lo);
        long q = QuantMath.quantize(r, p.scale(), p.zeroPoint(), -128, 127);
        float back = p.scale() * (q - p.zeroPoint());
        // the zero point is rounded, which shifts the grid by at most half a step: error <= one step
        assertThat(Math.abs(back - r)).isLessThanOrEqualTo(p.scale() * 1.0001f);
        long again = QuantMath.quantize(back, p.scale(), p.zeroPoint(), -128, 127);
        assertThat(again).as("quantize(dequantize(q)) == q").isEqualTo(q);
    }

    @Test
    void exactCasesFromTheSpec() {
        // [0, 6] on int8 (ReLU6): scale 6/255, zero point -128
        QuantParams relu6 = QuantMath.asymmetric(0, 6, -128, 127);
        assertThat(relu6.scale()).isEqualTo(6f / 255f);
        assertThat(relu6.zeroPoint()).isEqualTo(-128);
        // [-1, 1] on int8: scale 2/255, zero point round(-128 + 127.5) = 0 (half away from zero: -0.5 -> -1)
        QuantParams sym = QuantMath.asymmetric(-1, 1, -128, 127);
        assertThat(sym.scale()).isEqualTo(2f / 255f);
        assertThat(sym.zeroPoint()).isEqualTo(-1);
        // a range entirely above zero is widened to include it
        assertThat(QuantMath.asymmetric(2, 4, 0, 255).zeroPoint()).isZero();
        assertThat(QuantMath.asymmetric(2, 4, 0, 255).scale()).isEqualTo(4f / 255f);
        // symmetric weights: max |w| maps to 127
        assertThat(QuantMath.symmetric(0.5, 127).scale()).isEqualTo(0.5f / 127);
        assertThat(QuantMath.quantize(-0.5f, 0.5f / 127, 0, -127, 127)).isEqualTo(-127);
        assertThat(QuantMath.round(2.5)).isEqualTo(3);
        assertThat(QuantMath.round(-2.5)).isEqualTo(-3);
        assertThat(QuantMath.symmetric(0, 127).scale()).isEqualTo(1f);
    }
}
