package dev.quanta.quantize;

import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.Map;

/**
 * What calibration observed: the range of the graph inputs and of every float op output, and for every float
 * LSTM op the range of its cell state (an internal tensor of the op, whose integer form needs a power-of-two
 * scale that covers it).
 */
public record Calibration(Map<Tensor, TensorRange> ranges, Map<Op, TensorRange> lstmCellStates) {
    /** No observations (for the modes that do not calibrate). */
    public static Calibration none() {
        return new Calibration(Map.of(), Map.of());
    }
}
