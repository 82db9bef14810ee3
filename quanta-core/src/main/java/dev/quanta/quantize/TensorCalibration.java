package dev.quanta.quantize;

/**
 * What calibration saw of one activation tensor and the range it chose.
 *
 * @param method the calibrator that chose the range ({@link Calibrator#cliName()}), or {@code "minmax"} followed by
 *     the reason in parentheses for tensors that keep the observed range whatever the calibrator
 * @param seen the observed minimum and maximum
 * @param chosen the range the tensor is quantized over (before {@link QuantMath} widens it to contain 0)
 * @param clippedFraction the estimated fraction of calibration values outside the chosen range (as widened to
 *     contain 0, and to ±max for symmetric targets), from the tensor's histogram; 0 for min/max
 * @param histogram the tensor's values over the calibration data, or null when none was collected (min/max
 *     calibration collects one only when asked, see {@link Converter#withHistograms})
 * @param coverage how many calibration samples reach the ends of the chosen range, or null when the tensor does
 *     not hold the same number of values per sample
 */
public record TensorCalibration(
        String tensor,
        String method,
        TensorRange seen,
        TensorRange chosen,
        double clippedFraction,
        TensorHistogram histogram,
        Coverage coverage) {

    /**
     * How many of the {@code samples} calibration samples set each end of the chosen range: {@code atMax} samples
     * have their own maximum at or above (chosen max − one quantization step), and {@code nextMax} is the largest
     * maximum of the other samples (NaN when there are none); the same for the minimum. Counts are 0 for an end
     * the range does not take from the data (a positive minimum or a negative maximum: the grid holds 0 instead).
     */
    public record Coverage(int samples, int atMax, float nextMax, int atMin, float nextMin) {}

    /** A tensor's calibration without coverage counts. */
    public TensorCalibration(
            String tensor,
            String method,
            TensorRange seen,
            TensorRange chosen,
            double clippedFraction,
            TensorHistogram histogram) {
        this(tensor, method, seen, chosen, clippedFraction, histogram, null);
    }

    /** A tensor's calibration without a histogram. */
    public TensorCalibration(
            String tensor, String method, TensorRange seen, TensorRange chosen, double clippedFraction) {
        this(tensor, method, seen, chosen, clippedFraction, null);
    }
}
