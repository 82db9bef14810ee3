package dev.quanta;

import java.nio.file.Path;

/**
 * An error a user can act on: bad, truncated or unsupported input, or a request that cannot be carried out.
 *
 * <p>The message is one line and names the file and what is wrong in it (layer, op, tensor, offset, expected
 * versus found). The CLI prints {@link #getMessage()} and exits with code 2; other exceptions are bugs.
 */
public class QuantaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public QuantaException(String message) {
        super(message);
    }

    public QuantaException(String message, Throwable cause) {
        super(message, cause);
    }

    /** An error in {@code file}: the message reads {@code "<file>: <what>"}. */
    public static QuantaException inFile(Path file, String what) {
        return new QuantaException(file + ": " + what);
    }

    /** An error in {@code file} caused by {@code cause}. */
    public static QuantaException inFile(Path file, String what, Throwable cause) {
        return new QuantaException(file + ": " + what, cause);
    }
}
