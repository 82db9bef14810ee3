package dev.quanta.tflite;

import dev.quanta.ir.Activation;
import dev.quanta.ir.DType;
import dev.quanta.ir.Padding;

/**
 * Facts of the TFLite flatbuffer schema (schema version 3, {@code tensorflow/lite/schema/schema.fbs}) that this
 * package uses: field ids of each table, enum values and union member numbers.
 *
 * <p>A field's id is its position among the table's fields in the schema (a union takes two ids: its type, then
 * its value); the vtable slot of field {@code id} is at byte {@code 4 + 2 × id}.
 */
final class TfliteSchema {
    private TfliteSchema() {}

    static final String FILE_IDENTIFIER = "TFL3";
    static final int SCHEMA_VERSION = 3;

    /** Table Model. */
    static final class ModelF {
        static final int VERSION = 0;
        static final int OPERATOR_CODES = 1;
        static final int SUBGRAPHS = 2;
        static final int DESCRIPTION = 3;
        static final int BUFFERS = 4;
        static final int METADATA_BUFFER = 5;
        static final int METADATA = 6;
        static final int SIGNATURE_DEFS = 7;
        static final int COUNT = 8;
    }

    /** Table SubGraph. */
    static final class SubGraphF {
        static final int TENSORS = 0;
        static final int INPUTS = 1;
        static final int OUTPUTS = 2;
        static final int OPERATORS = 3;
        static final int NAME = 4;
        static final int COUNT = 5;
    }

    /** Table Tensor. */
    static final class TensorF {
        static final int SHAPE = 0;
        static final int TYPE = 1;
        static final int BUFFER = 2;
        static final int NAME = 3;
        static final int QUANTIZATION = 4;
        static final int IS_VARIABLE = 5;
        static final int SPARSITY = 6;
        static final int SHAPE_SIGNATURE = 7;
        static final int HAS_RANK = 8;
        static final int VARIANT_TENSORS = 9;
        static final int COUNT = 10;
    }

    /** Table QuantizationParameters. */
    static final class QuantF {
        static final int MIN = 0;
        static final int MAX = 1;
        static final int SCALE = 2;
        static final int ZERO_POINT = 3;
        static final int DETAILS_TYPE = 4;
        static final int DETAILS = 5;
        static final int QUANTIZED_DIMENSION = 6;
        static final int COUNT = 7;
    }

    /** Table Buffer. */
    static final class BufferF {
        static final int DATA = 0;
        static final int OFFSET = 1;
        static final int SIZE = 2;
        static final int COUNT = 3;
    }

    /** Table OperatorCode. */
    static final class OperatorCodeF {
        static final int DEPRECATED_BUILTIN_CODE = 0;
        static final int CUSTOM_CODE = 1;
        static final int VERSION = 2;
        static final int BUILTIN_CODE = 3;
        static final int COUNT = 4;
    }

    /** Table Operator. */
    static final class OperatorF {
        static final int OPCODE_INDEX = 0;
        static final int INPUTS = 1;
        static final int OUTPUTS = 2;
        static final int BUILTIN_OPTIONS_TYPE = 3;
        static final int BUILTIN_OPTIONS = 4;
        static final int CUSTOM_OPTIONS = 5;
        static final int CUSTOM_OPTIONS_FORMAT = 6;
        static final int MUTATING_VARIABLE_INPUTS = 7;
        static final int INTERMEDIATES = 8;
        static final int COUNT = 9;
    }

    /** Table Metadata. */
    static final class MetadataF {
        static final int NAME = 0;
        static final int BUFFER = 1;
        static final int COUNT = 2;
    }

    /** Table TensorMap. */
    static final class TensorMapF {
        static final int NAME = 0;
        static final int TENSOR_INDEX = 1;
        static final int COUNT = 2;
    }

    /** Table SignatureDef (field 3, deprecated_tag, is unused). */
    static final class SignatureDefF {
        static final int INPUTS = 0;
        static final int OUTPUTS = 1;
        static final int SIGNATURE_KEY = 2;
        static final int SUBGRAPH_INDEX = 4;
        static final int COUNT = 5;
    }

    // ------------------------------------------------------------------ enum TensorType

    static final int TT_FLOAT32 = 0;
    static final int TT_FLOAT16 = 1;
    static final int TT_INT32 = 2;
    static final int TT_UINT8 = 3;
    static final int TT_INT64 = 4;
    static final int TT_BOOL = 6;
    static final int TT_INT16 = 7;
    static final int TT_INT8 = 9;
    static final int TT_UINT64 = 12;
    static final int TT_UINT32 = 15;

    private static final String[] TENSOR_TYPE_NAMES = {
        "FLOAT32",
        "FLOAT16",
        "INT32",
        "UINT8",
        "INT64",
        "STRING",
        "BOOL",
        "INT16",
        "COMPLEX64",
        "INT8",
        "FLOAT64",
        "COMPLEX128",
        "UINT64",
        "RESOURCE",
        "VARIANT",
        "UINT32",
        "UINT16",
        "INT4"
    };

    static String tensorTypeName(int type) {
        return type >= 0 && type < TENSOR_TYPE_NAMES.length ? TENSOR_TYPE_NAMES[type] : "type " + type;
    }

    /** The IR type of a TFLite tensor type, or null when the IR has none. */
    static DType dtype(int tensorType) {
        return switch (tensorType) {
            case TT_FLOAT32 -> DType.FLOAT32;
            case TT_FLOAT16 -> DType.FLOAT16;
            case TT_INT32 -> DType.INT32;
            case TT_UINT8 -> DType.UINT8;
            case TT_INT64 -> DType.INT64;
            case TT_BOOL -> DType.BOOL;
            case TT_INT16 -> DType.INT16;
            case TT_INT8 -> DType.INT8;
            case TT_UINT32 -> DType.UINT32;
            case TT_UINT64 -> DType.UINT64;
            default -> null;
        };
    }

    static int tensorType(DType dtype) {
        return switch (dtype) {
            case FLOAT32 -> TT_FLOAT32;
            case FLOAT16 -> TT_FLOAT16;
            case INT32 -> TT_INT32;
            case UINT8 -> TT_UINT8;
            case INT64 -> TT_INT64;
            case BOOL -> TT_BOOL;
            case INT16 -> TT_INT16;
            case INT8 -> TT_INT8;
            case UINT32 -> TT_UINT32;
            case UINT64 -> TT_UINT64;
        };
    }

    // ------------------------------------------------------------------ enum BuiltinOperator

    static final int OP_ADD = 0;
    static final int OP_AVERAGE_POOL_2D = 1;
    static final int OP_CONCATENATION = 2;
    static final int OP_CONV_2D = 3;
    static final int OP_DEPTHWISE_CONV_2D = 4;
    static final int OP_DEQUANTIZE = 6;
    static final int OP_FULLY_CONNECTED = 9;
    static final int OP_LOGISTIC = 14;
    static final int OP_MAX_POOL_2D = 17;
    static final int OP_MUL = 18;
    static final int OP_RELU = 19;
    static final int OP_RELU6 = 21;
    static final int OP_RESHAPE = 22;
    static final int OP_SOFTMAX = 25;
    static final int OP_TANH = 28;
    static final int OP_CUSTOM = 32;
    static final int OP_PAD = 34;
    static final int OP_TRANSPOSE = 39;
    static final int OP_MEAN = 40;
    static final int OP_DIV = 42;
    static final int OP_STRIDED_SLICE = 45;
    static final int OP_CAST = 53;
    static final int OP_MAXIMUM = 55;
    static final int OP_MINIMUM = 57;
    static final int OP_LEAKY_RELU = 98;
    static final int OP_QUANTIZE = 114;

    // -- elementwise and activations (issue 11) --
    static final int OP_SUB = 41;
    static final int OP_SQRT = 75;
    static final int OP_RSQRT = 76;
    static final int OP_ABS = 101;
    static final int OP_NEG = 59;
    static final int OP_EXP = 47;
    static final int OP_LOG = 73;
    static final int OP_FLOOR = 8;
    static final int OP_CEIL = 104;
    static final int OP_ROUND = 116;
    static final int OP_SQUARED_DIFFERENCE = 99;
    static final int OP_FLOOR_DIV = 90;
    static final int OP_FLOOR_MOD = 95;
    static final int OP_POW = 78;
    static final int OP_LESS = 58;
    static final int OP_LESS_EQUAL = 63;
    static final int OP_GREATER = 61;
    static final int OP_GREATER_EQUAL = 62;
    static final int OP_EQUAL = 71;
    static final int OP_NOT_EQUAL = 72;
    static final int OP_SELECT = 64;
    static final int OP_SELECT_V2 = 123;
    static final int OP_LOGICAL_AND = 86;
    static final int OP_LOGICAL_OR = 84;
    static final int OP_LOGICAL_NOT = 87;

    // -- activations (issue 11) --
    static final int OP_RELU_N1_TO_1 = 20;
    static final int OP_LOG_SOFTMAX = 50;
    static final int OP_PRELU = 54;
    static final int OP_ELU = 111;
    static final int OP_HARD_SWISH = 117;
    static final int OP_GELU = 150;
    static final int OP_RELU_0_TO_1 = 152;

    // -- shape and data movement (issue 11) --
    static final int OP_DEPTH_TO_SPACE = 5;
    static final int OP_SPACE_TO_DEPTH = 26;
    static final int OP_GATHER = 36;
    static final int OP_BATCH_TO_SPACE_ND = 37;
    static final int OP_SPACE_TO_BATCH_ND = 38;
    static final int OP_SQUEEZE = 43;
    static final int OP_SPLIT = 49;
    static final int OP_PADV2 = 60;
    static final int OP_SLICE = 65;
    static final int OP_TILE = 69;
    static final int OP_EXPAND_DIMS = 70;
    static final int OP_SHAPE = 77;
    static final int OP_PACK = 83;
    static final int OP_UNPACK = 88;
    static final int OP_ZEROS_LIKE = 93;
    static final int OP_FILL = 94;
    static final int OP_RANGE = 96;
    static final int OP_MIRROR_PAD = 100;
    static final int OP_SPLIT_V = 102;
    static final int OP_REVERSE_V2 = 105;
    static final int OP_GATHER_ND = 107;
    static final int OP_BROADCAST_TO = 130;

    // -- resampling and reductions (issue 11) --
    static final int OP_L2_NORMALIZATION = 11;
    static final int OP_RESIZE_BILINEAR = 23;
    static final int OP_ARG_MAX = 56;
    static final int OP_SUM = 74;
    static final int OP_ARG_MIN = 79;
    static final int OP_REDUCE_PROD = 81;
    static final int OP_REDUCE_MAX = 82;
    static final int OP_REDUCE_MIN = 89;
    static final int OP_RESIZE_NEAREST_NEIGHBOR = 97;

    // -- linear (issue 11) --
    static final int OP_TRANSPOSE_CONV = 67;
    static final int OP_BATCH_MATMUL = 126;

    // -- sequence (issue 11) --
    static final int OP_UNIDIRECTIONAL_SEQUENCE_RNN = 35;
    static final int OP_BIDIRECTIONAL_SEQUENCE_LSTM = 52;

    // -- detection (issue 11) --
    /** Codes below this fit in {@code deprecated_builtin_code} (a byte). */
    static final int PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

    /** Names of the builtin operators by code, for messages (gaps are null). */
    private static final String[] OP_NAMES = new String[226];

    static {
        String[] first = {
            "ADD",
            "AVERAGE_POOL_2D",
            "CONCATENATION",
            "CONV_2D",
            "DEPTHWISE_CONV_2D",
            "DEPTH_TO_SPACE",
            "DEQUANTIZE",
            "EMBEDDING_LOOKUP",
            "FLOOR",
            "FULLY_CONNECTED",
            "HASHTABLE_LOOKUP",
            "L2_NORMALIZATION",
            "L2_POOL_2D",
            "LOCAL_RESPONSE_NORMALIZATION",
            "LOGISTIC",
            "LSH_PROJECTION",
            "LSTM",
            "MAX_POOL_2D",
            "MUL",
            "RELU",
            "RELU_N1_TO_1",
            "RELU6",
            "RESHAPE",
            "RESIZE_BILINEAR",
            "RNN",
            "SOFTMAX",
            "SPACE_TO_DEPTH",
            "SVDF",
            "TANH",
            "CONCAT_EMBEDDINGS",
            "SKIP_GRAM",
            "CALL",
            "CUSTOM",
            "EMBEDDING_LOOKUP_SPARSE",
            "PAD",
            "UNIDIRECTIONAL_SEQUENCE_RNN",
            "GATHER",
            "BATCH_TO_SPACE_ND",
            "SPACE_TO_BATCH_ND",
            "TRANSPOSE",
            "MEAN",
            "SUB",
            "DIV",
            "SQUEEZE",
            "UNIDIRECTIONAL_SEQUENCE_LSTM",
            "STRIDED_SLICE",
            "BIDIRECTIONAL_SEQUENCE_RNN",
            "EXP",
            "TOPK_V2",
            "SPLIT",
            "LOG_SOFTMAX",
            "DELEGATE",
            "BIDIRECTIONAL_SEQUENCE_LSTM",
            "CAST",
            "PRELU",
            "MAXIMUM",
            "ARG_MAX",
            "MINIMUM",
            "LESS",
            "NEG",
            "PADV2",
            "GREATER",
            "GREATER_EQUAL",
            "LESS_EQUAL",
            "SELECT",
            "SLICE",
            "SIN",
            "TRANSPOSE_CONV",
            "SPARSE_TO_DENSE",
            "TILE",
            "EXPAND_DIMS",
            "EQUAL",
            "NOT_EQUAL",
            "LOG",
            "SUM",
            "SQRT",
            "RSQRT",
            "SHAPE",
            "POW",
            "ARG_MIN",
            "FAKE_QUANT",
            "REDUCE_PROD",
            "REDUCE_MAX",
            "PACK",
            "LOGICAL_OR",
            "ONE_HOT",
            "LOGICAL_AND",
            "LOGICAL_NOT",
            "UNPACK",
            "REDUCE_MIN",
            "FLOOR_DIV",
            "REDUCE_ANY",
            "SQUARE",
            "ZEROS_LIKE",
            "FILL",
            "FLOOR_MOD",
            "RANGE",
            "RESIZE_NEAREST_NEIGHBOR",
            "LEAKY_RELU",
            "SQUARED_DIFFERENCE",
            "MIRROR_PAD",
            "ABS",
            "SPLIT_V",
            "UNIQUE",
            "CEIL",
            "REVERSE_V2",
            "ADD_N",
            "GATHER_ND",
            "COS",
            "WHERE",
            "RANK",
            "ELU",
            "REVERSE_SEQUENCE",
            "MATRIX_DIAG",
            "QUANTIZE",
            "MATRIX_SET_DIAG",
            "ROUND",
            "HARD_SWISH",
            "IF",
            "WHILE",
            "NON_MAX_SUPPRESSION_V4",
            "NON_MAX_SUPPRESSION_V5",
            "SCATTER_ND",
            "SELECT_V2",
            "DENSIFY",
            "SEGMENT_SUM",
            "BATCH_MATMUL",
            "PLACEHOLDER_FOR_GREATER_OP_CODES",
            "CUMSUM",
            "CALL_ONCE",
            "BROADCAST_TO",
            "RFFT2D",
            "CONV_3D",
            "IMAG",
            "REAL",
            "COMPLEX_ABS",
            "HASHTABLE",
            "HASHTABLE_FIND",
            "HASHTABLE_IMPORT",
            "HASHTABLE_SIZE",
            "REDUCE_ALL",
            "CONV_3D_TRANSPOSE",
            "VAR_HANDLE",
            "READ_VARIABLE",
            "ASSIGN_VARIABLE",
            "BROADCAST_ARGS",
            "RANDOM_STANDARD_NORMAL",
            "BUCKETIZE",
            "RANDOM_UNIFORM",
            "MULTINOMIAL",
            "GELU",
            "DYNAMIC_UPDATE_SLICE",
            "RELU_0_TO_1",
            "UNSORTED_SEGMENT_PROD",
            "UNSORTED_SEGMENT_MAX",
            "UNSORTED_SEGMENT_SUM",
            "ATAN2",
            "UNSORTED_SEGMENT_MIN",
            "SIGN",
            "BITCAST",
            "BITWISE_XOR",
            "RIGHT_SHIFT"
        };
        System.arraycopy(first, 0, OP_NAMES, 0, first.length);
        String[] stablehlo = {
            "LOGISTIC",
            "ADD",
            "DIVIDE",
            "MULTIPLY",
            "MAXIMUM",
            "RESHAPE",
            "CLAMP",
            "CONCATENATE",
            "BROADCAST_IN_DIM",
            "CONVOLUTION",
            "SLICE",
            "CUSTOM_CALL",
            "REDUCE",
            "ABS",
            "AND",
            "COSINE",
            "EXPONENTIAL",
            "FLOOR",
            "LOG",
            "MINIMUM",
            "NEGATE",
            "OR",
            "POWER",
            "REMAINDER",
            "RSQRT",
            "SELECT",
            "SUBTRACT",
            "TANH",
            "SCATTER",
            "COMPARE",
            "CONVERT",
            "DYNAMIC_SLICE",
            "DYNAMIC_UPDATE_SLICE",
            "PAD",
            "IOTA",
            "DOT_GENERAL",
            "REDUCE_WINDOW",
            "SORT",
            "WHILE",
            "GATHER",
            "TRANSPOSE"
        };
        for (int i = 0; i < stablehlo.length; i++) {
            OP_NAMES[162 + i] = "STABLEHLO_" + stablehlo[i];
        }
        OP_NAMES[203] = "DILATE";
        OP_NAMES[204] = "STABLEHLO_RNG_BIT_GENERATOR";
        OP_NAMES[205] = "REDUCE_WINDOW";
        OP_NAMES[225] = "TEMP_STREAMING_CONV_2D";
    }

    /** {@code CONV_2D}, or {@code builtin code 250} for codes this schema does not name. */
    static String opName(int code) {
        return code >= 0 && code < OP_NAMES.length && OP_NAMES[code] != null ? OP_NAMES[code] : "builtin code " + code;
    }

    // ------------------------------------------------------------------ union BuiltinOptions (member numbers)

    static final int BO_NONE = 0;
    static final int BO_CONV_2D = 1;
    static final int BO_DEPTHWISE_CONV_2D = 2;
    static final int BO_POOL_2D = 5;
    static final int BO_FULLY_CONNECTED = 8;
    static final int BO_SOFTMAX = 9;
    static final int BO_CONCATENATION = 10;
    static final int BO_ADD = 11;
    static final int BO_RESHAPE = 17;
    static final int BO_MUL = 21;
    static final int BO_PAD = 22;
    static final int BO_TRANSPOSE = 26;
    static final int BO_REDUCER = 27;
    static final int BO_DIV = 29;
    static final int BO_STRIDED_SLICE = 32;
    static final int BO_CAST = 37;
    static final int BO_DEQUANTIZE = 38;
    static final int BO_MAXIMUM_MINIMUM = 39;
    static final int BO_LEAKY_RELU = 75;
    static final int BO_QUANTIZE = 89;

    // -- elementwise and activations (issue 11) --
    static final int BO_SUB = 28;
    static final int BO_EXP = 33;
    static final int BO_LESS = 41;
    static final int BO_NEG = 42;
    static final int BO_GREATER = 44;
    static final int BO_GREATER_EQUAL = 45;
    static final int BO_LESS_EQUAL = 46;
    static final int BO_SELECT = 47;
    static final int BO_EQUAL = 53;
    static final int BO_NOT_EQUAL = 54;
    static final int BO_POW = 56;
    static final int BO_LOGICAL_OR = 60;
    static final int BO_LOGICAL_AND = 62;
    static final int BO_LOGICAL_NOT = 63;
    static final int BO_FLOOR_DIV = 65;
    static final int BO_FLOOR_MOD = 72;
    static final int BO_SQUARED_DIFFERENCE = 76;
    static final int BO_ABS = 78;
    static final int BO_SELECT_V2 = 98;

    // -- activations (issue 11) --
    static final int BO_GELU = 116;

    // -- shape and data movement (issue 11) --
    static final int BO_SPACE_TO_DEPTH = 19;
    static final int BO_GATHER = 23;
    static final int BO_BATCH_TO_SPACE_ND = 24;
    static final int BO_SPACE_TO_BATCH_ND = 25;
    static final int BO_SQUEEZE = 30;
    static final int BO_SPLIT = 35;
    static final int BO_PADV2 = 43;
    static final int BO_SLICE = 48;
    static final int BO_TILE = 51;
    static final int BO_EXPAND_DIMS = 52;
    static final int BO_SHAPE = 55;
    static final int BO_PACK = 59;
    static final int BO_UNPACK = 64;
    static final int BO_ZEROS_LIKE = 67;
    static final int BO_FILL = 68;
    static final int BO_RANGE = 73;
    static final int BO_MIRROR_PAD = 77;
    static final int BO_SPLIT_V = 79;
    static final int BO_REVERSE_V2 = 81;
    static final int BO_GATHER_ND = 83;
    static final int BO_DEPTH_TO_SPACE = 94;
    static final int BO_BROADCAST_TO = 104;

    // -- resampling and reductions (issue 11) --
    static final int BO_L2_NORM = 12;
    static final int BO_RESIZE_BILINEAR = 15;
    static final int BO_ARG_MAX = 40;
    static final int BO_ARG_MIN = 57;
    static final int BO_RESIZE_NEAREST_NEIGHBOR = 74;

    // -- linear (issue 11) --
    static final int BO_TRANSPOSE_CONV = 49;
    static final int BO_BATCH_MATMUL = 101;

    // -- sequence (issue 11) --
    static final int BO_SEQUENCE_RNN = 31;
    static final int BO_BIDIRECTIONAL_SEQUENCE_LSTM = 69;

    // -- detection (issue 11) --

    /** Options tables: field ids. */
    static final class Conv2DOptionsF {
        static final int PADDING = 0;
        static final int STRIDE_W = 1;
        static final int STRIDE_H = 2;
        static final int FUSED_ACTIVATION = 3;
        static final int DILATION_W = 4;
        static final int DILATION_H = 5;
        static final int COUNT = 6;
    }

    static final class DepthwiseConv2DOptionsF {
        static final int PADDING = 0;
        static final int STRIDE_W = 1;
        static final int STRIDE_H = 2;
        static final int DEPTH_MULTIPLIER = 3;
        static final int FUSED_ACTIVATION = 4;
        static final int DILATION_W = 5;
        static final int DILATION_H = 6;
        static final int COUNT = 7;
    }

    static final class Pool2DOptionsF {
        static final int PADDING = 0;
        static final int STRIDE_W = 1;
        static final int STRIDE_H = 2;
        static final int FILTER_WIDTH = 3;
        static final int FILTER_HEIGHT = 4;
        static final int FUSED_ACTIVATION = 5;
        static final int COUNT = 6;
    }

    static final class FullyConnectedOptionsF {
        static final int FUSED_ACTIVATION = 0;
        static final int WEIGHTS_FORMAT = 1;
        static final int KEEP_NUM_DIMS = 2;
        static final int ASYMMETRIC_QUANTIZE_INPUTS = 3;
        static final int QUANTIZED_BIAS_TYPE = 4;
        static final int COUNT = 5;
    }

    /** SoftmaxOptions.beta, LeakyReluOptions.alpha, ReducerOptions.keep_dims, ReshapeOptions.new_shape. */
    static final int SINGLE_FIELD = 0;

    static final class ConcatenationOptionsF {
        static final int AXIS = 0;
        static final int FUSED_ACTIVATION = 1;
        static final int COUNT = 2;
    }

    /** AddOptions: fused_activation_function (0), pot_scale_int16 (1, default true). */
    static final class AddOptionsF {
        static final int FUSED_ACTIVATION = 0;
        static final int COUNT = 2;
    }

    /** StridedSliceOptions. */
    static final class StridedSliceOptionsF {
        static final int BEGIN_MASK = 0;
        static final int END_MASK = 1;
        static final int ELLIPSIS_MASK = 2;
        static final int NEW_AXIS_MASK = 3;
        static final int SHRINK_AXIS_MASK = 4;
        static final int OFFSET = 5;
        static final int COUNT = 6;
    }

    /** CastOptions: in_data_type (0), out_data_type (1). */
    static final class CastOptionsF {
        static final int IN_DATA_TYPE = 0;
        static final int OUT_DATA_TYPE = 1;
        static final int COUNT = 2;
    }

    // ------------------------------------------------------------------ small enums

    /** enum Padding : byte { SAME, VALID }. */
    static final int PADDING_SAME = 0;

    static final int PADDING_VALID = 1;

    static Padding padding(int value) {
        return switch (value) {
            case PADDING_SAME -> Padding.SAME;
            case PADDING_VALID -> Padding.VALID;
            default -> null;
        };
    }

    static int padding(Padding p) {
        return p == Padding.SAME ? PADDING_SAME : PADDING_VALID;
    }

    /** enum ActivationFunctionType : byte. */
    static final int ACT_NONE = 0;

    static final int ACT_RELU = 1;
    static final int ACT_RELU_N1_TO_1 = 2;
    static final int ACT_RELU6 = 3;
    static final int ACT_TANH = 4;
    static final int ACT_SIGN_BIT = 5;

    /** The IR activation, or null for TANH and SIGN_BIT (and unknown values), which the IR cannot fuse. */
    static Activation activation(int value) {
        return switch (value) {
            case ACT_NONE -> Activation.NONE;
            case ACT_RELU -> Activation.RELU;
            case ACT_RELU_N1_TO_1 -> Activation.RELU_N1_TO_1;
            case ACT_RELU6 -> Activation.RELU6;
            default -> null;
        };
    }

    static String activationName(int value) {
        return switch (value) {
            case ACT_NONE -> "NONE";
            case ACT_RELU -> "RELU";
            case ACT_RELU_N1_TO_1 -> "RELU_N1_TO_1";
            case ACT_RELU6 -> "RELU6";
            case ACT_TANH -> "TANH";
            case ACT_SIGN_BIT -> "SIGN_BIT";
            default -> "activation " + value;
        };
    }

    static int activation(Activation a) {
        return switch (a) {
            case NONE -> ACT_NONE;
            case RELU -> ACT_RELU;
            case RELU_N1_TO_1 -> ACT_RELU_N1_TO_1;
            case RELU6 -> ACT_RELU6;
        };
    }

    /** enum FullyConnectedOptionsWeightsFormat: DEFAULT = 0. */
    static final int FC_WEIGHTS_DEFAULT = 0;
}
