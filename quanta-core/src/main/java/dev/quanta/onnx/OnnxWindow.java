package dev.quanta.onnx;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Shape;
import dev.quanta.ir.Tensor;

/**
 * The window of an ONNX Conv or pool on one or two spatial axes, resolved to the IR's NHWC form: kernel, strides,
 * dilations and the pads before and after each axis (auto_pad resolved). A 1-D window is a 2-D one of height 1.
 *
 * <pre>
 * ONNX output: out = ⌊(in + before + after − ((k − 1)·d + 1)) / s⌋ + 1   (⌈…⌉ with ceil_mode)
 * SAME_UPPER / SAME_LOWER: out = ⌈in / s⌉, total = max((out − 1)·s + (k − 1)·d + 1 − in, 0),
 *   the odd element after (UPPER, TensorFlow's SAME) or before (LOWER)
 * </pre>
 */
record OnnxWindow(int[] kernel, int[] strides, int[] dilations, int[] before, int[] after, boolean oneD) {

    /** The window of {@code n} over the spatial dims {@code spatial} (ONNX order) with kernel {@code kernel}. */
    /** CONV_2D attributes of this window's strides and dilations (height, width). */
    OpAttributes.Conv2D conv2D(Padding padding, Activation act) {
        return new OpAttributes.Conv2D(padding, strides[0], strides[1], dilations[0], dilations[1], act);
    }

    /** DEPTHWISE_CONV_2D attributes of this window's strides and dilations (height, width). */
    OpAttributes.DepthwiseConv2D depthwiseConv2D(Padding padding, int multiplier, Activation act) {
        return new OpAttributes.DepthwiseConv2D(
                padding, strides[0], strides[1], dilations[0], dilations[1], multiplier, act);
    }

    static OnnxWindow of(OnnxNode n, int[] spatial, int[] kernel) {
        int r = spatial.length;
        if (r != 1 && r != 2) {
            throw n.unsupported(r + "-D windows are not supported (only 1-D and 2-D)");
        }
        int[] strides = orOnes(n, "strides", r);
        int[] dilations = orOnes(n, "dilations", r);
        int[] before = new int[r];
        int[] after = new int[r];
        String autoPad = n.getString("auto_pad", "NOTSET");
        int[] pads = n.getIntsExact("pads");
        switch (autoPad) {
            case "NOTSET" -> {
                if (pads != null) {
                    if (pads.length != 2 * r) {
                        throw n.bad("pads has " + pads.length + " values for " + r + " spatial axes");
                    }
                    for (int i = 0; i < r; i++) {
                        before[i] = pads[i];
                        after[i] = pads[i + r];
                        if (before[i] < 0 || after[i] < 0) {
                            throw n.unsupported("negative pads are not supported");
                        }
                    }
                }
            }
            case "VALID" -> {}
            case "SAME_UPPER", "SAME_LOWER" -> {
                for (int i = 0; i < r; i++) {
                    int out = (spatial[i] + strides[i] - 1) / strides[i];
                    int eff = (kernel[i] - 1) * dilations[i] + 1;
                    int total = Math.max((out - 1) * strides[i] + eff - spatial[i], 0);
                    int small = total / 2;
                    before[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    after[i] = total - before[i];
                }
            }
            default -> throw n.unsupported("auto_pad '" + autoPad + "' is not supported");
        }
        for (int i = 0; i < r; i++) {
            if (kernel[i] < 1 || strides[i] < 1 || dilations[i] < 1) {
                throw n.bad("kernel, strides and dilations must be positive");
            }
        }
        if (r == 1) {
            return new OnnxWindow(
                    new int[] {1, kernel[0]},
                    new int[] {1, strides[0]},
                    new int[] {1, dilations[0]},
                    new int[] {0, before[0]},
                    new int[] {0, after[0]},
                    true);
        }
        return new OnnxWindow(kernel, strides, dilations, before, after, false);
    }

    private static int[] orOnes(OnnxNode n, String attr, int r) {
        int[] v = n.getIntsExact(attr);
        if (v == null) {
            v = new int[r];
            java.util.Arrays.fill(v, 1);
        }
        if (v.length != r) {
            throw n.bad(attr + " has " + v.length + " values for " + r + " spatial axes");
        }
        return v;
    }

    /** Effective kernel extent along IR spatial axis i. */
    int extent(int i) {
        return (kernel[i] - 1) * dilations[i] + 1;
    }

    /** ONNX's output size along axis i for input size {@code in}. */
    int outputSize(int i, int in, boolean ceil) {
        int span = in + before[i] + after[i] - extent(i);
        if (span < 0) {
            return 0;
        }
        return (ceil ? (span + strides[i] - 1) / strides[i] : span / strides[i]) + 1;
    }

    /** Whether the pads are exactly TensorFlow SAME's for input sizes {@code in} (h, w). */
    boolean isSame(int[] in) {
        for (int i = 0; i < 2; i++) {
            int b = Padding.SAME.padBefore(in[i], kernel[i], strides[i], dilations[i]);
            int out = Padding.SAME.outputSize(in[i], kernel[i], strides[i], dilations[i]);
            int total = Math.max((out - 1) * strides[i] + extent(i) - in[i], 0);
            if (before[i] != b || after[i] != total - b) {
                return false;
            }
        }
        return true;
    }

    /** Whether no side is padded. */
    boolean isValid() {
        for (int i = 0; i < 2; i++) {
            if (before[i] != 0 || after[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** This window with the pads after each axis grown by {@code extra}. */
    OnnxWindow withExtraAfter(int[] extra) {
        return new OnnxWindow(
                kernel, strides, dilations, before, new int[] {after[0] + extra[0], after[1] + extra[1]}, oneD);
    }

    /**
     * Pads an NHWC input explicitly (PAD, or PADV2 with {@code value} when it is not 0) so that the op can run
     * VALID.
     */
    Tensor padInput(OnnxContext ctx, Tensor x, String base, float value) {
        int[][] p = {{0, 0}, {before[0], after[0]}, {before[1], after[1]}, {0, 0}};
        if (value == 0f) {
            return ctx.emit(base + "_pad", OpType.PAD, new OpAttributes.Pad(p), x.dtype(), x);
        }
        Tensor v = ctx.constant(base + "_pad_value", Shape.of(), new float[] {value});
        return ctx.emit(base + "_pad", OpType.PADV2, new OpAttributes.Pad(p), DType.FLOAT32, x, v);
    }

    /** A channels-last rank-3 value [N, L, C] as [N, 1, L, C]; a rank-4 one as it is. */
    static Tensor toImage(OnnxContext ctx, Tensor x, String base) {
        if (x.shape().rank() == 4) {
            return x;
        }
        int[] d = x.shape().dims();
        return ctx.emit(
                base + "_2d", OpType.RESHAPE, new OpAttributes.Reshape(new int[] {d[0], 1, d[1], d[2]}), x.dtype(), x);
    }

    /** An [N, 1, L, C] result back to [N, L, C] when the window is 1-D. */
    Tensor fromImage(OnnxContext ctx, Tensor y, String name) {
        if (!oneD) {
            return y;
        }
        int[] d = y.shape().dims();
        return ctx.emit(name, OpType.RESHAPE, new OpAttributes.Reshape(new int[] {d[0], d[2], d[3]}), y.dtype(), y);
    }
}
