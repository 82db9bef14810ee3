package dev.quanta.kernels;

import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Seeded random single-op UNIDIRECTIONAL_SEQUENCE_LSTM models for the oracle tests: random sizes, batch, steps,
 * layout (batch- or time-major), CIFG and cell clipping, and random quantization of every tensor (zero points over
 * the whole int8 range).
 */
final class LstmModels {
    private final Random random;
    private int counter;

    LstmModels(long seed) {
        this.random = new Random(seed);
    }

    /** A model and a description of it. */
    record Case(String name, Model model) {}

    /** The shape of one random LSTM. */
    record Dims(int nInput, int nCell, int batch, int steps, boolean timeMajor, boolean cifg, float cellClip) {
        int[] input() {
            return timeMajor ? new int[] {steps, batch, nInput} : new int[] {batch, steps, nInput};
        }

        int[] output() {
            return timeMajor ? new int[] {steps, batch, nCell} : new int[] {batch, steps, nCell};
        }

        @Override
        public String toString() {
            return "in " + nInput + " cells " + nCell + " batch " + batch + " steps " + steps
                    + (timeMajor ? " time-major" : "") + (cifg ? " CIFG" : "")
                    + (cellClip > 0 ? " cell_clip " + cellClip : "");
        }
    }

    Dims dims() {
        return new Dims(
                1 + random.nextInt(10),
                1 + random.nextInt(10),
                1 + random.nextInt(3),
                1 + random.nextInt(7),
                random.nextInt(3) == 0,
                random.nextInt(3) == 0,
                random.nextInt(3) == 0 ? 0.25f + random.nextFloat() * 3 : 0f);
    }

    float logUniform(float lo, float hi) {
        return (float) Math.exp(Math.log(lo) + random.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    private String name(String base) {
        return base + "_" + (counter++);
    }

    /** int8 weights [rows, cols] in [−127, 127], symmetric per tensor with a random scale. */
    Tensor int8Weights(int rows, int cols, float scale) {
        byte[] q = new byte[rows * cols];
        for (int i = 0; i < q.length; i++) {
            q[i] = (byte) (random.nextInt(255) - 127);
        }
        return new Tensor(
                name("w"),
                Shape.of(rows, cols),
                DType.INT8,
                TensorData.ofBytes(DType.INT8, q),
                QuantParams.perTensor(scale, 0),
                true);
    }

    /** int32 bias at scale {@code scale}, values in ±{@code spread}. */
    Tensor int32Bias(int n, float scale, int spread) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = random.nextInt(2 * spread + 1) - spread;
        }
        return new Tensor(
                name("b"), Shape.of(n), DType.INT32, TensorData.ofInts(v), QuantParams.perTensor(scale, 0), true);
    }

    static boolean[] present(boolean cifg) {
        boolean[] present = new boolean[24];
        for (int i : new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 15}) {
            present[i] = !(cifg && (i == 1 || i == 5 || i == 12));
        }
        return present;
    }

    /**
     * TFLite's integer 8x8→16 LSTM with random parameters. The input, the output (activation) state and the
     * effective hidden state (intermediate 4) have random scales and zero points; with {@code sameHidden} the
     * hidden state and the output share the output state's parameters, as a converted model has them (otherwise
     * each has its own, which TFLite copies without rescaling). Weight scales are chosen so that a typical gate
     * pre-activation spans a few units of Q3.12.
     */
    Case integer(Dims d, boolean sameHidden) {
        float sx = logUniform(0.004f, 0.1f);
        int zx = random.nextInt(256) - 128;
        QuantParams state = QuantParams.perTensor(logUniform(1f / 200, 1f / 60), random.nextInt(256) - 128);
        QuantParams hidden =
                sameHidden ? state : QuantParams.perTensor(logUniform(1f / 200, 1f / 60), random.nextInt(256) - 128);
        QuantParams out = sameHidden ? state : QuantParams.perTensor(logUniform(1f / 200, 1f / 60), 0);
        int cellExp = -11 - random.nextInt(5);
        List<Tensor> wx = new ArrayList<>();
        List<Tensor> wh = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (int g = d.cifg() ? 1 : 0; g < 4; g++) {
            // a pre-activation of ±4 over sqrt(n) terms of ±128 steps
            float swx = logUniform(0.3f, 3f) * 4f / (sx * 128 * (float) Math.sqrt(d.nInput()) * 40);
            float swh = logUniform(0.3f, 3f) * 4f / (state.scale() * 128 * (float) Math.sqrt(d.nCell()) * 40);
            Tensor tx = int8Weights(d.nCell(), d.nInput(), swx);
            wx.add(tx);
            wh.add(int8Weights(d.nCell(), d.nCell(), swh));
            b.add(int32Bias(d.nCell(), sx * swx, Math.round(2f / (sx * swx))));
        }
        Tensor x = new Tensor(name("x"), Shape.of(d.input()), DType.INT8, null, QuantParams.perTensor(sx, zx), false);
        Tensor y = new Tensor(name("y"), Shape.of(d.output()), DType.INT8, null, out, false);
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        ins.addAll(wx);
        ins.addAll(wh);
        ins.addAll(b);
        var attrs = new OpAttributes.Lstm(
                OpAttributes.LstmActivation.TANH,
                d.cellClip(),
                0f,
                d.timeMajor(),
                false,
                present(d.cifg()),
                state,
                QuantParams.perTensor((float) Math.scalb(1.0, cellExp), 0),
                new QuantParams[] {null, null, null, null, hidden});
        Op op = new Op(
                y.name(), OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, List.of(y), attrs, new Origin("lstm", "LSTM"));
        Model m = new Model("lstm", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        return new Case(
                "int8 LSTM " + d + " x " + sx + "/" + zx + " state " + state + " hidden " + hidden + " cell 2^"
                        + cellExp,
                m);
    }

    /**
     * A float32 LSTM with weights uniform in ±{@code spread} and gate biases around {@code gateBias} (i, f, c, o);
     * a positive cell-gate and output-gate bias makes the output h = o·tanh(c) mostly positive.
     */
    Case floatLstm(Dims d, double spread, float[] gateBias) {
        return floatLstm(d, spread, gateBias, false);
    }

    /** As {@link #floatLstm(Dims, double, float[])}; with {@code dynamicBatch} a batch-major input [−1, steps, in]. */
    Case floatLstm(Dims d, double spread, float[] gateBias, boolean dynamicBatch) {
        List<Tensor> wx = new ArrayList<>();
        List<Tensor> wh = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (int g = d.cifg() ? 1 : 0; g < 4; g++) {
            wx.add(Tensor.constant(
                    name("wx"), Shape.of(d.nCell(), d.nInput()), floats(d.nCell() * d.nInput(), spread)));
            wh.add(Tensor.constant(name("wh"), Shape.of(d.nCell(), d.nCell()), floats(d.nCell() * d.nCell(), spread)));
            float[] bias = floats(d.nCell(), 0.5);
            for (int i = 0; i < bias.length; i++) {
                bias[i] += gateBias[g];
            }
            b.add(Tensor.constant(name("b"), Shape.of(d.nCell()), bias));
        }
        boolean dynamic = dynamicBatch && !d.timeMajor();
        Tensor x = Tensor.activation(name("x"), dynamic ? Shape.batched(d.steps(), d.nInput()) : Shape.of(d.input()));
        Tensor y = Tensor.activation(name("y"), dynamic ? Shape.batched(d.steps(), d.nCell()) : Shape.of(d.output()));
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        ins.addAll(wx);
        ins.addAll(wh);
        ins.addAll(b);
        var attrs = new OpAttributes.Lstm(
                OpAttributes.LstmActivation.TANH, d.cellClip(), 0f, d.timeMajor(), false, present(d.cifg()));
        Op op = new Op(
                y.name(), OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, List.of(y), attrs, new Origin("lstm", "LSTM"));
        Model m = new Model("lstm", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        return new Case("float LSTM " + d, m);
    }

    /**
     * A hybrid LSTM: float32 input, output and biases, int8 weights with one random scale each (real weights up to
     * about ±{@code spread}), inputs quantized on the fly asymmetrically or symmetrically.
     */
    Case hybrid(Dims d, double spread, boolean asymmetricInputs) {
        List<Tensor> wx = new ArrayList<>();
        List<Tensor> wh = new ArrayList<>();
        List<Tensor> b = new ArrayList<>();
        for (int g = d.cifg() ? 1 : 0; g < 4; g++) {
            wx.add(int8Weights(d.nCell(), d.nInput(), (float) spread / 127 * logUniform(0.5f, 1.5f)));
            wh.add(int8Weights(d.nCell(), d.nCell(), (float) spread / 127 * logUniform(0.5f, 1.5f)));
            b.add(Tensor.constant(name("b"), Shape.of(d.nCell()), floats(d.nCell(), 1)));
        }
        Tensor x = Tensor.activation(name("x"), Shape.of(d.input()));
        Tensor y = Tensor.activation(name("y"), Shape.of(d.output()));
        List<Tensor> ins = new ArrayList<>();
        ins.add(x);
        ins.addAll(wx);
        ins.addAll(wh);
        ins.addAll(b);
        var attrs = new OpAttributes.Lstm(
                OpAttributes.LstmActivation.TANH, d.cellClip(), 0f, d.timeMajor(), asymmetricInputs, present(d.cifg()));
        Op op = new Op(
                y.name(), OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, List.of(y), attrs, new Origin("lstm", "LSTM"));
        Model m = new Model("lstm", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        return new Case("hybrid LSTM " + d + (asymmetricInputs ? " asymmetric inputs" : " symmetric inputs"), m);
    }

    /**
     * A hybrid LSTM with peepholes (int8 [cells], one scale each; none for the input gate with CIFG) and/or a
     * projection to {@code nOutput} outputs (int8 [nOutput, cells], a float bias or none, proj_clip {@code projClip}
     * when positive); without projection {@code nOutput} must be the cell count.
     */
    Case hybridPeepholeProjection(
            Dims d,
            boolean peephole,
            boolean projection,
            int nOutput,
            boolean projBias,
            float projClip,
            boolean asymmetricInputs) {
        int n = d.nCell();
        int out = projection ? nOutput : n;
        boolean[] present = present(d.cifg());
        List<Tensor> ins = new ArrayList<>();
        Tensor x = Tensor.activation(name("x"), Shape.of(d.input()));
        ins.add(x);
        for (int i = 1; i <= 8; i++) {
            if (present[i]) {
                ins.add(int8Weights(n, i <= 4 ? d.nInput() : out, 0.8f / 127 * logUniform(0.5f, 1.5f)));
            }
        }
        if (peephole) {
            for (int i = d.cifg() ? 10 : 9; i <= 11; i++) {
                Tensor w = int8Weights(1, n, 0.5f / 127 * logUniform(0.5f, 1.5f));
                ins.add(new Tensor(w.name(), Shape.of(n), DType.INT8, w.data(), w.quant(), true));
                present[i] = true;
            }
        }
        for (int i = 12; i <= 15; i++) {
            if (present[i]) {
                ins.add(Tensor.constant(name("b"), Shape.of(n), floats(n, 1)));
            }
        }
        if (projection) {
            ins.add(int8Weights(out, n, 0.8f / 127 * logUniform(0.5f, 1.5f)));
            present[16] = true;
            if (projBias) {
                ins.add(Tensor.constant(name("pb"), Shape.of(out), floats(out, 0.3)));
                present[17] = true;
            }
        }
        int[] dims = d.input();
        Tensor y = Tensor.activation(name("y"), Shape.of(dims[0], dims[1], out));
        var attrs = new OpAttributes.Lstm(
                OpAttributes.LstmActivation.TANH,
                d.cellClip(),
                projection ? projClip : 0f,
                d.timeMajor(),
                asymmetricInputs,
                present);
        Op op = new Op(
                y.name(), OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, ins, List.of(y), attrs, new Origin("lstm", "LSTM"));
        Model m = new Model("lstm", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        return new Case(
                "hybrid LSTM " + d + (peephole ? " peepholes" : "")
                        + (projection
                                ? " projection to " + out + (projBias ? " with bias" : "")
                                        + (projClip > 0 ? " proj_clip " + projClip : "")
                                : "")
                        + (asymmetricInputs ? " asymmetric inputs" : " symmetric inputs"),
                m);
    }

    /**
     * A UNIDIRECTIONAL_SEQUENCE_RNN (units = {@code d.nCell()}) with weights about ±{@code spread}: float32, or
     * hybrid (int8 weights with one random scale each) with inputs quantized asymmetrically or symmetrically.
     */
    Case rnn(Dims d, double spread, boolean hybrid, boolean asymmetricInputs, OpAttributes.LstmActivation act) {
        int u = d.nCell();
        Tensor wx = hybrid
                ? int8Weights(u, d.nInput(), (float) spread / 127 * logUniform(0.5f, 1.5f))
                : Tensor.constant(name("wx"), Shape.of(u, d.nInput()), floats(u * d.nInput(), spread));
        Tensor wh = hybrid
                ? int8Weights(u, u, (float) spread / 127 * logUniform(0.5f, 1.5f))
                : Tensor.constant(name("wh"), Shape.of(u, u), floats(u * u, spread));
        Tensor b = Tensor.constant(name("b"), Shape.of(u), floats(u, 1));
        Tensor x = Tensor.activation(name("x"), Shape.of(d.input()));
        Tensor y = Tensor.activation(name("y"), Shape.of(d.output()));
        var attrs = new OpAttributes.SequenceRnn(act, d.timeMajor(), hybrid && asymmetricInputs);
        Op op = new Op(
                y.name(),
                OpType.UNIDIRECTIONAL_SEQUENCE_RNN,
                List.of(x, wx, wh, b),
                List.of(y),
                attrs,
                new Origin("rnn", "SimpleRNN"));
        Model m = new Model("rnn", List.of(x), List.of(y), List.of(op), ModelMetadata.inMemory());
        String kind = hybrid ? "hybrid" + (asymmetricInputs ? " asymmetric inputs" : " symmetric inputs") : "float";
        return new Case(
                "RNN " + kind + " " + act + " in " + d.nInput() + " units " + u + " batch " + d.batch() + " steps "
                        + d.steps() + (d.timeMajor() ? " time-major" : ""),
                m);
    }

    /**
     * A float32 BIDIRECTIONAL_SEQUENCE_LSTM: the forward LSTM with {@code d.nCell()} cells (CIFG as {@code d}), the
     * backward one with {@code bwCells} and all gates; weights in ±{@code spread}, biases in ±0.5; merged outputs
     * or two.
     */
    Case bidirectional(Dims d, int bwCells, double spread, boolean merge) {
        return bidirectional(d, bwCells, spread, merge, false, false);
    }

    /** As above; {@code hybrid}: int8 weights with one random scale each, inputs quantized as asked. */
    Case bidirectional(Dims d, int bwCells, double spread, boolean merge, boolean hybrid, boolean asymmetricInputs) {
        boolean[] present = new boolean[48];
        List<Tensor> ins = new ArrayList<>();
        Tensor x = Tensor.activation(name("x"), Shape.of(d.input()));
        ins.add(x);
        present[0] = true;
        for (int dir = 0; dir < 2; dir++) {
            int n = dir == 0 ? d.nCell() : bwCells;
            boolean cifg = dir == 0 && d.cifg();
            int off = 17 * dir;
            for (int i = 1; i <= 8; i++) {
                if (cifg && (i == 1 || i == 5)) {
                    continue;
                }
                int cols = i <= 4 ? d.nInput() : n;
                ins.add(
                        hybrid
                                ? int8Weights(n, cols, (float) spread / 127 * logUniform(0.5f, 1.5f))
                                : Tensor.constant(name("w" + (i + off)), Shape.of(n, cols), floats(n * cols, spread)));
                present[i + off] = true;
            }
            for (int i = 12; i <= 15; i++) {
                if (cifg && i == 12) {
                    continue;
                }
                ins.add(Tensor.constant(name("b" + (i + off)), Shape.of(n), floats(n, 0.5)));
                present[i + off] = true;
            }
        }
        int[] dims = d.input();
        var attrs = new OpAttributes.BidirectionalLstm(
                OpAttributes.LstmActivation.TANH, d.cellClip(), 0f, merge, d.timeMajor(), asymmetricInputs, present);
        List<Tensor> outs = merge
                ? List.of(Tensor.activation(name("y"), Shape.of(dims[0], dims[1], d.nCell() + bwCells)))
                : List.of(
                        Tensor.activation(name("fw"), Shape.of(dims[0], dims[1], d.nCell())),
                        Tensor.activation(name("bw"), Shape.of(dims[0], dims[1], bwCells)));
        Op op = new Op(
                outs.get(0).name(),
                OpType.BIDIRECTIONAL_SEQUENCE_LSTM,
                ins,
                outs,
                attrs,
                new Origin("bilstm", "Bidirectional"));
        Model m = new Model("bilstm", List.of(x), outs, List.of(op), ModelMetadata.inMemory());
        String kind = hybrid ? (asymmetricInputs ? "hybrid asymmetric " : "hybrid symmetric ") : "";
        return new Case(
                kind + "bidirectional LSTM " + d + " bw cells " + bwCells + (merge ? " merged" : " two outputs"), m);
    }

    /**
     * A BIDIRECTIONAL_SEQUENCE_LSTM whose directions (both {@code d.nCell()} cells, CIFG as {@code d}) have
     * peepholes and/or a projection to {@code nOutput} outputs (with a bias when {@code projBias}); float32, or hybrid
     * (every weight int8 with one random scale) with inputs quantized as asked.
     */
    Case bidirectionalPeepholeProjection(
            Dims d,
            boolean peephole,
            boolean projection,
            int nOutput,
            boolean projBias,
            boolean merge,
            boolean hybrid,
            boolean asymmetricInputs) {
        boolean[] present = new boolean[48];
        List<Tensor> ins = new ArrayList<>();
        Tensor x = Tensor.activation(name("x"), Shape.of(d.input()));
        ins.add(x);
        present[0] = true;
        int n = d.nCell();
        int out = projection ? nOutput : n;
        for (int dir = 0; dir < 2; dir++) {
            int off = 17 * dir;
            for (int i = 1; i <= 17; i++) {
                boolean cifgGap = d.cifg() && (i == 1 || i == 5 || i == 9 || i == 12);
                boolean wanted = i <= 8
                        || (i >= 12 && i <= 15)
                        || (peephole && i <= 11)
                        || (projection && i == 16)
                        || (projection && projBias && i == 17);
                if (cifgGap || !wanted) {
                    continue;
                }
                int[] shape = i <= 4
                        ? new int[] {n, d.nInput()}
                        : i <= 8
                                ? new int[] {n, out}
                                : i <= 15 ? new int[] {n} : i == 16 ? new int[] {out, n} : new int[] {out};
                boolean weight = i <= 11 || i == 16;
                Tensor t;
                if (weight && hybrid) {
                    Tensor w = int8Weights(
                            1, count(shape), (i <= 11 && i >= 9 ? 0.5f : 0.8f) / 127 * logUniform(0.5f, 1.5f));
                    t = new Tensor(w.name(), Shape.of(shape), DType.INT8, w.data(), w.quant(), true);
                } else {
                    t = Tensor.constant(
                            name("t" + (i + off)), Shape.of(shape), floats(count(shape), weight ? 0.8 : 0.5));
                }
                ins.add(t);
                present[i + off] = true;
            }
        }
        int[] dims = d.input();
        var attrs = new OpAttributes.BidirectionalLstm(
                OpAttributes.LstmActivation.TANH, d.cellClip(), 0f, merge, d.timeMajor(), asymmetricInputs, present);
        List<Tensor> outs = merge
                ? List.of(Tensor.activation(name("y"), Shape.of(dims[0], dims[1], 2 * out)))
                : List.of(
                        Tensor.activation(name("fw"), Shape.of(dims[0], dims[1], out)),
                        Tensor.activation(name("bw"), Shape.of(dims[0], dims[1], out)));
        Op op = new Op(
                outs.get(0).name(),
                OpType.BIDIRECTIONAL_SEQUENCE_LSTM,
                ins,
                outs,
                attrs,
                new Origin("bilstm", "Bidirectional"));
        Model m = new Model("bilstm", List.of(x), outs, List.of(op), ModelMetadata.inMemory());
        String kind = hybrid ? (asymmetricInputs ? "hybrid asymmetric " : "hybrid symmetric ") : "";
        return new Case(
                kind + "bidirectional LSTM " + d + (peephole ? " peepholes" : "")
                        + (projection ? " projection to " + out + (projBias ? " with bias" : "") : "")
                        + (merge ? " merged" : " two outputs"),
                m);
    }

    /** {@code n} floats uniform in ±{@code spread}. */
    float[] floats(int n, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((random.nextDouble() * 2 - 1) * spread);
        }
        return v;
    }

    /** Random int8 values over the whole range. */
    byte[] bytes(int n) {
        byte[] v = new byte[n];
        random.nextBytes(v);
        return v;
    }

    static int count(int[] dims) {
        return Arrays.stream(dims).reduce(1, (a, c) -> a * c);
    }
}
