package dev.quanta.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.kernels.conv.ConvolutionKernels;
import dev.quanta.kernels.elementwise.ElementwiseKernels;
import dev.quanta.kernels.reduce.ReductionKernels;
import dev.quanta.kernels.sequence.SequenceKernels;
import dev.quanta.kernels.shape.ShapeKernels;
import dev.quanta.kernels.signal.SignalKernelProvider;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The kernel registry ({@link Kernels#registry()}): every row belongs to exactly one family, the family whose
 * {@link KernelProvider#handles} takes an op of the row's op and type, so that {@link Kernels#create} has one
 * answer; no op × type × form has two rows.
 */
class KernelRegistryTest {
    private static final Origin ORIGIN = new Origin("test", "test");

    /**
     * An op of the row's type: two inputs and one output of its type (quantized when int8, uint8 or int16); a
     * comparison or logical op gives BOOL, ARG_MAX/ARG_MIN and SHAPE INT32, and SELECT takes a BOOL condition first.
     */
    private static Op opOf(KernelSupport row) {
        Tensor x = tensor("x", row.type(), row.op());
        Tensor w = row.hybrid()
                ? new Tensor(
                        "w",
                        Shape.of(2, 2),
                        DType.INT8,
                        TensorData.ofBytes(DType.INT8, new byte[4]),
                        QuantParams.perTensor(0.1f, 0),
                        true)
                : tensor("w", row.type(), row.op());
        DType out = switch (row.op()) {
            case LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT ->
                DType.BOOL;
            case ARG_MAX, ARG_MIN, SHAPE -> DType.INT32;
            default -> row.type();
        };
        List<Tensor> inputs = row.op() == OpType.SELECT || row.op() == OpType.SELECT_V2
                ? List.of(tensor("c", DType.BOOL, row.op()), x, w)
                : List.of(x, w);
        return new Op("op", row.op(), inputs, List.of(tensor("y", out, row.op())), OpAttributes.None.INSTANCE, ORIGIN);
    }

    private static Tensor tensor(String name, DType t, OpType op) {
        boolean quantized = (t == DType.INT8 || t == DType.UINT8 || t == DType.INT16) && op != OpType.CAST;
        return new Tensor(name, Shape.of(2, 2), t, null, quantized ? QuantParams.perTensor(0.1f, 0) : null, false);
    }

    @Test
    void everyRowBelongsToExactlyOneFamilyWhichHandlesIt() {
        List<KernelSupport> rows = Kernels.registry();
        assertThat(rows).hasSizeGreaterThan(100);
        List<String> wrong = new ArrayList<>();
        for (KernelSupport row : rows) {
            Op op = opOf(row);
            List<KernelProvider> handling = new ArrayList<>();
            for (KernelProvider p : Kernels.families()) {
                if (p.handles(op)) {
                    handling.add(p);
                }
            }
            String what = row.op() + " " + row.type() + (row.hybrid() ? " hybrid" : "");
            if (handling.size() != 1) {
                wrong.add(what + " handled by "
                        + handling.stream()
                                .map(p -> p.getClass().getSimpleName())
                                .toList());
            } else if (!handling.get(0).supported().contains(row)) {
                wrong.add(what + " handled by " + handling.get(0).getClass().getSimpleName() + ", which has no row");
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void noOpTypeAndFormHasTwoRows() {
        Set<String> seen = new HashSet<>();
        for (KernelSupport row : Kernels.registry()) {
            assertThat(seen.add(row.op() + " " + row.type() + " " + row.hybrid()))
                    .as("second row for %s %s", row.op(), row.type())
                    .isTrue();
        }
    }

    @Test
    void theBuiltInFamiliesAndTheServiceLoaderProvidersAreAllRegistered() {
        assertThat(Kernels.families())
                .<Object>map(KernelProvider::getClass)
                .contains(
                        ConvolutionKernels.class,
                        ElementwiseKernels.class,
                        ShapeKernels.class,
                        ReductionKernels.class,
                        SequenceKernels.class,
                        SignalKernelProvider.class);
    }

    @Test
    void quantizedFormsOfPlainOpsAreNotClaimedByTheElementwiseFamily() {
        // MUL on quantized int8 tensors is a separate kernel family's: the plain (type-generic) one must not take it
        KernelSupport plain = KernelSupport.bothPaths(OpType.MUL, DType.INT8, "probe");
        assertThat(new ElementwiseKernels().handles(opOf(plain))).isFalse();
        assertThat(new ElementwiseKernels().handles(opOf(KernelSupport.bothPaths(OpType.MUL, DType.INT32, "probe"))))
                .isTrue();
    }

    @Test
    void tfliteHasNoInt16Relu6SoTheRegistryHasNoSuchRow() {
        assertThat(Kernels.registry())
                .noneMatch(r -> r.op() == OpType.RELU6 && r.type() == DType.INT16)
                .anyMatch(r -> r.op() == OpType.RELU6 && r.type() == DType.INT8 && r.onBothPaths());
    }

    @Test
    void hybridFullyConnectedIsExactOnTheBuiltInPathOnly() {
        assertThat(Kernels.registry())
                .filteredOn(r -> r.op() == OpType.FULLY_CONNECTED && r.hybrid())
                .singleElement()
                .extracting(KernelSupport::paths)
                .isEqualTo(Set.of(QuantizedPath.BUILTIN));
    }
}
