package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.testing.CoreArrays;
import dev.quanta.testing.CoreModels;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Ops too small to pay for a second thread run on the caller alone; the results do not change. */
class ParallelWorkTest {
    /** input[256] → Dense(512) (131,072 multiply-adds) → Dense(3) (1,536). */
    private static Model bigThenSmall() {
        ModelBuilder b = new ModelBuilder("work");
        Tensor x = b.input("x", Shape.batched(256));
        SplittableRandom r = new SplittableRandom(5);
        Tensor h = CoreModels.dense(b, "big", x, CoreArrays.uniform(r, 256 * 512, -0.1f, 0.1f));
        Tensor y = CoreModels.dense(b, "small", h, CoreArrays.uniform(r, 512 * 3, -0.1f, 0.1f));
        return b.output(y).build(ModelMetadata.inMemory());
    }

    @Test
    void onlyOpsWithEnoughWorkAreSplit() {
        Model m = bigThenSmall();
        try (Interpreter two = new Interpreter(m, Interpreter.Options.defaults().withNumThreads(2))) {
            two.allocateTensors();
            assertThat(two.work(m.ops().get(0))).isEqualTo(256L * 512);
            assertThat(two.work(m.ops().get(1))).isEqualTo(512L * 3);
            assertThat(two.parallelKernelCount()).isEqualTo(1);
            // a batch of 8 makes the small layer 12,288 multiply-adds: still below the threshold
            two.resizeInput(0, new int[] {8, 256});
            two.allocateTensors();
            assertThat(two.work(m.ops().get(1))).isEqualTo(8L * 512 * 3);
            assertThat(two.parallelKernelCount()).isEqualTo(1);
            two.resizeInput(0, new int[] {64, 256});
            two.allocateTensors();
            assertThat(two.parallelKernelCount()).as("98,304 multiply-adds").isEqualTo(2);

            float[] in = CoreArrays.uniform(new SplittableRandom(9), 64 * 256, -1, 1);
            float[] outTwo = new float[64 * 3];
            two.run(in, outTwo);
            try (Interpreter one = new Interpreter(m)) {
                one.resizeInput(0, new int[] {64, 256});
                float[] outOne = new float[64 * 3];
                one.run(in, outOne);
                assertThat(outTwo).containsExactly(outOne);
            }
        }
    }
}
