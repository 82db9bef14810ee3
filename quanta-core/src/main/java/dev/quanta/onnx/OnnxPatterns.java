package dev.quanta.onnx;

import dev.quanta.ir.TensorData;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Node patterns of exported graphs rewritten before translation. The erf form of GELU, as PyTorch exports it,
 *
 * <pre>
 * y = (x · (erf(x / √2) + 1)) · 0.5      (x / √2 may be x · (1/√2); the 0.5 may multiply x first; Add and Mul
 *                                          operands in either order)
 * </pre>
 *
 * becomes one Gelu node (the IR's GELU), since ONNX's Erf alone has no IR op.
 */
final class OnnxPatterns {
    private OnnxPatterns() {}

    private static final float SQRT2 = (float) Math.sqrt(2);

    /** The graph's nodes with every complete erf-GELU pattern replaced by a Gelu node. */
    static List<NodeProto> rewrite(GraphProto g, Path file) {
        List<NodeProto> nodes = new ArrayList<>(g.getNodeList());
        Map<String, Float> scalars = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            scalar(t, file).ifPresent(v -> scalars.put(t.getName(), v));
        }
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, Integer> uses = new HashMap<>();
        for (NodeProto n : nodes) {
            if (n.getOpType().equals("Constant") && n.getOutputCount() == 1) {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        scalar(a.getT(), file).ifPresent(v -> scalars.put(n.getOutput(0), v));
                    } else if (a.getName().equals("value_float")) {
                        scalars.put(n.getOutput(0), a.getF());
                    }
                }
            }
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
            for (String i : n.getInputList()) {
                uses.merge(i, 1, Integer::sum);
            }
        }
        for (var out : g.getOutputList()) {
            uses.merge(out.getName(), 1, Integer::sum);
        }
        for (NodeProto erf : List.copyOf(nodes)) {
            if (!erf.getOpType().equals("Erf") || !nodes.contains(erf)) {
                continue;
            }
            NodeProto scale = producer.get(erf.getInput(0));
            if (scale == null || uses.getOrDefault(erf.getInput(0), 0) != 1 || scale.getInputCount() != 2) {
                continue;
            }
            String x = scale.getInput(0);
            Float c = scalars.get(scale.getInput(1));
            boolean scaled = c != null
                    && ((scale.getOpType().equals("Div") && near(c, SQRT2))
                            || (scale.getOpType().equals("Mul") && near(c, 1 / SQRT2)));
            if (!scaled) {
                continue;
            }
            NodeProto add = onlyConsumer(nodes, uses, erf.getOutput(0));
            if (add == null || !add.getOpType().equals("Add") || !near(other(scalars, add, erf.getOutput(0)), 1f)) {
                continue;
            }
            NodeProto mul1 = onlyConsumer(nodes, uses, add.getOutput(0));
            if (mul1 == null || !mul1.getOpType().equals("Mul")) {
                continue;
            }
            String mulOther = mul1.getInput(0).equals(add.getOutput(0)) ? mul1.getInput(1) : mul1.getInput(0);
            NodeProto last;
            List<NodeProto> matched = new ArrayList<>(List.of(scale, erf, add, mul1));
            if (mulOther.equals(x)) {
                // (x · (erf + 1)) · 0.5
                last = onlyConsumer(nodes, uses, mul1.getOutput(0));
                if (last == null
                        || !last.getOpType().equals("Mul")
                        || !near(other(scalars, last, mul1.getOutput(0)), 0.5f)) {
                    continue;
                }
                matched.add(last);
            } else {
                // (x · 0.5) · (erf + 1)
                NodeProto half = producer.get(mulOther);
                if (half == null
                        || !half.getOpType().equals("Mul")
                        || uses.getOrDefault(mulOther, 0) != 1
                        || !(half.getInputList().contains(x))
                        || !near(other(scalars, half, x), 0.5f)) {
                    continue;
                }
                matched.add(0, half);
                last = mul1;
            }
            NodeProto gelu = NodeProto.newBuilder()
                    .setName(last.getName().isEmpty() ? last.getOutput(0) : last.getName())
                    .setOpType("Gelu")
                    .addInput(x)
                    .addOutput(last.getOutput(0))
                    .build();
            int at = nodes.indexOf(last);
            nodes.set(at, gelu);
            for (NodeProto m : matched) {
                if (m != last) {
                    nodes.remove(m);
                }
            }
        }
        return nodes;
    }

    private static boolean near(Float v, float target) {
        return v != null && Math.abs(v - target) <= 1e-4f * Math.abs(target);
    }

    /** The scalar constant of {@code node}'s other input (not {@code input}), or null. */
    private static Float other(Map<String, Float> scalars, NodeProto node, String input) {
        if (node.getInputCount() != 2) {
            return null;
        }
        String o = node.getInput(0).equals(input) ? node.getInput(1) : node.getInput(0);
        return scalars.get(o);
    }

    private static NodeProto onlyConsumer(List<NodeProto> nodes, Map<String, Integer> uses, String value) {
        if (uses.getOrDefault(value, 0) != 1) {
            return null;
        }
        for (NodeProto n : nodes) {
            if (n.getInputList().contains(value)) {
                return n;
            }
        }
        return null;
    }

    private static java.util.Optional<Float> scalar(TensorProto t, Path file) {
        if (t.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
            return java.util.Optional.empty();
        }
        long n = 1;
        for (long d : t.getDimsList()) {
            n *= d;
        }
        if (n != 1 || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return java.util.Optional.empty();
        }
        TensorData d = OnnxTensors.decode(t, file, null).data();
        return java.util.Optional.of(d.floats()[0]);
    }
}
