/**
 * Kernels of tflite-micro's signal library: the integer audio front end (window, FFT auto-scaling, real FFT,
 * energy, mel filter bank, square root, spectral subtraction, PCAN gain control, log) that its micro_speech
 * example runs as custom ops ahead of the keyword model.
 *
 * <p>Every kernel reproduces tflite-micro's portable C++ arithmetic bit for bit (integer widths, wrap-around,
 * rounding shifts and lookup tables as there; the real FFT is KISS FFT's 16-bit fixed-point transform, which
 * tflite-micro builds with {@code FIXED_POINT=16}). The stock TFLite runtime has no kernels for these ops, so they
 * are checked against tflite-micro's own expected outputs (the micro_speech test's feature vectors) and end to
 * end through the keyword model.
 */
package dev.quanta.kernels.signal;
