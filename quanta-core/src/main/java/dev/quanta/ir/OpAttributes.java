package dev.quanta.ir;

/** Typed attributes of an {@link Op}; each op type takes one record kind. */
public sealed interface OpAttributes {

    /** For ops without attributes. */
    record None() implements OpAttributes {
        public static final None INSTANCE = new None();
    }

    /**
     * FULLY_CONNECTED. {@code asymmetricQuantizeInputs} only matters for hybrid (float input, int8 weights) ops:
     * whether each input row is quantized on the fly asymmetrically (TFLite's option of that name; current
     * converters set it) or symmetrically (older converters' files).
     */
    record FullyConnected(Activation activation, boolean asymmetricQuantizeInputs) implements OpAttributes {
        /** With asymmetric input quantization, as TFLite's converter writes hybrid layers today. */
        public FullyConnected(Activation activation) {
            this(activation, true);
        }
    }

    /** What CONV_2D and DEPTHWISE_CONV_2D share: the window's padding, strides and dilations, the fused activation. */
    sealed interface Convolution extends OpAttributes {
        Padding padding();

        int strideH();

        int strideW();

        int dilationH();

        int dilationW();

        Activation activation();
    }

    /** CONV_2D. */
    record Conv2D(Padding padding, int strideH, int strideW, int dilationH, int dilationW, Activation activation)
            implements Convolution {}

    /** DEPTHWISE_CONV_2D. */
    record DepthwiseConv2D(
            Padding padding,
            int strideH,
            int strideW,
            int dilationH,
            int dilationW,
            int depthMultiplier,
            Activation activation)
            implements Convolution {}

    /** MAX_POOL_2D and AVERAGE_POOL_2D. */
    record Pool2D(Padding padding, int filterH, int filterW, int strideH, int strideW, Activation activation)
            implements OpAttributes {}

    /** MEAN over {@code axes}; {@code keepDims} keeps reduced axes as size 1. */
    record Mean(int[] axes, boolean keepDims) implements OpAttributes {}

    /** RESHAPE to {@code newShape}; a -1 entry is inferred (the batch, usually). */
    record Reshape(int[] newShape) implements OpAttributes {}

    /** BATCH_NORM. {@code axis} is the channel axis (negative counts from the end). */
    record BatchNorm(float epsilon, int axis, boolean hasGamma, boolean hasBeta) implements OpAttributes {}

    /** LEAKY_RELU: y = x for x ≥ 0, alpha·x otherwise. */
    record LeakyRelu(float alpha) implements OpAttributes {}

    /** SOFTMAX: y_i = exp(beta·x_i − m) / Σ exp(beta·x_j − m) along the last axis. */
    record Softmax(float beta) implements OpAttributes {}

    /** ADD. */
    record Add(Activation activation) implements OpAttributes {}

    /** CONCATENATION along {@code axis} (negative counts from the end). */
    record Concatenation(int axis, Activation activation) implements OpAttributes {}

    /** TRANSPOSE: output axis i is input axis {@code perm[i]}. */
    record Transpose(int[] perm) implements OpAttributes {}

    /**
     * UNIDIRECTIONAL_SEQUENCE_LSTM, as TFLite's options: the cell and output activation, clipping of the cell state
     * and of the projection (0 = none), whether the input is time-major [time, batch, features] (else
     * [batch, time, features]), and for hybrid kernels whether inputs are quantized asymmetrically.
     * {@code presentInputs[i]} tells whether TFLite input i (of 24) is given; absent ones are not in the op's
     * input list. Inputs 18 and 19 (TFLite's variable activation and cell state tensors) are never op inputs and
     * always false here: the kernel keeps the states and starts them at zero on every run.
     *
     * <p>For the integer (8x8→16) LSTM: {@code outputStateQuant} and {@code cellStateQuant} are the quantization
     * of the two state tensors (int8 and int16), and {@code intermediates} the quantization of TFLite's five
     * intermediate tensors (input, forget, cell and output gate pre-activations, effective hidden), an entry null
     * when the file gives none. All three are null for float models.
     */
    record Lstm(
            LstmActivation activation,
            float cellClip,
            float projClip,
            boolean timeMajor,
            boolean asymmetricQuantizeInputs,
            boolean[] presentInputs,
            QuantParams outputStateQuant,
            QuantParams cellStateQuant,
            QuantParams[] intermediates)
            implements OpAttributes, OptionalInputs {

        /** A float LSTM's attributes (no state or intermediate quantization). */
        public Lstm(
                LstmActivation activation,
                float cellClip,
                float projClip,
                boolean timeMajor,
                boolean asymmetricQuantizeInputs,
                boolean[] presentInputs) {
            this(activation, cellClip, projClip, timeMajor, asymmetricQuantizeInputs, presentInputs, null, null, null);
        }
    }

    /**
     * Attributes of an op whose TFLite inputs may be omitted (the LSTMs): {@code presentInputs()[i]} tells whether
     * TFLite input i is given; absent inputs are not in the op's input list.
     */
    interface OptionalInputs {
        boolean[] presentInputs();

        /** Whether TFLite input {@code i} is present. */
        default boolean has(int i) {
            boolean[] present = presentInputs();
            return i < present.length && present[i];
        }

        /** The position in the op's input list of TFLite input {@code i}, or -1 when it is absent. */
        default int position(int i) {
            if (!has(i)) {
                return -1;
            }
            boolean[] present = presentInputs();
            int k = 0;
            for (int j = 0; j < i; j++) {
                if (present[j]) {
                    k++;
                }
            }
            return k;
        }
    }

    /** The LSTM's cell and output activation (TFLite's ActivationFunctionType, SIGN_BIT excluded). */
    enum LstmActivation {
        NONE,
        RELU,
        RELU_N1_TO_1,
        RELU6,
        TANH;

        /** Applies the activation to one value, in float as TFLite's ApplyActivationToVector does. */
        public float apply(float x) {
            return switch (this) {
                case NONE -> x;
                case RELU -> Math.max(0f, x);
                case RELU_N1_TO_1 -> Math.max(-1f, Math.min(1f, x));
                case RELU6 -> Math.max(0f, Math.min(6f, x));
                case TANH -> (float) Math.tanh(x);
            };
        }
    }

    /** PAD with zeros: {@code paddings[axis] = {before, after}} for every axis of the input. */
    record Pad(int[][] paddings) implements OpAttributes {}

    /** MUL and DIV: the element-wise op, then a fused activation. */
    record Arithmetic(Activation activation) implements OpAttributes {}

    /**
     * STRIDED_SLICE as TFLite's StridedSliceOptions: per axis {@code begin}, {@code end} and {@code strides} (from the
     * op's constant inputs); bit i of {@code beginMask}/{@code endMask} ignores begin/end of axis i (the full range);
     * bit i of {@code shrinkAxisMask} drops axis i (which must then be a single element); {@code offset} makes end
     * relative to begin. Ellipsis and new-axis masks are not supported.
     */
    record StridedSlice(
            int[] begin, int[] end, int[] strides, int beginMask, int endMask, int shrinkAxisMask, boolean offset)
            implements OpAttributes {}

    /** SIGNAL_WINDOW: y = saturate16((x · w) >> shift), the window w repeating along the input. */
    record SignalWindow(int shift) implements OpAttributes {}

    /** SIGNAL_RFFT: real FFT of length {@code fftLength} of each zero-padded last-axis row. */
    record SignalRfft(int fftLength) implements OpAttributes {}

    /** SIGNAL_ENERGY: |X_k|² for {@code startIndex ≤ k < endIndex}; other bins are 0. */
    record SignalEnergy(int startIndex, int endIndex) implements OpAttributes {}

    /** SIGNAL_FILTER_BANK with {@code numChannels} output channels. */
    record SignalFilterBank(int numChannels) implements OpAttributes {}

    /**
     * SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION: a per-channel noise estimate (low-pass filter of the signal, even
     * channels with {@code smoothing}, odd ones with the alternate coefficients; scale 2^spectralSubtractionBits)
     * subtracted from the signal, never below {@code minSignalRemaining} of it.
     */
    record SignalSpectralSubtraction(
            int numChannels,
            long smoothing,
            long oneMinusSmoothing,
            long alternateSmoothing,
            long alternateOneMinusSmoothing,
            long minSignalRemaining,
            int smoothingBits,
            int spectralSubtractionBits,
            boolean clamping)
            implements OpAttributes {}

    /** SIGNAL_PCAN: per-channel automatic gain control; {@code snrShift} scales the gain·signal product. */
    record SignalPcan(int snrShift) implements OpAttributes {}

    /** SIGNAL_FILTER_BANK_LOG: y = min(32767, log(x · 2^inputCorrectionBits) · outputScale) in fixed point. */
    record SignalFilterBankLog(int inputCorrectionBits, int outputScale) implements OpAttributes {}
    // -- elementwise and activations (issue 11) --
    /**
     * An int16 SUB whose file sets pot_scale_int16 (SubOptions' default): when its three scales are powers of two
     * TFLite takes its power-of-two form, y = clamp(rdp(a, log2 s_y − log2 s_a) − rdp(b, log2 s_y − log2 s_b)) (rdp
     * rounding half away from zero), else its general rescaling, as with {@link Arithmetic}. Only the reader makes
     * it, and the writer keeps the flag; the fused activation as SUB's.
     */
    record PowerOfTwoSub(Activation activation) implements OpAttributes {}

    // -- activations (issue 11) --
    /** GELU: the exact form (erf) or, when {@code approximate}, the tanh approximation. */
    record Gelu(boolean approximate) implements OpAttributes {}

    // -- shape and data movement (issue 11) --

    /** SPLIT into {@code numSplits} equal parts along {@code axis} (negative counts from the end). */
    record Split(int axis, int numSplits) implements OpAttributes {}

    /** SPLIT_V into parts of {@code sizes} along {@code axis}; at most one size is -1 (what the others leave). */
    record SplitV(int axis, int[] sizes) implements OpAttributes {}

    /** UNPACK into {@code num} outputs along {@code axis}, which the outputs drop. */
    record Unpack(int axis, int num) implements OpAttributes {}

    /** PACK of the inputs along the new output axis {@code axis} (negative counts from the end of the output). */
    record Pack(int axis) implements OpAttributes {}

    /** GATHER along {@code axis} of params; the first {@code batchDims} axes of indices are batch axes. */
    record Gather(int axis, int batchDims) implements OpAttributes {}

    /** SLICE from {@code begin} taking {@code size} elements per axis (-1: to the end of the axis). */
    record Slice(int[] begin, int[] size) implements OpAttributes {}

    /** SQUEEZE of {@code axes} (negative count from the end); empty: every size-1 axis. */
    record Squeeze(int[] axes) implements OpAttributes {}

    /** EXPAND_DIMS: the new axis, in [−rank − 1, rank] (negative counts from the end of the output). */
    record ExpandDims(int axis) implements OpAttributes {}

    /** TILE: how many times each axis repeats. */
    record Tile(int[] multiples) implements OpAttributes {}

    /** BROADCAST_TO the output {@code shape}; a -1 keeps the input's dynamic dimension (the batch). */
    record BroadcastTo(int[] shape) implements OpAttributes {}

    /** DEPTH_TO_SPACE and SPACE_TO_DEPTH: the block size. */
    record BlockSize(int blockSize) implements OpAttributes {}

    /** REVERSE_V2 along {@code axes} (negative count from the end). */
    record Reverse(int[] axes) implements OpAttributes {}

    /** MIRROR_PAD: {@code paddings[axis] = {before, after}}; SYMMETRIC repeats the edge element, REFLECT does not. */
    record MirrorPad(int[][] paddings, boolean symmetric) implements OpAttributes {}

    /**
     * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND: the block shape of the spatial axes and, per spatial axis,
     * {@code {before, after}}: paddings for SPACE_TO_BATCH_ND, crops for BATCH_TO_SPACE_ND.
     */
    record SpaceBatch(int[] blockShape, int[][] amounts) implements OpAttributes {}

    /** FILL: the output's dimensions. */
    record Fill(int[] dims) implements OpAttributes {}

    // -- resampling and reductions (issue 11) --

    /**
     * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR to {@code height} × {@code width} (TFLite's constant size
     * input); {@code alignCorners} maps the corner pixels onto each other, {@code halfPixelCenters} samples at pixel
     * centres.
     */
    record Resize(int height, int width, boolean alignCorners, boolean halfPixelCenters) implements OpAttributes {}

    /** ARG_MAX and ARG_MIN along {@code axis} (negative counts from the end); the output type gives INT32/INT64. */
    record ArgMinMax(int axis) implements OpAttributes {}

    /** SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD over {@code axes}; {@code keepDims} keeps them as size 1. */
    record Reduce(int[] axes, boolean keepDims) implements OpAttributes {}

    // -- linear (issue 11) --
    /**
     * TRANSPOSE_CONV: TensorFlow padding, strides, the output's height and width (TFLite's constant output_shape
     * input; the batch follows the input and the channels the weights) and the fused activation.
     */
    record TransposeConv(Padding padding, int strideH, int strideW, int outH, int outW, Activation activation)
            implements OpAttributes {}

    /**
     * BATCH_MATMUL: {@code adjX} reads the first input as [..., K, M], {@code adjY} the second as [..., N, K];
     * {@code asymmetricQuantizeInputs} (hybrid files: float32 first input, int8 weights) quantizes the rows of the
     * first input asymmetrically rather than symmetrically.
     */
    record BatchMatMul(boolean adjX, boolean adjY, boolean asymmetricQuantizeInputs) implements OpAttributes {
        /** Without asymmetric input quantization (it only concerns hybrid ops). */
        public BatchMatMul(boolean adjX, boolean adjY) {
            this(adjX, adjY, false);
        }
    }

    // -- sequence (issue 11) --
    /**
     * UNIDIRECTIONAL_SEQUENCE_RNN, as TFLite's SequenceRNNOptions: the activation of the hidden state (TANH in Keras'
     * SimpleRNN), whether the input is time-major, and for the hybrid kernel (int8 weights) whether inputs are
     * quantized asymmetrically.
     */
    record SequenceRnn(LstmActivation activation, boolean timeMajor, boolean asymmetricQuantizeInputs)
            implements OpAttributes {}

    /**
     * BIDIRECTIONAL_SEQUENCE_LSTM, as TFLite's BidirectionalSequenceLSTMOptions (time_major defaults to true in the
     * schema). {@code presentInputs[i]} tells whether TFLite input i (of 48) is given: 0 input; 1–17 the forward
     * LSTM's weights, peepholes, biases and projection in {@link Lstm}'s order 1–17; 18–34 the backward LSTM's in
     * the same order; 35–38 the four state tensors (never op inputs, always false); 39–47 the auxiliary input and
     * its weights. Absent inputs are not in the op's input list.
     */
    record BidirectionalLstm(
            LstmActivation activation,
            float cellClip,
            float projClip,
            boolean mergeOutputs,
            boolean timeMajor,
            boolean asymmetricQuantizeInputs,
            boolean[] presentInputs)
            implements OpAttributes, OptionalInputs {}

    // -- detection (issue 11) --
    /**
     * DETECTION_POSTPROCESS, as the custom options of TFLite's {@code TFLite_Detection_PostProcess}: at most
     * {@code maxDetections} boxes, each with up to {@code maxClassesPerDetection} classes (class-agnostic
     * non-max suppression) or {@code detectionsPerClass} boxes kept per class before the best {@code maxDetections}
     * are taken ({@code useRegularNms}); boxes scoring below {@code scoreThreshold} are dropped and a box overlapping
     * a better one by an IoU above {@code iouThreshold} is suppressed; {@code numClasses} excludes the background;
     * the four scales divide the encodings (y, x, h, w).
     */
    record DetectionPostProcess(
            int maxDetections,
            int maxClassesPerDetection,
            int detectionsPerClass,
            float scoreThreshold,
            float iouThreshold,
            int numClasses,
            float yScale,
            float xScale,
            float hScale,
            float wScale,
            boolean useRegularNms)
            implements OpAttributes {

        /** TFLite's default for {@code detections_per_class} when the options leave it out. */
        public static final int DEFAULT_DETECTIONS_PER_CLASS = 100;

        /** The rows of the boxes, classes and scores outputs: max detections × max classes per detection. */
        public int outputRows() {
            return Math.multiplyExact(maxDetections, maxClassesPerDetection);
        }
    }
}
