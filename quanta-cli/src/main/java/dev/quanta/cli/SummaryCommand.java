package dev.quanta.cli;

import dev.quanta.ir.Model;
import dev.quanta.ir.Tensor;
import dev.quanta.summary.ModelSummary;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code quanta summary MODEL}: the model's structure, like Keras {@code model.summary()}. */
@Command(
        name = "summary",
        mixinStandardHelpOptions = true,
        description = "Load a model, check it, and print its layers and parameter counts.")
final class SummaryCommand implements Callable<Integer> {
    @Mixin
    ModelOptions model;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Model m = model.load();
        ModelSummary s = ModelSummary.of(m);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(toMap(m, s)));
        } else {
            out.print(s.render());
            out.println("Source: " + m.metadata().sourceFormat()
                    + (m.metadata().frameworkVersion() == null
                            ? ""
                            : (m.metadata().sourceFormat() == dev.quanta.ir.SourceFormat.ONNX // ONNX import (issue 12)
                                            ? " (producer "
                                            : " (Keras ")
                                    + m.metadata().frameworkVersion() + ")"));
            if (m.metadata().trainingConfig() != null
                    && m.metadata().trainingConfig().loss() != null) {
                out.println("Loss: " + m.metadata().trainingConfig().loss());
            }
            if (m.metadata().inputNormalization() != null) {
                out.println("Input preprocessing: x = " + m.metadata().inputNormalization()
                        + " (recorded in the file; evaluate applies it unless told otherwise)");
            }
        }
        out.flush();
        return 0;
    }

    static Map<String, Object> toMap(Model m, ModelSummary s) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", s.modelName());
        r.put("class", s.modelClass());
        r.put("format", m.metadata().sourceFormat().name());
        r.put("framework_version", m.metadata().frameworkVersion());
        r.put(
                "input_preprocessing",
                m.metadata().inputNormalization() == null
                        ? null
                        : m.metadata().inputNormalization().toString());
        r.put("inputs", tensors(m.inputs()));
        r.put("outputs", tensors(m.outputs()));
        r.put("layers", Json.rows(s.rows(), (row, l) -> {
            l.put("name", row.name());
            l.put("type", row.type());
            l.put("output_shape", row.outputShape());
            l.put("params", row.params());
            l.put("trainable_params", row.trainableParams());
            l.put("connected_to", row.connectedTo());
        }));
        r.put("total_params", s.totalParams());
        r.put("trainable_params", s.trainableParams());
        r.put("non_trainable_params", s.nonTrainableParams());
        r.put("param_bytes", s.paramBytes());
        if (m.metadata().trainingConfig() != null) {
            r.put("loss", m.metadata().trainingConfig().loss());
            r.put("metrics", m.metadata().trainingConfig().metrics());
        }
        return r;
    }

    private static List<Map<String, Object>> tensors(List<Tensor> ts) {
        return Json.rows(ts, (t, m) -> {
            m.put("name", t.name());
            m.put("shape", t.shape().toString());
            m.put("dtype", t.dtype().lowerName());
        });
    }
}
