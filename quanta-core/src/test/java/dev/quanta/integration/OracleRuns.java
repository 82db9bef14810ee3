package dev.quanta.integration;

import static dev.quanta.testing.CoreArrays.argmax;

import dev.quanta.data.Dataset;
import dev.quanta.ir.DType;
import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.quantize.InputQuantizer;
import dev.quanta.testing.TfliteOracle;
import dev.quanta.tflite.TfliteReader;
import java.nio.file.Path;

/** Runs .tflite files in the official runtime on float samples, as a user of their I/O types would. */
final class OracleRuns {
    private OracleRuns() {}

    /**
     * Top-1 correct of {@code file} on {@code data}: float samples are quantized with the file's input parameters
     * when its input is integer, outputs dequantized; LSTM state is reset before each sample.
     */
    static int top1(Path file, Dataset data, TfliteOracle.Kernels kernels) {
        Model m = TfliteReader.read(file);
        Tensor in = m.inputs().get(0);
        Tensor out = m.outputs().get(0);
        int correct = 0;
        float[] x = new float[data.sampleSize()];
        try (TfliteOracle o = TfliteOracle.open(file, kernels, 1)) {
            for (int s = 0; s < data.size(); s++) {
                data.copySample(s, x, 0);
                o.resetVariableTensors();
                setInput(o, in.dtype() == DType.FLOAT32 ? x : InputQuantizer.quantize(x, in));
                o.invoke();
                if (argmax(output(o, out)) == data.label(s)) {
                    correct++;
                }
            }
        }
        return correct;
    }

    /** Sets input 0 from a {@code float[]}, {@code byte[]} or {@code short[]}. */
    static void setInput(TfliteOracle o, Object input) {
        o.setInput(0, input);
    }

    /** Output 0 as real values (integer outputs dequantized with {@code out}'s parameters). */
    static float[] output(TfliteOracle o, Tensor out) {
        return switch (out.dtype()) {
            case FLOAT32 -> o.outputFloat(0);
            case INT8, UINT8 -> InputQuantizer.dequantize(o.outputInt8(0), out);
            case INT16 -> InputQuantizer.dequantize(o.outputInt16(0), out);
            default -> throw new IllegalStateException(out.dtype().name());
        };
    }
}
