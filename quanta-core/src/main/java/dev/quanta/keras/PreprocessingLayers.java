package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.List;

/**
 * The Keras preprocessing layers that run inside a model at inference: Rescaling and Normalization, both an affine
 * map per element (or per channel of the last axis), lowered to a MUL and an ADD of constants.
 */
final class PreprocessingLayers {
    private PreprocessingLayers() {}

    /** Keras' {@code backend.epsilon()}, the smallest standard deviation Normalization divides by. */
    static final float KERAS_EPSILON = 1e-7f;

    /** Rescaling: y = x · scale + offset ({@code scale} and {@code offset} scalars or per last-axis channel). */
    static Tensor rescaling(LayerEmitter e, KerasLayer l, Tensor x) {
        float[] scale = floats(l, "scale", 1f);
        float[] offset = floats(l, "offset", 0f);
        return affine(e, l, x, scale, offset);
    }

    /**
     * Normalization over the last axis: y = (x − mean) / max(√variance, ε), as x · (1/σ) + (−mean/σ), with mean and
     * variance from the config when given, else from the layer's weights (mean, variance, count).
     */
    static Tensor normalization(LayerEmitter e, KerasLayer l, Tensor x) {
        if (l.bool("invert", false)) {
            throw l.unsupported("invert", "only the forward normalization is supported");
        }
        JsonNode axis = l.get("axis");
        boolean lastAxis = axis == null
                || axis.isIntegralNumber()
                        && (axis.asInt() == -1 || axis.asInt() == x.shape().rank() - 1)
                || axis.isArray()
                        && axis.size() == 1
                        && (axis.get(0).asInt() == -1
                                || axis.get(0).asInt() == x.shape().rank() - 1);
        if (!lastAxis) {
            throw l.unsupported("axis", "only the last axis (-1) is supported");
        }
        int channels = x.shape().dim(x.shape().rank() - 1);
        float[] mean;
        float[] variance;
        JsonNode m = l.get("mean");
        if (m != null && !m.isNull()) {
            mean = floats(l, "mean", 0f);
            variance = floats(l, "variance", 1f);
        } else {
            List<KerasWeight> w = e.fetch(l, spec("mean", channels), spec("variance", channels), spec("count"));
            mean = w.get(0).values();
            variance = w.get(1).values();
        }
        int n = Math.max(mean.length, variance.length);
        float[] scale = new float[n];
        float[] offset = new float[n];
        for (int c = 0; c < n; c++) {
            float sd = Math.max((float) Math.sqrt(variance[variance.length == 1 ? 0 : c]), KERAS_EPSILON);
            scale[c] = 1f / sd;
            offset[c] = -mean[mean.length == 1 ? 0 : c] / sd;
        }
        return affine(e, l, x, scale, offset);
    }

    /** y = x · scale + offset with the constants broadcast over the last axis; identity parts are left out. */
    private static Tensor affine(LayerEmitter e, KerasLayer l, Tensor x, float[] scale, float[] offset) {
        boolean mul = !allEqual(scale, 1f);
        boolean add = !allEqual(offset, 0f);
        int channels = x.shape().dim(x.shape().rank() - 1);
        for (float[] v : new float[][] {scale, offset}) {
            if (v.length != 1 && v.length != channels) {
                throw l.error("has " + v.length + " values per channel but its input '" + x.name() + "' has " + channels
                        + " channels");
            }
        }
        if (!mul && !add) {
            return e.last(l, OpType.IDENTITY, OpAttributes.None.INSTANCE, x);
        }
        Tensor y = x;
        if (mul) {
            Tensor s = e.nonTrainableConstant(l, "scale", Shape.of(scale.length), scale);
            OpAttributes.Arithmetic a = new OpAttributes.Arithmetic(Activation.NONE);
            y = add ? e.inner(l, "mul", OpType.MUL, a, y, s) : e.last(l, OpType.MUL, a, y, s);
        }
        if (add) {
            Tensor o = e.nonTrainableConstant(l, "offset", Shape.of(offset.length), offset);
            y = e.last(l, OpType.ADD, new OpAttributes.Add(Activation.NONE), y, o);
        }
        return y;
    }

    private static boolean allEqual(float[] v, float value) {
        for (float f : v) {
            if (f != value) {
                return false;
            }
        }
        return true;
    }

    /** A number or a list of numbers from the config ({@code def} when absent). */
    private static float[] floats(KerasLayer l, String key, float def) {
        JsonNode v = l.get(key);
        if (v == null || v.isNull()) {
            return new float[] {def};
        }
        if (v.isNumber()) {
            return new float[] {(float) v.asDouble()};
        }
        if (v.isArray() && !v.isEmpty()) {
            float[] out = new float[v.size()];
            for (int i = 0; i < out.length; i++) {
                if (!v.get(i).isNumber()) {
                    throw l.unsupported(key, "expected a number or a list of numbers");
                }
                out[i] = (float) v.get(i).asDouble();
            }
            return out;
        }
        throw l.unsupported(key, "expected a number or a list of numbers");
    }
}
