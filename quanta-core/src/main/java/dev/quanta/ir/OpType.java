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
    /** SPLIT: {@link OpAttributes.Split#numSplits} equal parts of the input along an axis, one output each. */
    SPLIT,
    /**
     * SPLIT_V: parts of the given sizes along an axis ({@link OpAttributes.SplitV}; one size may be -1, the rest).
     */
    SPLIT_V,
    /** UNPACK: the input's slices along an axis, that axis removed, one output each ({@link OpAttributes.Unpack}). */
    UNPACK,
    /** PACK: the inputs (all of one shape) stacked along a new axis ({@link OpAttributes.Pack}). */
    PACK,
    /**
     * GATHER: inputs params and indices (int32 or int64); y[p.., i.., q..] = params[p.., indices[i..], q..] along
     * {@link OpAttributes.Gather#axis}, the first {@code batchDims} axes of indices matching those of params.
     * An index outside [0, dim) is an error.
     */
    GATHER,
    /**
     * GATHER_ND: inputs params and indices [..., d]; y[i..] = params[indices[i.., 0], …, indices[i.., d − 1], …]
     * (a slice of the d leading axes). An index outside its axis is an error.
     */
    GATHER_ND,
    /** SLICE: y = x[begin : begin + size] per axis ({@link OpAttributes.Slice}; a size of -1 runs to the end). */
    SLICE,
    /** SQUEEZE: drops the given size-1 axes (all size-1 axes when none are given); the values are unchanged. */
    SQUEEZE,
    /** EXPAND_DIMS: inserts a size-1 axis at {@link OpAttributes.ExpandDims#axis}; the values are unchanged. */
    EXPAND_DIMS,
    /** TILE: y[i..] = x[i_0 mod d_0, …]: the input repeated {@code multiples[k]} times along each axis k. */
    TILE,
    /** BROADCAST_TO: the input broadcast (NumPy rules) to {@link OpAttributes.BroadcastTo#shape}. */
    BROADCAST_TO,
    /**
     * DEPTH_TO_SPACE: NHWC, y[n, h, w, c] = x[n, h / b, w / b, ((h mod b)·b + w mod b)·C_out + c] for block b.
     */
    DEPTH_TO_SPACE,
    /** SPACE_TO_DEPTH: the inverse of DEPTH_TO_SPACE, [N, H, W, C] → [N, H / b, W / b, C·b²]. */
    SPACE_TO_DEPTH,
    /** REVERSE_V2: reverses the order of the elements along each of {@link OpAttributes.Reverse#axes}. */
    REVERSE_V2,
    /**
     * MIRROR_PAD: pads each axis with its own mirror image, REFLECT (without the edge element) or SYMMETRIC (with
     * it), {@link OpAttributes.MirrorPad}.
     */
    MIRROR_PAD,
    /**
     * PADV2: PAD with a constant value: inputs x and an optional scalar value (x's type; without it the pad is 0,
     * or the zero point of a quantized x), amounts in {@link OpAttributes.Pad}.
     */
    PADV2,
    /**
     * SPACE_TO_BATCH_ND: [N, s_1..s_m, C] padded ({@link OpAttributes.SpaceBatch#amounts}, with 0 or the zero
     * point) and cut into blocks; block offset (row-major) o gives batch o·N + n of [N·Πb, (s_i + pads)/b_i.., C].
     */
    SPACE_TO_BATCH_ND,
    /** BATCH_TO_SPACE_ND: the inverse of SPACE_TO_BATCH_ND, cropping by {@link OpAttributes.SpaceBatch#amounts}. */
    BATCH_TO_SPACE_ND,
    /** SHAPE: the input's dimensions as a 1-D int32 or int64 tensor (the output's type). */
    SHAPE,
    /** FILL: a tensor of {@link OpAttributes.Fill#dims} holding the scalar input everywhere. */
    FILL,
    /** ZEROS_LIKE: zeros of the input's shape and type. */
    ZEROS_LIKE,

// -- resampling and reductions (issue 11) --

// -- linear (issue 11) --

// -- sequence (issue 11) --

// -- detection (issue 11) --

;

    /** True for tflite-micro's signal-library ops (custom ops in a {@code .tflite} file). */
    public boolean isSignal() {
        return name().startsWith("SIGNAL_");
    }
}
