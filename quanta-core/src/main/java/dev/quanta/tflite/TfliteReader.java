package dev.quanta.tflite;

import dev.quanta.QuantaException;
import dev.quanta.ir.Model;
import dev.quanta.ir.Shape;
import dev.quanta.ir.SourceFormat;
import dev.quanta.tflite.SubgraphConversion.ShapeConflict;
import dev.quanta.tflite.TfliteFile.OperatorCode;
import dev.quanta.tflite.TfliteFile.SubGraph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Reads a TensorFlow Lite flatbuffer ({@code .tflite}, schema version 3) into the IR.
 *
 * <p>The main subgraph becomes the model. Supported operators: CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED,
 * MAX_POOL_2D, AVERAGE_POOL_2D, MEAN, RESHAPE, RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH, SOFTMAX, ADD,
 * CONCATENATION, PAD, QUANTIZE, DEQUANTIZE, TRANSPOSE, UNIDIRECTIONAL_SEQUENCE_LSTM, CAST, STRIDED_SLICE, MUL,
 * DIV, MINIMUM and MAXIMUM (see {@link TfliteImporters}), tflite-micro's signal custom ops ({@link TfliteSignal})
 * and TFLite's {@code TFLite_Detection_PostProcess} custom op ({@link TfliteDetectionOps}).
 * Constant tensors keep their type, bytes and quantization parameters; the axes of MEAN, the paddings of PAD and the
 * target of RESHAPE become attributes; omitted optional inputs (index -1) are dropped. Each op's origin is (its
 * output tensor's name, the TFLite op name).
 *
 * <p>The graph inputs' first (batch) dimension becomes {@link Shape#DYNAMIC}, so that the interpreter can run
 * other batch sizes; a RESHAPE whose target starts with the file's batch gets -1 there. A graph whose shapes do
 * not allow a dynamic batch (a RESHAPE that folds the batch into other axes, say) keeps the file's shapes.
 *
 * <p>Every offset and length in the file is checked before it is read; anything malformed or unsupported raises
 * a one-line {@link QuantaException} naming the file and what is wrong.
 */
public final class TfliteReader {
    private TfliteReader() {}

    /**
     * Reads {@code file} into an IR model ({@link SourceFormat#TFLITE}, source = {@code file}).
     *
     * @throws QuantaException when the file cannot be read, is no valid TFLite model or uses what is unsupported
     */
    public static Model read(Path file) {
        Objects.requireNonNull(file, "file");
        byte[] bytes;
        try {
            if (Files.size(file) > Integer.MAX_VALUE - 16) {
                throw QuantaException.inFile(file, "files over 2 GB are not supported");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw QuantaException.inFile(file, "no such file");
        } catch (IOException e) {
            throw QuantaException.inFile(file, "cannot read: " + e, e);
        }
        return read(bytes, file);
    }

    /**
     * Reads a model held in memory; {@code source} names it in messages and in the metadata.
     *
     * @throws QuantaException when the bytes are no valid TFLite model or use what is unsupported
     */
    public static Model read(byte[] bytes, Path source) {
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(source, "source");
        TfliteFile file = TfliteFile.open(source, bytes);
        SubGraph graph = file.mainSubgraph();
        List<OperatorCode> codes = file.operatorCodes();
        // with a dynamic batch first; when the shapes do not allow one, with the file's static shapes
        try {
            return new SubgraphConversion(file, graph, codes, true).run();
        } catch (ShapeConflict dynamicFailed) {
            try {
                return new SubgraphConversion(file, graph, codes, false).run();
            } catch (ShapeConflict e) {
                throw file.error(e.getMessage());
            }
        }
    }
}
