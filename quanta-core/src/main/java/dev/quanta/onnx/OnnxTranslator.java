package dev.quanta.onnx;

/**
 * Translates one ONNX op type into IR ops: reads the node's inputs from the {@link OnnxContext} (in the layout it
 * needs), emits ops, and {@link OnnxContext#define defines} every output. Refuses with {@link OnnxNode#unsupported}
 * what it cannot run exactly.
 */
@FunctionalInterface
public interface OnnxTranslator {
    void translate(OnnxNode node, OnnxContext ctx);
}
