package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * {@link Interpreter#run} itself allocates nothing: no wrapper arrays, iterators or per-run lambdas (counted with
 * the JVM's per-thread allocation counter over a model whose kernels allocate nothing either).
 */
class RunAllocationTest {
    @Test
    void runAllocatesNoBytes() {
        ModelBuilder b = new ModelBuilder("relus");
        Tensor t = b.input("x", Shape.batched(64));
        for (int i = 0; i < 3; i++) {
            t = b.add(OpType.RELU, "r" + i, new Origin("r" + i, "ReLU"), OpAttributes.None.INSTANCE, t);
        }
        Model m = b.output(t).build(ModelMetadata.inMemory());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        try (Interpreter it = new Interpreter(m)) {
            float[] in = new float[64];
            float[] out = new float[64];
            in[5] = 2f;
            in[6] = -1f;
            Object[] ins = {in};
            Object[] outs = {out};
            for (int i = 0; i < 2_000; i++) { // classes loaded, first compilations done
                it.run(in, out);
                it.runForMultipleInputsOutputs(ins, outs);
            }
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 1_000; i++) {
                it.run(in, out);
                it.runForMultipleInputsOutputs(ins, outs);
            }
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            // before: two wrapper arrays, an iterator and a method reference per ReLU, 100+ bytes a run
            assertThat(allocated).as("bytes allocated by 2,000 runs").isLessThan(2_000);
            assertThat(out[5]).isEqualTo(2f);
            assertThat(out[6]).isZero();
        }
    }
}
