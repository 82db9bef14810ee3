package dev.quanta.spark;

import dev.quanta.QuantaException;

/** Spark's failures as Quanta's one-line errors. */
final class SparkErrors {
    private SparkErrors() {}

    /**
     * The Quanta error a failed job carries (a task's {@link QuantaException}, which Spark hands back as the cause of
     * its own exception), else a {@link QuantaException} with the first line of Spark's message and {@code e} as its
     * cause (shown with {@code --verbose}).
     */
    static RuntimeException unwrap(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof QuantaException q) {
                return q;
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        int nl = message.indexOf('\n');
        return new QuantaException("Spark: " + (nl < 0 ? message : message.substring(0, nl)), e);
    }
}
