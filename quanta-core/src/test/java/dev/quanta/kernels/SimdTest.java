package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SimdTest {
    @Test
    void offWhenAskedOrWithoutTheModule() {
        assertThat(Simd.detect("off", true).enabled()).isFalse();
        assertThat(Simd.detect("OFF", true).reason()).isEqualTo("QUANTA_SIMD=OFF");
        Simd.State noModule = Simd.detect(null, false);
        assertThat(noModule.enabled()).isFalse();
        assertThat(noModule.reason()).contains("--add-modules jdk.incubator.vector");
    }

    @Test
    void widthIsThePreferredOneCappedBySetting() {
        int preferred = jdk.incubator.vector.VectorShape.preferredShape().vectorBitSize();
        assertThat(Simd.detect(null, true).bits()).isEqualTo(preferred);
        assertThat(Simd.detect("on", true).bits()).isEqualTo(preferred);
        assertThat(Simd.detect("128", true).bits()).isEqualTo(128);
        assertThat(Simd.detect("512", true).bits()).isEqualTo(Math.min(512, preferred));
    }

    @Test
    void refusesAnUnknownSetting() {
        assertThatThrownBy(() -> Simd.detect("fast", true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("QUANTA_SIMD must be on, off, 128, 256 or 512, got 'fast'");
    }

    @Test
    void testsRunWithTheModuleAndTheSpeciesFollowTheWidth() {
        // the build adds the module to the test JVMs; CI's QUANTA_SIMD=off run checks the fallback
        boolean off = "off".equalsIgnoreCase(System.getenv("QUANTA_SIMD"));
        assertThat(Simd.enabled()).isEqualTo(!off);
        if (!off) {
            assertThat(SimdSpecies.FLOAT.vectorBitSize()).isEqualTo(Simd.bits());
            assertThat(Simd.describe()).startsWith("Vector API, " + Simd.bits() + "-bit");
        } else {
            assertThat(Simd.describe()).isEqualTo("off (QUANTA_SIMD=off)");
        }
    }
}
