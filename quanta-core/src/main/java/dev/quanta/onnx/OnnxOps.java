package dev.quanta.onnx;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The table of ONNX op types Quanta imports, one {@link OnnxTranslator} each. Each op family is one class with a
 * {@code register(Map)} method; add a family by adding it to {@link #FAMILIES}.
 */
public final class OnnxOps {
    private OnnxOps() {}

    /** The op families, each registering its translators. */
    private static final List<Consumer<Map<String, OnnxTranslator>>> FAMILIES = List.of(
            OnnxLinearOps::register,
            OnnxSpatialOps::register,
            OnnxElementwiseOps::register,
            OnnxShapeOps::register,
            OnnxReduceOps::register,
            OnnxSequenceOps::register,
            // -- quantized ops (issue 12) --
            OnnxQuantizedOps::register);

    private static final Map<String, OnnxTranslator> TABLE = build();

    private static Map<String, OnnxTranslator> build() {
        Map<String, OnnxTranslator> table = new HashMap<>();
        for (Consumer<Map<String, OnnxTranslator>> family : FAMILIES) {
            family.accept(table);
        }
        return Map.copyOf(table);
    }

    /** The translator of {@code opType}, or null when Quanta does not import it. */
    public static OnnxTranslator translator(String opType) {
        return TABLE.get(opType);
    }

    /** Every op type Quanta imports. */
    public static Set<String> supported() {
        return TABLE.keySet();
    }
}
