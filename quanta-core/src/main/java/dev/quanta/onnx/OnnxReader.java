package dev.quanta.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.quanta.QuantaException;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.onnx.proto.OnnxProto.NodeProto;
import dev.quanta.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.quanta.onnx.proto.OnnxProto.TensorProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads an ONNX file ({@code ModelProto}, protobuf) with the messages generated from {@code onnx.proto}, and checks
 * what the importer relies on: a graph, an opset of the default domain ({@code ""} / {@code ai.onnx}) in
 * {@value #MIN_OPSET}..{@value #MAX_OPSET}, and no node of another domain.
 */
public final class OnnxReader {
    /** Oldest default-domain opset read. */
    public static final int MIN_OPSET = 7;
    /** Newest default-domain opset read. */
    public static final int MAX_OPSET = 22;

    /** Largest ONNX file read (protobuf's own limit is 2 GiB; larger weights live in external data). */
    static final long MAX_FILE_BYTES = Integer.MAX_VALUE - 8;

    private OnnxReader() {}

    /** A parsed file: the path, the model, and its default-domain opset. */
    public record OnnxFile(Path file, ModelProto model, int opset) {
        /** The folder external data is resolved in. */
        public Path folder() {
            Path parent = file.toAbsolutePath().getParent();
            return parent == null ? Path.of("").toAbsolutePath() : parent;
        }
    }

    /** True when the file name ends in {@code .onnx} (case-insensitive). */
    public static boolean isOnnx(Path file) {
        Path name = file.getFileName();
        return name != null
                && name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx");
    }

    /**
     * Parses and checks {@code file}.
     *
     * @throws QuantaException naming the file and what is wrong in it
     */
    public static OnnxFile read(Path file) {
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_FILE_BYTES) {
                throw error(file, "ONNX file of " + size + " bytes is larger than protobuf's 2 GiB");
            }
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw error(file, "cannot read: " + e.getMessage(), e);
        }
        ModelProto model = parse(bytes, file);
        return new OnnxFile(file, model, checkOpset(model, file));
    }

    /** Parses a serialized {@code ModelProto}. */
    static ModelProto parse(byte[] bytes, Path file) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(64);
            ModelProto m = ModelProto.parseFrom(in);
            in.checkLastTagWas(0);
            return m;
        } catch (InvalidProtocolBufferException e) {
            throw error(file, "not a valid ONNX model (protobuf): " + oneLine(e.getMessage()));
        } catch (IOException e) {
            throw error(file, "cannot read: " + oneLine(e.getMessage()), e);
        }
    }

    /** Parses a serialized {@code TensorProto} (the {@code input_N.pb} files of ONNX's test data). */
    public static TensorProto readTensor(Path file) {
        try {
            return TensorProto.parseFrom(Files.readAllBytes(file));
        } catch (InvalidProtocolBufferException e) {
            throw error(file, "not a valid ONNX TensorProto: " + oneLine(e.getMessage()));
        } catch (IOException e) {
            throw error(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /** The default-domain opset, checked to be in range; nodes of other domains are refused. */
    static int checkOpset(ModelProto model, Path file) {
        if (!model.hasGraph()) {
            throw error(file, "ONNX model has no graph");
        }
        int opset = -1;
        for (OperatorSetIdProto id : model.getOpsetImportList()) {
            if (isDefaultDomain(id.getDomain())) {
                opset = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, id.getVersion()));
            }
        }
        if (opset < 0) {
            if (model.getOpsetImportCount() > 0 || model.getIrVersion() >= 3) {
                throw error(file, "ONNX model imports no opset of the default domain (ai.onnx)");
            }
            opset = 1; // IR version 1-2 models had no opset_import: opset 1
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw error(
                    file,
                    "ONNX opset " + opset + " is not supported (Quanta reads " + MIN_OPSET + " to " + MAX_OPSET + ")");
        }
        for (NodeProto n : model.getGraph().getNodeList()) {
            if (!isDefaultDomain(n.getDomain()) && !isMicrosoftQuantizedOp(n)) {
                throw error(
                        file,
                        "node '" + nodeName(n) + "': op " + n.getOpType() + " of domain '" + n.getDomain()
                                + "' is not supported (only the default domain ai.onnx, and QLinearAdd/QLinearMul"
                                + " of com.microsoft)");
            }
        }
        return opset;
    }

    /**
     * Quantized ops (issue 12): of the com.microsoft contrib domain only QLinearAdd and QLinearMul are read, as
     * ONNX Runtime's quantizer writes them.
     */
    static boolean isMicrosoftQuantizedOp(NodeProto n) {
        return n.getDomain().equals("com.microsoft")
                && (n.getOpType().equals("QLinearAdd") || n.getOpType().equals("QLinearMul"));
    }

    /**
     * {@code <file>: <what>} as a one-line {@link QuantaException}: names taken from the file (nodes, tensors,
     * attributes, domains) may hold line breaks or other control characters, which are shown escaped.
     */
    static QuantaException error(Path file, String what) {
        return QuantaException.inFile(file, printable(what));
    }

    static QuantaException error(Path file, String what, Throwable cause) {
        return QuantaException.inFile(file, printable(what), cause);
    }

    /** {@code s} with control characters written as a backslash, u and four hex digits. */
    static String printable(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static boolean isDefaultDomain(String domain) {
        return domain.isEmpty() || domain.equals("ai.onnx");
    }

    /** The node's name, or its first output's when it has none. */
    static String nodeName(NodeProto n) {
        if (!n.getName().isEmpty()) {
            return n.getName();
        }
        return n.getOutputCount() > 0 ? n.getOutput(0) : n.getOpType();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s+", " ").trim();
    }
}
