package dev.quanta.cli;

import static org.assertj.core.api.Assertions.assertThat;

/** Assertions on what a {@link CliRunner} run printed. */
final class CliAssertions {
    private CliAssertions() {}

    /** A refusal: exit code 2 and one line on standard error, no stack trace, containing every fragment. */
    static void assertOneLineError(CliRunner r, String... fragments) {
        assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isEqualTo(2);
        assertThat(r.errLines()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("\tat ");
        for (String f : fragments) {
            assertThat(r.err()).contains(f);
        }
    }
}
