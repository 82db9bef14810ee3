package dev.quanta.kernels;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.ModelMetadata;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Origin;
import dev.quanta.ir.Padding;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import dev.quanta.ir.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded random single-op quantized models (static shapes, batch 1 or 2), as the TFLite converter would write
 * them: activations per-tensor, weights symmetric per-channel (or per-tensor), INT32 bias at s_x·s_w.
 */
public final class SingleOpModels {
    final Random random;
    private int counter;

    SingleOpModels(long seed) {
        this.random = new Random(seed);
    }

    /** A model and how to make its inputs. */
    record Case(String name, Model model) {}

    Tensor activation(String name, DType type, float scale, int zp, int... dims) {
        return new Tensor(
                name + "_" + (counter++),
                Shape.of(dims),
                type,
                null,
                type == DType.FLOAT32 ? null : QuantParams.perTensor(scale, zp),
                false);
    }

    float logUniform(float lo, float hi) {
        return (float) Math.exp(Math.log(lo) + random.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    int zeroPoint(DType t) {
        return switch (t) {
            case INT8 -> random.nextInt(256) - 128;
            case UINT8 -> random.nextInt(256);
            default -> 0;
        };
    }

    Activation activation() {
        return Activation.values()[random.nextInt(3)]; // NONE, RELU, RELU6
    }

    /** Weights: INT8 symmetric in [-127, 127] (UINT8 asymmetric for the uint8 scheme), per-channel along axis. */
    Tensor weights(DType type, int[] dims, int axis, boolean perChannel) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        byte[] data = new byte[n];
        for (int i = 0; i < n; i++) {
            data[i] = (byte) (type == DType.UINT8 ? random.nextInt(256) : random.nextInt(255) - 127);
        }
        QuantParams q;
        if (perChannel && type == DType.INT8) {
            int c = dims[axis];
            float[] s = new float[c];
            for (int i = 0; i < c; i++) {
                s[i] = logUniform(0.002f, 0.05f);
            }
            q = QuantParams.perAxis(s, new long[c], axis);
        } else {
            q = QuantParams.perTensor(logUniform(0.002f, 0.05f), type == DType.UINT8 ? random.nextInt(256) : 0);
        }
        return new Tensor("w_" + (counter++), Shape.of(dims), type, TensorData.ofBytes(type, data), q, true);
    }

    Tensor bias(DType inType, Tensor x, Tensor w, int channels, int spread) {
        float[] ws = w.quant().scales();
        boolean wide = inType == DType.INT16;
        ByteBuffer b = ByteBuffer.allocate(channels * (wide ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < channels; i++) {
            long v = random.nextInt(2 * spread + 1) - spread;
            if (wide) {
                b.putLong(v);
            } else {
                b.putInt((int) v);
            }
        }
        float[] bs = new float[ws.length];
        for (int i = 0; i < ws.length; i++) {
            bs[i] = x.quant().scale() * ws[i];
        }
        QuantParams q =
                ws.length == 1 ? QuantParams.perTensor(bs[0], 0) : QuantParams.perAxis(bs, new long[bs.length], 0);
        DType t = wide ? DType.INT64 : DType.INT32;
        return new Tensor("b_" + (counter++), Shape.of(channels), t, TensorData.ofBytes(t, b.array()), q, true);
    }

    static Model model(String name, List<Tensor> inputs, Op op) {
        return new Model(name, inputs, List.of(op.output(0)), List.of(op), ModelMetadata.inMemory());
    }

    static Op op(OpType type, OpAttributes attrs, Tensor out, Tensor... ins) {
        return new Op(out.name(), type, List.of(ins), List.of(out), attrs, new Origin(out.name(), type.name()));
    }

    /** Output scale for an accumulation of {@code taps} products: wide enough to use most of the range. */
    float accumulatorScale(float sx, float sw, int taps, DType out) {
        float typical = sx * sw * (float) Math.sqrt(taps) * 100f * logUniform(0.3f, 3f);
        return out == DType.INT16 ? typical / 200f : typical;
    }

    Case fullyConnected(DType type, boolean perChannel) {
        int k = 1 + random.nextInt(200);
        int n = 1 + random.nextInt(40);
        int batch = 1 + random.nextInt(2);
        DType wType = type == DType.UINT8 ? DType.UINT8 : DType.INT8;
        float sx = logUniform(0.005f, 0.1f);
        Tensor x = activation("x", type, sx, zeroPoint(type), batch, k);
        Tensor w = weights(wType, new int[] {n, k}, 0, perChannel);
        Tensor b = bias(type, x, w, n, 20000);
        float sy = accumulatorScale(sx, w.quant().scales()[0], k, type);
        Tensor y = activation("y", type, sy, zeroPoint(type), batch, n);
        Activation act = activation();
        return new Case(
                "FC " + type + (perChannel ? " per-channel" : " per-tensor") + " k=" + k + " n=" + n + " " + act,
                model("fc", List.of(x), op(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(act), y, x, w, b)));
    }

    Case hybridFullyConnected(boolean perChannel) {
        int k = 1 + random.nextInt(200);
        int n = 1 + random.nextInt(40);
        int batch = 1 + random.nextInt(3);
        Tensor x = activation("x", DType.FLOAT32, 0, 0, batch, k);
        Tensor w = weights(DType.INT8, new int[] {n, k}, 0, perChannel);
        float[] b = new float[n];
        for (int i = 0; i < n; i++) {
            b[i] = (float) random.nextGaussian();
        }
        Tensor bias = Tensor.constant("hb_" + (counter++), Shape.of(n), b);
        Tensor y = activation("y", DType.FLOAT32, 0, 0, batch, n);
        Activation act = activation();
        return new Case(
                "HYBRID FC " + (perChannel ? "per-channel" : "per-tensor") + " k=" + k + " n=" + n + " " + act,
                model(
                        "hfc",
                        List.of(x),
                        op(OpType.FULLY_CONNECTED, new OpAttributes.FullyConnected(act), y, x, w, bias)));
    }

    Case hybridConv(boolean depthwise) {
        int h = 3 + random.nextInt(8);
        int wd = 3 + random.nextInt(8);
        int c = 1 + random.nextInt(6);
        int o = depthwise ? c : 1 + random.nextInt(8);
        int kh = 1 + random.nextInt(3);
        int kw = 1 + random.nextInt(3);
        int stride = 1 + random.nextInt(2);
        Padding pad = random.nextBoolean() ? Padding.SAME : Padding.VALID;
        Tensor x = activation("x", DType.FLOAT32, 0, 0, 1, h, wd, c);
        Tensor w = depthwise
                ? weights(DType.INT8, new int[] {1, kh, kw, o}, 3, true)
                : weights(DType.INT8, new int[] {o, kh, kw, c}, 0, true);
        float[] b = new float[o];
        for (int i = 0; i < o; i++) {
            b[i] = (float) random.nextGaussian();
        }
        Tensor bias = Tensor.constant("hb_" + (counter++), Shape.of(o), b);
        Tensor y = activation(
                "y", DType.FLOAT32, 0, 0, 1, pad.outputSize(h, kh, stride, 1), pad.outputSize(wd, kw, stride, 1), o);
        Activation act = activation();
        OpAttributes a = depthwise
                ? new OpAttributes.DepthwiseConv2D(pad, stride, stride, 1, 1, 1, act)
                : new OpAttributes.Conv2D(pad, stride, stride, 1, 1, act);
        return new Case(
                "HYBRID " + (depthwise ? "DW " : "CONV ") + kh + "x" + kw + " s" + stride + " " + pad + " " + act,
                model(
                        "hconv",
                        List.of(x),
                        op(depthwise ? OpType.DEPTHWISE_CONV_2D : OpType.CONV_2D, a, y, x, w, bias)));
    }

    Case conv(DType type, boolean perChannel) {
        int h = 3 + random.nextInt(10);
        int wd = 3 + random.nextInt(10);
        int c = 1 + random.nextInt(8);
        int o = 1 + random.nextInt(12);
        int kh = 1 + random.nextInt(3);
        int kw = 1 + random.nextInt(3);
        int stride = 1 + random.nextInt(2);
        int dil = random.nextInt(4) == 0 ? 2 : 1;
        if (dil > 1) {
            stride = 1;
            h = Math.max(h, 2 * kh);
            wd = Math.max(wd, 2 * kw);
        }
        Padding pad = random.nextBoolean() ? Padding.SAME : Padding.VALID;
        DType wType = type == DType.UINT8 ? DType.UINT8 : DType.INT8;
        float sx = logUniform(0.005f, 0.1f);
        Tensor x = activation("x", type, sx, zeroPoint(type), 1, h, wd, c);
        Tensor w = weights(wType, new int[] {o, kh, kw, c}, 0, perChannel);
        Tensor b = bias(type, x, w, o, 5000);
        int oh = pad.outputSize(h, kh, stride, dil);
        int ow = pad.outputSize(wd, kw, stride, dil);
        float sy = accumulatorScale(sx, w.quant().scales()[0], kh * kw * c, type);
        Tensor y = activation("y", type, sy, zeroPoint(type), 1, oh, ow, o);
        Activation act = activation();
        var a = new OpAttributes.Conv2D(pad, stride, stride, dil, dil, act);
        return new Case(
                "CONV " + type + " " + kh + "x" + kw + " s" + stride + " d" + dil + " " + pad + " " + act,
                model("conv", List.of(x), op(OpType.CONV_2D, a, y, x, w, b)));
    }

    Case depthwise(DType type, boolean perChannel) {
        int h = 3 + random.nextInt(10);
        int wd = 3 + random.nextInt(10);
        int c = 1 + random.nextInt(12);
        int mult = random.nextInt(3) == 0 ? 2 : 1;
        int kh = 1 + random.nextInt(3);
        int kw = 1 + random.nextInt(3);
        int stride = 1 + random.nextInt(2);
        Padding pad = random.nextBoolean() ? Padding.SAME : Padding.VALID;
        DType wType = type == DType.UINT8 ? DType.UINT8 : DType.INT8;
        float sx = logUniform(0.005f, 0.1f);
        Tensor x = activation("x", type, sx, zeroPoint(type), 1, h, wd, c);
        Tensor w = weights(wType, new int[] {1, kh, kw, c * mult}, 3, perChannel);
        Tensor b = bias(type, x, w, c * mult, 3000);
        int oh = pad.outputSize(h, kh, stride, 1);
        int ow = pad.outputSize(wd, kw, stride, 1);
        float sy = accumulatorScale(sx, w.quant().scales()[0], kh * kw, type);
        Tensor y = activation("y", type, sy, zeroPoint(type), 1, oh, ow, c * mult);
        Activation act = activation();
        var a = new OpAttributes.DepthwiseConv2D(pad, stride, stride, 1, 1, mult, act);
        return new Case(
                "DW " + type + " " + kh + "x" + kw + " m" + mult + " s" + stride + " " + pad + " " + act,
                model("dw", List.of(x), op(OpType.DEPTHWISE_CONV_2D, a, y, x, w, b)));
    }

    Case add(DType type, boolean broadcast) {
        int h = 1 + random.nextInt(6);
        int w = 1 + random.nextInt(6);
        int c = 1 + random.nextInt(10);
        float sa = logUniform(0.01f, 0.2f);
        float sb = sa * logUniform(0.3f, 3f);
        float sy = Math.max(sa, sb) * logUniform(0.8f, 3f);
        Tensor a = activation("a", type, sa, zeroPoint(type), 1, h, w, c);
        Tensor b = broadcast
                ? activation("b", type, sb, zeroPoint(type), 1, 1, 1, c)
                : activation("b", type, sb, zeroPoint(type), 1, h, w, c);
        Tensor y = activation("y", type, sy, zeroPoint(type), 1, h, w, c);
        Activation act = activation();
        return new Case(
                "ADD " + type + (broadcast ? " broadcast " : " ") + act,
                model("add", List.of(a, b), op(OpType.ADD, new OpAttributes.Add(act), y, a, b)));
    }

    /** SAME when {@code same}, and where a VALID kh × kw window would not fit an h × w input; else VALID. */
    public static Padding padding(boolean same, int h, int w, int kh, int kw) {
        return same || h < kh || w < kw ? Padding.SAME : Padding.VALID;
    }

    Case pool(DType type, boolean max) {
        int h = 2 + random.nextInt(10);
        int w = 2 + random.nextInt(10);
        int c = 1 + random.nextInt(10);
        int f = 2 + random.nextInt(2);
        int s = 1 + random.nextInt(2);
        Padding pad = padding(random.nextBoolean(), h, w, f, f);
        float sx = logUniform(0.01f, 0.2f);
        int zp = zeroPoint(type);
        Tensor x = activation("x", type, sx, zp, 1, h, w, c);
        Tensor y = activation("y", type, sx, zp, 1, pad.outputSize(h, f, s, 1), pad.outputSize(w, f, s, 1), c);
        Activation act = activation();
        var a = new OpAttributes.Pool2D(pad, f, f, s, s, act);
        return new Case(
                (max ? "MAX_POOL " : "AVG_POOL ") + type + " " + f + "x" + f + " s" + s + " " + pad + " " + act,
                model("pool", List.of(x), op(max ? OpType.MAX_POOL_2D : OpType.AVERAGE_POOL_2D, a, y, x)));
    }

    Case mean(DType type, boolean keepDims, boolean sameParams) {
        int h = 1 + random.nextInt(8);
        int w = 1 + random.nextInt(8);
        int c = 1 + random.nextInt(16);
        float sx = logUniform(0.01f, 0.2f);
        int zx = zeroPoint(type);
        Tensor x = activation("x", type, sx, zx, 1, h, w, c);
        float sy = sameParams ? sx : sx * logUniform(0.3f, 2f);
        int zy = sameParams ? zx : zeroPoint(type);
        Tensor y = keepDims ? activation("y", type, sy, zy, 1, 1, 1, c) : activation("y", type, sy, zy, 1, c);
        return new Case(
                "MEAN " + type + " HW keep=" + keepDims + " same=" + sameParams,
                model("mean", List.of(x), op(OpType.MEAN, new OpAttributes.Mean(new int[] {1, 2}, keepDims), y, x)));
    }

    Case concat(DType type, boolean sameParams) {
        int h = 1 + random.nextInt(5);
        int w = 1 + random.nextInt(5);
        int c1 = 1 + random.nextInt(6);
        int c2 = 1 + random.nextInt(6);
        float s = logUniform(0.01f, 0.2f);
        int zp = zeroPoint(type);
        Tensor a = activation("a", type, s, zp, 1, h, w, c1);
        Tensor b = sameParams
                ? activation("b", type, s, zp, 1, h, w, c2)
                : activation("b", type, s * logUniform(0.5f, 2f), zeroPoint(type), 1, h, w, c2);
        Tensor y = activation("y", type, s, zp, 1, h, w, c1 + c2);
        return new Case(
                "CONCAT " + type + " same=" + sameParams,
                model(
                        "concat",
                        List.of(a, b),
                        op(OpType.CONCATENATION, new OpAttributes.Concatenation(3, Activation.NONE), y, a, b)));
    }

    Case pad(DType type) {
        int h = 1 + random.nextInt(5);
        int w = 1 + random.nextInt(5);
        int c = 1 + random.nextInt(6);
        int[][] p = {{0, 0}, {random.nextInt(3), random.nextInt(3)}, {random.nextInt(3), random.nextInt(3)}, {0, 0}};
        float s = logUniform(0.01f, 0.2f);
        int zp = zeroPoint(type);
        Tensor x = activation("x", type, s, zp, 1, h, w, c);
        Tensor y = activation("y", type, s, zp, 1, h + p[1][0] + p[1][1], w + p[2][0] + p[2][1], c);
        return new Case("PAD " + type, model("pad", List.of(x), op(OpType.PAD, new OpAttributes.Pad(p), y, x)));
    }

    Case unary(OpType type, DType dtype, boolean sameParams) {
        int n = 1 + random.nextInt(300);
        float sx = logUniform(0.01f, 0.2f);
        int zx = zeroPoint(dtype);
        Tensor x = activation("x", dtype, sx, zx, 1, n);
        float sy;
        int zy;
        switch (type) {
            case LOGISTIC -> {
                sy = dtype == DType.INT16 ? 1f / 32768 : 1f / 256;
                zy = dtype == DType.INT8 ? -128 : 0;
            }
            case TANH -> {
                sy = dtype == DType.INT16 ? 1f / 32768 : 1f / 128;
                zy = dtype == DType.UINT8 ? 128 : 0;
            }
            default -> {
                sy = sameParams ? sx : sx * logUniform(0.5f, 2f);
                zy = sameParams ? zx : zeroPoint(dtype);
            }
        }
        Tensor y = activation("y", dtype, sy, zy, 1, n);
        OpAttributes attrs = type == OpType.LEAKY_RELU
                ? new OpAttributes.LeakyRelu(0.01f + random.nextFloat() * 0.3f)
                : OpAttributes.None.INSTANCE;
        return new Case(
                type + " " + dtype + " same=" + sameParams,
                model(type.name().toLowerCase(), List.of(x), op(type, attrs, y, x)));
    }

    Case softmax(DType in, DType out) {
        int rows = 1 + random.nextInt(3);
        int depth = 2 + random.nextInt(30);
        float sx = logUniform(0.02f, 0.5f);
        Tensor x = activation("x", in, sx, zeroPoint(in), rows, depth);
        float sy = out == DType.INT16 ? 1f / 32768 : 1f / 256;
        int zy = out == DType.INT8 ? -128 : 0;
        Tensor y = activation("y", out, sy, zy, rows, depth);
        float beta = random.nextBoolean() ? 1f : 0.5f + random.nextFloat();
        return new Case(
                "SOFTMAX " + in + "->" + out + " beta=" + beta,
                model("softmax", List.of(x), op(OpType.SOFTMAX, new OpAttributes.Softmax(beta), y, x)));
    }

    Case quantize(DType in, DType out) {
        int n = 1 + random.nextInt(300);
        float sx = logUniform(0.01f, 0.2f);
        Tensor x = activation("x", in, sx, zeroPoint(in), 1, n);
        float sy = sx * logUniform(0.5f, 2f);
        Tensor y = activation("y", out, sy, zeroPoint(out), 1, n);
        return new Case(
                "QUANTIZE " + in + "->" + out,
                model("quantize", List.of(x), op(OpType.QUANTIZE, OpAttributes.None.INSTANCE, y, x)));
    }

    Case dequantize(DType in) {
        int n = 1 + random.nextInt(300);
        Tensor x = activation("x", in, logUniform(0.01f, 0.2f), zeroPoint(in), 1, n);
        Tensor y = activation("y", DType.FLOAT32, 0, 0, 1, n);
        return new Case(
                "DEQUANTIZE " + in,
                model("dequantize", List.of(x), op(OpType.DEQUANTIZE, OpAttributes.None.INSTANCE, y, x)));
    }

    /** Random contents for an input tensor of the model (float inputs spread over a few quantization steps). */
    Object randomInput(Tensor t) {
        int n = Math.toIntExact(t.shape().elementCount());
        return switch (t.dtype()) {
            case INT8, UINT8 -> {
                byte[] b = new byte[n];
                random.nextBytes(b);
                yield b;
            }
            case INT16 -> {
                short[] s = new short[n];
                for (int i = 0; i < n; i++) {
                    s[i] = (short) (random.nextInt(65536) - 32768);
                }
                yield s;
            }
            case FLOAT32 -> {
                float[] f = new float[n];
                for (int i = 0; i < n; i++) {
                    f[i] = (float) (random.nextGaussian() * 3);
                }
                yield f;
            }
            default -> throw new IllegalArgumentException(t.dtype().name());
        };
    }

    static List<Tensor> inputs(Model m) {
        return new ArrayList<>(m.inputs());
    }
}
