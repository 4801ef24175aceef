package dev.streamfit.engine;

import dev.streamfit.schemas.LabelScore;

/** One class and its probability in [0, 1], as a classifier answers it. Immutable. */
public record ClassProbability(String label, double probability) {
  /** This score as the wire record ({@code PredictionResult.predictions}). */
  public LabelScore toWire() {
    return new LabelScore(label, probability);
  }
}
