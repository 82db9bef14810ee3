package dev.quanta.cli;

import dev.quanta.Notice;
import dev.quanta.data.Dataset;
import dev.quanta.eval.InputChecks;
import dev.quanta.io.ModelFiles;
import dev.quanta.ir.Model;
import dev.quanta.quantize.LayerComparison;
import dev.quanta.quantize.LayerError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code quanta compare A B --data ...}: a layer-by-layer diff of any two models over the same inputs. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Layer-by-layer diff of two models over the same inputs (Keras vs .tflite, float vs "
                + "quantized, Quanta's file vs the TFLite converter's): max abs error, RMSE, SQNR, RMSE/scale and "
                + "the share of values clipped at the quantized range per tensor, worst first.")
final class CompareCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A", description = "Reference model.")
    Path a;

    @Parameters(index = "1", paramLabel = "B", description = "Model compared with A.")
    Path b;

    @Option(names = "--config", paramLabel = "JSON", description = "Keras model JSON when A is a weights-only .h5.")
    Path config;

    @Mixin
    DataOptions.Evaluation data;

    @Option(
            names = "--match",
            defaultValue = "auto",
            paramLabel = "HOW",
            description =
                    "name, position or auto (name when the models share tensor names) (default ${DEFAULT-VALUE}).")
    String match;

    @Option(
            names = "--samples",
            defaultValue = "100",
            paramLabel = "N",
            description = "Samples to run (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Threads per inference.")
    int threads;

    @Option(names = "--json", description = "Print machine-readable JSON.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        LayerComparison.Options options = OptionErrors.build(() -> LayerComparison.Options.defaults()
                .withSamples(samples)
                .withThreads(threads)
                .withMatching(QuantizeCommand.parse(LayerComparison.Matching.class, match, "--match")));
        Model ma = ModelFiles.load(a, config);
        Model mb = ModelFiles.load(b);
        Dataset d = data.load(ma, mb);
        List<LayerError> rows = LayerComparison.compare(ma, mb, d, options);
        List<Notice> notices = new ArrayList<>(InputChecks.check(ma, d));
        notices.addAll(InputChecks.check(mb, d));
        Warnings.print(spec.commandLine().getErr(), notices);
        var out = spec.commandLine().getOut();
        if (json) {
            out.println(Json.write(Json.rows(rows, (l, r) -> {
                r.put("tensor", l.tensor());
                r.put("layer", l.layer());
                r.put("op", l.op());
                r.put("max_abs_error", l.maxAbs());
                r.put("rmse", l.rmse());
                r.put("sqnr_db", Double.isInfinite(l.sqnrDb()) ? null : l.sqnrDb());
                r.put("rmse_over_scale", Double.isNaN(l.scale()) ? null : l.rmseOverScale());
                r.put("saturation", Double.isNaN(l.saturation()) ? null : l.saturation());
            })));
        } else {
            out.printf(
                    Locale.ROOT,
                    "%s vs %s on %d samples of %s, tensors matched by %s, worst first%n",
                    a.getFileName(),
                    b.getFileName(),
                    Math.min(samples, d.size()),
                    d.name(),
                    match.toLowerCase(Locale.ROOT));
            String f = "%-40s %-18s %12s %12s %10s %12s %10s%n";
            out.printf(Locale.ROOT, f, "tensor (B)", "op", "max |err|", "RMSE", "SQNR dB", "RMSE/scale", "saturated");
            for (LayerError l : rows) {
                String name = l.tensor().length() <= 40
                        ? l.tensor()
                        : "…" + l.tensor().substring(l.tensor().length() - 39);
                out.printf(
                        Locale.ROOT,
                        "%-40s %-18s %12.4g %12.4g %10.2f %12s %10s%n",
                        name,
                        l.op(),
                        l.maxAbs(),
                        l.rmse(),
                        l.sqnrDb(),
                        Double.isNaN(l.scale()) ? "-" : String.format(Locale.ROOT, "%.3f", l.rmseOverScale()),
                        EvaluateCommand.saturation(l));
            }
        }
        out.flush();
        return 0;
    }
}
