package dev.quanta.quantize;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Mixed int8 / 16x8 models: chosen layers of a full-int8 model replaced by the same layers of the 16x8 model of the
 * same float graph (int16 activations, int8 weights, int64 bias), as TFLite runs each with its own kernels.
 *
 * <p>At a layer's boundary the activations change type. Into a 16x8 layer an int8 (or uint8) value goes through
 * DEQUANTIZE and a QUANTIZE to the 16x8 model's int16 parameters (TFLite's QUANTIZE requantizes int16 to int8 but not
 * int8 to int16), a float value through the QUANTIZE alone; out of it, where an int8 layer or the model's output reads
 * the value, a QUANTIZE requantizes the int16 value to the int8 model's parameters of that tensor:
 *
 * <pre>
 * into:   q16 = round(s8·(q8 − z8) / s16)          (DEQUANTIZE, then QUANTIZE to int16, zero point 0)
 * out of: q8  = round(s16·q16 / s8) + z8           (QUANTIZE int16 → int8, TFLite's Requantize)
 * </pre>
 *
 * Consecutive 16x8 layers pass their int16 values on directly.
 */
public final class Int16Layers {
    private Int16Layers() {}

    /** Suffix of the tensors that the 16x8 layers read and write, beside the int8 model's of the same name. */
    static final String SUFFIX = "/int16";

    /**
     * Whether {@code layer} runs in integer arithmetic in the 16x8 model: it has ops there and none of them was left
     * in float (a layer TFLite has no 16x8 kernel for).
     */
    public static boolean runsIn16x8(Converter.Conversion int16x8, String layer) {
        boolean found = false;
        for (LayerReport l : int16x8.report().layers()) {
            if (l.layer().equals(layer)) {
                if (l.leftInFloat()) {
                    return false;
                }
                found = true;
            }
        }
        return found;
    }

    /**
     * The int8 model with {@code layers} taken from the 16x8 model.
     *
     * @param int8 a full-int8 conversion
     * @param int16x8 the 16x8 conversion of the same float model with the same settings otherwise
     * @param layers layer names ({@link dev.quanta.ir.Origin#layerName()}) for which {@link #runsIn16x8} holds
     * @throws IllegalArgumentException for a layer that is not in both models or not integer in the 16x8 one
     */
    public static Converter.Conversion splice(
            Converter.Conversion int8, Converter.Conversion int16x8, Set<String> layers) {
        if (layers.isEmpty()) {
            return int8;
        }
        for (String layer : layers) {
            if (!runsIn16x8(int16x8, layer)) {
                throw new IllegalArgumentException("layer '" + layer + "' has no 16x8 kernel in the 16x8 model");
            }
        }
        Model m8 = int8.model();
        Model m16 = int16x8.model();
        Map<String, List<Op>> ops16 = new LinkedHashMap<>();
        for (Op op : m16.ops()) {
            if (layers.contains(op.origin().layerName())) {
                ops16.computeIfAbsent(op.origin().layerName(), k -> new ArrayList<>())
                        .add(op);
            }
        }
        Set<String> in8 = new HashSet<>();
        for (Op op : m8.ops()) {
            in8.add(op.origin().layerName());
        }
        for (String layer : layers) {
            if (!in8.contains(layer) || !ops16.containsKey(layer)) {
                throw new IllegalArgumentException("layer '" + layer + "' is not in both models");
            }
        }
        Model spliced = new Splicer(m8, m16, layers, ops16).splice();
        return new Converter.Conversion(
                spliced, report(int8.report(), int16x8.report(), layers, Converter.constantBytes(spliced)));
    }

    /** The int8 report with the rows of {@code layers} from the 16x8 report and a section naming them. */
    private static QuantizationReport report(
            QuantizationReport r8, QuantizationReport r16, Set<String> layers, long quantizedBytes) {
        List<LayerReport> rows = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (LayerReport l : r8.layers()) {
            if (!layers.contains(l.layer())) {
                rows.add(l);
            } else if (done.add(l.layer())) {
                for (LayerReport l16 : r16.layers()) {
                    if (l16.layer().equals(l.layer())) {
                        rows.add(l16);
                    }
                }
            }
        }
        List<QuantizationReport.Technique> techniques = new ArrayList<>(r8.techniques());
        techniques.add(new QuantizationReport.Technique(
                "16x8 layers",
                List.of(String.join(", ", layers)
                        + ": int16 activations, int8 weights (DEQUANTIZE + QUANTIZE into them, QUANTIZE out)")));
        return new QuantizationReport(
                r8.mode(),
                r8.modeReason(),
                r8.scheme(),
                r8.granularity(),
                r8.io(),
                r8.calibrationSamples(),
                rows,
                r8.floatBytes(),
                quantizedBytes,
                r8.seconds() + r16.seconds(),
                r8.calibration(),
                techniques,
                r8.warnings());
    }

    /** One splice: walks the int8 model's ops and replaces each chosen layer's ops by the 16x8 model's. */
    private static final class Splicer {
        private final Model m8;
        private final Model m16;
        private final Set<String> layers;
        private final Map<String, List<Op>> ops16;
        private final List<Op> ops = new ArrayList<>();
        /** 16x8-model tensor → its renamed copy in the spliced model. */
        private final Map<Tensor, Tensor> renamed = new IdentityHashMap<>();
        /** Int8-model tensor name → its int16 value made for 16x8 layers (the two models' names agree). */
        private final Map<String, Tensor> int16Of = new LinkedHashMap<>();
        /** Tensor name → the renamed 16x8 tensor a spliced layer wrote (its int16 value). */
        private final Map<String, Tensor> writtenInt16 = new LinkedHashMap<>();

        Splicer(Model m8, Model m16, Set<String> layers, Map<String, List<Op>> ops16) {
            this.m8 = m8;
            this.m16 = m16;
            this.layers = layers;
            this.ops16 = ops16;
        }

        Model splice() {
            Set<String> emitted = new HashSet<>();
            for (Op op : m8.ops()) {
                String layer = op.origin().layerName();
                if (!layers.contains(layer)) {
                    ops.add(op); // reads int8 tensors: those a 16x8 layer writes are requantized to them
                } else if (emitted.add(layer)) {
                    for (Op op16 : ops16.get(layer)) {
                        emit16(op16);
                    }
                }
            }
            return dropUnused(new Model(m8.name(), m8.inputs(), m8.outputs(), ops, m8.metadata()));
        }

        /** Emits one op of a 16x8 layer, its activation inputs made int16 first, its outputs requantized after. */
        private void emit16(Op op16) {
            List<Tensor> inputs = new ArrayList<>();
            for (Tensor t : op16.inputs()) {
                inputs.add(input16(t, op16.origin()));
            }
            List<Tensor> outputs = new ArrayList<>();
            List<Op> after = new ArrayList<>();
            for (Tensor t : op16.outputs()) {
                Tensor t8 = m8.tensor(t.name());
                boolean int8Value = t8 != null && m8.producer(t8) != null;
                if (int8Value && t.dtype() == t8.dtype()) {
                    // the same type in both models (float, as an output DEQUANTIZE writes): the int8 model's tensor
                    outputs.add(t8);
                    continue;
                }
                Tensor t16 = rename(t);
                outputs.add(t16);
                writtenInt16.put(t.name(), t16);
                if (int8Value) {
                    // the int8 model's value of the same tensor, for the int8 layers and outputs that read it
                    after.add(Op.unary(t8.name(), OpType.QUANTIZE, t16, t8, op16.origin()));
                }
            }
            ops.add(new Op(op16.name() + SUFFIX, op16.type(), inputs, outputs, op16.attributes(), op16.origin()));
            ops.addAll(after);
        }

        /** The int16 (or constant, or other-typed) tensor a 16x8 op reads in place of {@code t16}. */
        private Tensor input16(Tensor t16, Origin origin) {
            if (t16.isConstant()) {
                return rename(t16);
            }
            Tensor written = writtenInt16.get(t16.name());
            if (written != null) {
                return written;
            }
            if (t16.dtype() != DType.INT16) {
                // float or index values: the same tensor as in the int8 model
                Tensor same = m8.tensor(t16.name());
                if (same == null || same.dtype() != t16.dtype()) {
                    throw new IllegalArgumentException("16x8 tensor '" + t16.name() + "' has no int8 counterpart");
                }
                return same;
            }
            Tensor made = int16Of.get(t16.name());
            if (made != null) {
                return made;
            }
            Tensor t8 = m8.tensor(t16.name());
            if (t8 == null) {
                // a graph input that the 16x8 model quantizes itself ("x/quantized"): start from the float input
                Op q = m16.producer(t16);
                if (q == null
                        || q.type() != OpType.QUANTIZE
                        || m8.tensor(q.input(0).name()) == null) {
                    throw new IllegalArgumentException("16x8 tensor '" + t16.name() + "' has no int8 counterpart");
                }
                t8 = m8.tensor(q.input(0).name());
            }
            Tensor source = t8;
            Op producer = m8.producer(t8);
            if (producer != null
                    && producer.type() == OpType.QUANTIZE
                    && producer.input(0).dtype() == DType.FLOAT32) {
                source = producer.input(0); // a quantized float value (the model input): quantize that instead
            } else if (t8.dtype() != DType.FLOAT32) {
                source = new Tensor(t8.name() + "/dequantized", t8.shape(), DType.FLOAT32, null, null, false);
                ops.add(Op.unary(source.name(), OpType.DEQUANTIZE, t8, source, origin));
            }
            Tensor q16 = rename(t16);
            ops.add(Op.unary(q16.name(), OpType.QUANTIZE, source, q16, origin));
            int16Of.put(t16.name(), q16);
            return q16;
        }

        private Tensor rename(Tensor t) {
            return renamed.computeIfAbsent(
                    t, k -> new Tensor(k.name() + SUFFIX, k.shape(), k.dtype(), k.data(), k.quant(), k.trainable()));
        }

        /** Removes the requantizing ops whose value nothing reads (a 16x8 layer read only by 16x8 layers). */
        private static Model dropUnused(Model m) {
            List<Op> kept = new ArrayList<>(m.ops());
            boolean changed = true;
            while (changed) {
                changed = false;
                Set<Tensor> read = Collections.newSetFromMap(new IdentityHashMap<>());
                for (Op op : kept) {
                    read.addAll(op.inputs());
                }
                read.addAll(m.outputs());
                for (int i = kept.size() - 1; i >= 0; i--) {
                    Op op = kept.get(i);
                    boolean requantize = op.type() == OpType.QUANTIZE || op.type() == OpType.DEQUANTIZE;
                    if (requantize && op.outputs().stream().noneMatch(read::contains)) {
                        kept.remove(i);
                        changed = true;
                    }
                }
            }
            return new Model(m.name(), m.inputs(), m.outputs(), kept, m.metadata());
        }
    }
}
