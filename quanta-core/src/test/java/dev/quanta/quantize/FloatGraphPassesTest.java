package dev.quanta.quantize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quanta.data.Dataset;
import dev.quanta.data.DatasetSpec;
import dev.quanta.data.Datasets;
import dev.quanta.data.SampleType;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.runtime.Interpreter;
import dev.quanta.testing.Fixtures;
import dev.quanta.testing.ModelChecks;
import dev.quanta.testing.UsesFixtures;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Folding and fusion keep the real models' outputs (up to float rounding) and remove what TFLite has no op for. */
@UsesFixtures
class FloatGraphPassesTest {

    /** The model's outputs for all of {@code d} in one batch. */
    private static float[] runAll(Model m, Dataset d) {
        float[] in = new float[d.size() * d.sampleSize()];
        d.copyBatch(0, d.size(), in);
        return ModelChecks.outputs(m, in, d.size());
    }

    @Test
    void resnetFoldsSevenBatchNormsAndFusesRelusWithoutChangingOutputs() {
        Model keras = ModelFiles.load(Fixtures.require("mlperf-tiny/ic/pretrainedResnet.h5"));
        Model folded = FloatGraphPasses.apply(keras);
        assertThat(keras.ops()).filteredOn(o -> o.type() == OpType.BATCH_NORM).hasSize(7);
        assertThat(folded.ops()).noneMatch(o -> o.type() == OpType.BATCH_NORM || o.type() == OpType.RELU);
        long fusedConvs = folded.ops().stream()
                .filter(o -> o.type() == OpType.CONV_2D)
                .filter(o -> o.attrs(OpAttributes.Conv2D.class).activation() == Activation.RELU)
                .count();
        // stem + the first conv of each of the 3 residual blocks; the 3 block outputs fuse into their ADDs
        assertThat(fusedConvs).isEqualTo(4);
        assertThat(folded.ops())
                .filteredOn(o -> o.type() == OpType.ADD)
                .allMatch(o -> o.attrs(OpAttributes.Add.class).activation() == Activation.RELU)
                .hasSize(3);
        assertThat(folded.ops()).hasSize(9 + 3 + 1 + 1 + 1 + 1); // as the TFLite converter's float model
        assertThat(folded.outputs().get(0).name())
                .isEqualTo(keras.outputs().get(0).name());

        Dataset images = Datasets.load(DatasetSpec.of(Fixtures.require("mlperf-tiny/ic/perf_samples_v0.5"))
                .withFormat("raw")
                .withSamples(SampleType.UINT8, 32, 32, 3)
                .withLimit(40));
        float[] a = runAll(keras, images);
        float[] b = runAll(folded, images);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        assertThat(max).as("softmax difference after folding").isLessThan(1e-5);
    }

    @Test
    void dropoutIsDroppedAndDenseBatchNormFolds() {
        Model sww = ModelFiles.load(Fixtures.require("mlperf-tiny/sww/str_ww_ref_model.h5"));
        assertThat(sww.ops()).anyMatch(o -> o.type() == OpType.IDENTITY);
        Model folded = FloatGraphPasses.apply(sww);
        assertThat(folded.ops()).noneMatch(o -> o.type() == OpType.IDENTITY || o.type() == OpType.BATCH_NORM);

        Model ad = ModelFiles.load(Fixtures.require("mlperf-tiny/ad/ad01.h5"));
        Model adFolded = FloatGraphPasses.apply(ad);
        assertThat(adFolded.ops()).extracting(Op::type).containsOnly(OpType.FULLY_CONNECTED);
        assertThat(adFolded.ops()).hasSize(10);
        float[] in = new float[640];
        for (int i = 0; i < in.length; i++) {
            in[i] = (float) Math.sin(i * 0.1) * 20 - 30;
        }
        float[] x = new float[640];
        float[] y = new float[640];
        try (Interpreter p = new Interpreter(ad);
                Interpreter q = new Interpreter(adFolded)) {
            p.run(in, x);
            q.run(in, y);
        }
        double maxRef = Arrays.stream(toDouble(x)).map(Math::abs).max().orElse(1);
        for (int i = 0; i < 640; i++) {
            assertThat((double) Math.abs(x[i] - y[i])).isLessThan(1e-4 * maxRef);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
