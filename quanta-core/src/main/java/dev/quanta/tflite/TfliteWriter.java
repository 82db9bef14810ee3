package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.files.AtomicFiles;
import dev.quanta.ir.DType;
import dev.quanta.ir.InputNormalization;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes an IR {@link Model} as a standard TensorFlow Lite flatbuffer: schema version 3, file identifier
 * {@code TFL3}, one subgraph, description {@code "Quanta"}, a {@code serving_default} signature.
 *
 * <p>Buffer 0 is the empty sentinel; every constant has a buffer of its own, its data aligned to 16 bytes;
 * activations use buffer 0. A tensor whose IR shape has a dynamic batch is written with batch 1 in {@code shape}
 * and -1 in {@code shape_signature}. MEAN axes, PAD paddings and the RESHAPE target become INT32 constant
 * inputs (RESHAPE also gets ReshapeOptions.new_shape), as the TFLite converter writes them. Operator codes carry
 * both {@code builtin_code} and {@code deprecated_builtin_code}, and per builtin the highest version that the
 * converter's versioning rules give its ops (see {@link TfliteExporters}).
 *
 * <p>Custom ops (DETECTION_POSTPROCESS as {@code TFLite_Detection_PostProcess}) get an operator code of builtin
 * code CUSTOM with their custom code, and their options as a FlexBuffer in {@code custom_options}.
 *
 * <p>BATCH_NORM and IDENTITY have no TFLite operator: models with them are refused (fold or remove them first).
 */
public final class TfliteWriter {
    private TfliteWriter() {}

    static final String DESCRIPTION = "Quanta";
    static final String SIGNATURE_KEY = "serving_default";

    /**
     * Writes {@code model} to {@code out} with {@link AtomicFiles}: to a temporary file in the same directory, then
     * moved into place (replacing an existing regular file, whose mode is kept). Nothing is left behind on failure.
     *
     * @throws QuantaException when the model cannot be expressed in TFLite, when {@code out} is the model's own
     *     source file (through {@code ..}, links or hard links) or not a regular file, or when the file cannot be
     *     written (naming the path)
     */
    public static void write(Model model, Path out) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(out, "out");
        AtomicFiles.requireWritableTarget(out);
        AtomicFiles.requireNotAnInput(
                out, Collections.singletonMap("model source", model.metadata().sourceFile()));
        AtomicFiles.writeBytes(out, toBytes(model));
    }

    /**
     * The TFLite flatbuffer of {@code model}.
     *
     * @throws QuantaException naming the op or tensor when the model cannot be expressed in TFLite
     */
    public static byte[] toBytes(Model model) {
        Objects.requireNonNull(model, "model");
        return new Plan(model).build();
    }

    /** One tensor to write; {@code data} null for activations. */
    private record TensorPlan(
            String name, int[] shape, int[] signature, int type, byte[] data, QuantParams quant, boolean variable) {
        TensorPlan(String name, int[] shape, int[] signature, int type, byte[] data, QuantParams quant) {
            this(name, shape, signature, type, data, quant, false);
        }
    }

    /** One operator to write. */
    private record OpPlan(int opcodeIndex, TfliteExporters.Exported exported, int[] outputs) {}

    /** What tells operator codes apart: the builtin code, and the custom code of a custom op (else null). */
    private record CodeKey(int builtinCode, String customCode) {}

    /** The model mapped to tensor indices, operator codes and operators, before any byte is built. */
    private static final class Plan implements TfliteExporters.Context {
        private final Model model;
        private final Map<Tensor, Integer> index = new IdentityHashMap<>();
        private final List<TensorPlan> tensors = new ArrayList<>();
        private final Map<CodeKey, Integer> versions = new LinkedHashMap<>(); // operator code -> version
        private final List<OpPlan> ops = new ArrayList<>();
        private final java.util.Set<String> names = new java.util.HashSet<>();
        private long dataBytes;

        Plan(Model model) {
            this.model = model;
            for (Op op : model.ops()) {
                TfliteExporters.forOp(op); // refuses BATCH_NORM and IDENTITY before anything else
            }
            for (Tensor t : model.tensors()) {
                names.add(t.name());
            }
            for (Tensor t : model.tensors()) {
                add(t);
            }
            List<CodeKey> codes = new ArrayList<>();
            for (Op op : model.ops()) {
                TfliteExporters.Exported e = TfliteExporters.forOp(op).write(op, this);
                int[] outputs = new int[op.outputs().size()];
                for (int i = 0; i < outputs.length; i++) {
                    outputs[i] = index(op.output(i));
                }
                CodeKey key = new CodeKey(e.builtinCode(), e.customCode());
                versions.merge(key, e.version(), Math::max);
                if (!codes.contains(key)) {
                    codes.add(key);
                }
                ops.add(new OpPlan(codes.indexOf(key), e, outputs));
            }
        }

        private void add(Tensor t) {
            int[] dims = t.shape().dims();
            int[] shape = dims.clone();
            boolean dynamic = false;
            for (int i = 0; i < shape.length; i++) {
                if (shape[i] == Shape.DYNAMIC) {
                    shape[i] = 1;
                    dynamic = true;
                }
            }
            byte[] data = null;
            if (t.isConstant()) {
                if (dynamic) {
                    throw new QuantaException("constant tensor '" + t.name() + "' has a dynamic shape " + t.shape());
                }
                TensorData d = t.data();
                if (d.dtype() != t.dtype()) {
                    throw new QuantaException(
                            "constant tensor '" + t.name() + "' is " + t.dtype() + " but holds " + d.dtype() + " data");
                }
                data = d.bytes();
                dataBytes += data.length + TfliteBuilder.DATA_ALIGNMENT;
                if (dataBytes > Integer.MAX_VALUE - (64L << 20)) {
                    throw new QuantaException("model '" + model.name() + "' holds over 2 GB of constants, more than"
                            + " a TFLite flatbuffer can");
                }
            }
            index.put(t, tensors.size());
            tensors.add(new TensorPlan(
                    t.name(), shape, dynamic ? dims : null, TfliteSchema.tensorType(t.dtype()), data, t.quant()));
        }

        @Override
        public int index(Tensor t) {
            Integer i = index.get(t);
            if (i == null) {
                throw new IllegalStateException("tensor " + t.name() + " is not part of model " + model.name());
            }
            return i;
        }

        @Override
        public int constant(String name, DType type, int[] shape, byte[] data, QuantParams quant) {
            dataBytes += data.length + TfliteBuilder.DATA_ALIGNMENT;
            tensors.add(new TensorPlan(
                    uniqueName(name), shape.clone(), null, TfliteSchema.tensorType(type), data.clone(), quant));
            return tensors.size() - 1;
        }

        @Override
        public int variable(String name, DType type, int[] shape, QuantParams quant) {
            tensors.add(new TensorPlan(
                    uniqueName(name), shape.clone(), null, TfliteSchema.tensorType(type), null, quant, true));
            return tensors.size() - 1;
        }

        @Override
        public int intermediate(String name, DType type, QuantParams quant) {
            tensors.add(new TensorPlan(
                    uniqueName(name), new int[] {0}, null, TfliteSchema.tensorType(type), null, quant, false));
            return tensors.size() - 1;
        }

        private String uniqueName(String name) {
            String unique = name;
            for (int k = 1; !names.add(unique); k++) {
                unique = name + "_" + k;
            }
            return unique;
        }

        byte[] build() {
            TfliteBuilder b = new TfliteBuilder((int)
                    Math.min(Integer.MAX_VALUE - 8, dataBytes + 256L * tensors.size() + 128L * ops.size() + 4096));
            // Buffers: 0 is the empty sentinel, then one per constant, in tensor order.
            List<Integer> buffers = new ArrayList<>();
            buffers.add(b.buffer(null));
            int[] bufferOf = new int[tensors.size()];
            for (int i = 0; i < tensors.size(); i++) {
                TensorPlan t = tensors.get(i);
                if (t.data() != null) {
                    bufferOf[i] = buffers.size();
                    buffers.add(b.buffer(t.data()));
                }
            }
            int[] tensorTables = new int[tensors.size()];
            for (int i = 0; i < tensors.size(); i++) {
                TensorPlan t = tensors.get(i);
                int quant = 0;
                if (t.quant() != null) {
                    QuantParams q = t.quant();
                    quant = b.quantization(q.scales(), q.zeroPoints(), q.isPerTensor() ? 0 : q.axis());
                }
                tensorTables[i] =
                        b.tensor(t.name(), t.shape(), t.signature(), t.type(), bufferOf[i], quant, t.variable());
            }
            int[] opTables = new int[ops.size()];
            for (int i = 0; i < ops.size(); i++) {
                OpPlan p = ops.get(i);
                TfliteExporters.Exported e = p.exported();
                int options = e.options() == null ? 0 : e.options().applyAsInt(b.fb);
                opTables[i] = b.operator(
                        p.opcodeIndex(),
                        e.inputs(),
                        p.outputs(),
                        e.optionsType(),
                        options,
                        e.intermediates(),
                        e.customOptions());
            }
            int[] codes = new int[versions.size()];
            int k = 0;
            for (Map.Entry<CodeKey, Integer> v : versions.entrySet()) {
                codes[k++] = b.operatorCode(
                        v.getKey().builtinCode(), v.getValue(), v.getKey().customCode());
            }
            int[] inputs = indices(model.inputs());
            int[] outputs = indices(model.outputs());
            int subgraph = b.subgraph(tensorTables, inputs, outputs, opTables, "main");
            int[] inMaps = new int[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                inMaps[i] = b.tensorMap(model.inputs().get(i).name(), inputs[i]);
            }
            int[] outMaps = new int[outputs.length];
            for (int i = 0; i < outputs.length; i++) {
                outMaps[i] = b.tensorMap(model.outputs().get(i).name(), outputs[i]);
            }
            int signature = b.signatureDef(inMaps, outMaps, SIGNATURE_KEY, 0);
            List<Integer> metadata = new ArrayList<>();
            InputNormalization normalization = model.metadata().inputNormalization();
            if (normalization != null && model.inputs().size() == 1) {
                if (TfliteMetadata.fitsTflite(normalization)) {
                    byte[] tflite = TfliteMetadata.tfliteMetadata(
                            normalization,
                            model.inputs().get(0).name(),
                            model.outputs().stream().map(Tensor::name).toList());
                    metadata.add(b.metadata(TfliteMetadata.TFLITE_METADATA, buffers.size()));
                    buffers.add(b.buffer(tflite));
                } else {
                    metadata.add(b.metadata(TfliteMetadata.QUANTA_ENTRY, buffers.size()));
                    buffers.add(b.buffer(TfliteMetadata.quantaEntry(normalization)));
                }
            }
            return b.finishModel(
                    codes,
                    new int[] {subgraph},
                    DESCRIPTION,
                    buffers.stream().mapToInt(Integer::intValue).toArray(),
                    metadata.stream().mapToInt(Integer::intValue).toArray(),
                    new int[] {signature});
        }

        private int[] indices(List<Tensor> list) {
            int[] out = new int[list.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = index(list.get(i));
            }
            return out;
        }
    }
}
