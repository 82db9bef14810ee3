package dev.quanta.spark;

import dev.quanta.QuantaException;

/** Spark's failures as Quanta's one-line errors. */
final class SparkErrors {
    private SparkErrors() {}

    /**
     * The Quanta error a failed job carries (a task's {@link QuantaException}, which Spark hands back as the cause of
     * its own exception, or names with its message in its own), else a {@link QuantaException} with the first line of Spark's message and {@code e} as its
     * cause (shown with {@code --verbose}).
     */
    static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof QuantaException q) {
                return q;
            }
        }
        // a task's error that reached the driver as text only (Spark's "... failure: Lost task ...: <class>:
        // <message>")
        String marker = QuantaException.class.getName() + ": ";
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            int at = m == null ? -1 : m.indexOf(marker);
            if (at >= 0) {
                String rest = m.substring(at + marker.length());
                int end = rest.indexOf('\n');
                return new QuantaException(end < 0 ? rest : rest.substring(0, end), e);
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
