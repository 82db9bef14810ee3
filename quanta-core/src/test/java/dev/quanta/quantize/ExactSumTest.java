package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** {@link ExactSum} against the exact sum in {@link BigDecimal}, and its merge in any order or grouping. */
class ExactSumTest {

    private static double exact(List<Double> values) {
        BigDecimal s = BigDecimal.ZERO;
        for (double v : values) {
            s = s.add(new BigDecimal(v));
        }
        return s.doubleValue();
    }

    private static ExactSum sum(List<Double> values) {
        ExactSum s = new ExactSum();
        values.forEach(s::add);
        return s;
    }

    /** Finite doubles of every magnitude: subnormals, tiny, ordinary and huge, both signs. */
    @Provide
    Arbitrary<List<Double>> values() {
        Arbitrary<Double> anyFinite =
                Arbitraries.longs().map(Double::longBitsToDouble).filter(Double::isFinite);
        Arbitrary<Double> ordinary = Arbitraries.doubles().between(-1e6, 1e6);
        Arbitrary<Double> squares = Arbitraries.floats().map(f -> (double) f * f);
        return Arbitraries.oneOf(anyFinite, ordinary, squares).list().ofMaxSize(60);
    }

    @Property(tries = 300)
    void isTheExactSumRoundedOnceInAnyOrderAndGrouping(@ForAll("values") List<Double> values, @ForAll long seed) {
        double expected = exact(values);
        assertThat(sum(values).value()).isEqualTo(expected);

        // shuffled, cut into parts, the parts merged in another order
        Random r = new Random(seed);
        List<Double> shuffled = new ArrayList<>(values);
        Collections.shuffle(shuffled, r);
        List<ExactSum> parts = new ArrayList<>();
        int at = 0;
        while (at < shuffled.size()) {
            int to = at + 1 + r.nextInt(shuffled.size() - at);
            parts.add(sum(shuffled.subList(at, to)));
            at = to;
        }
        Collections.shuffle(parts, r);
        ExactSum merged = new ExactSum();
        parts.forEach(merged::add);
        assertThat(merged.value()).isEqualTo(expected);
        assertThat(merged).isEqualTo(sum(values));
    }

    @Test
    void keepsWhatAdditionInDoublesLoses() {
        // 1e16 + 1 rounds back to 1e16 in doubles; exactly it is not
        assertThat(sum(List.of(1e16, 1.0, -1e16)).value()).isEqualTo(1.0);
        assertThat(1e16 + 1.0 - 1e16).isEqualTo(0.0);
        // ten times the double nearest 0.1 is 1.0000000000000000555..., which rounds to 1.0 (not 0.9999999999999999)
        List<Double> tenths = Collections.nCopies(10, 0.1);
        assertThat(sum(tenths).value()).isEqualTo(1.0);
        double naive = 0;
        for (double t : tenths) {
            naive += t;
        }
        assertThat(naive).isEqualTo(0.9999999999999999);
        // the smallest subnormals and the largest doubles
        assertThat(sum(List.of(Double.MIN_VALUE, Double.MIN_VALUE)).value()).isEqualTo(2 * Double.MIN_VALUE);
        assertThat(sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE))
                        .value())
                .isEqualTo(Double.MAX_VALUE);
        assertThat(sum(List.of(Double.MAX_VALUE, Double.MAX_VALUE)).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(new ExactSum().value()).isEqualTo(0.0);
    }

    @Test
    void infinitiesAndNanAsIeeeAdditionHasThem() {
        assertThat(sum(List.of(1.0, Double.POSITIVE_INFINITY)).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(sum(List.of(1.0, Double.NEGATIVE_INFINITY)).value()).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(sum(List.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY))
                        .value())
                .isNaN();
        assertThat(sum(List.of(1.0, Double.NaN)).value()).isNaN();
    }
}
