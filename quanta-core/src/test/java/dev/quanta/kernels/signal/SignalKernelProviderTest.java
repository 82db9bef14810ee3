package dev.quanta.kernels.signal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.Kernel;
import dev.quanta.kernels.Kernels;
import dev.quanta.kernels.Parallel;
import dev.quanta.kernels.QuantizedPath;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link Kernels} reaches the signal kernels through the registered {@link SignalKernelProvider}. */
class SignalKernelProviderTest {

    @Test
    void kernelsFindsTheSignalProvider() {
        Tensor x = new Tensor("x", Shape.of(4), DType.INT16, null, null, false);
        Tensor w = new Tensor("w", Shape.of(2), DType.INT16, null, null, false);
        Tensor y = new Tensor("y", Shape.of(4), DType.INT16, null, null, false);
        Op window = new Op(
                "window",
                OpType.SIGNAL_WINDOW,
                List.of(x, w),
                List.of(y),
                new OpAttributes.SignalWindow(2),
                new Origin("window", "SignalWindow"));
        Map<Tensor, Object> buffers = new IdentityHashMap<>();
        buffers.put(x, new short[] {100, -100, 32767, 7});
        buffers.put(w, new short[] {4, 3});
        buffers.put(y, new short[4]);
        Kernel k = Kernels.create(window, buffers::get, t -> t.shape().dims(), QuantizedPath.XNNPACK);
        k.run(Parallel.of(1));
        // y[i] = (x[i] · w[i mod 2]) >> 2, saturated to int16
        assertThat((short[]) buffers.get(y)).containsExactly((short) 100, (short) -75, (short) 32767, (short) 5);
    }
}
