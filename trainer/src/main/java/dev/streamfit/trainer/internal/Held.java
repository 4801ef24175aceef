package dev.streamfit.trainer.internal;

import dev.streamfit.schemas.AugmentedSample;

/**
 * A sample the trainer keeps in memory (evaluation window, rehearsal buffer) with the reference a checkpoint stores
 * in its place. Immutable.
 *
 * @param ref where it was read from
 * @param sample the sample
 */
public record Held(SampleRef ref, AugmentedSample sample) {
  /** Bytes held: pixels, or activations. */
  public long bytes() {
    return sample.getPixels().remaining()
        + (sample.getActivations() == null ? 0 : sample.getActivations().getFp16().remaining());
  }
}
