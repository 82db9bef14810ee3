package dev.quanta.keras;

import static dev.quanta.keras.LayerWeights.spec;

import com.fasterxml.jackson.databind.JsonNode;
import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Keras Dense and BatchNormalization, and the layers that reshape (Flatten, Reshape) or merge (Add, Concatenate). */
final class CoreLayers {
    private CoreLayers() {}

    /** FULLY_CONNECTED with the kernel transposed from Keras' [in, units] to the IR's [units, in]. */
    static Tensor dense(LayerEmitter e, KerasLayer l, Tensor x) {
        int units = l.positive("units");
        boolean useBias = l.bool("use_bias", true);
        Activation fused = ActivationLayers.fused(l);
        int in = x.shape().rank() == 0 ? -1 : x.shape().dim(-1);
        if (in <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known feature size");
        }
        List<KerasWeight> w = e.fetch(l, spec("kernel", in, units), useBias ? spec("bias", units) : null);
        float[] kernel = new float[in * units]; // Keras [in, units] -> IR [units, in]
        float[] k = w.get(0).values();
        for (int i = 0; i < in; i++) {
            for (int o = 0; o < units; o++) {
                kernel[o * in + i] = k[i * units + o];
            }
        }
        List<Tensor> inputs = new ArrayList<>(List.of(x, e.constant(l, "kernel", Shape.of(units, in), kernel)));
        if (useBias) {
            inputs.add(e.constant(l, "bias", Shape.of(units), w.get(1).values()));
        }
        return ActivationLayers.withActivation(
                e, l, OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(fused), inputs);
    }

    /** RESHAPE to {@code [-1, n]}, n the known size of one sample. */
    static Tensor flatten(LayerEmitter e, KerasLayer l, Tensor x) {
        l.requireChannelsLast();
        int n;
        try {
            n = x.shape().sampleElementCount();
        } catch (IllegalStateException | ArithmeticException ex) {
            throw l.error("cannot flatten input '" + x.name() + "' " + x.shape() + ": its size is not known");
        }
        return e.last(l, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {-1, n}), x);
    }

    /** RESHAPE to {@code [-1] + target_shape}. */
    static Tensor reshape(LayerEmitter e, KerasLayer l, Tensor x) {
        int[] target = l.dims("target_shape");
        if (target == null) {
            throw l.error("config 'target_shape' is missing");
        }
        int[] shape = new int[target.length + 1];
        shape[0] = -1;
        System.arraycopy(target, 0, shape, 1, target.length);
        return e.last(l, OpType.RESHAPE, new OpAttributes.Reshape(shape), x);
    }

    /** BATCH_NORM over one axis with the moving statistics as non-trainable constants. */
    static Tensor batchNorm(LayerEmitter e, KerasLayer l, Tensor x) {
        int rank = x.shape().rank();
        JsonNode axisNode = l.get("axis");
        int axis = -1;
        if (axisNode != null) {
            if (axisNode.isArray() && axisNode.size() != 1) {
                throw l.unsupported("axis", "only a single axis is supported");
            }
            axis = l.integer("axis", -1);
        }
        int ax = axis < 0 ? axis + rank : axis;
        if (ax <= 0 || ax >= rank) {
            throw l.error("config 'axis' " + axis + " does not fit input '" + x.name() + "' " + x.shape());
        }
        int channels = x.shape().dim(ax);
        if (channels <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known size on axis " + ax);
        }
        boolean center = l.bool("center", true);
        boolean scale = l.bool("scale", true);
        double eps = l.number("epsilon", 1e-3);
        List<KerasWeight> w = e.fetch(
                l,
                scale ? spec("gamma", channels) : null,
                center ? spec("beta", channels) : null,
                spec("moving_mean", channels),
                spec("moving_variance", channels));
        List<Tensor> inputs = new ArrayList<>();
        inputs.add(x);
        int i = 0;
        if (scale) {
            inputs.add(e.constant(l, "gamma", Shape.of(channels), w.get(i++).values()));
        }
        if (center) {
            inputs.add(e.constant(l, "beta", Shape.of(channels), w.get(i++).values()));
        }
        inputs.add(e.nonTrainableConstant(
                l, "moving_mean", Shape.of(channels), w.get(i++).values()));
        inputs.add(e.nonTrainableConstant(
                l, "moving_variance", Shape.of(channels), w.get(i).values()));
        return e.last(
                l,
                OpType.BATCH_NORM,
                new OpAttributes.BatchNorm((float) eps, ax, scale, center),
                inputs.toArray(Tensor[]::new));
    }

    /** A chain of ADDs, the last one named after the layer. */
    static Tensor add(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        if (in.size() < 2) {
            throw l.error("expects at least 2 inputs but is connected to " + in.size());
        }
        OpAttributes.Add attrs = new OpAttributes.Add(Activation.NONE);
        Tensor acc = in.get(0);
        for (int i = 1; i < in.size(); i++) {
            acc = i == in.size() - 1
                    ? e.last(l, OpType.ADD, attrs, acc, in.get(i))
                    : e.inner(l, "add", OpType.ADD, attrs, acc, in.get(i));
        }
        return acc;
    }

    /** CONCATENATION along the config's axis. */
    static Tensor concatenate(LayerEmitter e, KerasLayer l, List<Tensor> in) {
        if (in.isEmpty()) {
            throw l.error("has no inputs");
        }
        int axis = l.integer("axis", -1);
        return e.last(
                l,
                OpType.CONCATENATION,
                new OpAttributes.Concatenation(axis, Activation.NONE),
                in.toArray(Tensor[]::new));
    }

    /** TRANSPOSE of the sample axes: Keras' {@code dims} are 1-based axes of a sample, the batch stays first. */
    static Tensor permute(LayerEmitter e, KerasLayer l, Tensor x) {
        int[] dims = l.dims("dims");
        int rank = x.shape().rank();
        if (dims == null || dims.length != rank - 1) {
            throw l.unsupported("dims", "expected a permutation of 1.." + (rank - 1));
        }
        int[] perm = new int[rank];
        boolean[] seen = new boolean[rank];
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 1 || dims[i] >= rank || seen[dims[i]]) {
                throw l.unsupported("dims", "expected a permutation of 1.." + (rank - 1));
            }
            seen[dims[i]] = true;
            perm[i + 1] = dims[i];
        }
        return e.last(l, OpType.TRANSPOSE, new OpAttributes.Transpose(perm), x);
    }

    /**
     * Keras Embedding: GATHER of the rows of the embeddings matrix [input_dim, output_dim] by the int32 indices x,
     * y[..., j] = E[x[...], j]. The indices must come straight from a model input (made INT32 by the translator);
     * an index outside [0, input_dim) is an error when the model runs. mask_zero is not supported.
     */
    static Tensor embedding(LayerEmitter e, KerasLayer l, Tensor x) {
        if (x.dtype() != DType.INT32) {
            throw l.error("reads the float output '" + x.name() + "'; only a model input of indices is supported");
        }
        if (l.bool("mask_zero", false)) {
            throw l.unsupported("mask_zero", "masking is not supported");
        }
        int rows = l.positive("input_dim");
        int dim = l.positive("output_dim");
        List<KerasWeight> w = e.fetch(l, spec("embeddings", rows, dim));
        Tensor table = e.constant(l, "embeddings", Shape.of(rows, dim), w.get(0).values());
        return e.last(l, OpType.GATHER, new OpAttributes.Gather(0, 0), table, x);
    }

    /**
     * Keras LayerNormalization over the last axis: μ = mean x, σ² = mean (x − μ)², y = (x − μ) · rsqrt(σ² + ε) · γ
     * + β, as MEAN, SUB, MUL, MEAN, ADD ε, RSQRT, MUL, MUL γ, ADD β (γ and β left out when scale or center is
     * false). Only the last axis is supported.
     */
    static Tensor layerNormalization(LayerEmitter e, KerasLayer l, Tensor x) {
        int rank = x.shape().rank();
        JsonNode axisNode = l.get("axis");
        int axis = -1;
        if (axisNode != null) {
            if (axisNode.isArray() && axisNode.size() != 1) {
                throw l.unsupported("axis", "only the last axis is supported");
            }
            axis = l.integer("axis", -1);
        }
        if (axis != -1 && axis != rank - 1) {
            throw l.unsupported("axis", "only the last axis is supported");
        }
        int channels = x.shape().dim(rank - 1);
        if (rank < 2 || channels <= 0) {
            throw l.error("input '" + x.name() + "' " + x.shape() + " has no known last axis");
        }
        boolean center = l.bool("center", true);
        boolean scale = l.bool("scale", true);
        float eps = (float) l.number("epsilon", 1e-3);
        List<KerasWeight> w = scale || center
                ? e.fetch(l, scale ? spec("gamma", channels) : null, center ? spec("beta", channels) : null)
                : List.of();
        OpAttributes.Mean mean = new OpAttributes.Mean(new int[] {rank - 1}, true);
        OpAttributes.Arithmetic mul = new OpAttributes.Arithmetic(Activation.NONE);
        OpAttributes.Add add = new OpAttributes.Add(Activation.NONE);
        Tensor mu = e.inner(l, "mean", OpType.MEAN, mean, x);
        Tensor centred = e.inner(l, "centred", OpType.SUB, mul, x, mu);
        Tensor squared = e.inner(l, "squared", OpType.MUL, mul, centred, centred);
        Tensor variance = e.inner(l, "variance", OpType.MEAN, mean, squared);
        Tensor epsilon = e.nonTrainableConstant(l, "epsilon", Shape.of(1), new float[] {eps});
        Tensor shifted = e.inner(l, "variance_epsilon", OpType.ADD, add, variance, epsilon);
        Tensor inverse = e.inner(l, "rsqrt", OpType.RSQRT, OpAttributes.None.INSTANCE, shifted);
        Tensor y = scale || center
                ? e.inner(l, "normalized", OpType.MUL, mul, centred, inverse)
                : e.last(l, OpType.MUL, mul, centred, inverse);
        if (scale) {
            Tensor gamma = e.constant(l, "gamma", Shape.of(channels), w.get(0).values());
            y = center ? e.inner(l, "scaled", OpType.MUL, mul, y, gamma) : e.last(l, OpType.MUL, mul, y, gamma);
        }
        if (center) {
            Tensor beta = e.constant(
                    l, "beta", Shape.of(channels), w.get(scale ? 1 : 0).values());
            y = e.last(l, OpType.ADD, add, y, beta);
        }
        return y;
    }
}
