package dev.quanta.quantize;

/**
 * Whether weights get one scale per output channel or one per tensor. As in TFLite's converter, per-channel
 * applies to convolutions (CONV_2D, DEPTHWISE_CONV_2D); Dense (FULLY_CONNECTED) weights stay per tensor unless
 * {@code QuantizationConfig.withPerChannelDense(true)} asks otherwise.
 */
public enum Granularity {
    PER_CHANNEL,
    PER_TENSOR
}
