package dev.quanta.cli;

import dev.quanta.QuantaException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quanta}: the command line, a thin shell over the public Java API. A {@link QuantaException} (bad input)
 * prints one line and exits with code 2; {@code --verbose} adds the stack trace.
 */
@Command(
        name = "quanta",
        mixinStandardHelpOptions = true,
        version = "quanta 0.1.0",
        description = "Post-training quantization toolkit for the JVM: inspect, quantize, evaluate, compare and "
                + "benchmark Keras and TFLite models in pure Java.",
        subcommands = {
            SummaryCommand.class,
            EvaluateCommand.class,
            QuantizeCommand.class,
            SensitivityCommand.class,
            CompareCommand.class,
            BenchmarkCommand.class,
            PredictCommand.class, // issue 13: batch inference on Spark
            DemoCommand.class,
            CommandLine.HelpCommand.class
        })
public final class QuantaCommand implements Runnable {

    /** Exit code for bad input or a request that cannot be carried out. */
    public static final int EXIT_BAD_INPUT = 2;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(new CommandLine(this), "a command is required");
    }

    /** Builds the command line with Quanta's error handling. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new QuantaCommand());
        cl.setParameterExceptionHandler((ex, args) -> {
            // one line, like every other refusal: the problem and where to find the options
            CommandLine c = ex.getCommandLine();
            PrintWriter err = c.getErr();
            String msg = String.valueOf(ex.getMessage()).replaceAll("\\s+", " ").trim();
            err.println("quanta: " + msg + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            err.flush();
            return EXIT_BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            boolean verboseFlag = parseResult.hasMatchedOption("--verbose")
                    || parseResult.subcommands().stream().anyMatch(p -> p.hasMatchedOption("--verbose"));
            PrintWriter err = commandLine.getErr();
            if (ex instanceof QuantaException) {
                err.println("quanta: " + ((QuantaException) ex).render(CliFlags::flag));
                if (verboseFlag) {
                    ex.printStackTrace(err);
                }
                err.flush();
                return EXIT_BAD_INPUT;
            }
            err.println("quanta: internal error: " + ex + (verboseFlag ? "" : " (run with --verbose for details)"));
            if (verboseFlag) {
                ex.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // sizes are checked before allocating; what is left is work larger than this heap
            System.err.println("quanta: out of memory (" + e.getMessage() + "); give the JVM more heap, e.g. "
                    + "QUANTA_JAVA_OPTS=-Xmx8g, or use fewer samples");
            code = EXIT_BAD_INPUT;
        }
        System.exit(code);
    }
}
