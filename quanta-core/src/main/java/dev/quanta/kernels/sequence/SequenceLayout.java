package dev.quanta.kernels.sequence;

/**
 * Where a sequence op's input rows lie: the input is [steps, batch, features] when time-major, else [batch, steps,
 * features], and the row of batch b at step t is {@code t·batch + b} or {@code b·steps + t} (the output's too).
 */
record SequenceLayout(int batch, int steps, int features, boolean timeMajor) {
    /** The layout of an input of shape {@code xShape} (rank 3). */
    static SequenceLayout of(int[] xShape, boolean timeMajor) {
        return new SequenceLayout(
                timeMajor ? xShape[1] : xShape[0], timeMajor ? xShape[0] : xShape[1], xShape[2], timeMajor);
    }

    /** The row of batch {@code b} at step {@code t}. */
    int row(int b, int t) {
        return timeMajor ? t * batch + b : b * steps + t;
    }
}
