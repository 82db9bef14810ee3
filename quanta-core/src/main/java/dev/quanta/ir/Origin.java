package dev.quanta.ir;

/**
 * Where an op came from in the source model: the user's layer name and class (Keras {@code dense_1},
 * {@code Dense}). Several ops may share one origin (a Dense layer with a softmax activation becomes two ops).
 */
public record Origin(String layerName, String layerClass) {}
