package dev.quanta.bench;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.ir.SourceFormat;
import dev.quanta.onnx.OnnxWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The ONNX form that ONNX Runtime runs for a bench model: an {@code .onnx} file as it is, any other model as Quanta's
 * ONNX export ({@link OnnxWriter}: float ops as ONNX operators, a quantized model as QDQ with int8 activations written
 * as uint8, ONNX Runtime's U8S8 format that it fuses into integer kernels on x86-64), in a session with all graph
 * optimizations and {@code threads} intra-op threads.
 */
final class OnnxRuntimeModels {
    private OnnxRuntimeModels() {}

    /** The serialized ONNX model ONNX Runtime runs for {@code file} (loaded by Quanta as {@code model}). */
    static byte[] onnx(Path file, Model model) {
        try {
            return model.metadata().sourceFormat() == SourceFormat.ONNX
                    ? Files.readAllBytes(file)
                    : OnnxWriter.toBytes(model, OnnxWriter.Options.defaults().withUint8Activations(true));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A session on {@code onnx}: all graph optimizations, {@code threads} intra-op threads, 1 inter-op thread. */
    static OrtSession session(byte[] onnx, int threads) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return OrtEnvironment.getEnvironment().createSession(onnx, options);
        }
    }

    /** The session's first input's shape, a dynamic dimension as 1. */
    static long[] inputShape(OrtSession s) throws OrtException {
        TensorInfo t = (TensorInfo) s.getInputInfo().values().iterator().next().getInfo();
        return Arrays.stream(t.getShape()).map(d -> Math.max(1, d)).toArray();
    }

    /** The session's first input's element type. */
    static OnnxJavaType inputType(OrtSession s) throws OrtException {
        return ((TensorInfo) s.getInputInfo().values().iterator().next().getInfo()).type;
    }

    /** {@code input} (a {@code float[]}, or a {@code byte[]} of int8 or uint8) as an ONNX Runtime tensor. */
    static OnnxTensor tensor(Object input, long[] shape, OnnxJavaType type) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (input instanceof float[] f) {
            return OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape);
        }
        byte[] b = (byte[]) input;
        ByteBuffer buf = ByteBuffer.allocateDirect(b.length).order(ByteOrder.nativeOrder());
        buf.put(b).flip();
        return OnnxTensor.createTensor(env, buf, shape, type);
    }

    /**
     * Why ONNX Runtime cannot run the bench model {@code file}, or null when it can: Quanta cannot export one of its
     * ops, ONNX Runtime refuses the file, or its input is not float, int8 or uint8.
     */
    static String whyNot(Path file) {
        try {
            byte[] onnx = onnx(file, ModelFiles.load(file));
            try (OrtSession s = session(onnx, 1)) {
                OnnxJavaType t = inputType(s);
                if (s.getNumInputs() != 1
                        || (t != OnnxJavaType.FLOAT && t != OnnxJavaType.INT8 && t != OnnxJavaType.UINT8)) {
                    return s.getNumInputs() + " input(s), the first " + t;
                }
            }
            return null;
        } catch (RuntimeException | OrtException e) {
            String m = String.valueOf(e.getMessage()).strip().replaceAll("\\s*\\R\\s*", " ");
            return m.length() > 160 ? m.substring(0, 160) + "…" : m;
        }
    }
}
