package dev.quanta.keras;

import dev.quanta.ir.Activation;
import dev.quanta.ir.Model;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * A deliberately naive float evaluator of IR models for one sample (batch 1), written independently of the
 * project's runtime so that importer tests can check weight layouts numerically. Only what the Keras fixtures
 * use, plus the ops the synthetic tests build.
 */
final class ReferenceRunner {
    private ReferenceRunner() {}

    /** Runs {@code model} on one sample; returns the value of every tensor. */
    static Map<Tensor, float[]> run(Model model, float[]... inputs) {
        Map<Tensor, float[]> v = new IdentityHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            v.put(model.inputs().get(i), inputs[i]);
        }
        for (Op op : model.ops()) {
            float[] out = eval(op, v);
            v.put(op.output(0), out);
        }
        return v;
    }

    /** The first graph output for one sample. */
    static float[] output(Model model, float[]... inputs) {
        return run(model, inputs).get(model.outputs().get(0));
    }

    private static float[] val(Tensor t, Map<Tensor, float[]> v) {
        return t.isConstant() ? t.data().floats() : v.get(t);
    }

    private static int[] dims(Tensor t) {
        int[] d = t.shape().dims();
        if (d.length > 0 && d[0] == Shape.DYNAMIC) {
            d[0] = 1;
        }
        return d;
    }

    private static float[] eval(Op op, Map<Tensor, float[]> v) {
        float[] x = val(op.input(0), v);
        int[] xd = dims(op.input(0));
        int[] od = dims(op.output(0));
        return switch (op.type()) {
            case FULLY_CONNECTED -> fc(op, x, v);
            case CONV_2D -> conv(op, x, xd, od, v);
            case DEPTHWISE_CONV_2D -> depthwise(op, x, xd, od, v);
            case MAX_POOL_2D, AVERAGE_POOL_2D -> pool(op, x, xd, od);
            case MEAN -> mean(x, xd);
            case RESHAPE, IDENTITY -> x.clone();
            case BATCH_NORM -> batchNorm(op, x, xd, v);
            case RELU -> map(x, f -> Math.max(f, 0f));
            case RELU6 -> map(x, f -> Math.min(Math.max(f, 0f), 6f));
            case LEAKY_RELU -> {
                float a = op.attrs(OpAttributes.LeakyRelu.class).alpha();
                yield map(x, f -> f >= 0 ? f : a * f);
            }
            case LOGISTIC -> map(x, f -> (float) (1 / (1 + Math.exp(-f))));
            case TANH -> map(x, f -> (float) Math.tanh(f));
            case SOFTMAX -> softmax(x, xd[xd.length - 1]);
            case ADD -> {
                float[] y = val(op.input(1), v);
                float[] out = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    out[i] = x[i] + y[i % y.length];
                }
                yield out;
            }
            case CONCATENATION -> concat(op, v, od);
            case PAD -> pad(op, x, xd, od);
            default -> throw new UnsupportedOperationException(op.type().toString());
        };
    }

    private interface F {
        float apply(float f);
    }

    private static float[] map(float[] x, F f) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = f.apply(x[i]);
        }
        return out;
    }

    private static float act(Activation a, double f) {
        return a.apply((float) f);
    }

    private static float[] fc(Op op, float[] x, Map<Tensor, float[]> v) {
        int[] wd = op.input(1).shape().dims();
        float[] w = val(op.input(1), v);
        float[] b = op.inputs().size() > 2 ? val(op.input(2), v) : null;
        int out = wd[0];
        int in = wd[1];
        int rows = x.length / in;
        float[] y = new float[rows * out];
        Activation a = op.attrs(OpAttributes.FullyConnected.class).activation();
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = act(a, s);
            }
        }
        return y;
    }

    private static float[] conv(Op op, float[] x, int[] xd, int[] od, Map<Tensor, float[]> v) {
        OpAttributes.Conv2D a = op.attrs(OpAttributes.Conv2D.class);
        int[] wd = op.input(1).shape().dims();
        float[] w = val(op.input(1), v);
        float[] b = op.inputs().size() > 2 ? val(op.input(2), v) : null;
        int h = xd[1], wi = xd[2], cin = xd[3], oh = od[1], ow = od[2], cout = od[3], kh = wd[1], kw = wd[2];
        int pt = a.padding().padBefore(h, kh, a.strideH(), a.dilationH());
        int pl = a.padding().padBefore(wi, kw, a.strideW(), a.dilationW());
        float[] y = new float[oh * ow * cout];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                for (int o = 0; o < cout; o++) {
                    double s = b == null ? 0 : b[o];
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * a.strideH() - pt + ky * a.dilationH();
                        if (iy < 0 || iy >= h) {
                            continue;
                        }
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * a.strideW() - pl + kx * a.dilationW();
                            if (ix < 0 || ix >= wi) {
                                continue;
                            }
                            for (int c = 0; c < cin; c++) {
                                s += (double) x[(iy * wi + ix) * cin + c] * w[((o * kh + ky) * kw + kx) * cin + c];
                            }
                        }
                    }
                    y[(oy * ow + ox) * cout + o] = act(a.activation(), s);
                }
            }
        }
        return y;
    }

    private static float[] depthwise(Op op, float[] x, int[] xd, int[] od, Map<Tensor, float[]> v) {
        OpAttributes.DepthwiseConv2D a = op.attrs(OpAttributes.DepthwiseConv2D.class);
        int[] wd = op.input(1).shape().dims();
        float[] w = val(op.input(1), v);
        float[] b = op.inputs().size() > 2 ? val(op.input(2), v) : null;
        int h = xd[1], wi = xd[2], cin = xd[3], oh = od[1], ow = od[2], cout = od[3], kh = wd[1], kw = wd[2];
        int m = a.depthMultiplier();
        int pt = a.padding().padBefore(h, kh, a.strideH(), a.dilationH());
        int pl = a.padding().padBefore(wi, kw, a.strideW(), a.dilationW());
        float[] y = new float[oh * ow * cout];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                for (int o = 0; o < cout; o++) {
                    int c = o / m;
                    double s = b == null ? 0 : b[o];
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * a.strideH() - pt + ky * a.dilationH();
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * a.strideW() - pl + kx * a.dilationW();
                            if (iy >= 0 && iy < h && ix >= 0 && ix < wi) {
                                s += (double) x[(iy * wi + ix) * cin + c] * w[(ky * kw + kx) * cout + o];
                            }
                        }
                    }
                    y[(oy * ow + ox) * cout + o] = act(a.activation(), s);
                }
            }
        }
        return y;
    }

    private static float[] pool(Op op, float[] x, int[] xd, int[] od) {
        OpAttributes.Pool2D a = op.attrs(OpAttributes.Pool2D.class);
        boolean max = op.type() == dev.quanta.ir.OpType.MAX_POOL_2D;
        int h = xd[1], wi = xd[2], c = xd[3], oh = od[1], ow = od[2];
        int pt = a.padding().padBefore(h, a.filterH(), a.strideH(), 1);
        int pl = a.padding().padBefore(wi, a.filterW(), a.strideW(), 1);
        float[] y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                for (int ch = 0; ch < c; ch++) {
                    double s = max ? Double.NEGATIVE_INFINITY : 0;
                    int n = 0;
                    for (int ky = 0; ky < a.filterH(); ky++) {
                        for (int kx = 0; kx < a.filterW(); kx++) {
                            int iy = oy * a.strideH() - pt + ky;
                            int ix = ox * a.strideW() - pl + kx;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < wi) {
                                float f = x[(iy * wi + ix) * c + ch];
                                s = max ? Math.max(s, f) : s + f;
                                n++;
                            }
                        }
                    }
                    y[(oy * ow + ox) * c + ch] = act(a.activation(), max ? s : s / n);
                }
            }
        }
        return y;
    }

    private static float[] mean(float[] x, int[] xd) {
        int hw = xd[1] * xd[2];
        int c = xd[3];
        float[] y = new float[c];
        for (int ch = 0; ch < c; ch++) {
            double s = 0;
            for (int p = 0; p < hw; p++) {
                s += x[p * c + ch];
            }
            y[ch] = (float) (s / hw);
        }
        return y;
    }

    private static float[] batchNorm(Op op, float[] x, int[] xd, Map<Tensor, float[]> v) {
        OpAttributes.BatchNorm a = op.attrs(OpAttributes.BatchNorm.class);
        int k = 1;
        float[] gamma = a.hasGamma() ? val(op.input(k++), v) : null;
        float[] beta = a.hasBeta() ? val(op.input(k++), v) : null;
        float[] mean = val(op.input(k++), v);
        float[] var = val(op.input(k), v);
        int axis = a.axis() < 0 ? a.axis() + xd.length : a.axis();
        int inner = 1;
        for (int i = axis + 1; i < xd.length; i++) {
            inner *= xd[i];
        }
        int c = xd[axis];
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / inner) % c;
            double n = (x[i] - mean[ch]) / Math.sqrt(var[ch] + a.epsilon());
            y[i] = (float) ((gamma == null ? 1 : gamma[ch]) * n + (beta == null ? 0 : beta[ch]));
        }
        return y;
    }

    private static float[] softmax(float[] x, int n) {
        float[] y = new float[x.length];
        for (int r = 0; r < x.length / n; r++) {
            double m = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                m = Math.max(m, x[r * n + i]);
            }
            double s = 0;
            for (int i = 0; i < n; i++) {
                s += Math.exp(x[r * n + i] - m);
            }
            for (int i = 0; i < n; i++) {
                y[r * n + i] = (float) (Math.exp(x[r * n + i] - m) / s);
            }
        }
        return y;
    }

    private static float[] concat(Op op, Map<Tensor, float[]> v, int[] od) {
        int axis = op.attrs(OpAttributes.Concatenation.class).axis();
        if (axis < 0) {
            axis += od.length;
        }
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= od[i];
        }
        float[] y = new float[Math.toIntExact(Shape.of(od).elementCount())];
        int pos = 0;
        for (int o = 0; o < outer; o++) {
            for (Tensor t : op.inputs()) {
                float[] x = val(t, v);
                int chunk = x.length / outer;
                System.arraycopy(x, o * chunk, y, pos, chunk);
                pos += chunk;
            }
        }
        return y;
    }

    private static float[] pad(Op op, float[] x, int[] xd, int[] od) {
        int[][] p = op.attrs(OpAttributes.Pad.class).paddings();
        float[] y = new float[od[1] * od[2] * od[3]];
        for (int iy = 0; iy < xd[1]; iy++) {
            for (int ix = 0; ix < xd[2]; ix++) {
                for (int c = 0; c < xd[3]; c++) {
                    int oy = iy + p[1][0];
                    int ox = ix + p[2][0];
                    y[(oy * od[2] + ox) * od[3] + c + p[3][0]] = x[(iy * xd[2] + ix) * xd[3] + c];
                }
            }
        }
        return y;
    }
}
