package dev.quanta.cli;

import dev.quanta.eval.Evaluator;
import java.io.PrintStream;

/**
 * A one-line progress bar on standard error, shown only on a terminal and only once a run has lasted a second.
 */
final class ProgressBar implements Evaluator.Progress {
    private final PrintStream err;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;
    private boolean drawn;

    ProgressBar(PrintStream err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    static ProgressBar forTerminal() {
        return new ProgressBar(System.err, System.console() != null);
    }

    @Override
    public void update(int done, int total) {
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (now - start < 1_000_000_000L || (now - lastDraw < 100_000_000L && done < total)) {
            return;
        }
        lastDraw = now;
        int width = 30;
        int filled = total == 0 ? width : (int) ((long) width * done / total);
        double seconds = (now - start) / 1e9;
        err.printf(
                "\r[%s%s] %d/%d  %.0f samples/s",
                "=".repeat(filled), " ".repeat(width - filled), done, total, done / Math.max(seconds, 1e-9));
        drawn = true;
        if (done >= total) {
            finish();
        }
    }

    void finish() {
        if (drawn) {
            err.print("\r" + " ".repeat(70) + "\r");
            err.flush();
            drawn = false;
        }
    }
}
