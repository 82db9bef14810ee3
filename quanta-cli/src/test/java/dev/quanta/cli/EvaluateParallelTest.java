package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quanta.testing.UsesFixtures;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** {@code quanta evaluate --parallel N} prints what one interpreter prints, apart from the time it took. */
@UsesFixtures
class EvaluateParallelTest {

    private static CliRunner evaluate(String... more) {
        String[] head = {
            "evaluate",
            MnistFixtures.model().toString(),
            "--data",
            MnistFixtures.testImages().toString(),
            "--scale",
            "1/255"
        };
        CliRunner r = CliRunner.run(CliRunner.args(head, more));
        assertThat(r.exitCode()).as("%s: %s", Arrays.toString(more), r.err()).isZero();
        return r;
    }

    /** The output without its "Throughput:" line, the only one that depends on the time taken. */
    private static String withoutThroughput(String out) {
        return out.lines().filter(l -> !l.startsWith("Throughput:")).reduce("", (a, l) -> a + l + "\n");
    }

    @Test
    void mnistTenThousandWithTwoInterpretersPrintsTheSequentialResults() throws Exception {
        CliRunner one = evaluate();
        CliRunner two = evaluate("--parallel", "2");
        assertThat(one.out()).contains("(10000 samples)").contains("Accuracy:   97.19% (9719/10000, top-1)");
        assertThat(withoutThroughput(two.out())).isEqualTo(withoutThroughput(one.out()));
        assertThat(two.out()).contains("Throughput:");
        assertThat(two.err()).isEqualTo(one.err());

        ObjectMapper json = new ObjectMapper();
        ObjectNode oneJson =
                (ObjectNode) json.readTree(evaluate("--json", "--top-k", "3").out());
        ObjectNode twoJson = (ObjectNode) json.readTree(
                evaluate("--json", "--top-k", "3", "--parallel", "2").out());
        for (ObjectNode n : new ObjectNode[] {oneJson, twoJson}) {
            n.remove("seconds");
            n.remove("samples_per_second");
        }
        JsonNode loss = oneJson.get("loss");
        assertThat(loss.isDouble()).isTrue();
        assertThat(oneJson.get("correct").asInt()).isGreaterThan(9900);
        // the loss is printed with every digit of its double: equal text means equal bits
        assertThat(twoJson.toString()).isEqualTo(oneJson.toString());
    }
}
