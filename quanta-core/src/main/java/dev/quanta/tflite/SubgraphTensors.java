package dev.quanta.tflite;

import dev.quanta.ir.DType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import dev.quanta.tflite.TfliteFile.Quantization;
import dev.quanta.tflite.TfliteFile.SubGraph;
import dev.quanta.tflite.TfliteFile.TensorDef;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The IR tensors of one {@link SubgraphConversion}, by file tensor index: the graph inputs and operator outputs
 * set so far, and the constants, made on first use. Checks each file tensor's shape, type, quantization and data
 * as it turns it into an IR tensor, and gives every IR tensor a unique name.
 */
final class SubgraphTensors {
    private final TfliteFile file;
    private final SubGraph graph;
    private final Tensor[] tensors;
    private final Set<String> names = new HashSet<>();

    SubgraphTensors(TfliteFile file, SubGraph graph) {
        this.file = file;
        this.graph = graph;
        this.tensors = new Tensor[graph.tensors().size()];
    }

    /** The file tensor {@code index}, checked to exist; {@code user} names who refers to it in the error. */
    TensorDef def(long index, String user) {
        if (index < 0 || index >= tensors.length) {
            throw file.error(
                    user + " refers to tensor index " + index + " but the subgraph has " + tensors.length + " tensors");
        }
        return graph.tensors().get((int) index);
    }

    /** The file tensor {@code index}, which the caller has checked with {@link #def}. */
    TensorDef checkedDef(int index) {
        return graph.tensors().get(index);
    }

    /** The graph input or operator output set for file tensor {@code index}; null when there is none yet. */
    Tensor produced(int index) {
        return tensors[index];
    }

    /** Records {@code t} as file tensor {@code index}. */
    void set(int index, Tensor t) {
        tensors[index] = t;
    }

    /** The IR tensor of file tensor {@code index}: a graph input, an earlier op's output or a constant. */
    Tensor read(int index, String where) {
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
        Tensor t = new Tensor(
                uniqueName(def), Shape.of(dims), dtype, TensorData.ofBytes(dtype, data), quant(def, dims), true);
        tensors[index] = t;
        return t;
    }

    /** A copy of the tensor's shape, checked: rank at most 16, no negative dimension. */
    int[] checkedShape(TensorDef def) {
        int[] dims = def.shape().clone();
        if (dims.length > 16) {
            throw file.error(def.describe() + " has rank " + dims.length + ", more than 16");
        }
        for (int d : dims) {
            if (d < 0) {
                throw file.error(def.describe() + " has a negative dimension in its shape " + Arrays.toString(dims));
            }
        }
        return dims;
    }

    DType dtype(TensorDef def) {
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
    QuantParams quant(TensorDef def, int[] dims) {
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
            throw file.error(
                    def.describe() + " has " + scale.length + " quantization scales but " + zp.length + " zero points");
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
            throw file.error(def.describe() + " has " + scale.length + " quantization scales but dimension " + axis
                    + " of its shape " + Arrays.toString(dims) + " has size " + dims[axis]);
        }
        return QuantParams.perAxis(scale, zp, axis);
    }

    /** The tensor's file name ({@code tensor_<index>} when it has none), made unique. */
    String uniqueName(TensorDef def) {
        String base = def.name().isEmpty() ? "tensor_" + def.index() : def.name();
        return unique(base, def.index());
    }

    /** {@code base}, or when taken {@code base_<index>}, {@code base_<index>_1}, … : the first free name. */
    String unique(String base, int index) {
        if (names.add(base)) {
            return base;
        }
        String candidate = base + "_" + index;
        for (int k = 1; !names.add(candidate); k++) {
            candidate = base + "_" + index + "_" + k;
        }
        return candidate;
    }
}
