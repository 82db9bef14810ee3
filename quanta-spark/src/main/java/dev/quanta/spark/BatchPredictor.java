package dev.quanta.spark;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.runtime.InterpreterPool;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a single-input, single-output model on batches of samples and reads each sample's output as floats
 * (dequantized when the output is quantized), for batch inference.
 */
final class BatchPredictor {
    private BatchPredictor() {}

    /** Values per sample of the model's input. */
    static int inputSize(Model model) {
        requireOneInOneOut(model);
        return model.inputs().get(0).shape().sampleElementCount();
    }

    /** Values per sample of the model's output. */
    static int outputSize(Model model) {
        requireOneInOneOut(model);
        return model.outputs().get(0).shape().sampleElementCount();
    }

    private static void requireOneInOneOut(Model model) {
        if (model.inputs().size() != 1 || model.outputs().size() != 1) {
            throw new QuantaException(
                    "model '" + model.name() + "' has " + model.inputs().size() + " inputs and "
                            + model.outputs().size() + " outputs; predict needs exactly one of each");
        }
    }

    /**
     * The outputs of {@code batches} (each {@code count × inputSize} floats), run on the pool's interpreters at once:
     * one float array of {@code count × outputSize} per batch, in order.
     */
    static List<float[]> run(InterpreterPool pool, List<float[]> batches) {
        Model model = pool.model();
        Tensor input = model.inputs().get(0);
        Tensor output = model.outputs().get(0);
        List<Object[]> requests = new ArrayList<>(batches.size());
        for (float[] b : batches) {
            requests.add(new Object[] {input.dtype() == DType.FLOAT32 ? b : InputQuantizer.quantize(b, input)});
        }
        List<float[]> outs = new ArrayList<>(batches.size());
        for (Object[] o : pool.map(requests)) {
            outs.add(InputQuantizer.dequantize(o[0], output));
        }
        return outs;
    }

    /**
     * The {@code k} classes with the highest scores among {@code v[off] … v[off + n − 1]}, highest first, a tie going
     * to the lower class (so the first is {@link dev.quanta.eval.Evaluator#argmax}).
     */
    static int[] topK(float[] v, int off, int n, int k) {
        int m = Math.min(k, n);
        int[] best = new int[m];
        int size = 0;
        for (int j = 0; j < n; j++) {
            float x = v[off + j];
            int at = size;
            while (at > 0 && x > v[off + best[at - 1]]) {
                at--;
            }
            if (at < m) {
                System.arraycopy(best, at, best, at + 1, Math.min(size, m - 1) - at);
                best[at] = j;
                size = Math.min(size + 1, m);
            }
        }
        return best;
    }
}
