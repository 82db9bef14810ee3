package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;

/**
 * The sequence ops besides UNIDIRECTIONAL_SEQUENCE_LSTM ({@link TfliteLstm}) between TFLite and the IR.
 *
 * <p>UNIDIRECTIONAL_SEQUENCE_RNN (builtin code 35, SequenceRNNOptions = union member 31): TFLite's five inputs
 * ({@code unidirectional_sequence_rnn.cc}) are 0 input, 1 input weights [units, in], 2 recurrent weights [units,
 * units], 3 bias [units], 4 hidden state (a variable tensor). The reader keeps inputs 0–3; the writer puts the
 * state back as a new variable tensor [batch, units] (float32).
 *
 * <p>BIDIRECTIONAL_SEQUENCE_LSTM (builtin code 52, BidirectionalSequenceLSTMOptions = union member 69): 48 inputs
 * ({@code bidirectional_sequence_lstm.cc}, see {@link dev.quanta.ir.OpAttributes.BidirectionalLstm}); the reader
 * keeps the given ones but the four states 35–38, the writer adds the states back as variable tensors. One output
 * with merge_outputs, else two.
 */
final class TfliteSequenceOps {
    private TfliteSequenceOps() {}

    static final int RNN_HIDDEN_STATE = 4;

    /** SequenceRNNOptions (union member 31). */
    record SequenceRnnOptions(boolean timeMajor, int activation, boolean asymmetricQuantizeInputs) {
        static final int TIME_MAJOR = 0;
        static final int ACTIVATION = 1;
        static final int ASYMMETRIC_QUANTIZE_INPUTS = 2;
        static final int COUNT = 3;

        static SequenceRnnOptions read(FbTable t) {
            if (t == null) {
                return new SequenceRnnOptions(false, TfliteSchema.ACT_NONE, false);
            }
            return new SequenceRnnOptions(
                    t.bool(TIME_MAJOR, false, "time_major"),
                    t.int8(ACTIVATION, 0, "fused_activation_function"),
                    t.bool(ASYMMETRIC_QUANTIZE_INPUTS, false, "asymmetric_quantize_inputs"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(COUNT);
            b.addBoolean(ASYMMETRIC_QUANTIZE_INPUTS, asymmetricQuantizeInputs, false);
            b.addByte(ACTIVATION, (byte) activation, 0);
            b.addBoolean(TIME_MAJOR, timeMajor, false);
            return b.endTable();
        }
    }

    /** Reads UNIDIRECTIONAL_SEQUENCE_RNN into one IR op (see the class comment). */
    static void readRnn(OpContext c) {
        SequenceRnnOptions o = c.options(TfliteSchema.BO_SEQUENCE_RNN, SequenceRnnOptions::read);
        if (c.inputCount() != 5) {
            throw c.error("has " + c.inputCount() + " inputs, expected 5");
        }
        c.produce(
                OpType.UNIDIRECTIONAL_SEQUENCE_RNN,
                new OpAttributes.SequenceRnn(
                        TfliteLstm.activation(c, o.activation()), o.timeMajor(), o.asymmetricQuantizeInputs()),
                c.input(0),
                c.input(1),
                c.input(2),
                c.input(3));
    }

    /**
     * Writes UNIDIRECTIONAL_SEQUENCE_RNN with its hidden state as a new variable tensor; version 1 in float32, 2
     * hybrid (int8 weights), 3 hybrid with asymmetric_quantize_inputs ({@code op_version.cc}).
     */
    static TfliteExporters.Exported writeRnn(Op op, TfliteExporters.Context c) {
        OpAttributes.SequenceRnn a = op.attrs(OpAttributes.SequenceRnn.class);
        Tensor x = op.input(0);
        Tensor y = op.output(0);
        boolean hybrid = op.input(1).dtype() == DType.INT8;
        if (x.dtype() != DType.FLOAT32 || y.dtype() != DType.FLOAT32) {
            throw new dev.quanta.QuantaException(op.describe()
                    + ": only float32 and hybrid (int8 weights) UNIDIRECTIONAL_SEQUENCE_RNNs can be written");
        }
        int batch = Math.max(a.timeMajor() ? x.shape().dim(1) : x.shape().dim(0), 1);
        int units = op.input(1).shape().dim(0);
        int[] in = new int[5];
        for (int i = 0; i < 4; i++) {
            in[i] = c.index(op.input(i));
        }
        in[RNN_HIDDEN_STATE] = c.variable(y.name() + "/hidden_state", DType.FLOAT32, new int[] {batch, units}, null);
        SequenceRnnOptions o = new SequenceRnnOptions(
                a.timeMajor(), TfliteLstm.activation(a.activation()), a.asymmetricQuantizeInputs());
        int version = TfliteLstm.version(hybrid, a.asymmetricQuantizeInputs());
        return new TfliteExporters.Exported(
                TfliteSchema.OP_UNIDIRECTIONAL_SEQUENCE_RNN, version, in, TfliteSchema.BO_SEQUENCE_RNN, o::write);
    }

    static final int BIDI_INPUT_COUNT = 48;
    static final int BIDI_FIRST_STATE = 35;
    static final int BIDI_LAST_STATE = 38;

    /** BidirectionalSequenceLSTMOptions (union member 69); time_major defaults to true. */
    record BidirectionalLstmOptions(
            int activation,
            float cellClip,
            float projClip,
            boolean mergeOutputs,
            boolean timeMajor,
            boolean asymmetricQuantizeInputs) {
        static final int ACTIVATION = 0;
        static final int CELL_CLIP = 1;
        static final int PROJ_CLIP = 2;
        static final int MERGE_OUTPUTS = 3;
        static final int TIME_MAJOR = 4;
        static final int ASYMMETRIC_QUANTIZE_INPUTS = 5;
        static final int COUNT = 6;

        static BidirectionalLstmOptions read(FbTable t) {
            if (t == null) {
                return new BidirectionalLstmOptions(0, 0f, 0f, false, true, false);
            }
            return new BidirectionalLstmOptions(
                    t.int8(ACTIVATION, 0, "fused_activation_function"),
                    t.float32(CELL_CLIP, 0f, "cell_clip"),
                    t.float32(PROJ_CLIP, 0f, "proj_clip"),
                    t.bool(MERGE_OUTPUTS, false, "merge_outputs"),
                    t.bool(TIME_MAJOR, true, "time_major"),
                    t.bool(ASYMMETRIC_QUANTIZE_INPUTS, false, "asymmetric_quantize_inputs"));
        }

        int write(FlatBufferBuilder b) {
            b.startTable(COUNT);
            b.addFloat(PROJ_CLIP, projClip, 0.0);
            b.addFloat(CELL_CLIP, cellClip, 0.0);
            b.addBoolean(ASYMMETRIC_QUANTIZE_INPUTS, asymmetricQuantizeInputs, false);
            b.addBoolean(TIME_MAJOR, timeMajor, true);
            b.addBoolean(MERGE_OUTPUTS, mergeOutputs, false);
            b.addByte(ACTIVATION, (byte) activation, 0);
            return b.endTable();
        }
    }

    /** Reads BIDIRECTIONAL_SEQUENCE_LSTM into one IR op with one or two outputs (see the class comment). */
    static void readBidirectionalLstm(OpContext c) {
        BidirectionalLstmOptions o =
                c.options(TfliteSchema.BO_BIDIRECTIONAL_SEQUENCE_LSTM, BidirectionalLstmOptions::read);
        if (c.inputCount() != BIDI_INPUT_COUNT) {
            throw c.error("has " + c.inputCount() + " inputs, expected " + BIDI_INPUT_COUNT);
        }
        if (c.outputCount() != (o.mergeOutputs() ? 1 : 2)) {
            throw c.error("has " + c.outputCount() + " outputs, expected " + (o.mergeOutputs() ? 1 : 2)
                    + " with merge_outputs " + o.mergeOutputs());
        }
        boolean[] present = new boolean[BIDI_INPUT_COUNT];
        Tensor[] inputs = TfliteLstm.presentInputs(c, present, BIDI_FIRST_STATE, BIDI_LAST_STATE);
        TfliteLstm.requireGates(c, present, 2);
        c.produceAll(
                OpType.BIDIRECTIONAL_SEQUENCE_LSTM,
                new OpAttributes.BidirectionalLstm(
                        TfliteLstm.activation(c, o.activation()),
                        o.cellClip(),
                        o.projClip(),
                        o.mergeOutputs(),
                        o.timeMajor(),
                        o.asymmetricQuantizeInputs(),
                        present),
                inputs);
    }

    /**
     * Writes BIDIRECTIONAL_SEQUENCE_LSTM (float32 version 1, hybrid 2 or 3) with its four states as new float32
     * variable tensors.
     */
    static TfliteExporters.Exported writeBidirectionalLstm(Op op, TfliteExporters.Context c) {
        OpAttributes.BidirectionalLstm a = op.attrs(OpAttributes.BidirectionalLstm.class);
        boolean hybrid = op.input(a.position(2)).dtype() == DType.INT8;
        if (op.input(0).dtype() != DType.FLOAT32 || op.output(0).dtype() != DType.FLOAT32) {
            throw new dev.quanta.QuantaException(op.describe()
                    + ": only float32 and hybrid (int8 weights) BIDIRECTIONAL_SEQUENCE_LSTMs can be written");
        }
        int[] in = TfliteLstm.inputIndices(op, c, BIDI_INPUT_COUNT, a::has, BIDI_FIRST_STATE, BIDI_LAST_STATE);
        Tensor x = op.input(0);
        int batch = Math.max(a.timeMajor() ? x.shape().dim(1) : x.shape().dim(0), 1);
        String[] names = {"fw_activation_state", "fw_cell_state", "bw_activation_state", "bw_cell_state"};
        for (int d = 0; d < 2; d++) {
            int off = 17 * d;
            int cells = op.input(a.position(8 + off)).shape().dim(0);
            int proj = a.position(16 + off);
            int units = proj >= 0
                    ? op.input(proj).shape().dim(0)
                    : op.input(a.position(8 + off)).shape().dim(1);
            String base = op.output(0).name() + "/";
            in[BIDI_FIRST_STATE + 2 * d] =
                    c.variable(base + names[2 * d], DType.FLOAT32, new int[] {batch, units}, null);
            in[BIDI_FIRST_STATE + 2 * d + 1] =
                    c.variable(base + names[2 * d + 1], DType.FLOAT32, new int[] {batch, cells}, null);
        }
        BidirectionalLstmOptions o = new BidirectionalLstmOptions(
                TfliteLstm.activation(a.activation()),
                a.cellClip(),
                a.projClip(),
                a.mergeOutputs(),
                a.timeMajor(),
                a.asymmetricQuantizeInputs());
        return new TfliteExporters.Exported(
                TfliteSchema.OP_BIDIRECTIONAL_SEQUENCE_LSTM,
                TfliteLstm.version(hybrid, a.asymmetricQuantizeInputs()),
                in,
                TfliteSchema.BO_BIDIRECTIONAL_SEQUENCE_LSTM,
                o::write);
    }
}
