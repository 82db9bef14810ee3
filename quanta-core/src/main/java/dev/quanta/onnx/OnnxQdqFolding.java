package dev.quanta.onnx;

import java.util.Map;

/** QDQ folding (stub). */
final class OnnxQdqFolding {
    private OnnxQdqFolding() {}

    static void register(Map<String, OnnxTranslator> t) {}
}
