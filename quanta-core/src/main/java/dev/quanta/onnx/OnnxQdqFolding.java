package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.GraphProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import dev.quanta.onnx.proto.OnnxProto.ValueInfoProto;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Folds QDQ patterns into Quanta's integer ops. A graph written as ONNX Runtime's {@code quantize_static} writes
 * it has, around each quantized Conv, Gemm or MatMul,
 *
 * <pre>
 * DequantizeLinear(x_q) ─┐
 * DequantizeLinear(w_q) ─┼─ Conv / Gemm / MatMul ─ [Relu] ─ QuantizeLinear ─ y_q
 * DequantizeLinear(b_q) ─┘   (bias optional; int32 through DequantizeLinear, or float)
 * </pre>
 *
 * which is the IR's int8 CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED in TFLite's form: int8 activations with
 * per-tensor parameters, int8 weights symmetric per output channel, int32 bias at scale s_x·s_w[c] (a bias at
 * another scale, or a float bias, is requantized: b_q = round(b / (s_x·s_w[c]))), Relu fused.
 *
 * <p>{@link #fold} replaces each such group of nodes by one node of the internal op type {@value #FUSED} that
 * carries the group's nodes; its translator emits the integer op when the values meet the integer kernels'
 * needs (x is int8 with exactly the parameters the DequantizeLinear reads, a 2-D window Quanta pads as SAME or
 * VALID) and otherwise translates the group's nodes as written. Everything else runs as written.
 */
final class OnnxQdqFolding {
    private OnnxQdqFolding() {}

    /** The internal op type of a folded group (no ONNX op has this name). */
    static final String FUSED = "Quanta.QdqFolded";

    private static final String MEMBERS = "members";
    /** Attribute holding DequantizeLinear nodes the group reads that other nodes read too (not translated again). */
    private static final String SHARED_INPUTS = "shared_dequantize";

    static void register(Map<String, OnnxTranslator> t) {
        t.put(FUSED, OnnxQdqFolding::translate);
    }

    /** {@code g} with every complete QDQ group replaced by one {@value #FUSED} node. */
    static GraphProto fold(GraphProto g) {
        Map<String, TensorProto> init = new HashMap<>();
        for (TensorProto t : g.getInitializerList()) {
            init.put(t.getName(), t);
        }
        Map<String, NodeProto> producer = new HashMap<>();
        Map<String, Integer> consumers = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            for (String o : n.getOutputList()) {
                producer.put(o, n);
            }
            for (String i : n.getInputList()) {
                consumers.merge(i, 1, Integer::sum);
            }
        }
        for (ValueInfoProto o : g.getOutputList()) {
            consumers.merge(o.getName(), 1, Integer::sum);
        }
        Map<NodeProto, List<NodeProto>> groups = new HashMap<>();
        Set<NodeProto> taken = new HashSet<>();
        Map<NodeProto, List<NodeProto>> shared = new HashMap<>();
        for (NodeProto n : g.getNodeList()) {
            List<NodeProto> group = group(n, producer, consumers, init, g);
            if (group == null || group.stream().anyMatch(taken::contains)) {
                continue;
            }
            taken.addAll(group);
            NodeProto last = group.get(group.size() - 1);
            groups.put(last, group);
            List<NodeProto> reads = new ArrayList<>();
            for (String in : n.getInputList()) {
                NodeProto dq = dequantizeOf(in, producer);
                if (dq != null && !group.contains(dq)) {
                    reads.add(dq);
                }
            }
            shared.put(last, reads);
        }
        if (groups.isEmpty()) {
            return g;
        }
        GraphProto.Builder b = g.toBuilder().clearNode();
        for (NodeProto n : g.getNodeList()) {
            List<NodeProto> group = groups.get(n);
            if (group != null) {
                b.addNode(NodeProto.newBuilder()
                        .setName(n.getName().isEmpty() ? n.getOutput(0) : n.getName())
                        .setOpType(FUSED)
                        .addOutput(n.getOutput(0))
                        .addAttribute(AttributeProto.newBuilder()
                                .setName(MEMBERS)
                                .setType(AttributeProto.AttributeType.GRAPH)
                                .setG(GraphProto.newBuilder().addAllNode(group)))
                        .addAttribute(AttributeProto.newBuilder()
                                .setName(SHARED_INPUTS)
                                .setType(AttributeProto.AttributeType.GRAPH)
                                .setG(GraphProto.newBuilder().addAllNode(shared.get(n)))));
            } else if (!taken.contains(n)) {
                b.addNode(n);
            }
        }
        return b.build();
    }

    /**
     * The nodes of the QDQ group whose linear op is {@code n}, in graph order and ending with the QuantizeLinear,
     * or null when {@code n} heads no complete group.
     */
    private static List<NodeProto> group(
            NodeProto n,
            Map<String, NodeProto> producer,
            Map<String, Integer> consumers,
            Map<String, TensorProto> init,
            GraphProto g) {
        String type = n.getOpType();
        if (!n.getDomain().isEmpty() || !(type.equals("Conv") || type.equals("Gemm") || type.equals("MatMul"))) {
            return null;
        }
        if (n.getInputCount() < 2 || n.getOutputCount() != 1) {
            return null;
        }
        NodeProto dqx = dequantizeOf(n.getInput(0), producer);
        NodeProto dqw = dequantizeOf(n.getInput(1), producer);
        if (dqx == null
                || dqw == null
                || dqw.getInputCount() < 2
                || !scalarParams(dqx, init)
                || !init.containsKey(dqw.getInput(0))) {
            return null;
        }
        if (!init.containsKey(dqw.getInput(1))
                || dqw.getInputCount() > 2 && !dqw.getInput(2).isEmpty() && !init.containsKey(dqw.getInput(2))) {
            return null;
        }
        NodeProto dqb = null;
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            String bias = n.getInput(2);
            dqb = dequantizeOf(bias, producer);
            if (dqb == null && !init.containsKey(bias)) {
                return null;
            }
            if (dqb != null
                    && (dqb.getInputCount() < 2
                            || !init.containsKey(dqb.getInput(0))
                            || !init.containsKey(dqb.getInput(1)))) {
                return null;
            }
        }
        String out = n.getOutput(0);
        if (consumers.getOrDefault(out, 0) != 1) {
            return null;
        }
        NodeProto next = consumerOf(out, g);
        NodeProto relu = null;
        if (next != null
                && next.getOpType().equals("Relu")
                && next.getDomain().isEmpty()
                && next.getOutputCount() == 1) {
            relu = next;
            if (consumers.getOrDefault(relu.getOutput(0), 0) != 1) {
                return null;
            }
            next = consumerOf(relu.getOutput(0), g);
        }
        if (next == null
                || !next.getOpType().equals("QuantizeLinear")
                || !next.getDomain().isEmpty()
                || next.getOutputCount() != 1
                || !scalarParams(next, init)) {
            return null;
        }
        List<NodeProto> members = new ArrayList<>();
        for (NodeProto dq : new NodeProto[] {dqx, dqw, dqb}) {
            if (dq != null && consumers.getOrDefault(dq.getOutput(0), 0) == 1) {
                members.add(dq); // used by this group alone: translated with it when it falls back
            }
        }
        // the group's members in graph order; the QuantizeLinear comes last, after everything the group reads
        List<NodeProto> ordered = new ArrayList<>();
        for (NodeProto m : g.getNodeList()) {
            if (members.contains(m) || m == n || m == relu || m == next) {
                ordered.add(m);
            }
        }
        return ordered.get(ordered.size() - 1) == next ? ordered : null;
    }

    private static NodeProto dequantizeOf(String value, Map<String, NodeProto> producer) {
        NodeProto p = producer.get(value);
        return p != null
                        && p.getOpType().equals("DequantizeLinear")
                        && p.getDomain().isEmpty()
                ? p
                : null;
    }

    private static NodeProto consumerOf(String value, GraphProto g) {
        for (NodeProto m : g.getNodeList()) {
            if (m.getInputList().contains(value)) {
                return m;
            }
        }
        return null;
    }

    /** Whether a Q/DQ node's scale and zero point are initializers of one value each. */
    private static boolean scalarParams(NodeProto q, Map<String, TensorProto> init) {
        if (q.getInputCount() < 2 || !init.containsKey(q.getInput(1))) {
            return false;
        }
        if (count(init.get(q.getInput(1))) != 1) {
            return false;
        }
        if (q.getInputCount() > 2 && !q.getInput(2).isEmpty()) {
            TensorProto zp = init.get(q.getInput(2));
            return zp != null && count(zp) == 1;
        }
        return true;
    }

    private static long count(TensorProto t) {
        long c = 1;
        for (long d : t.getDimsList()) {
            c *= d;
        }
        return c;
    }

    // ---- translation ----

    private static void translate(OnnxNode fused, OnnxContext ctx) {
        if (fused.attribute(MEMBERS) == null || fused.attribute(SHARED_INPUTS) == null) {
            throw fused.unsupported("op " + FUSED + " is not supported"); // only the fold makes these nodes
        }
        List<OnnxNode> members = new ArrayList<>();
        for (NodeProto p : fused.attribute(MEMBERS).getG().getNodeList()) {
            members.add(new OnnxNode(p, fused.file(), fused.opset()));
        }
        OnnxNode linear = null;
        OnnxNode quantize = members.isEmpty() ? null : members.get(members.size() - 1);
        boolean relu = false;
        for (OnnxNode m : members) {
            switch (m.opType()) {
                case "Conv", "Gemm", "MatMul" -> linear = m;
                case "Relu" -> relu = true;
                default -> {}
            }
        }
        // the group's own DequantizeLinear nodes: read for their parameters; translated only on fallback
        Map<String, OnnxNode> dequantized = new HashMap<>();
        for (OnnxNode m : members) {
            if (m.opType().equals("DequantizeLinear")) {
                dequantized.put(m.output(0), m);
            }
        }
        if (linear == null || !quantize.opType().equals("QuantizeLinear")) {
            throw fused.unsupported("op " + FUSED + " is not supported");
        }
        Map<String, OnnxNode> outside = new HashMap<>();
        for (NodeProto p : fused.attribute(SHARED_INPUTS).getG().getNodeList()) {
            outside.put(p.getOutput(0), new OnnxNode(p, fused.file(), fused.opset()));
        }
        if (!tryInteger(ctx, linear, quantize, relu, dequantized, new GroupInputs(outside))) {
            for (OnnxNode m : members) {
                ctx.setNode(m);
                try {
                    OnnxTranslator tr = OnnxOps.translator(m.opType());
                    if (tr == null) {
                        throw m.unsupported("op " + m.opType() + " is not supported");
                    }
                    tr.translate(m, ctx);
                } finally {
                    ctx.setNode(fused);
                }
            }
        }
    }

    /** Parameters read off a DequantizeLinear (a member of the group or a node translated earlier). */
    private record Dq(String input, float[] scales, long[] zeroPoints, long axis) {}

    private static Dq dq(OnnxContext ctx, String value, Map<String, OnnxNode> members, GroupInputs known) {
        OnnxNode m = members.get(value);
        if (m == null) {
            m = known.producer(value);
        }
        if (m == null) {
            return null;
        }
        String s = m.input(1);
        String z = m.hasInput(2) ? m.input(2) : null;
        if (!ctx.has(m.input(0)) || !ctx.isConstant(s) || z != null && !ctx.isConstant(z)) {
            return null;
        }
        float[] scales = ctx.constantFloats(s, "scale");
        long[] zps = z == null ? new long[scales.length] : ctx.constantLongs(z, "zero point");
        return new Dq(m.input(0), scales, zps, m.getInt("axis", 1));
    }

    /** DequantizeLinear nodes the group reads that are not its members (other nodes read them too). */
    private record GroupInputs(Map<String, OnnxNode> byOutput) {
        OnnxNode producer(String value) {
            return byOutput.get(value);
        }
    }

    /** Emits the integer op when every condition holds; false (nothing emitted) otherwise. */
    private static boolean tryInteger(
            OnnxContext ctx,
            OnnxNode linear,
            OnnxNode quantize,
            boolean relu,
            Map<String, OnnxNode> members,
            GroupInputs outside) {
        Dq x = dq(ctx, linear.input(0), members, outside);
        Dq w = dq(ctx, linear.input(1), members, outside);
        if (x == null || w == null || x.scales.length != 1) {
            return false;
        }
        Tensor xq = ctx.value(x.input).tensor();
        QuantParams xp = QuantParams.perTensor(x.scales[0], x.zeroPoints[0]);
        if (xq.dtype() != DType.INT8 || !xp.equals(xq.quant())) {
            return false;
        }
        if (!ctx.isConstant(w.input) || ctx.dtype(w.input) != DType.INT8) {
            return false;
        }
        for (long z : w.zeroPoints) {
            if (z != 0) {
                return false;
            }
        }
        if (!quantize.hasInput(2)
                || ctx.dtype(quantize.input(2)) != DType.INT8
                || !ctx.isConstant(quantize.input(1))
                || !ctx.isConstant(quantize.input(2))
                || quantize.getInt("block_size", 0) != 0
                || quantize.has("output_dtype")) {
            return false;
        }
        QuantParams yp = QuantParams.perTensor(
                ctx.constantFloats(quantize.input(1), "y scale")[0], ctx.constantLongs(quantize.input(2), "y zp")[0]);
        Activation act = relu ? Activation.RELU : Activation.NONE;
        return switch (linear.opType()) {
            case "Conv" -> conv(ctx, linear, quantize, act, x, xq, xp, w, yp, members, outside);
            default -> fullyConnected(ctx, linear, quantize, act, x, xq, xp, w, yp, members, outside);
        };
    }

    private static boolean conv(
            OnnxContext ctx,
            OnnxNode n,
            OnnxNode quantize,
            Activation act,
            Dq x,
            Tensor xq,
            QuantParams xp,
            Dq w,
            QuantParams yp,
            Map<String, OnnxNode> members,
            GroupInputs outside) {
        if (xq.shape().rank() != 4) {
            return false;
        }
        int[] wd = ctx.onnxShape(w.input).dims();
        int[] xd = ctx.onnxShape(x.input).dims();
        if (wd.length != 4) {
            return false;
        }
        int cout = wd[0];
        int cin = xd[1];
        int group = n.getIntExact("group", 1);
        boolean depthwise = group > 1 && group == cin && wd[1] == 1 && cout % cin == 0;
        if (group != 1 && !depthwise || group == 1 && wd[1] != cin) {
            return false;
        }
        if (w.scales.length != 1 && (w.scales.length != cout || w.axis != 0 && w.axis != -4)) {
            return false;
        }
        int[] kernel = {wd[2], wd[3]};
        int[] ks = n.getIntsExact("kernel_shape");
        if (ks != null && !Arrays.equals(ks, kernel)) {
            return false;
        }
        OnnxWindow win = OnnxWindow.of(n, new int[] {xd[2], xd[3]}, kernel);
        Padding padding;
        if (win.isValid()) {
            padding = Padding.VALID;
        } else if (win.isSame(new int[] {xd[2], xd[3]})) {
            padding = Padding.SAME;
        } else {
            return false;
        }
        float[] ws = perChannel(w.scales, cout);
        int[] bias = bias(ctx, n, members, outside, xp.scale(), ws);
        if (bias == null) {
            return false;
        }
        long[] q = OnnxTensors.longs(ctx.onnx(w.input).data());
        int kh = kernel[0];
        int kw = kernel[1];
        int taps = kh * kw;
        String base = quantize.output(0);
        long[] packed = new long[q.length];
        Tensor weights;
        if (depthwise) {
            // [C·m, 1, kh, kw] → [1, kh, kw, C·m]
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < taps; i++) {
                    packed[i * cout + o] = q[o * taps + i];
                }
            }
            weights = new Tensor(
                    ctx.unique(base + "_weights"),
                    Shape.of(1, kh, kw, cout),
                    DType.INT8,
                    OnnxQuantizedOps.integerData(DType.INT8, packed),
                    QuantParams.perAxis(ws, new long[cout], 3),
                    false);
        } else {
            // [O, I, kh, kw] → [O, kh, kw, I]
            for (int o = 0; o < cout; o++) {
                for (int c = 0; c < cin; c++) {
                    for (int i = 0; i < taps; i++) {
                        packed[(o * taps + i) * cin + c] = q[(o * cin + c) * taps + i];
                    }
                }
            }
            weights = new Tensor(
                    ctx.unique(base + "_weights"),
                    Shape.of(cout, kh, kw, cin),
                    DType.INT8,
                    OnnxQuantizedOps.integerData(DType.INT8, packed),
                    QuantParams.perAxis(ws, new long[cout], 0),
                    false);
        }
        Tensor b = biasTensor(ctx, base, bias, xp.scale(), ws);
        Tensor input = channelsLastQuantized(ctx, x.input, xq);
        OpAttributes attrs = depthwise ? win.depthwiseConv2D(padding, cout / cin, act) : win.conv2D(padding, act);
        Tensor y = OnnxQuantizedOps.emitWithParams(
                ctx,
                base,
                depthwise ? OpType.DEPTHWISE_CONV_2D : OpType.CONV_2D,
                attrs,
                DType.INT8,
                yp,
                input,
                weights,
                b);
        ctx.define(quantize.output(0), y, OnnxLayout.CHANNELS_LAST);
        return true;
    }

    private static boolean fullyConnected(
            OnnxContext ctx,
            OnnxNode n,
            OnnxNode quantize,
            Activation act,
            Dq x,
            Tensor xq,
            QuantParams xp,
            Dq w,
            QuantParams yp,
            Map<String, OnnxNode> members,
            GroupInputs outside) {
        boolean gemm = n.opType().equals("Gemm");
        if (gemm && (n.getFloat("alpha", 1f) != 1f || n.getFloat("beta", 1f) != 1f || n.getInt("transA", 0) != 0)) {
            return false;
        }
        if (ctx.rank(x.input) != 2 || ctx.value(x.input).channelsLast()) {
            return false;
        }
        int[] wd = ctx.onnxShape(w.input).dims();
        if (wd.length != 2) {
            return false;
        }
        boolean transB = gemm && n.getInt("transB", 0) != 0;
        int k = transB ? wd[1] : wd[0];
        int outs = transB ? wd[0] : wd[1];
        int channelAxis = transB ? 0 : 1;
        if (k != ctx.onnxShape(x.input).dim(1)) {
            return false;
        }
        if (w.scales.length != 1 && (w.scales.length != outs || w.axis != channelAxis && w.axis != channelAxis - 2)) {
            return false;
        }
        float[] ws = perChannel(w.scales, outs);
        int[] bias = gemm ? bias(ctx, n, members, outside, xp.scale(), ws) : new int[outs];
        if (bias == null) {
            return false;
        }
        long[] q = OnnxTensors.longs(ctx.onnx(w.input).data());
        long[] packed = new long[q.length];
        for (int o = 0; o < outs; o++) {
            for (int i = 0; i < k; i++) {
                packed[o * k + i] = transB ? q[o * k + i] : q[i * outs + o];
            }
        }
        String base = quantize.output(0);
        Tensor weights = new Tensor(
                ctx.unique(base + "_weights"),
                Shape.of(outs, k),
                DType.INT8,
                OnnxQuantizedOps.integerData(DType.INT8, packed),
                QuantParams.perAxis(ws, new long[outs], 0),
                false);
        Tensor y = OnnxQuantizedOps.emitWithParams(
                ctx,
                base,
                OpType.FULLY_CONNECTED,
                new OpAttributes.FullyConnected(act),
                DType.INT8,
                yp,
                xq,
                weights,
                biasTensor(ctx, base, bias, xp.scale(), ws));
        ctx.define(quantize.output(0), y);
        return true;
    }

    /**
     * The int32 bias at scale s_x·s_w[c]: a DequantizeLinear(int32) at that scale as it is, otherwise (another
     * scale, or float values) b_q = round(b / (s_x·s_w[c])) of the real values. Zeros without bias; null when the
     * bias is not a constant of one value per channel.
     */
    private static int[] bias(
            OnnxContext ctx, OnnxNode n, Map<String, OnnxNode> members, GroupInputs outside, float sx, float[] ws) {
        int channels = ws.length;
        int[] b = new int[channels];
        if (!n.hasInput(2)) {
            return b;
        }
        String name = n.input(2);
        Dq dq = dq(ctx, name, members, outside);
        if (dq != null && ctx.isConstant(dq.input) && ctx.dtype(dq.input) == DType.INT32) {
            long[] v = ctx.constantLongs(dq.input, "bias");
            if (v.length != channels || dq.zeroPoints[0] != 0) {
                return null;
            }
            float[] bs = perChannel(dq.scales, channels);
            for (int c = 0; c < channels; c++) {
                float target = sx * ws[c];
                b[c] = bs[c] == target ? (int) v[c] : requantizeBias(v[c] * (double) bs[c], target);
            }
            return b;
        }
        if (dq != null || !ctx.isConstant(name) || ctx.dtype(name) != DType.FLOAT32) {
            return null;
        }
        float[] f = ctx.constantFloats(name, "bias");
        if (f.length != channels && f.length != 1) {
            return null;
        }
        for (int c = 0; c < channels; c++) {
            b[c] = requantizeBias(f[f.length == 1 ? 0 : c], sx * ws[c]);
        }
        return b;
    }

    /** round(real / scale) (half to even), saturated to int32. */
    private static int requantizeBias(double real, float scale) {
        double q = Math.rint(real / scale);
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q));
    }

    private static Tensor biasTensor(OnnxContext ctx, String base, int[] bias, float sx, float[] ws) {
        float[] scales = new float[ws.length];
        for (int c = 0; c < ws.length; c++) {
            scales[c] = sx * ws[c];
        }
        long[] v = new long[bias.length];
        for (int c = 0; c < bias.length; c++) {
            v[c] = bias[c];
        }
        return new Tensor(
                ctx.unique(base + "_bias"),
                Shape.of(bias.length),
                DType.INT32,
                OnnxQuantizedOps.integerData(DType.INT32, v),
                QuantParams.perAxis(scales, new long[bias.length], 0),
                false);
    }

    /** The int8 value {@code name} channels-last, its parameters kept (one TRANSPOSE, reused). */
    private static Tensor channelsLastQuantized(OnnxContext ctx, String name, Tensor xq) {
        if (ctx.value(name).channelsLast()) {
            return xq;
        }
        String cached = name + "/channels_last_quantized";
        if (ctx.has(cached)) {
            return ctx.value(cached).tensor();
        }
        Tensor t = OnnxQuantizedOps.emitWithParams(
                ctx,
                name + "_nhwc",
                OpType.TRANSPOSE,
                new OpAttributes.Transpose(OnnxLayout.toChannelsLast(4)),
                DType.INT8,
                xq.quant(),
                xq);
        ctx.define(cached, t, OnnxLayout.CHANNELS_LAST);
        return t;
    }

    private static float[] perChannel(float[] scales, int channels) {
        if (scales.length == channels) {
            return scales;
        }
        float[] s = new float[channels];
        Arrays.fill(s, scales[0]);
        return s;
    }
}
