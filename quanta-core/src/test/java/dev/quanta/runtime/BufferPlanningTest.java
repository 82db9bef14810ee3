package dev.quanta.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelBuilder;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Buffers;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.UsesFixtures;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Buffer planning: intermediate tensors whose lifetimes do not overlap share arrays, which changes neither the
 * outputs nor what a preserving interpreter can read.
 */
class BufferPlanningTest {
    private static final Origin O = new Origin("layer", "Test");

    /** x[3] → fc1[4] → fc2[4] → fc3[4] → fc4[2], all with identity weights where square. */
    private static final class Chain {
        final Tensor t1;
        final Tensor t2;
        final Tensor t3;
        final Model model;

        Chain() {
            ModelBuilder b = new ModelBuilder("chain");
            Tensor x = b.input("x", Shape.batched(3));
            Tensor w1 = b.constant("w1", Shape.of(4, 3), new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1});
            Tensor w = b.constant("w", Shape.of(4, 4), new float[] {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4});
            Tensor w4 = b.constant("w4", Shape.of(2, 4), new float[] {1, 1, 0, 0, 0, 0, 1, 1});
            t1 = b.add(OpType.FULLY_CONNECTED, "fc1", O, new OpAttributes.FullyConnected(Activation.RELU), x, w1);
            t2 = b.add(OpType.FULLY_CONNECTED, "fc2", O, new OpAttributes.FullyConnected(Activation.NONE), t1, w);
            t3 = b.add(OpType.FULLY_CONNECTED, "fc3", O, new OpAttributes.FullyConnected(Activation.NONE), t2, w);
            Tensor y =
                    b.add(OpType.FULLY_CONNECTED, "fc4", O, new OpAttributes.FullyConnected(Activation.NONE), t3, w4);
            model = b.output(y).build(ModelMetadata.inMemory());
        }
    }

    @Test
    void aTensorReadForTheLastTimeHandsItsArrayToALaterOne() {
        Chain c = new Chain();
        try (Interpreter it = new Interpreter(c.model)) {
            // fc2 is the last reader of t1, so fc3's output t3 reuses t1's array; t2 is live while fc3 runs
            assertThat(it.bufferOf(c.t3)).isSameAs(it.bufferOf(c.t1));
            assertThat(it.bufferOf(c.t2)).isNotSameAs(it.bufferOf(c.t1));
            // input 3 + t1/t3 4 + t2 4 + output 2 floats
            assertThat(it.activationBytes()).isEqualTo(4L * (3 + 4 + 4 + 2));
            float[] out = new float[2];
            it.run(new float[] {1, -2, 3}, out);
            // t1 = relu(1, -2, 3, 2) = (1, 0, 3, 2); t2 = (1, 0, 9, 8); t3 = (1, 0, 27, 32); y = (1, 59)
            assertThat(out).containsExactly(1f, 59f);
            assertThatThrownBy(() -> it.readTensor(c.t2))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("withPreserveAllTensors(true)");
            assertThatThrownBy(() -> it.readTensorAsFloats(c.t1)).isInstanceOf(IllegalStateException.class);
            // inputs and outputs stay readable
            assertThat((float[]) it.readTensor(c.model.inputs().get(0))).containsExactly(1f, -2f, 3f);
            assertThat(it.readTensorAsFloats(c.model.outputs().get(0))).containsExactly(1f, 59f);
        }
    }

    @Test
    void preservingEveryTensorGivesEachItsOwnReadableArray() {
        Chain c = new Chain();
        try (Interpreter it =
                new Interpreter(c.model, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            assertThat(it.bufferOf(c.t3)).isNotSameAs(it.bufferOf(c.t1));
            assertThat(it.activationBytes()).isEqualTo(4L * (3 + 4 + 4 + 4 + 2));
            it.run(new float[] {1, -2, 3}, new float[2]);
            assertThat((float[]) it.readTensor(c.t1)).containsExactly(1f, 0f, 3f, 2f);
            assertThat((float[]) it.readTensor(c.t2)).containsExactly(1f, 0f, 9f, 8f);
            assertThat(it.readTensorAsFloats(c.t3)).containsExactly(1f, 0f, 27f, 32f);
        }
    }

    @Test
    void optionsCompareThePreserveSetting() {
        Interpreter.Options d = Interpreter.Options.defaults();
        assertThat(d.preserveAllTensors()).isFalse();
        assertThat(d.withPreserveAllTensors(true)).isNotEqualTo(d);
        assertThat(d.withPreserveAllTensors(true).withPreserveAllTensors(false))
                .isEqualTo(d)
                .hasSameHashCodeAs(d);
        assertThat(d.withPreserveAllTensors(true).withNumThreads(2).preserveAllTensors())
                .isTrue();
    }

    /**
     * On real models the plan needs less memory, and a sharing interpreter that ran another input first (so its
     * shared arrays hold stale values of other tensors) gives exactly the outputs of a preserving one.
     */
    @UsesFixtures
    @ParameterizedTest
    @CsvSource({
        "mlperf-tiny/ic/pretrainedResnet.tflite, true",
        "mlperf-tiny/ic/pretrainedResnet_quant.tflite, true",
        "mlperf-tiny/kws/kws_ref_model.tflite, true",
        "mlperf-tiny/vww/vww_96_int8.tflite, true",
        "mlperf-tiny/ad/ad01_int8.tflite, true",
        // every intermediate of the LSTM has a length of its own: nothing to share
        "tflite-micro/mnist_lstm/trained_lstm_int8.tflite, false",
        "tflite-micro/mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite, true"
    })
    void sharingNeedsLessMemoryAndChangesNoOutput(String path, boolean smaller) {
        Model m = ModelFiles.load(Fixtures.require(path));
        try (Interpreter shared = new Interpreter(m);
                Interpreter preserved =
                        new Interpreter(m, Interpreter.Options.defaults().withPreserveAllTensors(true))) {
            long planned = shared.activationBytes();
            long all = preserved.activationBytes();
            System.out.printf(
                    Locale.ROOT,
                    "%s: activations %,d bytes planned, %,d bytes with every tensor preserved (%.2fx)%n",
                    path,
                    planned,
                    all,
                    (double) all / planned);
            if (smaller) {
                assertThat(planned).isLessThan(all);
            } else {
                assertThat(planned).isEqualTo(all);
            }
            Tensor in = m.inputs().get(0);
            Tensor out = m.outputs().get(0);
            int n = shared.getInputTensor(0).numElements();
            Object first = randomInput(in, n, 1);
            Object second = randomInput(in, n, 2);
            Object a = Buffers.allocate(out.dtype(), shared.getOutputTensor(0).numElements());
            Object b =
                    Buffers.allocate(out.dtype(), preserved.getOutputTensor(0).numElements());
            shared.run(first, a);
            shared.run(second, a);
            preserved.run(second, b);
            assertThat(a).isEqualTo(b);
        }
    }

    private static Object randomInput(Tensor t, int n, long seed) {
        Object x = Buffers.allocate(t.dtype(), n);
        SplittableRandom r = new SplittableRandom(seed);
        switch (x) {
            case float[] f -> {
                for (int i = 0; i < n; i++) {
                    f[i] = (float) r.nextDouble(-1, 1);
                }
            }
            case byte[] bytes -> r.nextBytes(bytes);
            default -> throw new IllegalArgumentException("input type " + t.dtype());
        }
        return x;
    }
}
