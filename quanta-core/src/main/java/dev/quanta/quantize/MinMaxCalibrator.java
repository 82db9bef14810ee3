package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Observes activation ranges: runs the float model over calibration samples and records, for the graph inputs and
 * every op output, the minimum and maximum real value seen over all samples (TFLite's default min/max
 * calibration, without averaging); for LSTM ops also the largest magnitude of the cell state.
 */
public final class MinMaxCalibrator {
    private MinMaxCalibrator() {}

    /**
     * @param samples how many samples of {@code data} to use (the first ones)
     * @throws QuantaException when the data is empty or does not fit the model's input
     */
    public static Calibration calibrate(Model model, Dataset data, int samples, int threads) {
        if (model.inputs().size() != 1) {
            throw new QuantaException("model '" + model.name() + "' has "
                    + model.inputs().size() + " inputs; calibration takes models with one input");
        }
        Tensor input = model.inputs().get(0);
        int n = Math.min(samples, data.size());
        if (n <= 0) {
            throw new QuantaException(data.name() + ": the calibration set is empty");
        }
        int sampleSize = input.shape().sampleElementCount();
        if (data.sampleSize() != sampleSize) {
            throw new QuantaException(data.name() + ": calibration samples have shape "
                    + Arrays.toString(data.sampleShape()) + " (" + data.sampleSize() + " values) but model input '"
                    + input.name() + "' takes " + input.shape() + " (" + sampleSize + " values per sample)");
        }
        List<Tensor> observed = new java.util.ArrayList<>(model.inputs());
        for (Op op : model.ops()) {
            for (Tensor t : op.outputs()) {
                if (t.dtype() == DType.FLOAT32) {
                    observed.add(t);
                }
            }
        }
        List<Op> lstms = model.ops().stream()
                .filter(o -> o.type() == dev.quanta.ir.OpType.UNIDIRECTIONAL_SEQUENCE_LSTM
                        && o.input(0).dtype() == DType.FLOAT32)
                .toList();
        float[] cellAbsMax = new float[lstms.size()];
        float[] min = new float[observed.size()];
        float[] max = new float[observed.size()];
        Arrays.fill(min, Float.POSITIVE_INFINITY);
        Arrays.fill(max, Float.NEGATIVE_INFINITY);
        int batch = 32;
        try (Interpreter it = new Interpreter(
                model, Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true))) {
            float[] in = new float[0];
            for (int s = 0; s < n; s += batch) {
                int count = Math.min(batch, n - s);
                if (in.length != count * sampleSize) {
                    int[] dims = input.shape().dims();
                    dims[0] = count;
                    it.resizeInput(0, dims);
                    in = new float[count * sampleSize];
                }
                data.copyBatch(s, count, in);
                it.runForMultipleInputsOutputs(new Object[] {in}, new Object[0]);
                for (int k = 0; k < lstms.size(); k++) {
                    // the kernel keeps its maximum since the last (re)allocation: read it after every batch
                    float m = it.stateAbsMax(lstms.get(k));
                    if (!Float.isNaN(m)) {
                        cellAbsMax[k] = Math.max(cellAbsMax[k], m);
                    }
                }
                for (int k = 0; k < observed.size(); k++) {
                    float[] v = (float[]) it.readTensor(observed.get(k));
                    for (float x : v) {
                        if (x < min[k]) {
                            min[k] = x;
                        }
                        if (x > max[k]) {
                            max[k] = x;
                        }
                    }
                }
            }
        }
        Map<Tensor, TensorRange> ranges = new IdentityHashMap<>();
        for (int k = 0; k < observed.size(); k++) {
            ranges.put(observed.get(k), new TensorRange(min[k], max[k]));
        }
        Map<Op, TensorRange> cells = new IdentityHashMap<>();
        for (int k = 0; k < lstms.size(); k++) {
            cells.put(lstms.get(k), new TensorRange(-cellAbsMax[k], cellAbsMax[k]));
        }
        return new Calibration(ranges, cells);
    }
}
