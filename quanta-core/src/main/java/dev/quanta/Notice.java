package dev.quanta;

import java.util.Objects;
import java.util.function.Function;

/**
 * A warning that does not stop the work: something in the input looks wrong (data scaled differently from what
 * the model expects, say). Like {@link QuantaException}, its text may name {@link Setting}s through {@code {NAME}}
 * markers: {@link #message()} names them in API terms, {@link #render} in a front end's.
 *
 * @param template the text, with {@code {SETTING}} markers
 */
public record Notice(String template) {
    public Notice {
        Objects.requireNonNull(template, "template");
    }

    /** The text, settings named in API terms. */
    public String message() {
        return Setting.fill(template, Setting::apiName);
    }

    /** The text, settings named by {@code names} (the CLI's flags). */
    public String render(Function<Setting, String> names) {
        return Setting.fill(template, names);
    }

    @Override
    public String toString() {
        return message();
    }
}
