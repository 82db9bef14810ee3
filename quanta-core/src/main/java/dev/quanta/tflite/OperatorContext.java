package dev.quanta.tflite;

import com.google.flatbuffers.ArrayReadWriteBuf;
import com.google.flatbuffers.FlexBuffers;
import dev.quanta.QuantaException;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.ShapeInference;
import dev.quanta.ir.Tensor;
import dev.quanta.tflite.SubgraphConversion.ShapeConflict;
import dev.quanta.tflite.TfliteFile.OperatorDef;
import dev.quanta.tflite.TfliteFile.TensorDef;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The {@link OpContext} of one TFLite operator during a {@link SubgraphConversion}: its inputs come from the
 * conversion's {@link SubgraphTensors}, and the ops its importer emits are added with their output shapes inferred
 * and, for the operator's own outputs, checked against the file's (a mismatch is a {@link ShapeConflict}).
 */
final class OperatorContext implements OpContext {
    private final SubgraphConversion conversion;
    private final SubgraphTensors tensors;
    private final OperatorDef op;
    private final String opName;
    private final String where;
    private final TensorDef[] outs;
    private final TensorDef out;
    private final String outName;
    private final Origin origin;
    /** The custom options, parsed on first use. */
    private FlexBuffers.Map customMap;

    /**
     * @param conversion the conversion the operator is part of; its ops are added there
     * @param opName the TFLite op name, or the custom code of a custom op
     * @param where the operator as error messages name it
     * @param outs the operator's output tensors, checked to exist and not to be produced yet
     */
    OperatorContext(SubgraphConversion conversion, OperatorDef op, String opName, String where, TensorDef[] outs) {
        this.conversion = conversion;
        this.tensors = conversion.tensors();
        this.op = op;
        this.opName = opName;
        this.where = where;
        this.out = outs[0];
        this.outs = outs;
        this.outName = tensors.uniqueName(out);
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
            throw error(
                    i < op.inputs().length
                            ? "input " + i + " is omitted but required"
                            : "has " + op.inputs().length + " inputs, needs at least " + (i + 1));
        }
        return t;
    }

    @Override
    public Tensor optionalInput(int i) {
        if (i >= op.inputs().length || op.inputs()[i] == -1) {
            return null;
        }
        return tensors.read(op.inputs()[i], where);
    }

    @Override
    public Tensor variableInput(int i) {
        if (i >= op.inputs().length || op.inputs()[i] == -1) {
            return null;
        }
        TensorDef def = tensors.checkedDef(op.inputs()[i]);
        int[] dims = tensors.checkedShape(def);
        return new Tensor(
                def.name().isEmpty() ? "tensor_" + def.index() : def.name(),
                Shape.of(dims),
                tensors.dtype(def),
                null,
                tensors.quant(def, dims),
                false);
    }

    @Override
    public int intermediateCount() {
        return op.intermediateCount();
    }

    @Override
    public QuantParams intermediateQuant(int i) {
        TensorDef def = tensors.def(op.intermediates()[i], where + " intermediate");
        return tensors.quant(def, def.shape());
    }

    @Override
    public int[] fileShape(int i) {
        return tensors.checkedDef(op.inputs()[i]).shape().clone();
    }

    @Override
    public int[] constantInts(int i, String what) {
        Tensor t = input(i);
        TensorDef def = tensors.checkedDef(op.inputs()[i]);
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
            throw error("carries builtin options of union type " + op.optionsType() + ", expected " + expectedType);
        }
        return reader.apply(op.options());
    }

    @Override
    public boolean dynamicBatch() {
        return conversion.dynamicBatch();
    }

    @Override
    public Tensor emit(OpType type, OpAttributes attrs, Tensor... inputs) {
        List<Tensor> in = present(inputs);
        String name = tensors.unique(outName + "/" + type.name().toLowerCase(Locale.ROOT), out.index());
        return addOp(type, attrs, in, name, in.get(0).dtype(), in.get(0).quant(), null);
    }

    @Override
    public int outputCount() {
        return outs.length;
    }

    @Override
    public void produceAll(OpType type, OpAttributes attrs, Tensor... inputs) {
        if (tensors.produced(out.index()) != null) {
            throw new IllegalStateException(where + " produced twice");
        }
        addMultiOutputOp(type, attrs, present(inputs));
    }

    @Override
    public FlexBuffers.Map customOptions() {
        if (customMap == null) {
            customMap = parseCustomOptions();
        }
        return customMap;
    }

    private FlexBuffers.Map parseCustomOptions() {
        byte[] raw = op.customOptions();
        if (raw == null || raw.length < 3) {
            throw error("has no custom options (a FlexBuffer map is expected)");
        }
        try {
            FlexBuffers.Reference root = FlexBuffers.getRoot(new ArrayReadWriteBuf(raw, raw.length));
            if (!root.isMap()) {
                throw error("custom options are not a FlexBuffer map");
            }
            FlexBuffers.Map map = root.asMap();
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
        if (tensors.produced(out.index()) != null) {
            throw new IllegalStateException(where + " produced twice");
        }
        List<Tensor> in = present(inputs);
        int[] fileShape = tensors.checkedShape(out);
        tensors.set(
                out.index(),
                addOp(type, attrs, in, outName, tensors.dtype(out), tensors.quant(out, fileShape), fileShape));
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
        return conversion.error(where + ": " + problem);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Adding ops

    /**
     * Adds an op whose output is named {@code name}, inferring the output's shape; checks it against
     * {@code fileShape} when given.
     */
    private Tensor addOp(
            OpType type,
            OpAttributes attrs,
            List<Tensor> inputs,
            String name,
            DType dtype,
            QuantParams quant,
            int[] fileShape) {
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
        Tensor t = new Tensor(name, shape, dtype, null, quant, false);
        conversion.add(new Op(name, type, inputs, List.of(t), attrs, origin));
        return t;
    }

    /** Adds an op whose outputs are the operator's output tensors, checking each inferred shape. */
    private void addMultiOutputOp(OpType type, OpAttributes attrs, List<Tensor> inputs) {
        List<Shape> shapes;
        try {
            shapes = ShapeInference.inferAll(type, attrs, inputs);
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
            throw new ShapeConflict(where + ": " + e.getMessage());
        }
        if (shapes.size() != outs.length) {
            throw conversion.error(
                    where + " has " + outs.length + " outputs but " + type + " produces " + shapes.size());
        }
        List<Tensor> outputs = new ArrayList<>();
        for (int k = 0; k < outs.length; k++) {
            int[] fileShape = tensors.checkedShape(outs[k]);
            if (fileShape.length > 0 && !fits(shapes.get(k), fileShape)
                    || fileShape.length == 0 && shapes.get(k).rank() != 0) {
                throw new ShapeConflict(where + ": output " + k + "'s shape in the file is "
                        + Arrays.toString(fileShape) + " but the inputs give " + shapes.get(k));
            }
            Tensor t = new Tensor(
                    tensors.uniqueName(outs[k]),
                    shapes.get(k),
                    tensors.dtype(outs[k]),
                    null,
                    tensors.quant(outs[k], fileShape),
                    false);
            tensors.set(outs[k].index(), t);
            outputs.add(t);
        }
        conversion.add(new Op(outputs.get(0).name(), type, inputs, outputs, attrs, origin));
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
}
