package dev.quanta.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable model: graph inputs and outputs, ops in topological order, and metadata. Every op input is a graph
 * input, a constant, or the output of an earlier op. Build one with {@link ModelBuilder}; passes return new
 * models.
 */
public final class Model {
    private final String name;
    private final List<Tensor> inputs;
    private final List<Tensor> outputs;
    private final List<Op> ops;
    private final ModelMetadata metadata;
    private final Map<Tensor, Op> producers = new IdentityHashMap<>();
    private final Map<Object, Object> derived = new java.util.concurrent.ConcurrentHashMap<>();

    public Model(String name, List<Tensor> inputs, List<Tensor> outputs, List<Op> ops, ModelMetadata metadata) {
        this.name = Objects.requireNonNull(name, "name");
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.ops = List.copyOf(ops);
        this.metadata = Objects.requireNonNull(metadata, "metadata");
        Set<Tensor> available = Collections.newSetFromMap(new IdentityHashMap<>());
        available.addAll(this.inputs);
        for (Op op : this.ops) {
            for (Tensor t : op.inputs()) {
                if (!t.isConstant() && !available.contains(t)) {
                    throw new IllegalArgumentException(
                            "op " + op.name() + " reads tensor " + t.name() + " before any op produces it");
                }
            }
            for (Tensor t : op.outputs()) {
                if (producers.put(t, op) != null || this.inputs.contains(t)) {
                    throw new IllegalArgumentException("tensor " + t.name() + " is produced twice");
                }
                available.add(t);
            }
        }
        for (Tensor t : this.outputs) {
            if (!available.contains(t)) {
                throw new IllegalArgumentException("graph output " + t.name() + " is never produced");
            }
        }
    }

    public String name() {
        return name;
    }

    public List<Tensor> inputs() {
        return inputs;
    }

    public List<Tensor> outputs() {
        return outputs;
    }

    /** Ops in topological order. */
    public List<Op> ops() {
        return ops;
    }

    public ModelMetadata metadata() {
        return metadata;
    }

    /** The op that produces {@code t}, or null for graph inputs and constants. */
    public Op producer(Tensor t) {
        return producers.get(t);
    }

    /** The ops that read {@code t}, in order. */
    public List<Op> consumers(Tensor t) {
        List<Op> result = new ArrayList<>();
        for (Op op : ops) {
            if (op.inputs().contains(t)) {
                result.add(op);
            }
        }
        return result;
    }

    /** Every tensor: inputs, then op inputs and outputs in op order, each once. */
    public List<Tensor> tensors() {
        Set<Tensor> all = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Tensor> ordered = new ArrayList<>();
        for (Tensor t : inputs) {
            if (all.add(t)) {
                ordered.add(t);
            }
        }
        for (Op op : ops) {
            for (Tensor t : op.inputs()) {
                if (all.add(t)) {
                    ordered.add(t);
                }
            }
            for (Tensor t : op.outputs()) {
                if (all.add(t)) {
                    ordered.add(t);
                }
            }
        }
        return ordered;
    }

    /** Constant tensors (weights), each once, in the order ops read them. */
    public List<Tensor> constants() {
        Set<Tensor> seen = new LinkedHashSet<>();
        for (Op op : ops) {
            for (Tensor t : op.inputs()) {
                if (t.isConstant()) {
                    seen.add(t);
                }
            }
        }
        return List.copyOf(seen);
    }

    /** Finds a tensor by name, or null. */
    public Tensor tensor(String tensorName) {
        for (Tensor t : tensors()) {
            if (t.name().equals(tensorName)) {
                return t;
            }
        }
        return null;
    }

    /**
     * A value derived from this model and kept with it, made by {@code make} on first use: for example the
     * decoded arrays of its constants, which every interpreter of the model then shares read-only.
     */
    @SuppressWarnings("unchecked")
    public <T> T derived(Object key, java.util.function.Supplier<T> make) {
        return (T) derived.computeIfAbsent(key, k -> make.get());
    }

    /** This model with new metadata. */
    public Model withMetadata(ModelMetadata newMetadata) {
        return new Model(name, inputs, outputs, ops, newMetadata);
    }
}
