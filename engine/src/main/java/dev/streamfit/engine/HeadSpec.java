package dev.streamfit.engine;

/**
 * The trainable head on the frozen base, as in the seed's lessons: an optional inner dense layer (ReLU)
 * and dropout before the softmax output. Immutable; validated on construction.
 *
 * @param innerSize units of the inner dense layer, 0 for none, at most 4096
 * @param dropout fraction of the softmax layer's inputs dropped while training (Keras {@code Dropout(rate)}), in [0, 0.9]
 */
public record HeadSpec(int innerSize, double dropout) {
  /** Softmax directly on the features, no dropout. */
  public static final HeadSpec SOFTMAX = new HeadSpec(0, 0);

  public HeadSpec {
    if (innerSize < 0 || innerSize > 4096) {
      throw new IllegalArgumentException("trainer.inner-size must be in [0, 4096], was " + innerSize + " (set --inner-size)");
    }
    if (!(dropout >= 0 && dropout <= 0.9)) {
      throw new IllegalArgumentException("trainer.dropout must be in [0, 0.9], was " + dropout + " (set --dropout)");
    }
  }

  /** Short description for provenance, e.g. {@code dense(100,relu)+dropout(0.2)+softmax}. */
  public String describe() {
    return (innerSize > 0 ? "dense(" + innerSize + ",relu)+" : "") + (dropout > 0 ? "dropout(" + dropout + ")+" : "") + "softmax";
  }
}
