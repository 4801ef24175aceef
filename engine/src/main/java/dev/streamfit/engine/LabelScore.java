package dev.streamfit.engine;

/** One class and its probability in [0, 1]. */
public record LabelScore(String label, double probability) {}
