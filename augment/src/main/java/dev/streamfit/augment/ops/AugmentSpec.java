package dev.streamfit.augment.ops;

import dev.streamfit.schemas.Hashes;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What random augmentation a train image gets. Immutable; validated on construction with errors that
 * name the key, the bound and the value.
 *
 * @param rotationDeg rotation drawn uniformly from [-rotationDeg, rotationDeg] degrees, in [0, 180]
 * @param shift shift drawn from [-shift, shift] as a fraction of width/height, in [0, 1)
 * @param zoom zoom factor drawn from [1-zoom, 1+zoom]; above 1 magnifies; in [0, 1)
 * @param horizontalFlip flip left-right with probability 1/2
 */
public record AugmentSpec(double rotationDeg, double shift, double zoom, boolean horizontalFlip) {
  public AugmentSpec {
    check("augment.rotation", rotationDeg, 0, 180, "--rotation");
    check("augment.shift", shift, 0, 0.99, "--shift");
    check("augment.zoom", zoom, 0, 0.99, "--zoom");
  }

  /** The seed lesson's settings: rotation 30°, shift 10 %, zoom 10 %, horizontal flip. */
  public static AugmentSpec defaults() {
    return new AugmentSpec(30, 0.1, 0.1, true);
  }

  /** Short stable hash of the spec, recorded with every sample and in model provenance. */
  public String hash() {
    String canon = String.format(Locale.ROOT, "rotation=%s;shift=%s;zoom=%s;hflip=%s", rotationDeg, shift, zoom, horizontalFlip);
    return Hashes.sha256Hex(canon.getBytes(StandardCharsets.UTF_8)).substring(0, 16);
  }

  private static void check(String key, double v, double lo, double hi, String flag) {
    if (!(v >= lo && v <= hi)) {
      throw new IllegalArgumentException(key + " must be in [" + lo + ", " + hi + "], was " + v + " (set " + flag + ")");
    }
  }
}
