package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;

/**
 * The one pass over calibration data that calibration and bias correction share: the float model runs over the
 * first {@code n} samples in batches of {@link #BATCH}, keeping every tensor readable after each batch.
 */
final class CalibrationBatches {
    /** Samples per inference. */
    static final int BATCH = 32;

    private CalibrationBatches() {}

    /** What to do after each batch has run: its tensors are readable from {@code it}. */
    interface AfterBatch {
        /**
         * @param first index of the batch's first sample
         * @param count samples in the batch
         */
        void accept(Interpreter it, int first, int count);
    }

    /** Runs {@code model} (one input) over samples [0, n) of {@code data}, calling {@code after} per batch. */
    static void run(Model model, Dataset data, int n, int threads, AfterBatch after) {
        Tensor input = model.inputs().get(0);
        int sampleSize = input.shape().sampleElementCount();
        try (Interpreter it = new Interpreter(
                model, Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true))) {
            float[] in = new float[0];
            for (int s = 0; s < n; s += BATCH) {
                int count = Math.min(BATCH, n - s);
                if (in.length != count * sampleSize) {
                    int[] dims = input.shape().dims();
                    dims[0] = count;
                    it.resizeInput(0, dims);
                    in = new float[count * sampleSize];
                }
                data.copyBatch(s, count, in);
                it.runForMultipleInputsOutputs(new Object[] {in}, new Object[0]);
                after.accept(it, s, count);
            }
        }
    }
}
