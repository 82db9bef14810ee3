package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.SourceFormat;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.tflite.TfliteFile.OperatorCode;
import dev.quanta.tflite.TfliteFile.OperatorDef;
import dev.quanta.tflite.TfliteFile.Quantization;
import dev.quanta.tflite.TfliteFile.SubGraph;
import dev.quanta.tflite.TfliteFile.TensorDef;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a TensorFlow Lite flatbuffer ({@code .tflite}, schema version 3) into the IR.
 *
 * <p>The main subgraph becomes the model. Supported operators: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
 * MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, RESHAPE, RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, ADD,
 * CONCATENATION, PAD, QUANTIZE, DEQUANTIZE, TRANSPOSE and UNIDIRECTIONAL_SEQUENCE_LSTM (see {@link TfliteImporters}). Constant tensors keep their type,
 * bytes and quantization parameters; the axes of MEAN, the paddings of PAD and the target of RESHAPE become
 * attributes; omitted optional inputs (index -1) are dropped. Each op's origin is (its output tensor's name, the
 * TFLite op name).
 *
 * <p>The graph inputs' first (batch) dimension becomes {@link Shape#DYNAMIC}, so that the interpreter can run
 * other batch sizes; a RESHAPE whose target starts with the file's batch gets -1 there. A graph whose shapes do
 * not allow a dynamic batch (a RESHAPE that folds the batch into other axes, say) keeps the file's shapes.
 *
 * <p>Every offset and length in the file is checked before it is read; anything malformed or unsupported raises
 * a one-line {@link QuantaException} naming the file and what is wrong.
 */
public final class TfliteReader {
    private TfliteReader() {}

    /**
     * Reads {@code file} into an IR model ({@link SourceFormat#TFLITE}, source = {@code file}).
     *
     * @throws QuantaException when the file cannot be read, is no valid TFLite model or uses what is unsupported
     */
    public static Model read(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] bytes;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 16) {
                throw QuantaException.inFile(file, "files over 2 GB are not supported");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw QuantaException.inFile(file, "no such file");
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e, e);
        }
        return read(bytes, file);
    }

    /**
     * Reads a model held in memory; {@code source} names it in messages and in the metadata.
     *
     * @throws QuantaException when the bytes are no valid TFLite model or use what is unsupported
     */
    public static Model read(byte[] bytes, Path source) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(source, "source");
        TfliteFile file = TfliteFile.open(source, bytes);
        SubGraph graph = file.mainSubgraph();
        List<OperatorCode> codes = file.operatorCodes();
        try {
            return new Conversion(file, graph, codes, true).run();
        } catch (ShapeConflict dynamicFailed) {
            try {
                return new Conversion(file, graph, codes, false).run();
            } catch (ShapeConflict e) {
                throw file.error(e.getMessage());
            }
        }
    }

    /** A shape that does not fit; with a dynamic batch the reader retries with the file's static shapes. */
    private static final class ShapeConflict extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ShapeConflict(String message) {
            super(message, null, false, false);
        }
    }

    /** One conversion of the main subgraph, with or without a dynamic batch. */
    private static final class Conversion {
        private final TfliteFile file;
        private final boolean dynamic;
        private final SubGraph graph;
        private final List<OperatorCode> codes;
        private final Tensor[] tensors;
        private final Set<String> names = new HashSet<>();
        private final List<Op> ops = new ArrayList<>();

        Conversion(TfliteFile file, SubGraph graph, List<OperatorCode> codes, boolean dynamic) {
            this.file = file;
            this.dynamic = dynamic;
            this.graph = graph;
            this.codes = codes;
            this.tensors = new Tensor[graph.tensors().size()];
        }

        Model run() {
            List<Tensor> inputs = new ArrayList<>();
            for (int index : graph.inputs()) {
                TensorDef def = tensorDef(index, "graph input");
                if (tensors[index] != null) {
                    throw file.error(def.describe() + " is listed twice as a graph input");
                }
                int[] dims = checkedShape(def);
                if (dynamic && dims.length > 0) {
                    dims[0] = Shape.DYNAMIC;
                }
                Tensor t = new Tensor(uniqueName(def), Shape.of(dims), dtype(def), null, quant(def, def.shape()),
                        false);
                tensors[index] = t;
                inputs.add(t);
            }
            for (OperatorDef op : graph.operators()) {
                convert(op);
            }
            List<Tensor> outputs = new ArrayList<>();
            for (int index : graph.outputs()) {
                TensorDef def = tensorDef(index, "graph output");
                if (tensors[index] == null) {
                    throw file.error("graph output " + def.describe() + " is never produced by an operator");
                }
                outputs.add(tensors[index]);
            }
            String name = file.path().getFileName() == null ? "model" : file.path().getFileName().toString();
            if (name.endsWith(".tflite")) {
                name = name.substring(0, name.length() - ".tflite".length());
            }
            ModelMetadata metadata = new ModelMetadata(SourceFormat.TFLITE, file.path().toString(), null, null,
                    null, null, inputs.size() == 1 ? TfliteMetadata.read(file) : null);
            try {
                return new Model(name, inputs, outputs, ops, metadata);
            } catch (IllegalArgumentException e) {
                throw file.error(e.getMessage());
            }
        }

        private TensorDef tensorDef(long index, String user) {
            if (index < 0 || index >= tensors.length) {
                throw file.error(user + " refers to tensor index " + index + " but the subgraph has "
                        + tensors.length + " tensors");
            }
            return graph.tensors().get((int) index);
        }

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
                importer = TfliteSignal.forName(code.customCode());
                if (importer == null) {
                    throw file.error("operator #" + op.index() + " is the custom op '"
                            + TfliteFile.printable(code.customCode(), 64) + "', which is not supported");
                }
                opName = code.customCode();
            } else {
                importer = TfliteImporters.forCode(builtin);
            }
            if (importer == null) {
                throw file.error("operator #" + op.index() + ": TFLite op " + (opName.startsWith("builtin code")
                        ? opName : opName + " (builtin code " + builtin + ")") + " is not supported");
            }
            String where = "operator #" + op.index() + " (" + opName + ")";
            for (int index : op.inputs()) {
                if (index != -1) {
                    tensorDef(index, where + " input");
                }
            }
            if (op.outputs().length < 1) {
                throw file.error(where + " has no outputs");
            }
            TensorDef[] outs = new TensorDef[op.outputs().length];
            for (int k = 0; k < outs.length; k++) {
                outs[k] = tensorDef(op.outputs()[k], where + " output");
                if (tensors[outs[k].index()] != null) {
                    throw file.error(where + " writes " + outs[k].describe() + ", which is already a graph input or"
                            + " the output of an earlier operator");
                }
            }
            Context c = new Context(op, opName, where, outs);
            importer.read(c);
            for (TensorDef out : outs) {
                if (tensors[out.index()] == null) {
                    throw file.error(where + " has " + outs.length + " outputs; " + opName + " produces "
                            + (outs.length == 1 ? "none" : "fewer"));
                }
            }
        }

        /** The IR tensor of file tensor {@code index}: a graph input, an earlier op's output or a constant. */
        private Tensor tensor(int index, String where) {
            if (tensors[index] != null) {
                return tensors[index];
            }
            TensorDef def = graph.tensors().get(index);
            byte[] data = file.bufferData(def.buffer(), def.describe());
            if (data.length == 0) {
                throw file.error(where + " reads " + def.describe() + " before any operator produces it, and it is"
                        + " neither a graph input nor a constant");
            }
            if (def.sparse()) {
                throw file.error(def.describe() + " is a sparse constant, which is not supported");
            }
            int[] dims = checkedShape(def);
            DType dtype = dtype(def);
            long count = 1;
            for (int d : dims) {
                count = Math.multiplyExact(count, d);
            }
            if (count * dtype.byteSize() != data.length) {
                throw file.error(def.describe() + " of shape " + Arrays.toString(dims) + " and type " + dtype
                        + " needs " + count * dtype.byteSize() + " bytes but its buffer " + def.buffer() + " holds "
                        + data.length);
            }
            // TFLite keeps no training state (batch statistics are folded): every constant counts as a parameter
            Tensor t = new Tensor(uniqueName(def), Shape.of(dims), dtype, TensorData.ofBytes(dtype, data),
                    quant(def, dims), true);
            tensors[index] = t;
            return t;
        }

        private int[] checkedShape(TensorDef def) {
            int[] dims = def.shape().clone();
            if (dims.length > 16) {
                throw file.error(def.describe() + " has rank " + dims.length + ", more than 16");
            }
            for (int d : dims) {
                if (d < 0) {
                    throw file.error(def.describe() + " has a negative dimension in its shape "
                            + Arrays.toString(dims));
                }
            }
            return dims;
        }

        private DType dtype(TensorDef def) {
            DType d = TfliteSchema.dtype(def.type());
            if (d == null) {
                throw file.error(def.describe() + " has type " + TfliteSchema.tensorTypeName(def.type())
                        + ", which is not supported");
            }
            return d;
        }

        /**
         * The IR quantization of a tensor: none without scales; per tensor with one scale (whatever
         * quantized_dimension says, as tflite-micro does); per axis with one scale per index along a valid
         * quantized_dimension. A rank-1 tensor with one scale per element is quantized along axis 0 whatever its
         * quantized_dimension says: tflite-micro's person_detect carries 3 on its rank-1 biases, which stock
         * TFLite rejects but which has only one meaning.
         */
        private QuantParams quant(TensorDef def, int[] dims) {
            Quantization q = def.quantization();
            if (q == null || q.scale() == null || q.scale().length == 0) {
                return null;
            }
            if (q.detailsType() != 0) {
                throw file.error(def.describe() + " uses custom quantization details, which are not supported");
            }
            float[] scale = q.scale();
            long[] zp = q.zeroPoint() == null || q.zeroPoint().length == 0 ? new long[scale.length] : q.zeroPoint();
            if (zp.length != scale.length) {
                throw file.error(def.describe() + " has " + scale.length + " quantization scales but " + zp.length
                        + " zero points");
            }
            if (scale.length == 1) {
                return QuantParams.perTensor(scale[0], zp[0]);
            }
            int axis = q.quantizedDimension();
            if ((axis < 0 || axis >= dims.length) && dims.length == 1 && dims[0] == scale.length) {
                axis = 0; // a rank-1 tensor has one axis to quantize along (TOCO leaves stale values on biases)
            }
            if (axis < 0 || axis >= dims.length) {
                throw file.error(def.describe() + " has " + scale.length + " quantization scales along"
                        + " quantized_dimension " + axis + ", out of range for its rank " + dims.length);
            }
            if (dims[axis] != scale.length) {
                throw file.error(def.describe() + " has " + scale.length + " quantization scales but dimension "
                        + axis + " of its shape " + Arrays.toString(dims) + " has size " + dims[axis]);
            }
            return QuantParams.perAxis(scale, zp, axis);
        }

        private String uniqueName(TensorDef def) {
            String base = def.name().isEmpty() ? "tensor_" + def.index() : def.name();
            return unique(base, def.index());
        }

        private String unique(String base, int index) {
            if (names.add(base)) {
                return base;
            }
            String candidate = base + "_" + index;
            for (int k = 1; !names.add(candidate); k++) {
                candidate = base + "_" + index + "_" + k;
            }
            return candidate;
        }

        /** Adds an op, inferring its output shape; checks it against {@code fileShape} when given. */
        private Tensor addOp(OpType type, OpAttributes attrs, List<Tensor> inputs, String outName, DType dtype,
                QuantParams quant, int[] fileShape, String where, Origin origin) {
            Shape shape;
            try {
                shape = ShapeInference.infer(type, attrs, inputs);
            } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                throw new ShapeConflict(where + ": " + e.getMessage());
            }
            if (fileShape != null && fileShape.length > 0 && !fits(shape, fileShape)) {
                throw new ShapeConflict(where + ": the output's shape in the file is " + Arrays.toString(fileShape)
                        + " but the inputs give " + shape);
            }
            Tensor out = new Tensor(outName, shape, dtype, null, quant, false);
            ops.add(new Op(outName, type, inputs, List.of(out), attrs, origin));
            return out;
        }

        /** Adds an op with several outputs (file tensors {@code outs}), checking each inferred shape. */
        private void addMultiOutputOp(OpType type, OpAttributes attrs, List<Tensor> inputs, TensorDef[] outs,
                String where, Origin origin) {
            List<Shape> shapes;
            try {
                shapes = ShapeInference.inferAll(type, attrs, inputs);
            } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
                throw new ShapeConflict(where + ": " + e.getMessage());
            }
            if (shapes.size() != outs.length) {
                throw file.error(where + " has " + outs.length + " outputs but " + type + " produces "
                        + shapes.size());
            }
            List<Tensor> outputs = new ArrayList<>();
            for (int k = 0; k < outs.length; k++) {
                int[] fileShape = checkedShape(outs[k]);
                if (fileShape.length > 0 && !fits(shapes.get(k), fileShape)
                        || fileShape.length == 0 && shapes.get(k).rank() != 0) {
                    throw new ShapeConflict(where + ": output " + k + "'s shape in the file is "
                            + Arrays.toString(fileShape) + " but the inputs give " + shapes.get(k));
                }
                Tensor t = new Tensor(uniqueName(outs[k]), shapes.get(k), dtype(outs[k]), null,
                        quant(outs[k], fileShape), false);
                tensors[outs[k].index()] = t;
                outputs.add(t);
            }
            ops.add(new Op(outputs.get(0).name(), type, inputs, outputs, attrs, origin));
        }

        private static boolean fits(Shape inferred, int[] file) {
            if (inferred.rank() != file.length) {
                return false;
            }
            for (int i = 0; i < file.length; i++) {
                if (inferred.dim(i) != Shape.DYNAMIC && inferred.dim(i) != file[i]) {
                    return false;
                }
            }
            return true;
        }

        /** The {@link OpContext} of one operator. */
        private final class Context implements OpContext {
            private final OperatorDef op;
            private final String opName;
            private final String where;
            private final TensorDef out;
            private final TensorDef[] outs;
            private final String outName;
            private final Origin origin;
            /** The custom options, parsed on first use. */
            private com.google.flatbuffers.FlexBuffers.Map customMap;

            Context(OperatorDef op, String opName, String where, TensorDef[] outs) {
                this.op = op;
                this.opName = opName;
                this.where = where;
                this.outs = outs;
                this.out = outs[0];
                this.outName = uniqueName(out);
                this.origin = new Origin(outName, opName);
            }

            @Override
            public String opName() {
                return opName;
            }

            @Override
            public int inputCount() {
                return op.inputs().length;
            }

            @Override
            public Tensor input(int i) {
                Tensor t = optionalInput(i);
                if (t == null) {
                    throw error(i < op.inputs().length ? "input " + i + " is omitted but required"
                            : "has " + op.inputs().length + " inputs, needs at least " + (i + 1));
                }
                return t;
            }

            @Override
            public Tensor optionalInput(int i) {
                if (i >= op.inputs().length || op.inputs()[i] == -1) {
                    return null;
                }
                return tensor(op.inputs()[i], where);
            }

            @Override
            public Tensor variableInput(int i) {
                if (i >= op.inputs().length || op.inputs()[i] == -1) {
                    return null;
                }
                TensorDef def = graph.tensors().get(op.inputs()[i]);
                int[] dims = checkedShape(def);
                return new Tensor(def.name().isEmpty() ? "tensor_" + def.index() : def.name(), Shape.of(dims),
                        dtype(def), null, quant(def, dims), false);
            }

            @Override
            public int intermediateCount() {
                return op.intermediateCount();
            }

            @Override
            public QuantParams intermediateQuant(int i) {
                TensorDef def = tensorDef(op.intermediates()[i], where + " intermediate");
                return quant(def, def.shape());
            }

            @Override
            public int[] fileShape(int i) {
                return graph.tensors().get(op.inputs()[i]).shape().clone();
            }

            @Override
            public int[] constantInts(int i, String what) {
                Tensor t = input(i);
                TensorDef def = graph.tensors().get(op.inputs()[i]);
                if (!t.isConstant() || (t.dtype() != DType.INT32 && t.dtype() != DType.INT64)) {
                    throw error("the " + what + " input (" + def.describe() + ") must be a constant INT32 or INT64"
                            + " tensor, but is " + (t.isConstant() ? "a constant " : "a computed ") + t.dtype());
                }
                if (t.dtype() == DType.INT32) {
                    return t.data().ints();
                }
                ByteBuffer b = t.data().buffer().order(ByteOrder.LITTLE_ENDIAN);
                int[] v = new int[t.data().elementCount()];
                for (int k = 0; k < v.length; k++) {
                    long x = b.getLong();
                    if (x != (int) x) {
                        throw error("the " + what + " input (" + def.describe() + ") holds " + x
                                + ", which does not fit in 32 bits");
                    }
                    v[k] = (int) x;
                }
                return v;
            }

            @Override
            public <T> T options(int expectedType, Function<FbTable, T> reader) {
                if (op.optionsType() == TfliteSchema.BO_NONE) {
                    return reader.apply(null);
                }
                if (op.optionsType() != expectedType) {
                    throw error("carries builtin options of union type " + op.optionsType() + ", expected "
                            + expectedType);
                }
                return reader.apply(op.options());
            }

            @Override
            public boolean dynamicBatch() {
                return dynamic;
            }

            @Override
            public Tensor emit(OpType type, OpAttributes attrs, Tensor... inputs) {
                List<Tensor> in = present(inputs);
                String name = unique(outName + "/" + type.name().toLowerCase(java.util.Locale.ROOT), out.index());
                return addOp(type, attrs, in, name, in.get(0).dtype(), in.get(0).quant(), null, where, origin);
            }

            @Override
            public int outputCount() {
                return outs.length;
            }

            @Override
            public void produceAll(OpType type, OpAttributes attrs, Tensor... inputs) {
                if (tensors[out.index()] != null) {
                    throw new IllegalStateException(where + " produced twice");
                }
                addMultiOutputOp(type, attrs, present(inputs), outs, where, origin);
            }

            @Override
            public com.google.flatbuffers.FlexBuffers.Map customOptions() {
                if (customMap == null) {
                    customMap = parseCustomOptions();
                }
                return customMap;
            }

            private com.google.flatbuffers.FlexBuffers.Map parseCustomOptions() {
                byte[] raw = op.customOptions();
                if (raw == null || raw.length < 3) {
                    throw error("has no custom options (a FlexBuffer map is expected)");
                }
                try {
                    com.google.flatbuffers.FlexBuffers.Reference root = com.google.flatbuffers.FlexBuffers.getRoot(
                            new com.google.flatbuffers.ArrayReadWriteBuf(raw, raw.length));
                    if (!root.isMap()) {
                        throw error("custom options are not a FlexBuffer map");
                    }
                    com.google.flatbuffers.FlexBuffers.Map map = root.asMap();
                    map.keys(); // touch the keys so that a malformed map fails here, not later
                    return map;
                } catch (RuntimeException e) {
                    if (e instanceof QuantaException q) {
                        throw q;
                    }
                    throw error("custom options (" + raw.length + " bytes) are not a valid FlexBuffer (" + e + ")");
                }
            }

            @Override
            public void produce(OpType type, OpAttributes attrs, Tensor... inputs) {
                if (outs.length != 1) {
                    throw error("has " + outs.length + " outputs, expected 1");
                }
                if (tensors[out.index()] != null) {
                    throw new IllegalStateException(where + " produced twice");
                }
                List<Tensor> in = present(inputs);
                int[] fileShape = checkedShape(out);
                tensors[out.index()] = addOp(type, attrs, in, outName, dtype(out), quant(out, fileShape),
                        fileShape, where, origin);
            }

            private List<Tensor> present(Tensor[] inputs) {
                List<Tensor> in = new ArrayList<>(inputs.length);
                for (Tensor t : inputs) {
                    if (t != null) {
                        in.add(t);
                    }
                }
                return in;
            }

            @Override
            public QuantaException error(String problem) {
                return file.error(where + ": " + problem);
            }
        }
    }
}
