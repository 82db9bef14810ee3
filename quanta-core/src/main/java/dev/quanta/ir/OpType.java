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
    /** y = a − b with NumPy broadcasting, then the fused activation of {@link OpAttributes.Arithmetic}. */
    SUB,
    /** y = √x (float32). */
    SQRT,
    /** y = 1/√x (float32). */
    RSQRT,
    /** y = |x|. */
    ABS,
    /** y = −x (integers wrap around). */
    NEG,
    /** y = eˣ (float32). */
    EXP,
    /** y = ln x (float32). */
    LOG,
    /** y = ⌊x⌋ (float32). */
    FLOOR,
    /** y = ⌈x⌉ (float32). */
    CEIL,
    /** y = x rounded to the nearest integer, ties to even (float32). */
    ROUND,
    /** y = (a − b)² with NumPy broadcasting. */
    SQUARED_DIFFERENCE,
    /** y = ⌊a / b⌋ with NumPy broadcasting (integers: the quotient rounded toward −∞). */
    FLOOR_DIV,
    /** y = a − ⌊a / b⌋·b with NumPy broadcasting: the remainder with the sign of b. */
    FLOOR_MOD,
    /** y = aᵇ with NumPy broadcasting (int32: repeated multiplication, b ≥ 0). */
    POW,
    /** y = a &lt; b (BOOL) with NumPy broadcasting. */
    LESS,
    /** y = a ≤ b (BOOL) with NumPy broadcasting. */
    LESS_EQUAL,
    /** y = a &gt; b (BOOL) with NumPy broadcasting. */
    GREATER,
    /** y = a ≥ b (BOOL) with NumPy broadcasting. */
    GREATER_EQUAL,
    /** y = a == b (BOOL) with NumPy broadcasting. */
    EQUAL,
    /** y = a ≠ b (BOOL) with NumPy broadcasting. */
    NOT_EQUAL,
    /**
     * Inputs cond (BOOL), a, b; y = cond ? a : b. cond has the shape of a and b, or is a vector along their first
     * axis (a whole row is taken from a or from b).
     */
    SELECT,
    /** Inputs cond (BOOL), a, b; y = cond ? a : b with NumPy broadcasting of all three. */
    SELECT_V2,
    /** y = a ∧ b (BOOL) with NumPy broadcasting. */
    LOGICAL_AND,
    /** y = a ∨ b (BOOL) with NumPy broadcasting. */
    LOGICAL_OR,
    /** y = ¬x (BOOL). */
    LOGICAL_NOT,

    // -- activations (issue 11) --
    /** HARD_SWISH: y = x · min(6, max(0, x + 3)) / 6. */
    HARD_SWISH,
    /**
     * PRELU: y = x for x ≥ 0, α·x otherwise, with the slopes α a constant second input broadcast (NumPy rules)
     * over the input.
     */
    PRELU,
    /** ELU: y = x for x ≥ 0, eˣ − 1 otherwise (TFLite's ELU has α = 1). */
    ELU,
    /**
     * GELU: y = x·Φ(x) = ½x(1 + erf(x/√2)), or with {@link OpAttributes.Gelu#approximate} the tanh form
     * ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
     */
    GELU,
    /** RELU_N1_TO_1: y = min(1, max(−1, x)). */
    RELU_N1_TO_1,
    /** RELU_0_TO_1: y = min(1, max(0, x)). */
    RELU_0_TO_1,
    /** LOG_SOFTMAX: y_i = x_i − m − log Σ_j exp(x_j − m) along the last axis, m = max_j x_j. */
    LOG_SOFTMAX,

    // -- shape and data movement (issue 11) --

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
    /**
     * RANGE: the 1-D sequence y[i] = start + i·delta for i &lt; n from three constant scalars of one type (int32,
     * int64 or float32); n = (|limit − start| + |delta| − 1) / |delta| for integers, ⌈|(limit − start) / delta|⌉ for
     * floats (computed in float). Float values are accumulated as TFLite does: y[0] = start, y[i+1] = y[i] + delta.
     */
    RANGE,

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

    // -- resampling and reductions (issue 11) --
    /**
     * RESIZE_BILINEAR: x[N,H,W,C] → y[N,h,w,C] ({@link OpAttributes.Resize}); each output pixel (y, x) maps to the
     * input point (y·s_h, x·s_w), or ((y + ½)·s_h − ½, …) with half-pixel centres, where s = in/out (or
     * (in − 1)/(out − 1) with align_corners), and interpolates the four neighbours linearly in both axes.
     */
    RESIZE_BILINEAR,
    /**
     * RESIZE_NEAREST_NEIGHBOR: as {@link #RESIZE_BILINEAR} but copies the nearest input pixel: index
     * min(⌊(i + o)·s⌋, in − 1) (o = ½ with half-pixel centres), or round((i + o)·s) with align_corners.
     */
    RESIZE_NEAREST_NEIGHBOR,
    /**
     * ARG_MAX: the index of the largest element along one axis (the first on ties); the axis is dropped and the
     * output is INT32 or INT64 ({@link OpAttributes.ArgMinMax}).
     */
    ARG_MAX,
    /** ARG_MIN: as {@link #ARG_MAX} for the smallest element. */
    ARG_MIN,
    /** SUM: y = Σ x over the axes of {@link OpAttributes.Reduce}. */
    SUM,
    /** REDUCE_MAX: y = max x over the axes of {@link OpAttributes.Reduce}. */
    REDUCE_MAX,
    /** REDUCE_MIN: y = min x over the axes of {@link OpAttributes.Reduce}. */
    REDUCE_MIN,
    /** REDUCE_PROD: y = Π x over the axes of {@link OpAttributes.Reduce}. */
    REDUCE_PROD,
    /** L2_NORMALIZATION: y = x / max(√(Σ x²), ε) along the last axis. */
    L2_NORMALIZATION,

    // -- activations (issue 11) --

    // -- shape and data movement (issue 11) --

    // -- resampling and reductions (issue 11) --

    // -- linear (issue 11) --

    // -- sequence (issue 11) --
    /**
     * TFLite's UNIDIRECTIONAL_SEQUENCE_RNN over a sequence x [batch, time, in] (or [time, batch, in] when time-major):
     * h_t = act(b + W_x·x_t + W_h·h_{t−1}), output h_t for every step; inputs x, W_x [units, in], W_h
     * [units, units], b [units] (TFLite's fifth input, the hidden-state variable tensor, is left out); the state
     * starts at zero on every run. Float32, or hybrid with int8 weights ({@link OpAttributes.SequenceRnn}).
     */
    UNIDIRECTIONAL_SEQUENCE_RNN,
    /**
     * TFLite's BIDIRECTIONAL_SEQUENCE_LSTM: a forward LSTM over the sequence and a backward one over it in reverse
     * time order (its output at step t is its state after steps T−1 … t), each with its own weights; outputs the
     * two concatenated along the last axis (merge_outputs) or as two outputs. Inputs as TFLite's 48 without the
     * four state tensors ({@link OpAttributes.BidirectionalLstm}); the states start at zero on every run.
     */
    BIDIRECTIONAL_SEQUENCE_LSTM,

    // -- linear (issue 11) --

    // -- sequence (issue 11) --

    // -- detection (issue 11) --
    /**
     * TFLite's {@code TFLite_Detection_PostProcess} custom op (SSD heads): inputs box encodings [1, boxes, ≥ 4]
     * (y, x, h, w per box), class predictions [1, boxes, classes (+ 1 background)] and anchors [boxes, 4]
     * (y, x, h, w); the boxes are decoded against the anchors (y = y_e / y_scale · a_h + a_y, h = exp(h_e /
     * h_scale) · a_h, ...) and pruned by non-max suppression, per class or class-agnostic
     * ({@link OpAttributes.DetectionPostProcess}). Four FLOAT32 outputs: boxes [1, n, 4] (ymin, xmin, ymax, xmax),
     * classes [1, n], scores [1, n] and the number of detections [1], n = max detections × max classes per
     * detection. Float32 or uint8 (dequantized) inputs, float32 arithmetic, as TFLite's kernel. TFLite takes a
     * batch of 1; Quanta runs a larger batch item by item (outputs [b, n, 4], [b, n], [b, n], [b]).
     */
    DETECTION_POSTPROCESS,
    ;

    /** True for tflite-micro's signal-library ops (custom ops in a {@code .tflite} file). */
    public boolean isSignal() {
        return name().startsWith("SIGNAL_");
    }
}
