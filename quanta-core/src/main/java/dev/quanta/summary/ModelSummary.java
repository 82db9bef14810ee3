package dev.quanta.summary;

import dev.quanta.ByteCounts;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The structure of a model in the spirit of Keras {@code model.summary()}: a row per source layer (the ops that
 * share an {@link Origin}), with output shape, parameter count and, for functional models, the layers it is
 * connected to; then the totals. A parameter is an element of a constant tensor; a constant the source does not
 * train (BatchNormalization's moving statistics) counts as non-trainable. When the source recorded a layer's own
 * count in its {@link Origin} (the Keras importer does: a layer's weights), that count is shown instead, so that
 * constants derived from a layer's config (Rescaling's scale, LayerNormalization's ε) are not parameters.
 */
public final class ModelSummary {
    private final String modelName;
    private final String modelClass;
    private final boolean functional;
    private final List<LayerRow> rows;
    private final long totalParams;
    private final long trainableParams;
    private final long paramBytes;

    private ModelSummary(String modelName, String modelClass, boolean functional, List<LayerRow> rows) {
        this.modelName = modelName;
        this.modelClass = modelClass;
        this.functional = functional;
        this.rows = List.copyOf(rows);
        long total = 0;
        long trainable = 0;
        long bytes = 0;
        for (LayerRow r : rows) {
            total += r.params();
            trainable += r.trainableParams();
            bytes += r.paramBytes();
        }
        this.totalParams = total;
        this.trainableParams = trainable;
        this.paramBytes = bytes;
    }

    /** Summarizes {@code model}. */
    public static ModelSummary of(Model model) {
        boolean functional = model.metadata().isFunctional();
        List<LayerRow> rows = new ArrayList<>();
        Map<Tensor, String> producerLayer = new IdentityHashMap<>();
        for (Tensor in : model.inputs()) {
            producerLayer.put(in, in.name());
            if (functional) {
                rows.add(new LayerRow(in.name(), "InputLayer", in.shape().toString(), 0, 0, 0, List.of()));
            }
        }
        // group consecutive ops by origin, preserving first appearance order
        Map<Origin, List<Op>> groups = new LinkedHashMap<>();
        for (Op op : model.ops()) {
            groups.computeIfAbsent(op.origin(), o -> new ArrayList<>()).add(op);
            for (Tensor t : op.outputs()) {
                producerLayer.put(t, op.origin().layerName());
            }
        }
        for (Map.Entry<Origin, List<Op>> e : groups.entrySet()) {
            List<Op> ops = e.getValue();
            Set<Tensor> constants = Collections.newSetFromMap(new IdentityHashMap<>());
            Set<Tensor> produced = Collections.newSetFromMap(new IdentityHashMap<>());
            Set<String> connected = new LinkedHashSet<>();
            for (Op op : ops) {
                produced.addAll(op.outputs());
            }
            long params = 0;
            long trainable = 0;
            long bytes = 0;
            for (Op op : ops) {
                for (Tensor t : op.inputs()) {
                    if (t.isConstant()) {
                        if (constants.add(t)) {
                            long n = t.data().elementCount();
                            params += n;
                            trainable += t.trainable() ? n : 0;
                            bytes += t.data().byteSize();
                        }
                    } else if (!produced.contains(t)) {
                        String src = producerLayer.get(t);
                        if (src != null) {
                            connected.add(src);
                        }
                    }
                }
            }
            if (e.getKey().hasParams()) {
                // the source's own count (Keras: a layer's weights), not the constants derived from its config
                params = e.getKey().params();
                trainable = e.getKey().trainableParams();
            }
            Op lastOp = ops.get(ops.size() - 1);
            // several outputs (tflite-micro's FFT auto-scale, spectral subtraction) read as Keras prints them
            String shape = lastOp.outputs().size() == 1
                    ? lastOp.output(0).shape().toString()
                    : lastOp.outputs().stream()
                            .map(t -> t.shape().toString())
                            .collect(java.util.stream.Collectors.joining(", ", "[", "]"));
            rows.add(new LayerRow(
                    e.getKey().layerName(),
                    e.getKey().layerClass(),
                    shape,
                    params,
                    trainable,
                    bytes,
                    new ArrayList<>(connected)));
        }
        return new ModelSummary(model.name(), model.metadata().modelClass(), functional, rows);
    }

    public String modelName() {
        return modelName;
    }

    public String modelClass() {
        return modelClass;
    }

    public List<LayerRow> rows() {
        return rows;
    }

    public long totalParams() {
        return totalParams;
    }

    public long trainableParams() {
        return trainableParams;
    }

    public long nonTrainableParams() {
        return totalParams - trainableParams;
    }

    /** Bytes the parameters take in their stored types. */
    public long paramBytes() {
        return paramBytes;
    }

    /** The summary as Keras prints it. */
    public String render() {
        int nameW = 29;
        int shapeW = 26;
        int paramW = 11;
        for (LayerRow r : rows) {
            nameW = Math.max(nameW, displayName(r.name()).length() + r.type().length() + 4);
            shapeW = Math.max(shapeW, r.outputShape().length() + 2);
        }
        int connW = functional ? 30 : 0;
        int width = nameW + shapeW + paramW + connW;
        String thick = "=".repeat(width);
        String thin = "_".repeat(width);
        StringBuilder sb = new StringBuilder();
        sb.append("Model: \"").append(modelName).append('"').append('\n');
        sb.append(thin).append('\n');
        sb.append(pad("Layer (type)", nameW))
                .append(pad("Output Shape", shapeW))
                .append(pad("Param #", paramW));
        if (functional) {
            sb.append("Connected to");
        }
        sb.append('\n').append(thick).append('\n');
        for (int i = 0; i < rows.size(); i++) {
            LayerRow r = rows.get(i);
            List<String> conn = r.connectedTo();
            sb.append(pad(displayName(r.name()) + " (" + r.type() + ")", nameW))
                    .append(pad(r.outputShape(), shapeW))
                    .append(pad(Long.toString(r.params()), paramW));
            if (functional && !conn.isEmpty()) {
                sb.append(conn.get(0)).append("[0][0]");
            }
            sb.append('\n');
            for (int k = 1; functional && k < conn.size(); k++) {
                sb.append(" ".repeat(nameW + shapeW + paramW))
                        .append(conn.get(k))
                        .append("[0][0]")
                        .append('\n');
            }
            sb.append(i == rows.size() - 1 ? thick : thin).append('\n');
        }
        sb.append("Total params: ")
                .append(String.format(Locale.ROOT, "%,d", totalParams))
                .append(" (")
                .append(humanBytes(paramBytes))
                .append(")\n");
        sb.append("Trainable params: ")
                .append(String.format(Locale.ROOT, "%,d", trainableParams))
                .append('\n');
        sb.append("Non-trainable params: ")
                .append(String.format(Locale.ROOT, "%,d", nonTrainableParams()))
                .append('\n');
        sb.append(thin).append('\n');
        return sb.toString();
    }

    private static final int MAX_NAME = 48;

    /**
     * A layer name short enough for the table: TFLite converter names list fused tensors separated by ';' (the
     * last one names the op), and long names keep their end.
     */
    static String displayName(String name) {
        String n = name;
        int semi = n.lastIndexOf(';');
        if (semi >= 0 && semi < n.length() - 1) {
            n = n.substring(semi + 1);
        }
        return n.length() <= MAX_NAME ? n : "…" + n.substring(n.length() - MAX_NAME + 1);
    }

    /** Sizes as Keras 3 prints them: {@code 397.54 KB} (1 KB = 1024 B). */
    public static String humanBytes(long bytes) {
        return ByteCounts.scaled(bytes, "B", "%.2f %s", "KB", "MB", "GB");
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
    }
}
