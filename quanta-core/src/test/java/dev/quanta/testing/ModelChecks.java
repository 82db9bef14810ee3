package dev.quanta.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.util.List;

/** Compares two models, such as one built in memory and the same one read back from a file. */
public final class ModelChecks {
    private ModelChecks() {}

    /** The same constants in the same order: shapes and float values, each named in the failure message. */
    public static void assertSameConstants(Model actual, Model expected) {
        List<Tensor> a = actual.constants();
        List<Tensor> e = expected.constants();
        assertThat(a).hasSameSizeAs(e);
        for (int i = 0; i < e.size(); i++) {
            assertThat(a.get(i).shape())
                    .as("constant %s", e.get(i).name())
                    .isEqualTo(e.get(i).shape());
            assertThat(a.get(i).data().floats())
                    .as("constant %s", e.get(i).name())
                    .isEqualTo(e.get(i).data().floats());
        }
    }

    /** The model's first output for {@code batch} samples {@code x} (its input resized to that batch). */
    public static float[] outputs(Model m, float[] x, int batch) {
        try (Interpreter it = new Interpreter(m)) {
            int[] dims = it.getInputTensor(0).shape();
            dims[0] = batch;
            it.resizeInput(0, dims);
            float[] out = new float[it.getOutputTensor(0).numElements()];
            it.run(x, out);
            return out;
        }
    }

    /** The largest difference between the outputs of two float-I/O models over the first n samples. */
    public static double maxDifference(Model a, Model b, Dataset d, int n) {
        int size = Math.toIntExact(a.outputs().get(0).shape().sampleElementCount());
        double max = 0;
        try (Interpreter ia = new Interpreter(a);
                Interpreter ib = new Interpreter(b)) {
            for (int s = 0; s < n; s++) {
                float[] ya = new float[size];
                float[] yb = new float[size];
                ia.run(d.sample(s), ya);
                ib.run(d.sample(s), yb);
                for (int i = 0; i < size; i++) {
                    max = Math.max(max, Math.abs(ya[i] - yb[i]));
                }
            }
        }
        return max;
    }
}
