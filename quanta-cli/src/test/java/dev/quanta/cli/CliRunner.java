package dev.quanta.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine;

/** Runs the CLI in-process and captures exit code, standard output and standard error. */
record CliRunner(int exitCode, String out, String err) {
    static CliRunner run(String... args) {
        return run(cl -> {}, args);
    }

    /** Runs the CLI after {@code setup} has adjusted its command line (its output and error writers are set). */
    static CliRunner run(Consumer<CommandLine> setup, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = QuantaCommand.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        setup.accept(cl);
        int code = cl.execute(args);
        return new CliRunner(code, out.toString(), err.toString());
    }

    /** Runs {@code quanta quantize MODEL -o OUTPUT OPTIONS...}. */
    static CliRunner quantize(Path model, Path output, String... options) {
        return run(args(new String[] {"quantize", model.toString(), "-o", output.toString()}, options));
    }

    /** {@code head} followed by {@code more}. */
    static String[] args(String[] head, String... more) {
        String[] all = Arrays.copyOf(head, head.length + more.length);
        System.arraycopy(more, 0, all, head.length, more.length);
        return all;
    }

    /**
     * The command line of {@code quanta ARGS} in a new JVM, as a user would run it: this JVM's {@code java} and class
     * path, with {@code jvmOptions} before them.
     */
    static List<String> childCommand(List<String> jvmOptions, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        // issue 13: the test class path also holds Spark's log4j binding (quanta-spark is a test dependency); the
        // quanta.jar a user runs has only quanta-core's no-op one
        command.add("-Dslf4j.provider=org.slf4j.nop.NOPServiceProvider");
        command.add("-Dslf4j.internal.verbosity=WARN");
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), QuantaCommand.class.getName()));
        command.addAll(args);
        return command;
    }

    /** Non-empty lines of standard error. */
    long errLines() {
        return err.lines().filter(l -> !l.isBlank()).count();
    }
}
