package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.ir.Activation;
import dev.quanta.ir.OpAttributes;
import dev.quanta.ir.OpType;
import dev.quanta.ir.Padding;
import dev.quanta.ir.Tensor;
import java.util.function.Function;

/**
 * What an {@link TfliteImporters op importer} sees of one TFLite operator while the reader converts it: its
 * inputs as IR tensors, its options, and ways to emit IR ops. Errors it raises name the file and the operator.
 */
interface OpContext {

    /** The TFLite op name ({@code CONV_2D}). */
    String opName();

    /** Number of input slots in the file, omitted ones (index -1) included. */
    int inputCount();

    /** Input {@code i} as an IR tensor; fails when the slot is missing or omitted. */
    Tensor input(int i);

    /** Input {@code i}, or null when the slot is missing or omitted (index -1). */
    Tensor optionalInput(int i);

    /**
     * Input {@code i} described as an IR tensor without data (name, shape, type, quantization), for TFLite's
     * variable tensors (the LSTM's states) that the IR does not hold; null when the slot is missing or omitted.
     */
    Tensor variableInput(int i);

    /** Number of the operator's intermediate tensors. */
    int intermediateCount();

    /** The quantization of intermediate tensor {@code i}, or null when it has none. */
    dev.quanta.ir.QuantParams intermediateQuant(int i);

    /** The shape of input {@code i} as the file states it. */
    int[] fileShape(int i);

    /** The values of constant integer input {@code i} (INT32 or INT64); fails when it is not a constant. */
    int[] constantInts(int i, String what);

    /**
     * The builtin options, read with {@code reader}; {@code reader.apply(null)} (the schema defaults) when the
     * operator has none. Fails when the operator carries options of another type.
     */
    <T> T options(int expectedType, Function<FbTable, T> reader);

    /** True when the conversion gives the graph a dynamic batch dimension. */
    boolean dynamicBatch();

    /** Adds an IR op whose output is a new intermediate tensor (not in the file), and returns that tensor. */
    Tensor emit(OpType type, OpAttributes attrs, Tensor... inputs);

    /** Adds the IR op whose output is the operator's (first) output tensor; null inputs are left out. */
    void produce(OpType type, OpAttributes attrs, Tensor... inputs);

    /** Adds the IR op whose outputs are all the operator's output tensors, in order; null inputs are left out. */
    void produceAll(OpType type, OpAttributes attrs, Tensor... inputs);

    /** Number of output tensors the operator lists. */
    int outputCount();

    /**
     * The custom options of a custom op, decoded (once) as a FlexBuffer map (tflite-micro's convention); fails
     * when they are absent or malformed.
     */
    com.google.flatbuffers.FlexBuffers.Map customOptions();

    /** An error naming the file and this operator. */
    QuantaException error(String problem);

    // ------------------------------------------------------------------ option value conversions

    default Activation activation(int value) {
        Activation a = TfliteSchema.activation(value);
        if (a == null) {
            throw error("fused activation " + TfliteSchema.activationName(value) + " is not supported");
        }
        return a;
    }

    default Padding padding(int value) {
        Padding p = TfliteSchema.padding(value);
        if (p == null) {
            throw error("unknown padding value " + value);
        }
        return p;
    }

    /** {@code value}, checked to be at least 1. */
    default int positive(int value, String field) {
        if (value < 1) {
            throw error(field + " must be at least 1, got " + value);
        }
        return value;
    }
}
