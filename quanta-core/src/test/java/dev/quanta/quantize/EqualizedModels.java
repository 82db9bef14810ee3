package dev.quanta.quantize;

import dev.quanta.data.Dataset;
import dev.quanta.ir.Model;

/** For tests outside this package: the float model after cross-layer equalization, before and after bias absorption. */
public final class EqualizedModels {
    private EqualizedModels() {}

    /**
     * {@code source} after the float passes and cross-layer equalization; converted with equalization off, it gives
     * CLE without bias absorption.
     */
    public static Model equalized(Model source) {
        return CrossLayerEqualization.apply(FloatGraphPasses.apply(source)).model();
    }

    /** {@code equalized} with biases absorbed on all of {@code calibration}. */
    public static Model absorbed(Model equalized, Dataset calibration) {
        return BiasAbsorption.apply(
                        equalized,
                        calibration,
                        QuantizationConfig.defaults().withCalibrationSamples(calibration.size()))
                .model();
    }
}
