package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.QuantParams;
import dev.quanta.ir.Tensor;

/**
 * UNIDIRECTIONAL_SEQUENCE_LSTM (builtin code 44, UnidirectionalSequenceLSTMOptions = union member 71) between
 * TFLite and the IR.
 *
 * <p>TFLite's 24 inputs ({@code lstm_shared.h}): 0 input; 1–4 input-to-{input, forget, cell, output} weights;
 * 5–8 recurrent-to-{…} weights; 9–11 cell-to-{input, forget, output} peepholes; 12–15 {input, forget, cell,
 * output} gate biases; 16 projection weights, 17 projection bias; 18 output (activation) state and 19 cell state,
 * both variable tensors; 20–23 layer-norm coefficients. The reader keeps the given inputs except the two states,
 * records which are present in {@link OpAttributes.Lstm#presentInputs()}, and keeps the states' quantization in
 * the attributes; the writer puts the states back as variable tensors ({@code is_variable}, no data) of shape
 * [batch, n_output] and [batch, n_cell]: float32 for float and hybrid LSTMs (float input, int8 weights, float
 * biases; written as version 2, or 3 with asymmetric_quantize_inputs), int8 and int16 for the integer LSTM.
 */
final class TfliteLstm {
    private TfliteLstm() {}

    static final int OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44;
    static final int BO_UNIDIRECTIONAL_SEQUENCE_LSTM = 71;
    static final int INPUT_COUNT = 24;
    static final int OUTPUT_STATE = 18;
    static final int CELL_STATE = 19;

    /** UnidirectionalSequenceLSTMOptions (union member 71). */
    record Options(
            int activation,
            float cellClip,
            float projClip,
            boolean timeMajor,
            boolean asymmetricQuantizeInputs,
            boolean diagonalRecurrentTensors) {
        static final int ACTIVATION = 0;
        static final int CELL_CLIP = 1;
        static final int PROJ_CLIP = 2;
        static final int TIME_MAJOR = 3;
        static final int ASYMMETRIC_QUANTIZE_INPUTS = 4;
        static final int DIAGONAL_RECURRENT_TENSORS = 5;
        static final int COUNT = 6;

        static Options read(FbTable t) {
            if (t == null) {
                return new Options(0, 0f, 0f, false, false, false);
            }
            return new Options(
                    t.int8(ACTIVATION, 0, "fused_activation_function"),
                    t.float32(CELL_CLIP, 0f, "cell_clip"),
                    t.float32(PROJ_CLIP, 0f, "proj_clip"),
                    t.bool(TIME_MAJOR, false, "time_major"),
                    t.bool(ASYMMETRIC_QUANTIZE_INPUTS, false, "asymmetric_quantize_inputs"),
                    t.bool(DIAGONAL_RECURRENT_TENSORS, false, "diagonal_recurrent_tensors"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(COUNT);
            b.addFloat(PROJ_CLIP, projClip, 0.0);
            b.addFloat(CELL_CLIP, cellClip, 0.0);
            b.addBoolean(DIAGONAL_RECURRENT_TENSORS, diagonalRecurrentTensors, false);
            b.addBoolean(ASYMMETRIC_QUANTIZE_INPUTS, asymmetricQuantizeInputs, false);
            b.addBoolean(TIME_MAJOR, timeMajor, false);
            b.addByte(ACTIVATION, (byte) activation, 0);
            return b.endTable();
        }
    }

    static OpAttributes.LstmActivation activation(OpContext c, int value) {
        return switch (value) {
            case TfliteSchema.ACT_NONE -> OpAttributes.LstmActivation.NONE;
            case TfliteSchema.ACT_RELU -> OpAttributes.LstmActivation.RELU;
            case TfliteSchema.ACT_RELU_N1_TO_1 -> OpAttributes.LstmActivation.RELU_N1_TO_1;
            case TfliteSchema.ACT_RELU6 -> OpAttributes.LstmActivation.RELU6;
            case TfliteSchema.ACT_TANH -> OpAttributes.LstmActivation.TANH;
            default -> throw c.error("LSTM activation " + TfliteSchema.activationName(value) + " is not supported");
        };
    }

    static int activation(OpAttributes.LstmActivation a) {
        return switch (a) {
            case NONE -> TfliteSchema.ACT_NONE;
            case RELU -> TfliteSchema.ACT_RELU;
            case RELU_N1_TO_1 -> TfliteSchema.ACT_RELU_N1_TO_1;
            case RELU6 -> TfliteSchema.ACT_RELU6;
            case TANH -> TfliteSchema.ACT_TANH;
        };
    }

    /**
     * Collects the operator's given inputs, skipping the variable state inputs {@code firstState..lastState}: input 0
     * is required, the others may be omitted (index -1); {@code present[i]} records which were given.
     */
    static Tensor[] presentInputs(OpContext c, boolean[] present, int firstState, int lastState) {
        java.util.List<Tensor> inputs = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(c.inputCount(), present.length); i++) {
            if (i >= firstState && i <= lastState) {
                continue;
            }
            Tensor t = i == 0 ? c.input(0) : c.optionalInput(i);
            if (t != null) {
                present[i] = true;
                inputs.add(t);
            }
        }
        return inputs.toArray(Tensor[]::new);
    }

    /**
     * Fails unless each of {@code directions} LSTMs (17 inputs apart) has its forget, cell and output gate weights
     * and biases (inputs 2–4, 6–8, 13–15); the input gate and the rest are optional (CIFG, no peepholes).
     */
    static void requireGates(OpContext c, boolean[] present, int directions) {
        for (int i : new int[] {2, 3, 4, 6, 7, 8, 13, 14, 15}) {
            for (int d = 0; d < directions; d++) {
                if (!present[i + 17 * d]) {
                    throw c.error("required LSTM input " + (i + 17 * d) + " is omitted");
                }
            }
        }
    }

    /**
     * The TFLite input indices of an op read by {@link #presentInputs}: slot i holds the next IR input where
     * {@code has(i)}, -1 where omitted and for the states {@code firstState..lastState} (the caller fills those).
     */
    static int[] inputIndices(
            Op op,
            TfliteExporters.Context c,
            int count,
            java.util.function.IntPredicate has,
            int firstState,
            int lastState) {
        int[] in = new int[count];
        java.util.Arrays.fill(in, -1);
        int k = 0;
        for (int i = 0; i < count; i++) {
            if (has.test(i) && (i < firstState || i > lastState)) {
                in[i] = c.index(op.input(k++));
            }
        }
        return in;
    }

    /** op_version.cc: a hybrid (int8 weights) sequence op is version 2, 3 with asymmetric_quantize_inputs. */
    static int version(boolean hybrid, boolean asymmetricQuantizeInputs) {
        return hybrid ? (asymmetricQuantizeInputs ? 3 : 2) : 1;
    }

    /** Reads the operator into one IR op (see the class comment). */
    static void read(OpContext c) {
        Options o = c.options(BO_UNIDIRECTIONAL_SEQUENCE_LSTM, Options::read);
        if (o.diagonalRecurrentTensors()) {
            throw c.error("diagonal_recurrent_tensors is not supported");
        }
        if (c.inputCount() != INPUT_COUNT && c.inputCount() != 20) {
            throw c.error("has " + c.inputCount() + " inputs, expected 20 or 24");
        }
        boolean[] present = new boolean[INPUT_COUNT];
        Tensor[] inputs = presentInputs(c, present, OUTPUT_STATE, CELL_STATE);
        requireGates(c, present, 1);
        Tensor outState = c.variableInput(OUTPUT_STATE);
        Tensor cellState = c.variableInput(CELL_STATE);
        QuantParams[] intermediates = null;
        if (c.intermediateCount() > 0) {
            intermediates = new QuantParams[c.intermediateCount()];
            for (int i = 0; i < intermediates.length; i++) {
                intermediates[i] = c.intermediateQuant(i);
            }
        }
        OpAttributes.Lstm attrs = new OpAttributes.Lstm(
                activation(c, o.activation()),
                o.cellClip(),
                o.projClip(),
                o.timeMajor(),
                o.asymmetricQuantizeInputs(),
                present,
                outState == null ? null : outState.quant(),
                cellState == null ? null : cellState.quant(),
                intermediates);
        c.produce(OpType.UNIDIRECTIONAL_SEQUENCE_LSTM, attrs, inputs);
    }

    /** Writes the op back with its 24 inputs, the states as new variable tensors. */
    static TfliteExporters.Exported write(Op op, TfliteExporters.Context c) {
        OpAttributes.Lstm a = op.attrs(OpAttributes.Lstm.class);
        int[] in = inputIndices(op, c, INPUT_COUNT, a::has, OUTPUT_STATE, CELL_STATE);
        Tensor x = op.input(0);
        Tensor y = op.output(0);
        int batch = a.timeMajor() ? x.shape().dim(1) : x.shape().dim(0);
        batch = Math.max(batch, 1); // a dynamic batch is written as 1, as the graph input is
        int nOutput = y.shape().dim(2);
        int nCell = op.input(a.position(8)).shape().dim(0);
        boolean integer = x.dtype() == DType.INT8;
        boolean floatModel = x.dtype() == DType.FLOAT32 && op.input(1).dtype() == DType.FLOAT32;
        boolean hybrid = x.dtype() == DType.FLOAT32
                && y.dtype() == DType.FLOAT32
                && op.input(a.position(2)).dtype() == DType.INT8;
        if (!floatModel
                && !hybrid
                && !(integer
                        && a.intermediates() != null
                        && a.intermediates().length == 5
                        && a.outputStateQuant() != null
                        && a.cellStateQuant() != null)) {
            throw new dev.quanta.QuantaException(
                    op.describe() + ": only float32, hybrid (int8 weights) and integer"
                            + " (8x8→16, with state and intermediate quantization) UNIDIRECTIONAL_SEQUENCE_LSTMs can be written");
        }
        DType stateType = integer ? DType.INT8 : DType.FLOAT32;
        in[OUTPUT_STATE] =
                c.variable(y.name() + "/output_state", stateType, new int[] {batch, nOutput}, a.outputStateQuant());
        in[CELL_STATE] = c.variable(
                y.name() + "/cell_state",
                integer ? DType.INT16 : DType.FLOAT32,
                new int[] {batch, nCell},
                a.cellStateQuant());
        Options o = new Options(
                activation(a.activation()),
                a.cellClip(),
                a.projClip(),
                a.timeMajor(),
                a.asymmetricQuantizeInputs(),
                false);
        if (!integer) {
            return new TfliteExporters.Exported(
                    OP_UNIDIRECTIONAL_SEQUENCE_LSTM,
                    version(hybrid, a.asymmetricQuantizeInputs()),
                    in,
                    BO_UNIDIRECTIONAL_SEQUENCE_LSTM,
                    o::write);
        }
        // the integer LSTM's 5 intermediates: input, forget, cell, output gate (float, unquantized without layer
        // normalization, as TFLite's converter leaves them) and the effective hidden state (int8)
        String[] names = {
            "input_to_input_intermediate",
            "input_to_forget_intermediate",
            "input_to_cell_intermediate",
            "input_to_output_intermediate",
            "effective_hidden_scale_intermediate"
        };
        int[] intermediates = new int[5];
        for (int i = 0; i < 5; i++) {
            QuantParams q = a.intermediates()[i];
            intermediates[i] = c.intermediate(y.name() + "/" + names[i], q == null ? DType.FLOAT32 : DType.INT8, q);
        }
        return new TfliteExporters.Exported(
                OP_UNIDIRECTIONAL_SEQUENCE_LSTM, 1, in, BO_UNIDIRECTIONAL_SEQUENCE_LSTM, o::write, intermediates);
    }
}
