package dev.quanta.quantize;

import dev.quanta.ir.Model;
import java.util.List;

/** What a rewrite made of a float model: the converted model and a report row per op. */
record Rewritten(Model model, List<LayerReport> layers) {
    Rewritten {
        layers = List.copyOf(layers);
    }
}
