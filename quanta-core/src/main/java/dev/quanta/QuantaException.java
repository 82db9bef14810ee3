package dev.quanta;

import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

/**
 * An error a user can act on: bad, truncated or unsupported input, or a request that cannot be carried out.
 *
 * <p>The message is one line and names the file and what is wrong in it (layer, op, tensor, offset, expected
 * versus found). The CLI prints {@link #getMessage()} and exits with code 2; other exceptions are bugs.
 *
 * <p>A message that asks the user to change a {@link Setting} is built from a template such as
 * {@code "{MODE} int8 calibrates activations: give {REPRESENTATIVE_DATASET}"}: {@link #getMessage()} names the
 * settings in API terms, {@link #render} in a front end's own terms (the CLI's flags).
 */
public class QuantaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The message with {@code {SETTING}} markers, or null for a plain message. */
    private final String template;

    public QuantaException(String message) {
        super(message);
        this.template = null;
    }

    public QuantaException(String message, Throwable cause) {
        super(message, cause);
        this.template = null;
    }

    /** A message that names settings in API terms, kept with the {@code template} it was filled from. */
    private QuantaException(String message, String template) {
        super(message);
        this.template = template;
    }

    /** An error in {@code file}: the message reads {@code "<file>: <what>"}. */
    public static QuantaException inFile(Path file, String what) {
        return new QuantaException(file + ": " + what);
    }

    /** An error in {@code file} caused by {@code cause}. */
    public static QuantaException inFile(Path file, String what, Throwable cause) {
        return new QuantaException(file + ": " + what, cause);
    }

    /**
     * An error whose message names settings: {@code template} holds {@code {NAME}} markers, each the name of a
     * {@link Setting} constant (text in braces that names no setting, say from a layer name, stays as it is).
     */
    public static QuantaException aboutSettings(String template) {
        Objects.requireNonNull(template, "template");
        return new QuantaException(Setting.fill(template, Setting::apiName), template);
    }

    /** An error in {@code file} whose description {@code what} names settings with {@code {NAME}} markers. */
    public static QuantaException inFileAboutSettings(Path file, String what) {
        return aboutSettings(file + ": " + what);
    }

    /** Whether the message asks the user to change or give {@code s} (its template names it). */
    public boolean names(Setting s) {
        return template != null && template.contains("{" + s.name() + "}");
    }

    /** The message with every setting named by {@code names} (for example the CLI's flags). */
    public String render(Function<Setting, String> names) {
        return template == null ? getMessage() : Setting.fill(template, names);
    }
}
