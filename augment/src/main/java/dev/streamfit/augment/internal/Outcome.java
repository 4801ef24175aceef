package dev.streamfit.augment.internal;

import dev.streamfit.schemas.AugmentedSample;
import dev.streamfit.schemas.Rejection;

/** What one input record turns into: samples, or one rejection. */
public sealed interface Outcome {
  /** A model-ready sample for images.augmented. */
  record Sample(AugmentedSample sample) implements Outcome {}

  /** A dead letter for images.rejected. */
  record Reject(Rejection rejection) implements Outcome {}
}
