package dev.streamfit.trainer.internal;

import dev.streamfit.engine.Activations;
import dev.streamfit.schemas.AugmentedSample;

/** What the model is fed for a sample: its pixels, or the frozen prefix's activations when the sample carries them. */
final class SampleInput {
  private SampleInput() {}

  /** Whether {@code s} comes from {@code images.features}. */
  static boolean hasActivations(AugmentedSample s) {
    return s.getActivations() != null;
  }

  /** The activations {@code s} carries, decoded (IllegalArgumentException when their bytes do not fit their shape). */
  static Activations activations(AugmentedSample s) {
    var a = s.getActivations();
    return Activations.fromFp16(a.getShape(), a.getFp16());
  }
}
