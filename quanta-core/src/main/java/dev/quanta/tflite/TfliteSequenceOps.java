package dev.quanta.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import dev.quanta.ir.DType;
import dev.quanta.ir.Op;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Tensor;

/**
 * UNIDIRECTIONAL_SEQUENCE_RNN (builtin code 35, SequenceRNNOptions = union member 31) between TFLite and the IR.
 * TFLite's five inputs ({@code unidirectional_sequence_rnn.cc}): 0 input, 1 input weights [units, in], 2 recurrent
 * weights [units, units], 3 bias [units], 4 hidden state (a variable tensor). The reader keeps inputs 0–3; the
 * writer puts the state back as a new variable tensor [batch, units] of the output's type (float32).
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
        int version = hybrid ? (a.asymmetricQuantizeInputs() ? 3 : 2) : 1;
        return new TfliteExporters.Exported(
                TfliteSchema.OP_UNIDIRECTIONAL_SEQUENCE_RNN, version, in, TfliteSchema.BO_SEQUENCE_RNN, o::write);
    }
}
