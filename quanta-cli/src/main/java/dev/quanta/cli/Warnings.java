package dev.quanta.cli;

import dev.quanta.Notice;
import java.io.PrintWriter;
import java.util.Collection;
import java.util.LinkedHashSet;

/** Prints the API's notices as the command line's warnings: one {@code quanta: warning:} line each, flags named. */
final class Warnings {
    private Warnings() {}

    /** Each distinct notice as one line on {@code err}. */
    static void print(PrintWriter err, Collection<Notice> notices) {
        for (Notice n : new LinkedHashSet<>(notices)) {
            err.println("quanta: warning: " + n.render(CliFlags::flag));
        }
        err.flush();
    }

    /** Each line as one {@code quanta: warning:} line on {@code err}. */
    static void printLines(PrintWriter err, Collection<String> lines) {
        for (String line : lines) {
            err.println("quanta: warning: " + line);
        }
        err.flush();
    }
}
