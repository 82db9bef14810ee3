package dev.quanta.kernels.conv;

import dev.quanta.ir.OpAttributes;
import dev.quanta.kernels.arithmetic.Clamp;

/**
 * Float depthwise 2-D convolution, NHWC, TensorFlow padding. Output channel {@code o = c·M + m} reads input
 * channel c (M = depth multiplier).
 *
 * <pre>
 * y[b, oy, ox, o] = act( bias[o] + Σ_{ky,kx} x[b, iy, ix, o / M] · W[0, ky, kx, o] )
 *     iy = oy·sh − padT + ky·dh,   ix = ox·sw − padL + kx·dw
 * </pre>
 */
final class DepthwiseConv2DFloat extends FloatConvKernel {
    private final int mult;

    DepthwiseConv2DFloat(Tensors t, OpAttributes.DepthwiseConv2D a) {
        super(t, t.wShape()[3], Window.of(t.wShape(), a), a.activation());
        this.mult = a.depthMultiplier();
    }

    @Override
    protected void outputRow(int b, int oy) {
        for (int ox = 0; ox < outW; ox++) {
            int out = ((b * outH + oy) * outW + ox) * outC;
            System.arraycopy(bias, 0, y, out, outC);
            for (int ky = 0; ky < kh; ky++) {
                int iy = oy * sh - padT + ky * dh;
                if (iy < 0 || iy >= inH) {
                    continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                    int ix = ox * sw - padL + kx * dw;
                    if (ix < 0 || ix >= inW) {
                        continue;
                    }
                    int in = ((b * inH + iy) * inW + ix) * inC;
                    int wo = (ky * kw + kx) * outC;
                    if (mult == 1) {
                        for (int c = 0; c < inC; c++) {
                            y[out + c] += x[in + c] * weights[wo + c];
                        }
                    } else {
                        for (int o = 0; o < outC; o++) {
                            y[out + o] += x[in + o / mult] * weights[wo + o];
                        }
                    }
                }
            }
            Clamp.apply(y, out, out + outC, lo, hi);
        }
    }
}
