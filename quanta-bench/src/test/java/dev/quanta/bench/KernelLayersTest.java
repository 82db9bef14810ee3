package dev.quanta.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.Buffers;
import dev.quanta.runtime.Interpreter;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Param;

class KernelLayersTest {
    /** The work of a layer recounted from its model: 2·MACs for conv and FC, elements for ADD, taps for pools. */
    private static long opsOf(Model m) {
        Op op = m.ops().get(0);
        long out = op.output(0).shape().elementCount();
        return switch (op.type()) {
            case CONV_2D, FULLY_CONNECTED -> {
                int[] w = op.input(1).shape().dims();
                yield 2 * out * (op.input(1).shape().elementCount() / w[0]);
            }
            case DEPTHWISE_CONV_2D -> {
                int[] w = op.input(1).shape().dims();
                yield 2 * out * w[1] * w[2];
            }
            case ADD -> out;
            case MAX_POOL_2D, AVERAGE_POOL_2D -> {
                var p = (OpAttributes.Pool2D) op.attributes();
                yield out * p.filterH() * p.filterW();
            }
            default -> throw new AssertionError(op.type().name());
        };
    }

    @Test
    void opsMatchTheModelsAndTheUsualCounts() {
        for (KernelLayers.Layer l : KernelLayers.LAYERS.values()) {
            assertThat(l.ops()).as(l.key()).isEqualTo(opsOf(l.model().get()));
        }
        assertThat(KernelLayers.get("f32-conv3x3-16-32x32").ops()).isEqualTo(4_718_592L); // 2 · 1024 · 16 · 144
        assertThat(KernelLayers.get("i8-fc-256-64").ops()).isEqualTo(32_768L);
        assertThat(KernelLayers.get("i8-avgpool2x2-32x32x16").ops()).isEqualTo(16_384L);
    }

    @Test
    void jmhRunsEveryLayerByDefault() throws NoSuchFieldException {
        String[] keys = KernelThroughput.class
                .getField("layer")
                .getAnnotation(Param.class)
                .value();
        assertThat(keys).containsExactlyElementsOf(KernelLayers.LAYERS.keySet());
    }

    /** Each model runs as one kernel, and its output spreads over many values (no layer saturates to a constant). */
    @Test
    void everyLayerRunsOneKernelWithVaryingOutput() {
        for (KernelLayers.Layer l : KernelLayers.LAYERS.values()) {
            Model m = l.model().get();
            try (Interpreter it = new Interpreter(m)) {
                SplittableRandom r = new SplittableRandom(5);
                Object[] in = new Object[m.inputs().size()];
                for (int i = 0; i < in.length; i++) {
                    Object a = Buffers.allocate(
                            m.inputs().get(i).dtype(), it.getInputTensor(i).numElements());
                    switch (a) {
                        case float[] f ->
                            IntStream.range(0, f.length).forEach(k -> f[k] = (float) r.nextDouble() - 0.5f);
                        case byte[] b -> r.nextBytes(b);
                        default -> throw new AssertionError(a.getClass().getName());
                    }
                    in[i] = a;
                }
                Object out = Buffers.allocate(
                        m.outputs().get(0).dtype(), it.getOutputTensor(0).numElements());
                it.setProfiling(true);
                it.runForMultipleInputsOutputs(in, new Object[] {out});
                assertThat(it.opTimings()).as(l.key()).hasSize(1);
                long distinct = switch (out) {
                    case float[] f ->
                        IntStream.range(0, f.length)
                                .mapToDouble(k -> f[k])
                                .distinct()
                                .count();
                    case byte[] b ->
                        IntStream.range(0, b.length).map(k -> b[k]).distinct().count();
                    default -> throw new AssertionError(out.getClass().getName());
                };
                assertThat(distinct)
                        .as(l.key() + " distinct outputs")
                        .isGreaterThanOrEqualTo(Math.min(20, Buffers.length(out) / 2));
            }
        }
    }
}
