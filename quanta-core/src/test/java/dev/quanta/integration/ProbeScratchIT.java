package dev.quanta.integration;

import ai.onnxruntime.*;
import dev.quanta.onnx.OnnxWriter;
import dev.quanta.onnx.proto.OnnxProto.ModelProto;
import dev.quanta.quantize.*;
import java.nio.file.*;
import java.util.*;
import org.junit.jupiter.api.Test;

class ProbeScratchIT {
    @Test
    void probe() throws Exception {
        var ic = KerasFixtureModels.model("mlperf-tiny/ic/pretrainedResnet.h5");
        var d = KerasFixtureModels.icImages();
        for (var scheme : QuantizationScheme.values()) {
            var cfg = QuantizationConfig.defaults()
                    .withScheme(scheme)
                    .withGranularity(
                            scheme == QuantizationScheme.ASYMMETRIC ? Granularity.PER_TENSOR : Granularity.PER_CHANNEL);
            var q = Converter.fromModel(ic)
                    .withConfig(cfg)
                    .withRepresentativeDataset(d.slice(0, 20))
                    .convert()
                    .model();
            byte[] onnx = OnnxWriter.toBytes(q);
            Path opt = Files.createTempFile("opt", ".onnx");
            var env = OrtEnvironment.getEnvironment();
            try (var o = new OrtSession.SessionOptions()) {
                o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                o.setOptimizedModelFilePath(opt.toString());
                try (var s = env.createSession(onnx, o)) {}
            }
            Map<String, Integer> before = new TreeMap<>(), after = new TreeMap<>();
            ModelProto.parseFrom(onnx)
                    .getGraph()
                    .getNodeList()
                    .forEach(n -> before.merge(n.getOpType(), 1, Integer::sum));
            ModelProto.parseFrom(Files.readAllBytes(opt))
                    .getGraph()
                    .getNodeList()
                    .forEach(n -> after.merge(n.getDomain() + ":" + n.getOpType(), 1, Integer::sum));
            System.out.println(scheme + " written: " + before);
            System.out.println(scheme + " ORT optimized: " + after);
            if (scheme == QuantizationScheme.SYMMETRIC)
                for (var n :
                        ModelProto.parseFrom(Files.readAllBytes(opt)).getGraph().getNodeList())
                    System.out.println("  " + n.getOpType() + " " + n.getInputList() + " -> " + n.getOutputList());
        }
    }
}
