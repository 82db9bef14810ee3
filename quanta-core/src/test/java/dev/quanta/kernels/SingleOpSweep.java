package dev.quanta.kernels;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.kernels.arithmetic.Quant;
import dev.quanta.tflite.TfliteWriter;
import java.util.ArrayList;
import java.util.List;

/** Runs single-op models through Quanta (one path) and the official runtime (same path) and counts agreement. */
final class SingleOpSweep {
    /** Result of one case on one path. */
    record Result(
            String name, QuantizedPath path, boolean delegated, int exact, int total, double maxDiff, String error) {
        boolean ok() {
            return error == null && exact == total;
        }

        @Override
        public String toString() {
            return String.format(
                    "%-60s %-8s %s %s",
                    name,
                    path,
                    delegated ? "delegated" : "builtin  ",
                    error != null ? "ERROR " + error : exact + "/" + total + " exact, max diff " + maxDiff);
        }
    }

    static Result run(SingleOpModels gen, SingleOpModels.Case c, QuantizedPath path, int samples) {
        Model m = c.model();
        byte[] bytes;
        try {
            bytes = TfliteWriter.toBytes(m);
        } catch (RuntimeException e) {
            return new Result(c.name(), path, false, 0, samples, 0, "writer: " + e.getMessage());
        }
        NativeTflite oracle;
        try {
            oracle = new NativeTflite(bytes, path == QuantizedPath.XNNPACK);
        } catch (RuntimeException e) {
            return new Result(c.name(), path, false, 0, samples, 0, "oracle rejects: " + e.getMessage());
        }
        try (oracle;
                KernelRunner mine = new KernelRunner(m, path)) {
            int exact = 0;
            double maxDiff = 0;
            for (int s = 0; s < samples; s++) {
                List<Object> ins = new ArrayList<>();
                for (Tensor t : m.inputs()) {
                    ins.add(gen.randomInput(t));
                }
                for (int i = 0; i < ins.size(); i++) {
                    oracle.setInputArray(i, ins.get(i));
                }
                oracle.invoke();
                mine.run(ins.toArray());
                Object got = mine.output();
                Object want = oracle.outputArray(0, got);
                double d = maxDiff(got, want, m.outputs().get(0));
                exact += d == 0 ? 1 : 0;
                maxDiff = Math.max(maxDiff, d);
            }
            return new Result(c.name(), path, oracle.delegated(), exact, samples, maxDiff, null);
        } catch (RuntimeException e) {
            return new Result(c.name(), path, false, 0, samples, 0, "quanta: " + e);
        }
    }

    static double maxDiff(Object got, Object want, Tensor t) {
        int n = Buffers.length(got);
        double d = 0;
        for (int i = 0; i < n; i++) {
            double a;
            double b;
            if (got instanceof float[] f) {
                a = f[i];
                b = ((float[]) want)[i];
                if (Float.floatToIntBits(f[i]) == Float.floatToIntBits(((float[]) want)[i])) {
                    continue;
                }
            } else {
                a = Quant.get(got, t.dtype(), i);
                b = Quant.get(want, t.dtype(), i);
            }
            d = Math.max(d, Math.abs(a - b));
        }
        return d;
    }
}
