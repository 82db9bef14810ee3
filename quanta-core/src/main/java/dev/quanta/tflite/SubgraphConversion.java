package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.tflite.TfliteFile.OperatorCode;
import dev.quanta.tflite.TfliteFile.OperatorDef;
import dev.quanta.tflite.TfliteFile.SubGraph;
import dev.quanta.tflite.TfliteFile.TensorDef;
import java.util.ArrayList;
import java.util.List;

/**
 * One conversion of a TFLite file's main subgraph into an IR {@link Model}, with or without a dynamic batch:
 * the graph inputs, then each operator in file order through its {@link TfliteImporters importer} (which sees it
 * as an {@link OperatorContext}), then the graph outputs and the metadata.
 */
final class SubgraphConversion {
    /** A shape that does not fit; with a dynamic batch the reader retries with the file's static shapes. */
    static final class ShapeConflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShapeConflict(String message) {
            super(message, null, false, false);
        }
    }

    private final TfliteFile file;
    private final boolean dynamic;
    private final SubGraph graph;
    private final List<OperatorCode> codes;
    private final SubgraphTensors tensors;
    private final List<Op> ops = new ArrayList<>();

    /** @param dynamic whether the graph inputs' first dimension becomes {@link Shape#DYNAMIC} */
    SubgraphConversion(TfliteFile file, SubGraph graph, List<OperatorCode> codes, boolean dynamic) {
        this.file = file;
        this.dynamic = dynamic;
        this.graph = graph;
        this.codes = codes;
        this.tensors = new SubgraphTensors(file, graph);
    }

    /**
     * The model.
     *
     * @throws ShapeConflict when an inferred shape does not fit the file's
     * @throws QuantaException when the file is malformed or uses what is unsupported
     */
    Model run() {
        List<Tensor> inputs = new ArrayList<>();
        for (int index : graph.inputs()) {
            TensorDef def = tensors.def(index, "graph input");
            if (tensors.produced(index) != null) {
                throw file.error(def.describe() + " is listed twice as a graph input");
            }
            int[] dims = tensors.checkedShape(def);
            if (dynamic && dims.length > 0) {
                dims[0] = Shape.DYNAMIC;
            }
            Tensor t = new Tensor(
                    tensors.uniqueName(def),
                    Shape.of(dims),
                    tensors.dtype(def),
                    null,
                    tensors.quant(def, def.shape()),
                    false);
            tensors.set(index, t);
            inputs.add(t);
        }
        for (OperatorDef op : graph.operators()) {
            convert(op);
        }
        List<Tensor> outputs = new ArrayList<>();
        for (int index : graph.outputs()) {
            TensorDef def = tensors.def(index, "graph output");
            if (tensors.produced(index) == null) {
                throw file.error("graph output " + def.describe() + " is never produced by an operator");
            }
            outputs.add(tensors.produced(index));
        }
        String name = file.path().getFileName() == null
                ? "model"
                : file.path().getFileName().toString();
        if (name.endsWith(".tflite")) {
            name = name.substring(0, name.length() - ".tflite".length());
        }
        ModelMetadata metadata = new ModelMetadata(
                SourceFormat.TFLITE,
                file.path().toString(),
                null,
                null,
                null,
                null,
                inputs.size() == 1 ? TfliteMetadata.read(file) : null);
        try {
            return new Model(name, inputs, outputs, ops, metadata);
        } catch (IllegalArgumentException e) {
            throw file.error(e.getMessage());
        }
    }

    /** The IR tensors of the subgraph, by file index. */
    SubgraphTensors tensors() {
        return tensors;
    }

    /** Adds {@code op} to the model, after the ops added before it. */
    void add(Op op) {
        ops.add(op);
    }

    /** True when the graph inputs' first dimension is dynamic in this conversion. */
    boolean dynamicBatch() {
        return dynamic;
    }

    /** An error naming the file. */
    QuantaException error(String problem) {
        return file.error(problem);
    }

    /** Checks the operator's code and tensor indices, then lets its importer add its IR ops. */
    private void convert(OperatorDef op) {
        if (op.opcodeIndex() >= codes.size()) {
            throw file.error("operator #" + op.index() + " uses opcode index " + op.opcodeIndex()
                    + " but the model has " + codes.size() + " operator codes");
        }
        OperatorCode code = codes.get((int) op.opcodeIndex());
        int builtin = code.code();
        String opName = TfliteSchema.opName(builtin);
        TfliteImporters.OpImporter importer;
        if (builtin == TfliteSchema.OP_CUSTOM) {
            importer = TfliteImporters.forCustomCode(code.customCode());
            if (importer == null) {
                throw file.error("operator #" + op.index() + " is the custom op '"
                        + TfliteFile.printable(code.customCode(), 64) + "', which is not supported");
            }
            opName = code.customCode();
        } else {
            importer = TfliteImporters.forCode(builtin);
        }
        if (importer == null) {
            throw file.error("operator #" + op.index() + ": TFLite op "
                    + (opName.startsWith("builtin code") ? opName : opName + " (builtin code " + builtin + ")")
                    + " is not supported");
        }
        String where = "operator #" + op.index() + " (" + opName + ")";
        for (int index : op.inputs()) {
            if (index != -1) {
                tensors.def(index, where + " input");
            }
        }
        if (op.outputs().length < 1) {
            throw file.error(where + " has no outputs");
        }
        TensorDef[] outs = new TensorDef[op.outputs().length];
        for (int k = 0; k < outs.length; k++) {
            outs[k] = tensors.def(op.outputs()[k], where + " output");
            if (tensors.produced(outs[k].index()) != null) {
                throw file.error(where + " writes " + outs[k].describe() + ", which is already a graph input or"
                        + " the output of an earlier operator");
            }
        }
        importer.read(new OperatorContext(this, op, opName, where, outs));
        for (TensorDef out : outs) {
            if (tensors.produced(out.index()) == null) {
                throw file.error(where + " has " + outs.length + " outputs; " + opName + " produces "
                        + (outs.length == 1 ? "none" : "fewer"));
            }
        }
    }
}
