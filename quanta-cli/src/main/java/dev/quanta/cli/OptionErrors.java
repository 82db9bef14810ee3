package dev.quanta.cli;

import dev.quanta.QuantaException;
import java.util.function.Supplier;

/**
 * Turns the Java API's refusal of a setting (an {@link IllegalArgumentException} whose message names the setting,
 * such as "Benchmark runs must be ...") into the command line's one-line error naming the flag instead ("--runs
 * must be ...", see {@link CliFlags#inFlags}), which exits with code 2. The limits themselves live in the API's
 * option classes.
 */
final class OptionErrors {
    private OptionErrors() {}

    /** Runs {@code build} (options made through their withers, or a check of them). */
    static <T> T build(Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw refusal("", e);
        }
    }

    /** {@code prefix} and {@code e}'s message with every API setting name replaced by its flag. */
    static QuantaException refusal(String prefix, IllegalArgumentException e) {
        return new QuantaException(prefix + CliFlags.inFlags(e.getMessage()), e);
    }
}
