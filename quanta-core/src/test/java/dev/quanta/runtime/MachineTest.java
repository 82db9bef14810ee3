package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.kernels.Simd;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MachineTest {
    @Test
    void describesTheCpuTheJdkAndTheKernels() throws Exception {
        Machine m = Machine.current();
        assertThat(m.cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(m.jdk()).isEqualTo(Runtime.version().toString());
        assertThat(m.kernels()).isEqualTo(Simd.describe());
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            String text = Files.readString(cpuinfo);
            assertThat(text).contains(m.cpu());
            for (String f : m.simdFeatures()) {
                assertThat(text).containsPattern("\\s" + f + "(\\s|$)");
            }
            if (text.contains(" avx2 ")) {
                assertThat(m.simdFeatures()).contains("avx2");
            }
        }
        assertThat(m.describe())
                .startsWith(m.cpu() + " (")
                .contains(m.cpus() + " CPU")
                .contains("JDK " + m.jdk())
                .endsWith("kernels: " + Simd.describe());
    }
}
