package dev.quanta.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class PairedComparisonTest {

    @Test
    void countsTheSamplesOnlyOneSideGetsRight() {
        boolean[] first = {true, true, false, false, true, false};
        boolean[] second = {true, false, true, true, false, false};
        PairedComparison p = PairedComparison.of(first, second);
        assertThat(p).isEqualTo(new PairedComparison(6, 2, 2));
        assertThat(p.discordant()).isEqualTo(4);
        assertThatThrownBy(() -> PairedComparison.of(new boolean[2], new boolean[3]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 and 3 samples");
        assertThatThrownBy(() -> new PairedComparison(5, 3, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("do not fit 5 samples");
    }

    /** Values worked by hand from the binomial distribution with p = ½. */
    @Test
    void exactTwoSidedPValues() {
        // no discordant sample, or an even split: nothing to tell them apart
        assertThat(new PairedComparison(100, 0, 0).p()).isEqualTo(1.0);
        assertThat(new PairedComparison(100, 4, 4).p()).isEqualTo(1.0);
        // 3 against 4 of 7: 2 (1 + 7 + 21 + 35) / 2^7 = 1, capped
        assertThat(new PairedComparison(200, 3, 4).p()).isEqualTo(1.0);
        // 0 against 5: 2 / 32, not below the 0.05 level
        assertThat(new PairedComparison(50, 0, 5).p()).isCloseTo(0.0625, within(1e-15));
        assertThat(new PairedComparison(50, 0, 5).significant()).isFalse();
        assertThat(new PairedComparison(50, 0, 6).significant()).isTrue();
        // 1 against 9: 2 (1 + 10) / 1024
        assertThat(new PairedComparison(50, 9, 1).p()).isCloseTo(22.0 / 1024, within(1e-15));
        // 2 against 10: 2 (1 + 12 + 66) / 4096
        assertThat(new PairedComparison(50, 2, 10).p()).isCloseTo(158.0 / 4096, within(1e-15));
        // thousands of discordant samples: 2^-n underflows a double, the log-space sum does not
        assertThat(new PairedComparison(20_000, 0, 1500).p()).isZero();
        assertThat(new PairedComparison(20_000, 4000, 4000).p()).isEqualTo(1.0);
        assertThat(new PairedComparison(20_000, 4000, 4100).p()).isCloseTo(exact(4000, 4100), withinPercentage(1e-6));
    }

    @Property(tries = 300)
    void matchesTheExactBinomialSumAndIsSymmetric(
            @ForAll @IntRange(min = 0, max = 400) int b, @ForAll @IntRange(min = 0, max = 400) int c) {
        PairedComparison p = new PairedComparison(b + c + 10, b, c);
        assertThat(p.p()).isCloseTo(exact(b, c), withinPercentage(1e-6));
        assertThat(p.p()).isEqualTo(new PairedComparison(b + c + 10, c, b).p());
        assertThat(p.p()).isBetween(0.0, 1.0);
    }

    /** min(1, 2 Σ_{k ≤ min(b, c)} C(n, k) / 2ⁿ) in exact integers, then rounded. */
    private static double exact(int b, int c) {
        int n = b + c;
        BigInteger sum = BigInteger.ZERO;
        BigInteger binomial = BigInteger.ONE;
        for (int k = 0; k <= Math.min(b, c); k++) {
            sum = sum.add(binomial);
            binomial = binomial.multiply(BigInteger.valueOf(n - k)).divide(BigInteger.valueOf(k + 1));
        }
        BigDecimal p = new BigDecimal(sum.shiftLeft(1))
                .divide(new BigDecimal(BigInteger.ONE.shiftLeft(n)), MathContext.DECIMAL128);
        return Math.min(1, p.doubleValue());
    }
}
