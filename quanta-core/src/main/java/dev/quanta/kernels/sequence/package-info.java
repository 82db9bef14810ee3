/**
 * Sequence kernels: UNIDIRECTIONAL_SEQUENCE_LSTM in float32 and TFLite's integer 8x8→16 form.
 * {@link dev.quanta.kernels.sequence.SequenceKernels} is the family's provider.
 */
package dev.quanta.kernels.sequence;
