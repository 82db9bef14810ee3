package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.eval.ScaleOut;
import java.util.LinkedHashMap;
import java.util.Map;

/** The cluster engine of {@code --spark} (issue 13): found on the class path, which the launcher extends for it. */
final class SparkEngine {
    private SparkEngine() {}

    /** The engine, or a one-line error saying how to get it. */
    static ScaleOut find() {
        return ScaleOut.find()
                .orElseThrow(() -> new QuantaException("--spark needs the module quanta-spark on the class path: run "
                        + "through the launcher ./quanta (it builds the module on first use), or add "
                        + "quanta-spark/target/quanta-spark-*.jar and quanta-spark/target/lib/* to it"));
    }

    /** {@code --json}'s {@code spark} object: the master, the partitions and each stage's seconds. */
    static Map<String, Object> toMap(String master, ScaleOut.Run<?> run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("master", master);
        m.put("partitions", run.partitions());
        m.put("stage_seconds", new LinkedHashMap<>(run.stageSeconds()));
        return m;
    }
}
