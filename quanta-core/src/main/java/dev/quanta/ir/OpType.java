package dev.quanta.ir;

/**
 * The closed set of IR operations. Weight layouts follow TFLite, so that importers transpose once and the
 * exporter writes tensors as they are.
 *
 * <ul>
 *   <li>{@link #FULLY_CONNECTED}: inputs x[..., in], weights[out, in], optional bias[out]; y[..., out] = x·Wᵀ + b.
 *   <li>{@link #CONV_2D}: x[N,H,W,Cin] (NHWC), weights[Cout, kh, kw, Cin], optional bias[Cout].
 *   <li>{@link #DEPTHWISE_CONV_2D}: x[N,H,W,C], weights[1, kh, kw, C×multiplier], optional bias[C×multiplier];
 *       output channel c×multiplier+m reads input channel c.
 *   <li>{@link #MAX_POOL_2D}, {@link #AVERAGE_POOL_2D}: NHWC windows; average pooling with SAME padding divides
 *       by the count of real (unpadded) elements, as TensorFlow does.
 *   <li>{@link #MEAN}: mean over the axes of {@link OpAttributes.Mean}; Keras GlobalAveragePooling2D.
 *   <li>{@link #RESHAPE}: Keras Flatten and Reshape.
 *   <li>{@link #BATCH_NORM}: inputs x, [gamma], [beta], moving mean, moving variance (gamma/beta present per
 *       attributes); y = gamma·(x − mean)/√(var + ε) + beta along the channel axis.
 *   <li>{@link #RELU}, {@link #RELU6}, {@link #LEAKY_RELU}, {@link #LOGISTIC}, {@link #TANH},
 *       {@link #SOFTMAX}: element-wise activations (softmax along the last axis).
 *   <li>{@link #ADD}: y = a + b with NumPy broadcasting, then a fused activation.
 *   <li>{@link #CONCATENATION}: along an axis.
 *   <li>{@link #PAD}: zero padding with constant amounts (Keras ZeroPadding2D).
 *   <li>{@link #IDENTITY}: y = x (Keras Dropout at inference).
 *   <li>{@link #QUANTIZE}, {@link #DEQUANTIZE}: conversions at the boundary of quantized regions.
 *   <li>{@link #TRANSPOSE}: permutes the axes, y[i_perm(0), …] = x[i_0, …] with {@link OpAttributes.Transpose}.
 *   <li>{@link #UNIDIRECTIONAL_SEQUENCE_LSTM}: TFLite's LSTM over a sequence, with the inputs in TFLite's order
 *       (input, 4 input weights, 4 recurrent weights, 3 peepholes, 4 gate biases, projection weights and bias,
 *       activation state, cell state, 4 layer-norm coefficients; absent optional inputs and the two states
 *       are left out of the op's inputs, see {@link OpAttributes.Lstm}); states start at zero for every run.
 *   <li>{@link #CAST}: converts the element type (C++ {@code static_cast}: integers wrap, floats truncate toward
 *       zero).
 *   <li>{@link #STRIDED_SLICE}: y = x[begin:end:stride] per axis with TensorFlow's masks
 *       ({@link OpAttributes.StridedSlice}).
 *   <li>{@link #MUL}, {@link #DIV}, {@link #MINIMUM}, {@link #MAXIMUM}: element-wise with NumPy broadcasting;
 *       integer DIV truncates toward zero.
 *   <li>The {@code SIGNAL_*} ops: tflite-micro's audio front end (custom ops of its signal library), integer
 *       arithmetic bit for bit as tflite-micro; see {@code dev.quanta.kernels.signal}.
 *       {@link #SIGNAL_FFT_AUTO_SCALE} and {@link #SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION} have two outputs, and the
 *       latter keeps its noise estimate from one run to the next (as tflite-micro does).
 * </ul>
 */
public enum OpType {
    FULLY_CONNECTED,
    CONV_2D,
    DEPTHWISE_CONV_2D,
    MAX_POOL_2D,
    AVERAGE_POOL_2D,
    MEAN,
    RESHAPE,
    BATCH_NORM,
    RELU,
    RELU6,
    LEAKY_RELU,
    LOGISTIC,
    TANH,
    SOFTMAX,
    ADD,
    CONCATENATION,
    PAD,
    IDENTITY,
    QUANTIZE,
    DEQUANTIZE,
    TRANSPOSE,
    UNIDIRECTIONAL_SEQUENCE_LSTM,
    CAST,
    STRIDED_SLICE,
    MUL,
    DIV,
    MINIMUM,
    MAXIMUM,
    SIGNAL_WINDOW,
    SIGNAL_FFT_AUTO_SCALE,
    SIGNAL_RFFT,
    SIGNAL_ENERGY,
    SIGNAL_FILTER_BANK,
    SIGNAL_FILTER_BANK_SQUARE_ROOT,
    SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION,
    SIGNAL_PCAN,
    SIGNAL_FILTER_BANK_LOG,

    // -- elementwise and activations (issue 11) --

    // -- activations (issue 11) --

    // -- shape and data movement (issue 11) --

    // -- resampling and reductions (issue 11) --

    // -- linear (issue 11) --
    /**
     * TRANSPOSE_CONV (the gradient of CONV_2D, Keras Conv2DTranspose): inputs x[N,H,W,I], weights[O,kh,kw,I],
     * optional bias[O]; output [N, outH, outW, O] from {@link OpAttributes.TransposeConv}. Every input pixel
     * scatters: y[b, iy·sh − padT + ky, ix·sw − padL + kx, o] += x[b, iy, ix, c] · W[o, ky, kx, c] (taps outside
     * the output dropped), then y += bias, then the fused activation; padT/padL are CONV_2D's padding of an
     * outH × outW input.
     */
    TRANSPOSE_CONV,
    /**
     * BATCH_MATMUL: y[..., m, n] = Σ_k a[..., m, k] · b[..., k, n] for inputs a[..., M, K] and b[..., K, N] (a
     * stored [..., K, M] with adj_x, b stored [..., N, K] with adj_y, see {@link OpAttributes.BatchMatMul}); the
     * batch axes (all but the last two, up to rank 5) broadcast as NumPy's. No fused activation.
     */
    BATCH_MATMUL,

// -- sequence (issue 11) --

// -- detection (issue 11) --

;

    /** True for tflite-micro's signal-library ops (custom ops in a {@code .tflite} file). */
    public boolean isSignal() {
        return name().startsWith("SIGNAL_");
    }
}
