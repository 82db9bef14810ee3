package dev.quanta.onnx;

import dev.quanta.QuantaException;
import dev.quanta.ir.Origin;
import dev.quanta.onnx.proto.OnnxProto.AttributeProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX node as translators see it: its inputs and outputs by name (an empty name is an absent optional
 * input), its attributes with defaults, the file's opset, and errors that name the file and the node.
 */
public final class OnnxNode {
    private final NodeProto proto;
    private final Path file;
    private final int opset;
    private final Map<String, AttributeProto> attributes = new HashMap<>();

    OnnxNode(NodeProto proto, Path file, int opset) {
        this.proto = proto;
        this.file = file;
        this.opset = opset;
        for (AttributeProto a : proto.getAttributeList()) {
            attributes.put(a.getName(), a);
        }
    }

    /** The node's name, or its first output's name when it has none. */
    public String name() {
        return OnnxReader.nodeName(proto);
    }

    public String opType() {
        return proto.getOpType();
    }

    /** The default-domain opset of the file. */
    public int opset() {
        return opset;
    }

    public Path file() {
        return file;
    }

    /** The origin IR ops of this node carry: the node's name and op type. */
    public Origin origin() {
        return new Origin(name(), opType());
    }

    public int inputCount() {
        return proto.getInputCount();
    }

    /** The name of input {@code i}, or "" when absent (beyond the list or given as ""). */
    public String input(int i) {
        return i < proto.getInputCount() ? proto.getInput(i) : "";
    }

    /** Whether optional input {@code i} is given. */
    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    /** The names of the inputs given (empty names left out). */
    public List<String> presentInputs() {
        return proto.getInputList().stream().filter(s -> !s.isEmpty()).toList();
    }

    public int outputCount() {
        return proto.getOutputCount();
    }

    /** The name of output {@code i}, or "" when absent. */
    public String output(int i) {
        return i < proto.getOutputCount() ? proto.getOutput(i) : "";
    }

    /** Whether output {@code i} exists and is used (optional outputs may be "" or left out). */
    public boolean hasOutput(int i) {
        return i < proto.getOutputCount() && !proto.getOutput(i).isEmpty();
    }

    public boolean has(String attr) {
        return attributes.containsKey(attr);
    }

    /**
     * Refuses attributes other than {@code known}: a translator lists what it implements, so that an attribute it
     * would silently ignore becomes a one-line error instead of a wrong result.
     */
    public void allowAttributes(String... known) {
        Set<String> ok = Set.of(known);
        for (String a : attributes.keySet()) {
            if (!ok.contains(a)) {
                throw unsupported("attribute '" + a + "' is not supported");
            }
        }
    }

    /** Requires at least {@code min} and at most {@code max} inputs (absent trailing ones included). */
    public void requireInputs(int min, int max) {
        int n = proto.getInputCount();
        while (n > 0 && proto.getInput(n - 1).isEmpty()) {
            n--;
        }
        if (n < min || n > max) {
            throw bad("takes " + (min == max ? min : min + " to " + max) + " inputs, has " + n);
        }
    }

    /**
     * The attribute, or null when absent; refused when its declared type is not {@code expected} (a float read as
     * an int would silently be 0). Files of IR version 1 declare no type: their attributes are read as asked.
     */
    private AttributeProto typed(String attr, AttributeProto.AttributeType expected) {
        AttributeProto a = attributes.get(attr);
        if (a != null
                && a.hasType()
                && a.getType() != AttributeProto.AttributeType.UNDEFINED
                && a.getType() != expected) {
            throw bad("attribute '" + attr + "' is " + a.getType() + ", expected " + expected);
        }
        return a;
    }

    public long getInt(String attr, long defaultValue) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.INT);
        return a == null ? defaultValue : a.getI();
    }

    /** An int attribute that must fit in a Java int. */
    public int getIntExact(String attr, int defaultValue) {
        long v = getInt(attr, defaultValue);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad("attribute '" + attr + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public float getFloat(String attr, float defaultValue) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.FLOAT);
        return a == null ? defaultValue : a.getF();
    }

    public String getString(String attr, String defaultValue) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.STRING);
        return a == null ? defaultValue : a.getS().toString(StandardCharsets.UTF_8);
    }

    /** An ints attribute, or null when absent. */
    public long[] getInts(String attr) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.INTS);
        if (a == null) {
            return null;
        }
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.getInts(i);
        }
        return v;
    }

    /** An ints attribute as Java ints (each must fit), or null when absent. */
    public int[] getIntsExact(String attr) {
        long[] v = getInts(attr);
        if (v == null) {
            return null;
        }
        int[] r = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < Integer.MIN_VALUE || v[i] > Integer.MAX_VALUE) {
                throw bad("attribute '" + attr + "' holds " + v[i] + ", out of range");
            }
            r[i] = (int) v[i];
        }
        return r;
    }

    /** A floats attribute, or null when absent. */
    public float[] getFloats(String attr) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.FLOATS);
        if (a == null) {
            return null;
        }
        float[] v = new float[a.getFloatsCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.getFloats(i);
        }
        return v;
    }

    /** A tensor attribute, or null when absent. */
    public TensorProto getTensor(String attr) {
        AttributeProto a = typed(attr, AttributeProto.AttributeType.TENSOR);
        return a == null || !a.hasT() ? null : a.getT();
    }

    /** The attribute itself, or null. */
    public AttributeProto attribute(String attr) {
        return attributes.get(attr);
    }

    /** Input {@code index} of a node replaced by the value {@code name}. */
    record Rewired(int index, String name) {}

    /**
     * This node with one input replaced ({@code input} may be null) and its first output renamed to {@code output}:
     * translators that build one ONNX op out of another's translation use it.
     */
    OnnxNode rewired(Rewired input, String output) {
        NodeProto.Builder b = proto.toBuilder();
        if (input != null) {
            b.setInput(input.index(), input.name());
        }
        b.setOutput(0, output);
        if (proto.getName().isEmpty()) {
            b.setName(name());
        }
        return new OnnxNode(b.build(), file, opset);
    }

    /** {@code <file>: node '<name>' (<op>): <what> is not supported}-style error for a feature Quanta lacks. */
    public QuantaException unsupported(String what) {
        return OnnxReader.error(file, "node '" + name() + "' (" + opType() + "): " + what);
    }

    /** An error for a node that breaks the operator's specification. */
    public QuantaException bad(String what) {
        return OnnxReader.error(file, "node '" + name() + "' (" + opType() + "): " + what);
    }
}
