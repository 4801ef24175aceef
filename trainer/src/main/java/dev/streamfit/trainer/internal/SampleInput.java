package dev.streamfit.trainer.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.engine.Activations;
import dev.streamfit.engine.InputContract;
import dev.streamfit.schemas.AugmentedSample;

/** What the model is fed for a sample: its pixels, or the frozen prefix's activations when the sample carries them. */
final class SampleInput {
  private SampleInput() {}

  /** Whether {@code s} comes from {@code images.features}. */
  static boolean hasActivations(AugmentedSample s) {
    return s.getActivations() != null;
  }

  /** The pixels of {@code s} (a new array) at {@code contract}'s size: resized by its rule when sent at another. */
  static byte[] pixels(AugmentedSample s, InputContract contract) {
    return contract.fit(Buffers.copyOf(s.getPixels()), s.getHeight(), s.getWidth());
  }

  /** The activations {@code s} carries, decoded (IllegalArgumentException when their bytes do not fit their shape). */
  static Activations activations(AugmentedSample s) {
    var a = s.getActivations();
    return Activations.fromFp16(a.getShape(), a.getFp16());
  }
}
