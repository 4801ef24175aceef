package dev.streamfit.trainer.internal;

import dev.streamfit.common.Buffers;
import dev.streamfit.augment.ops.AugmentSpec;
import dev.streamfit.augment.ops.Augmenter;
import dev.streamfit.schemas.AugmentedSample;
import java.util.random.RandomGenerator;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/**
 * A fresh augmentation of a replayed sample: parameters drawn from the spec with the caller's RNG (the trainer's
 * seeded shuffle RNG, so a resumed trainer draws the same), applied by the augment stage's own ops over the kept
 * variant's pixels. Native memory is closed before returning. Thread-safe (stateless but for the spec).
 */
final class Reaugment {
  private final AugmentSpec spec;
  private final boolean identity;

  Reaugment(AugmentSpec spec) {
    this.spec = spec;
    this.identity = spec.equals(AugmentSpec.none());
  }

  /** The sample's pixels (HWC, 3 channels), re-augmented unless the spec is {@code none}: a new array. */
  byte[] apply(AugmentedSample s, RandomGenerator rng) {
    byte[] px = Buffers.copyOf(s.getPixels());
    if (identity) {
      return px;
    }
    int w = s.getWidth();
    int h = s.getHeight();
    var params = Augmenter.sample(spec, rng, 0, w, h);
    try (BytePointer data = new BytePointer(px); Mat src = new Mat(h, w, opencv_core.CV_8UC3, data);
        Mat out = Augmenter.apply(src, params, w, h)) {
      byte[] result = new byte[px.length];
      try (Mat cont = out.isContinuous() ? null : out.clone()) {
        (cont == null ? out : cont).data().get(result);
      }
      return result;
    }
  }
}
