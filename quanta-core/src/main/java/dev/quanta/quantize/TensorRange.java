package dev.quanta.quantize;

/** The observed range of a tensor's real values over the calibration data. */
public record TensorRange(float min, float max) {
    /** The largest magnitude. */
    public float absMax() {
        return Math.max(Math.abs(min), Math.abs(max));
    }
}
