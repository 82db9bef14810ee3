package dev.quanta.onnx;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.runtime.Interpreter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** ONNX test data ({@code input_N.pb} / {@code output_N.pb}) run through Quanta's interpreter and compared. */
final class OnnxTestData {
    private OnnxTestData() {}

    /** A decoded test tensor: dims and the Java array the interpreter takes. */
    record Array(int[] dims, DType dtype, Object values) {}

    static Array read(Path pb) {
        OnnxTensors.Decoded d = OnnxTensors.decode(OnnxReader.readTensor(pb), pb, pb.getParent());
        return new Array(d.dims(), d.dtype(), d.data().toArray());
    }

    /** The files {@code prefix_0.pb}, {@code prefix_1.pb}, … in {@code dir}. */
    static List<Path> numbered(Path dir, String prefix) {
        List<Path> r = new ArrayList<>();
        for (int i = 0; Files.exists(dir.resolve(prefix + "_" + i + ".pb")); i++) {
            r.add(dir.resolve(prefix + "_" + i + ".pb"));
        }
        return r;
    }

    /** Runs {@code model} on {@code inputs}; returns each output's array and shape. */
    static List<Array> run(Model model, List<Array> inputs) {
        try (Interpreter in = new Interpreter(model)) {
            if (inputs.size() != model.inputs().size()) {
                throw new IllegalArgumentException(
                        "model has " + model.inputs().size() + " inputs, test data " + inputs.size());
            }
            for (int i = 0; i < inputs.size(); i++) {
                if (!Arrays.equals(
                        model.inputs().get(i).shape().dims(), inputs.get(i).dims())) {
                    in.resizeInput(i, inputs.get(i).dims());
                }
            }
            Object[] ins = inputs.stream().map(Array::values).toArray();
            in.runForMultipleInputsOutputs(ins, new Object[0]);
            List<Array> outs = new ArrayList<>();
            for (Tensor t : model.outputs()) {
                outs.add(new Array(in.tensorShape(t), t.dtype(), in.readTensor(t)));
            }
            return outs;
        }
    }

    /**
     * Compares an actual output with the expected one as ONNX's backend runner does: same shape, then
     * |a − e| ≤ atol + rtol·|e| for floats (NaN equal to NaN), equality for integers. Returns null when they agree,
     * else what differs.
     */
    static String compare(Array actual, Array expected, double rtol, double atol) {
        if (!Arrays.equals(actual.dims(), expected.dims())) {
            return "shape " + Arrays.toString(actual.dims()) + " != expected " + Arrays.toString(expected.dims());
        }
        if (actual.dtype() != expected.dtype()) {
            return "type " + actual.dtype() + " != expected " + expected.dtype();
        }
        int n = java.lang.reflect.Array.getLength(expected.values());
        if (expected.values() instanceof float[] e) {
            float[] a = (float[]) actual.values();
            double worst = 0;
            int at = -1;
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(e[i]) && Float.isNaN(a[i])) {
                    continue;
                }
                if (e[i] == a[i]) {
                    continue;
                }
                double err = Math.abs(a[i] - e[i]);
                if (!(err <= atol + rtol * Math.abs(e[i]))) {
                    if (Double.isNaN(err) || err > worst) {
                        worst = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
                        at = i;
                    }
                }
            }
            return at < 0 ? null : "element " + at + ": " + a[at] + " != expected " + e[at] + " (|diff| " + worst + ")";
        }
        for (int i = 0; i < n; i++) {
            Object ea = java.lang.reflect.Array.get(expected.values(), i);
            Object aa = java.lang.reflect.Array.get(actual.values(), i);
            if (!ea.equals(aa)) {
                return "element " + i + ": " + aa + " != expected " + ea;
            }
        }
        return null;
    }
}
