package dev.quanta.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * ONNX Runtime (the ONNX oracle) on one model of one input and one output, one sample per run: float, int8 or uint8
 * input and output as Java arrays ({@code float[]} or {@code byte[]}).
 */
public final class OnnxExportRuntime implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String inputName;

    /** A session on the serialized model {@code onnx}, all graph optimizations on (QDQ fusion included), 1 thread. */
    public OnnxExportRuntime(byte[] onnx) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(onnx, options);
            inputName = session.getInputNames().iterator().next();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime refuses the model: " + e.getMessage(), e);
        }
    }

    /**
     * How many nodes of each type ({@code domain:op}) ONNX Runtime's fully optimized graph of {@code onnx} has, saved
     * to {@code file}: shows which QDQ groups it fused into integer kernels.
     */
    public static java.util.Map<String, Integer> optimizedOpCounts(byte[] onnx, java.nio.file.Path file) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setOptimizedModelFilePath(file.toString());
            try (OrtSession s = env.createSession(onnx, options)) {
                // saved when the session is made
            }
            java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
            for (var n : dev.quanta.onnx.proto.OnnxProto.ModelProto.parseFrom(java.nio.file.Files.readAllBytes(file))
                    .getGraph()
                    .getNodeList()) {
                counts.merge(n.getDomain() + ":" + n.getOpType(), 1, Integer::sum);
            }
            return counts;
        } catch (OrtException | java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs one sample of shape {@code shape}: {@code input} a float[] or byte[] (int8/uint8 as {@code inType}). */
    public Object run(Object input, long[] shape, OnnxJavaType inType) {
        try {
            OnnxTensor in;
            if (input instanceof float[] f) {
                in = OnnxTensor.createTensor(env, FloatBuffer.wrap(f), shape);
            } else {
                byte[] b = (byte[]) input;
                ByteBuffer buf = ByteBuffer.allocateDirect(b.length).order(ByteOrder.nativeOrder());
                buf.put(b).flip();
                in = OnnxTensor.createTensor(env, buf, shape, inType);
            }
            try (in;
                    OrtSession.Result r = session.run(Map.of(inputName, in))) {
                OnnxTensor out = (OnnxTensor) r.get(0);
                if (out.getInfo().type == OnnxJavaType.FLOAT) {
                    FloatBuffer fb = out.getFloatBuffer();
                    float[] y = new float[fb.remaining()];
                    fb.get(y);
                    return y;
                }
                ByteBuffer bb = out.getByteBuffer();
                byte[] y = new byte[bb.remaining()];
                bb.get(y);
                return y;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
        }
    }

    /** Runs one float sample. */
    public float[] run(float[] input, long[] shape) {
        return (float[]) run(input, shape, OnnxJavaType.FLOAT);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
