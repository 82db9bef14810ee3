package dev.quanta.onnx;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.TensorShapeProto;
import dev.quanta.onnx.proto.OnnxProto.TypeProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Imports an ONNX model into the IR. The graph inputs and outputs keep their ONNX shapes and axis order (NCHW), so
 * a model is fed what ONNX Runtime is fed; inside, values move to channels-last where the IR's spatial ops need it
 * (see {@link OnnxContext}). Nodes translate through {@link OnnxOps}; a node whose inputs are all constants is
 * evaluated at import time (constant folding of shape computations).
 */
public final class OnnxImporter {
    private OnnxImporter() {}

    /**
     * Reads and imports {@code file}.
     *
     * @throws QuantaException naming the file and the node, tensor or field that is wrong or unsupported
     */
    public static Model load(Path file) {
        try {
            return importModel(OnnxReader.read(file));
        } catch (QuantaException e) {
            throw oneLine(e);
        }
    }

    /**
     * The error with control characters escaped ({@link OnnxReader#printable}): names in an ONNX file are arbitrary
     * strings, and an error that quotes one, wherever it is raised, must still be one line.
     */
    static QuantaException oneLine(QuantaException e) {
        String msg = e.getMessage();
        String printable = msg == null ? null : OnnxReader.printable(msg);
        return printable == null || printable.equals(msg) ? e : new QuantaException(printable, e);
    }

    /**
     * Imports a parsed file. A graph input whose batch dimension is 1 gets a dynamic batch when the graph allows it
     * (as the TFLite reader does), so that evaluation and calibration can run batches; when some node needs the
     * static shape (a Reshape to a fixed [1, 256], a Shape), the model keeps the file's shapes.
     */
    public static Model importModel(OnnxReader.OnnxFile onnx) {
        boolean batchOfOne = false;
        for (ValueInfoProto vi : onnx.model().getGraph().getInputList()) {
            if (vi.getType().hasTensorType()
                    && vi.getType().getTensorType().getShape().getDimCount() >= 2
                    && vi.getType().getTensorType().getShape().getDim(0).getDimValue() == 1) {
                batchOfOne = true;
            }
        }
        if (batchOfOne) {
            try {
                return importModel(onnx, true);
            } catch (QuantaException | IllegalArgumentException | IllegalStateException e) {
                // some node needs the static batch: import with the file's shapes
            }
        }
        return importModel(onnx, false);
    }

    private static Model importModel(OnnxReader.OnnxFile onnx, boolean dynamicBatch) {
        Path file = onnx.file();
        ModelProto mp = onnx.model();
        GraphProto g = mp.getGraph();
        OnnxContext ctx = new OnnxContext(file, onnx.opset());
        Set<String> initializerNames = new HashSet<>();
        for (TensorProto init : g.getInitializerList()) {
            OnnxTensors.Decoded d = OnnxTensors.decode(init, file, onnx.folder());
            initializerNames.add(d.name());
            ctx.define(d.name(), ctx.constant(d.name(), d.shape(), d.dtype(), d.data()));
        }
        if (g.getSparseInitializerCount() > 0) {
            throw OnnxReader.error(file, "sparse initializers are not supported");
        }
        List<Tensor> inputs = new ArrayList<>();
        for (ValueInfoProto vi : g.getInputList()) {
            if (initializerNames.contains(vi.getName())) {
                continue; // IR version < 4: initializers are listed as inputs too
            }
            Tensor t = graphInput(vi, file, ctx, dynamicBatch);
            inputs.add(t);
            ctx.define(vi.getName(), t);
        }
        // quantized ops (issue 12): complete QDQ groups become one node translated to an integer op; then the
        // float patterns (erf GELU) are rewritten
        for (NodeProto np : OnnxPatterns.rewrite(OnnxQdqFolding.fold(g), file)) {
            OnnxNode node = new OnnxNode(np, file, onnx.opset());
            translate(node, ctx);
        }
        ctx.setNode(null);
        List<Tensor> outputs = new ArrayList<>();
        for (ValueInfoProto vi : g.getOutputList()) {
            if (!ctx.has(vi.getName())) {
                throw OnnxReader.error(file, "graph output '" + vi.getName() + "' is never produced");
            }
            Tensor t = ctx.onnx(vi.getName());
            if (t.isConstant() || inputs.contains(t) || outputs.contains(t)) {
                ctx.setNode(new OnnxNode(
                        NodeProto.newBuilder()
                                .setName(vi.getName())
                                .setOpType("Identity")
                                .build(),
                        file,
                        onnx.opset()));
                t = ctx.emit(vi.getName(), OpType.IDENTITY, OpAttributes.None.INSTANCE, t.dtype(), t);
                ctx.setNode(null);
            }
            outputs.add(t);
        }
        String name = g.getName().isEmpty() ? baseName(file) : g.getName();
        String producer = (mp.getProducerName() + " " + mp.getProducerVersion()).trim();
        ModelMetadata md = new ModelMetadata(
                SourceFormat.ONNX, file.toString(), producer.isEmpty() ? null : producer, null, null, null);
        try {
            return new Model(name, inputs, outputs, ctx.ops(), md);
        } catch (IllegalArgumentException e) {
            throw OnnxReader.error(file, "ONNX graph is not well formed: " + e.getMessage());
        }
    }

    private static void translate(OnnxNode node, OnnxContext ctx) {
        OnnxTranslator tr = OnnxOps.translator(node.opType());
        if (tr == null) {
            throw node.unsupported("op " + node.opType() + " is not supported");
        }
        ctx.setNode(node);
        if (!node.hasOutput(0) && !List.of("LSTM", "GRU", "RNN").contains(node.opType())) { // these may give Y_h alone
            throw node.bad("has no output");
        }
        boolean allConstant = !node.presentInputs().isEmpty();
        for (String in : node.presentInputs()) {
            allConstant &= ctx.isConstant(in);
        }
        int before = ctx.ops().size();
        tr.translate(node, ctx);
        for (int i = 0; i < node.outputCount(); i++) {
            if (node.hasOutput(i) && !ctx.has(node.output(i))) {
                throw node.unsupported("output " + i + " ('" + node.output(i) + "') is not supported");
            }
        }
        if (allConstant && ctx.ops().size() > before) {
            fold(node, ctx, before);
        }
    }

    /**
     * Runs the ops a node with constant inputs emitted and binds its outputs to their values (the ops are dropped).
     */
    private static void fold(OnnxNode node, OnnxContext ctx, int from) {
        List<Op> all = ctx.ops();
        List<Op> sub = new ArrayList<>(all.subList(from, all.size()));
        List<String> names = new ArrayList<>();
        List<Tensor> outs = new ArrayList<>();
        for (int i = 0; i < node.outputCount(); i++) {
            if (node.hasOutput(i)) {
                names.add(node.output(i));
                outs.add(ctx.value(node.output(i)).tensor());
            }
        }
        for (Tensor t : outs) {
            if (t.isConstant()) {
                return; // already folded by the translator
            }
            for (int d : t.shape().dims()) {
                if (d < 0) {
                    return;
                }
            }
        }
        if (!OnnxFolding.foldable(sub)) {
            return; // the ops stay and run at inference
        }
        long bytes = 0;
        for (Op op : sub) {
            for (Tensor t : op.outputs()) {
                bytes += t.shape().elementCount() * Math.max(1, t.dtype().byteSize());
            }
        }
        ctx.reserveComputed(bytes, "folding its constant inputs");
        java.util.Map<Tensor, dev.quanta.ir.TensorData> values = OnnxFolding.evaluate(sub);
        if (values == null || !outs.stream().allMatch(values::containsKey)) {
            return; // not foldable here: the ops stay and run at inference
        }
        all.subList(from, all.size()).clear();
        for (int i = 0; i < outs.size(); i++) {
            Tensor t = outs.get(i);
            OnnxContext.Value v = ctx.value(names.get(i));
            dev.quanta.ir.TensorData data = values.get(t);
            Tensor c = ctx.constant(t.name() + "_const", t.shape(), t.dtype(), data);
            ctx.define(names.get(i), c, v.layout());
        }
    }

    private static Tensor graphInput(ValueInfoProto vi, Path file, OnnxContext ctx, boolean dynamicBatch) {
        String name = vi.getName();
        if (!vi.hasType() || !vi.getType().hasTensorType()) {
            throw OnnxReader.error(file, "graph input '" + name + "' is not a tensor");
        }
        TypeProto.Tensor tt = vi.getType().getTensorType();
        DType dtype = OnnxTensors.irType(tt.getElemType());
        if (dtype == null || dtype == DType.FLOAT16) {
            throw OnnxReader.error(
                    file,
                    "graph input '" + name + "' is " + OnnxTensors.typeName(tt.getElemType())
                            + ", which Quanta does not run");
        }
        if (!tt.hasShape()) {
            throw OnnxReader.error(file, "graph input '" + name + "' has no shape");
        }
        int[] dims = new int[tt.getShape().getDimCount()];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension d = tt.getShape().getDim(i);
            if (dynamicBatch && i == 0 && dims.length >= 2 && d.hasDimValue() && d.getDimValue() == 1) {
                dims[i] = Shape.DYNAMIC;
            } else if (d.hasDimValue() && d.getDimValue() > 0 && d.getDimValue() <= Integer.MAX_VALUE) {
                dims[i] = (int) d.getDimValue();
            } else if (d.hasDimValue() && d.getDimValue() == 0) {
                dims[i] = 0;
            } else if (i == 0 && !d.hasDimValue()) {
                dims[i] = Shape.DYNAMIC;
            } else {
                throw OnnxReader.error(
                        file,
                        "graph input '" + name + "': dimension " + i + " is "
                                + (d.hasDimParam() ? "symbolic ('" + d.getDimParam() + "')" : d.getDimValue())
                                + "; only the batch dimension may be unknown");
            }
        }
        OnnxTensors.elementCount(dims, name, file);
        return new Tensor(ctx.unique(name), Shape.of(dims), dtype, null, null, false);
    }

    private static String baseName(Path file) {
        String n = file.getFileName().toString();
        return n.toLowerCase(java.util.Locale.ROOT).endsWith(".onnx") ? n.substring(0, n.length() - 5) : n;
    }
}
