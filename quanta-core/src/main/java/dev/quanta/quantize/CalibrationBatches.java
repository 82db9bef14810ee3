package dev.quanta.quantize;

import dev.quanta.QuantaException;
import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
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

    /**
     * Runs {@code model} (one input) over samples [0, n) of {@code data}, calling {@code after} per batch. An INT32
     * input (token ids, as a Keras Embedding reads) takes the samples' values as whole numbers.
     *
     * @throws QuantaException when an INT32 input's sample value is not a whole number in the int32 range
     */
    static void run(Model model, Dataset data, int n, int threads, AfterBatch after) {
        run(model, data, 0, n, threads, after);
    }

    /**
     * As {@link #run(Model, Dataset, int, int, AfterBatch)} over samples [from, to) only, {@code from} a multiple of
     * {@link #BATCH}: the batches are those of the whole pass that lie in the range, so every tensor holds the same
     * values as in the whole pass (a calibration partition, see {@link CalibrationStatistics}).
     */
    static void run(Model model, Dataset data, int from, int to, int threads, AfterBatch after) {
        if (from % BATCH != 0) {
            throw new IllegalArgumentException(
                    "a calibration partition starts at a multiple of " + BATCH + ", not " + from);
        }
        Tensor input = model.inputs().get(0);
        int sampleSize = input.shape().sampleElementCount();
        try (Interpreter it = new Interpreter(
                model, Interpreter.Options.defaults().withNumThreads(threads).withPreserveAllTensors(true))) {
            float[] in = new float[0];
            for (int s = from; s < to; s += BATCH) {
                int count = Math.min(BATCH, to - s);
                if (in.length != count * sampleSize) {
                    int[] dims = input.shape().dims();
                    dims[0] = count;
                    it.resizeInput(0, dims);
                    in = new float[count * sampleSize];
                }
                data.copyBatch(s, count, in);
                Object feed = input.dtype() == DType.INT32 ? wholeNumbers(in, input, s, sampleSize) : in;
                it.runForMultipleInputsOutputs(new Object[] {feed}, new Object[0]);
                after.accept(it, s, count);
            }
        }
    }

    /** {@code values} as int32, each a whole number; {@code first} and {@code sampleSize} name a bad one. */
    private static int[] wholeNumbers(float[] values, Tensor input, int first, int sampleSize) {
        int[] ints = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
                throw new QuantaException("calibration sample " + (first + i / sampleSize) + ", element "
                        + (i % sampleSize) + ", is " + v + "; input '" + input.name()
                        + "' is INT32 (token ids) and takes whole numbers");
            }
            ints[i] = (int) v;
        }
        return ints;
    }
}
