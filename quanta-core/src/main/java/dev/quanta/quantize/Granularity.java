package dev.quanta.quantize;

/** Whether weights get one scale per output channel or one per tensor. */
public enum Granularity {
    PER_CHANNEL,
    PER_TENSOR
}
