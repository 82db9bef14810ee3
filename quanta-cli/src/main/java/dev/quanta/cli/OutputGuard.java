package dev.quanta.cli;

import dev.quanta.QuantaException;
import dev.quanta.files.AtomicFiles;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The checks on a command's output file, made before any long work: the target must be a regular file or not
 * exist ({@link AtomicFiles#requireWritableTarget}), and must not be any input of the command
 * ({@link AtomicFiles#requireNotAnInput}). The inputs are every path the command was given (each {@link Path}
 * option and parameter except the output itself), so a new path option is covered without listing it here.
 */
final class OutputGuard {
    /** The output name that means standard output. */
    static final String STDOUT = "-";

    private OutputGuard() {}

    /** Whether {@code output} is {@code -}, standard output. */
    static boolean isStdout(Path output) {
        return output != null && output.toString().equals(STDOUT);
    }

    /**
     * Refuses {@code output} when it exists and is not a regular file, or is the same file as (or lies inside a
     * folder of) any input of the command.
     *
     * @param outputOption the option that named the output, e.g. {@code --output}; it is not an input
     * @param implicitInputs inputs the command reads without being given them (null values are skipped)
     */
    static void check(CommandSpec spec, String outputOption, Path output, Map<String, Path> implicitInputs) {
        try {
            AtomicFiles.requireWritableTarget(output);
        } catch (QuantaException e) {
            if (Files.exists(output) && !Files.isRegularFile(output)) {
                throw new QuantaException(
                        e.getMessage() + " (" + outputOption + " " + STDOUT + " writes to standard output)", e);
            }
            throw e;
        }
        Map<String, Path> inputs = inputs(spec, outputOption);
        inputs.putAll(implicitInputs);
        AtomicFiles.requireNotAnInput(output, inputs);
    }

    /**
     * Every path the command was given, keyed by the option's long name or the parameter's label (with {@code #n}
     * for the n-th of several values), except {@code outputOption}.
     */
    static Map<String, Path> inputs(CommandSpec spec, String outputOption) {
        Map<String, Path> inputs = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (!List.of(o.names()).contains(outputOption)) {
                add(inputs, o.longestName(), o);
            }
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            add(inputs, p.paramLabel(), p);
        }
        return inputs;
    }

    private static void add(Map<String, Path> inputs, String role, ArgSpec arg) {
        Object value = arg.getValue();
        if (value instanceof Path p) {
            inputs.put(role, p);
        } else if (value instanceof Collection<?> values) {
            int n = 0;
            for (Object v : values) {
                n++;
                if (v instanceof Path p) {
                    inputs.put(values.size() == 1 ? role : role + " #" + n, p);
                }
            }
        }
    }

    /**
     * Writes {@code bytes} to {@code stdout}, or to the process's standard output when it is null (unbuffered,
     * so that a failure such as a full device or a closed pipe is reported, not swallowed).
     */
    static void writeStdout(byte[] bytes, OutputStream stdout) {
        try {
            if (stdout != null) {
                stdout.write(bytes);
                stdout.flush();
            } else {
                System.out.flush();
                @SuppressWarnings("resource") // closing it would close the process's standard output
                OutputStream out = new FileOutputStream(FileDescriptor.out);
                out.write(bytes);
                out.flush();
            }
        } catch (IOException e) {
            throw new QuantaException(
                    "cannot write to standard output: "
                            + (e.getMessage() == null
                                    ? e.getClass().getSimpleName()
                                    : e.getMessage().replace('\n', ' ')),
                    e);
        }
    }
}
