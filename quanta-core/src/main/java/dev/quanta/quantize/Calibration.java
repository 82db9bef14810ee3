package dev.quanta.quantize;

import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import java.util.List;
import java.util.Map;

/**
 * What calibration observed: the range of the graph inputs and of every float op output, and for every float
 * LSTM op the range of its cell state (an internal tensor of the op, whose integer form needs a power-of-two
 * scale that covers it).
 *
 * @param ranges the range each tensor is quantized over: the one {@code calibrator} chose
 * @param tensors per tensor whose own range sets its parameters, what was seen and chosen (in graph order)
 * @param warnings one line each: a calibration set smaller than advised, a range end set by very few samples
 */
public record Calibration(
        Map<Tensor, TensorRange> ranges,
        Map<Op, TensorRange> lstmCellStates,
        Calibrator calibrator,
        List<TensorCalibration> tensors,
        List<String> warnings) {
    public Calibration {
        tensors = List.copyOf(tensors);
        warnings = List.copyOf(warnings);
    }

    /** A calibration without warnings. */
    public Calibration(
            Map<Tensor, TensorRange> ranges,
            Map<Op, TensorRange> lstmCellStates,
            Calibrator calibrator,
            List<TensorCalibration> tensors) {
        this(ranges, lstmCellStates, calibrator, tensors, List.of());
    }

    /** Min/max ranges, without per-tensor details. */
    public Calibration(Map<Tensor, TensorRange> ranges, Map<Op, TensorRange> lstmCellStates) {
        this(ranges, lstmCellStates, Calibrator.MINMAX, List.of(), List.of());
    }

    /** No observations (for the modes that do not calibrate). */
    public static Calibration none() {
        return new Calibration(Map.of(), Map.of());
    }
}
